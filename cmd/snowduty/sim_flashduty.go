package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
)

// runSimFlashduty serves the Flashduty simulator until ctx is cancelled.
func runSimFlashduty(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("snowduty sim flashduty", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8082", "address to listen on")
	appKey := fs.String("app-key", fdsim.DefaultAppKey, "the app key the simulator accepts")
	seed := fs.Uint64("seed", 1, "seed for incident and request ids")
	rateLimit := fs.Bool("rate-limit", false, "enforce 50 requests/s and 1000/min with real 429 answers")
	bump := fs.Bool("comments-bump-updated-at", false, "make comments change updated_at (the default is the harder case: they do not)")
	incidents := fs.Int("incidents", 0, "create this many sample incidents at start-up")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "snowduty sim flashduty: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	if *appKey == "" || *incidents < 0 {
		fmt.Fprintln(stderr, "snowduty sim flashduty: --app-key must not be empty and --incidents must not be negative")
		return exitUsage
	}
	sim := fdsim.New(fdsim.Options{AppKey: *appKey, Seed: *seed, RateLimit: *rateLimit, CommentsBumpUpdatedAt: *bump})
	for i := range *incidents {
		if _, err := sim.CreateIncident(fdsim.IncidentSpec{
			Title:     fmt.Sprintf("Sample incident %d: CPU usage high on web-%02d", i+1, i+1),
			Severity:  []string{fdsim.SeverityCritical, fdsim.SeverityWarning, fdsim.SeverityInfo}[i%3],
			ChannelID: fdsim.OpsChannelID,
			Labels:    map[string]string{"resource": fmt.Sprintf("web-%02d", i+1), "check": "cpu_usage_high"},
			StartTime: time.Now().Add(-time.Duration(i+1) * time.Minute),
		}); err != nil {
			fmt.Fprintf(stderr, "snowduty sim flashduty: create sample incident: %v\n", err)
			return exitFailed
		}
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "snowduty sim flashduty: listen on %s: %v\n", *listen, err)
		return exitFailed
	}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "Flashduty simulator listening\n  Open API:    %s  (POST JSON, ?app_key=...)\n  control API: %s%s\n  app key:     %s\n  key member:  %s, member id %d\n  human users: %s (%d), %s (%d) (act as them through the control API)\n",
		base, base, fdsim.ControlPrefix, sim.AppKey(), sim.KeyMember().UserName, sim.KeyMember().MemberID, fdsim.Alice, fdsim.AliceID, fdsim.Bob, fdsim.BobID)

	return serveUntilDone(ctx, ln, sim, stderr, "snowduty sim flashduty")
}
