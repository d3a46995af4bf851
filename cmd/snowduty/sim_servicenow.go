package main

import (
	"context"
	"fmt"
	"io"
)

// runSimServiceNow is replaced by the simulator's real entry point.
func runSimServiceNow(_ context.Context, _ []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "snowduty sim servicenow: not built yet")
	return exitFailed
}
