package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sethvargo/go-envconfig"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
)

// demoEnv is the configuration the demo runs with: forced settings point
// at the simulators; defaults give fast schedules and can be overridden by
// the user's SNOWDUTY_* variables.
func demoEnv(snowURL, fdURL, redisURL string) (forced, defaults map[string]string) {
	forced = map[string]string{
		"SNOWDUTY_SYNC_DIRECTION":       "two_way",
		"SNOWDUTY_SERVICENOW_URL":       snowURL,
		"SNOWDUTY_SERVICENOW_USERNAME":  snowsim.DefaultUser,
		"SNOWDUTY_SERVICENOW_PASSWORD":  snowsim.DefaultPassword,
		"SNOWDUTY_FLASHDUTY_URL":        fdURL,
		"SNOWDUTY_FLASHDUTY_APP_KEY":    fdsim.DefaultAppKey,
		"SNOWDUTY_FLASHDUTY_CHANNEL_ID": fmt.Sprint(fdsim.OpsChannelID),
		"SNOWDUTY_REDIS_URL":            redisURL,
		"SNOWDUTY_DRY_RUN":              "false",
		"SNOWDUTY_TRIGGER":              "auto",
	}
	defaults = map[string]string{
		"SNOWDUTY_SCHEDULE_SERVICENOW": "@every 1s",
		"SNOWDUTY_SCHEDULE_FLASHDUTY":  "@every 1s",
		"SNOWDUTY_SCHEDULE_RETRY":      "@every 5s",
		"SNOWDUTY_SCHEDULE_RESYNC":     "@every 1m",
		"SNOWDUTY_SERVICENOW_LAG":      "0s",
		"SNOWDUTY_STATE_PREFIX":        "snowduty:demo:",
		"SNOWDUTY_HTTP_ADDR":           "127.0.0.1:0",
		"SNOWDUTY_LOG_LEVEL":           "warn",
	}
	return forced, defaults
}

// runDemo is `snowduty demo`: both simulators on loopback, an embedded
// Redis (unless SNOWDUTY_REDIS_URL is set), the real daemon with fast
// schedules, and a scripted story checked step by step.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("snowduty demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keep := fs.Bool("keep", false, "leave the simulators and the daemon running after the story, for curl")
	timeout := fs.Duration("step-timeout", 30*time.Second, "how long each step may take to sync")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	sn := snowsim.New(snowsim.Options{Seed: uint64(time.Now().UnixNano())})
	fd := fdsim.New(fdsim.Options{Seed: uint64(time.Now().UnixNano())})
	snURL, stopSN, err := serveLoopback(sn)
	if err != nil {
		fmt.Fprintf(stderr, "snowduty demo: start the servicenow simulator: %v\n", err)
		return exitFailed
	}
	defer stopSN()
	fdURL, stopFD, err := serveLoopback(fd)
	if err != nil {
		fmt.Fprintf(stderr, "snowduty demo: start the flashduty simulator: %v\n", err)
		return exitFailed
	}
	defer stopFD()
	redisURL, embedded := os.Getenv("SNOWDUTY_REDIS_URL"), false
	if redisURL == "" {
		mr, err := miniredis.Run()
		if err != nil {
			fmt.Fprintf(stderr, "snowduty demo: start the embedded redis: %v\n", err)
			return exitFailed
		}
		defer mr.Close()
		redisURL, embedded = "redis://"+mr.Addr()+"/0", true
	}

	// The simulators' endpoints and credentials always win; any other
	// SNOWDUTY_* variable the user set applies on top of the demo defaults.
	forced, defaults := demoEnv(snURL, fdURL, redisURL)
	lookup := envconfig.MultiLookuper(envconfig.MapLookuper(forced), envconfig.OsLookuper(), envconfig.MapLookuper(defaults))
	c, log, code := setupFrom(ctx, lookup, os.Environ(), stderr, true)
	if code != exitOK {
		return code
	}
	d, err := build(ctx, c, log, buildOptions{})
	if err != nil {
		fmt.Fprintf(stderr, "snowduty demo: %v\n", err)
		return exitFailed
	}
	defer d.close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(stderr, "snowduty demo: listen for metrics: %v\n", err)
		return exitFailed
	}
	srv := &http.Server{Handler: d.poller.Health().Handler(d.reg), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() { _ = srv.Close() }()
	daemonDone := make(chan error, 1)
	go func() { daemonDone <- d.poller.Run(ctx) }()

	fmt.Fprintf(stdout, "snowduty demo — ServiceNow simulator %s, Flashduty simulator %s, Redis %s%s\n\n",
		snURL, fdURL, redisURL, map[bool]string{true: " (embedded)", false: ""}[embedded])
	st := &story{sn: sn, fd: fd, out: stdout, timeout: *timeout, ctx: ctx, conflicts: func() float64 { return counterSum(d.reg, "snowduty_conflicts_total") }}
	ok := st.play()
	st.summary()

	if *keep {
		fmt.Fprintf(stdout, "\nEverything keeps running (Ctrl-C to stop):\n")
		fmt.Fprintf(stdout, "  ServiceNow  %s  user %s, password %s  (control API: %s%s)\n", snURL, snowsim.DefaultUser, snowsim.DefaultPassword, snURL, snowsim.ControlPrefix)
		fmt.Fprintf(stdout, "  Flashduty   %s  app_key %s  (control API: %s%s)\n", fdURL, fdsim.DefaultAppKey, fdURL, fdsim.ControlPrefix)
		fmt.Fprintf(stdout, "  metrics     http://%s/metrics   health /livez /readyz\n", ln.Addr())
		fmt.Fprintf(stdout, "  try: curl -s -u %s:%s '%s/api/now/table/incident?sysparm_fields=number,short_description,state,correlation_id'\n", snowsim.DefaultUser, snowsim.DefaultPassword, snURL)
		<-ctx.Done()
	}
	cancel()
	if err := <-daemonDone; err != nil {
		log.Error("daemon", slog.String("err", err.Error()))
		return exitFailed
	}
	if !ok {
		return exitFailed
	}
	return exitOK
}

// serveLoopback serves h on a free loopback port.
func serveLoopback(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

// counterSum adds up every series of a counter in g.
func counterSum(g prometheus.Gatherer, name string) float64 {
	mfs, err := g.Gather()
	if err != nil {
		return 0
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}
