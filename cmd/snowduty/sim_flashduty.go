package main

import (
	"context"
	"fmt"
	"io"
)

// runSimFlashduty is replaced by the simulator's real entry point.
func runSimFlashduty(_ context.Context, _ []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "snowduty sim flashduty: not built yet")
	return exitFailed
}
