package main

import (
	"context"
	"fmt"
	"io"
)

func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "snowduty sim: say which simulator: sim servicenow|flashduty [--listen ADDR]")
		return exitUsage
	}
	switch args[0] {
	case "servicenow":
		return runSimServiceNow(ctx, args[1:], stdout, stderr)
	case "flashduty":
		return runSimFlashduty(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "snowduty sim: unknown simulator %q; use servicenow or flashduty\n", args[0])
	return exitUsage
}
