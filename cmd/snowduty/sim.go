package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
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

// serveUntilDone serves h on ln until ctx is cancelled, then shuts down
// gracefully. what prefixes error messages.
func serveUntilDone(ctx context.Context, ln net.Listener, h http.Handler, stderr io.Writer, what string) int {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		fmt.Fprintf(stderr, "%s: serve: %v\n", what, err)
		return exitFailed
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		fmt.Fprintf(stderr, "%s: shut down: %v\n", what, err)
		return exitFailed
	}
	return exitOK
}
