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
		{"run", "keep both sides in sync (the daemon)", runRun},
		{"once", "run one pass and exit: 0 if every pair synced, 3 if some failed", runOnce},
		{"check", "check configuration, credentials, roles, fields, channels and Redis", runCheck},
		{"sync", "sync one incident now: sync <flashduty id | INC number | sys_id>", runSync},
		{"status", "show cursors and lag, active pairs, retry queue, dead letters, leader", runStatus},
		{"explain", "show a pair's link, snapshot, both sides, the plan it would run, its audit trail", runExplain},
		{"dead-letters", "list dead letters, or move them back to the retry queue: dead-letters [replay [PAIR]]", runDeadLetters},
		{"demo", "run both simulators, an embedded Redis and the daemon, and play a scripted story", runDemo},
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
