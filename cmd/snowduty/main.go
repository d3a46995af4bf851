// Command snowduty keeps Flashduty and ServiceNow incidents in sync, both
// ways, by polling both REST APIs from inside the customer's network.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() { os.Exit(run()) }

// run wires the process to the command dispatcher: arguments, standard
// streams and a context cancelled by SIGINT or SIGTERM.
func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr)
}

// Exit codes, documented in the README.
const (
	exitOK       = 0
	exitFailed   = 1 // the command ran and something did not work
	exitUsage    = 2 // bad arguments or configuration
	exitUnsynced = 3 // once: the pass finished but some pairs did not sync
)

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"sim", "run a simulator: sim servicenow|flashduty [--listen ADDR]", runSim},
		{"version", "print the version", runVersion},
	}
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "snowduty: unknown command %q; run 'snowduty help' for the list\n", args[0])
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "snowduty keeps Flashduty and ServiceNow incidents in sync, both ways.")
	fmt.Fprintln(w, "\nUsage: snowduty <command> [arguments]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nConfiguration comes from SNOWDUTY_* environment variables; see the README.")
}
