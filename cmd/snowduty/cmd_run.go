package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/snowduty/snowduty/poller"
)

// runRun is `snowduty run`: the daemon.
func runRun(ctx context.Context, _ []string, _, stderr io.Writer) int {
	return withDeps(ctx, stderr, func(c *Config, log *slog.Logger, d *deps) int {
		if code := checkScopeAtStart(ctx, c, log, d, stderr); code != exitOK {
			return code
		}
		return serve(ctx, c, log, d)
	})
}

// checkScopeAtStart runs check's scope column check before run or once
// starts (a few sys_dictionary reads, nothing kept): a column of
// SNOWDUTY_SERVICENOW_QUERY that ServiceNow does not know is a
// configuration error (exit 2), since ServiceNow would ignore its condition
// and sync incidents out of scope, unless
// SNOWDUTY_SERVICENOW_QUERY_ALLOW_UNKNOWN is set. What cannot be checked
// (sys_dictionary not readable) is logged as a warning, and the run starts.
func checkScopeAtStart(ctx context.Context, c *Config, log *slog.Logger, d *deps, stderr io.Writer) int {
	if c.ServiceNow.Query == "" {
		return exitOK
	}
	cctx, cancel := context.WithTimeout(ctx, 2*c.ServiceNow.Timeout)
	defer cancel()
	rep, err := d.sn.CheckScopeColumns(cctx, c.ServiceNow.Query)
	if err != nil {
		log.Warn("scope query columns not checked", slog.String("var", envPrefix+"SERVICENOW_QUERY"),
			slog.String("err", err.Error()), slog.String("hint", scopeUncheckedHint(err)))
		return exitOK
	}
	for _, u := range rep.Unchecked {
		log.Warn("scope query column not checked", slog.String("var", envPrefix+"SERVICENOW_QUERY"), slog.String("why", u))
	}
	if len(rep.Problems) == 0 {
		log.Debug("scope query columns exist", slog.String("columns", strings.Join(rep.Checked, ",")))
		return exitOK
	}
	if c.ServiceNow.QueryAllowUnknown {
		for _, p := range rep.Problems {
			log.Warn("scope query names a column ServiceNow ignores; starting anyway", slog.String("var", envPrefix+"SERVICENOW_QUERY"),
				slog.String("problem", p.String()), slog.String("because", envPrefix+"SERVICENOW_QUERY_ALLOW_UNKNOWN=true"))
		}
		return exitOK
	}
	fmt.Fprintln(stderr, "snowduty: the configuration has problems:")
	for _, p := range rep.Problems {
		fmt.Fprintf(stderr, "  %sSERVICENOW_QUERY: %s\n", envPrefix, p)
	}
	fmt.Fprintf(stderr, "snowduty: %s.\nFix the query (`snowduty check` lists every column), or set %sSERVICENOW_QUERY_ALLOW_UNKNOWN=true to start anyway.\n",
		scopeProblemsSummary(rep), envPrefix)
	return exitUsage
}

// serve runs the health/metrics server and the poller until ctx ends.
func serve(ctx context.Context, c *Config, log *slog.Logger, d *deps) int {
	ln, err := net.Listen("tcp", c.HTTPAddr)
	if err != nil {
		log.Error("listen for health and metrics", slog.String("addr", c.HTTPAddr), slog.String("err", err.Error()))
		return exitFailed
	}
	srv := &http.Server{Handler: d.poller.Health().Handler(d.reg), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("health server", slog.String("err", err.Error()))
		}
	}()
	log.Info("snowduty running", slog.String("version", Version()), slog.String("direction", c.SyncDirection),
		slog.String("http", ln.Addr().String()), slog.Bool("dry_run", c.DryRun))
	runErr := d.poller.Run(ctx)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	if runErr != nil {
		log.Error("stopped", slog.String("err", runErr.Error()))
		return exitFailed
	}
	log.Info("snowduty stopped")
	return exitOK
}

// runOnce is `snowduty once`: one pass; exit 0 only if every pair synced.
func runOnce(ctx context.Context, _ []string, stdout, stderr io.Writer) int {
	return withDeps(ctx, stderr, func(c *Config, log *slog.Logger, d *deps) int {
		if code := checkScopeAtStart(ctx, c, log, d, stderr); code != exitOK {
			return code
		}
		return once(ctx, d, stdout)
	})
}

func once(ctx context.Context, d *deps, stdout io.Writer) int {
	err := d.poller.RunOnceWithResync(ctx)
	var pe *poller.PassError
	switch {
	case err == nil:
		fmt.Fprintln(stdout, "pass complete: every pair in sync")
		return exitOK
	case errors.As(err, &pe):
		fmt.Fprintf(stdout, "pass complete: %d pair(s) failed and are queued for retry:\n", len(pe.Failures))
		for _, f := range pe.Failures {
			fmt.Fprintf(stdout, "  %s  %s  %s: %s\n", f.Pair, f.Side, f.Class, f.Err)
		}
		return exitUnsynced
	default:
		fmt.Fprintf(stdout, "pass failed: %v\n", err)
		return exitFailed
	}
}

// runSync is `snowduty sync <id>`: sync one incident now.
func runSync(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "snowduty sync: name one incident: a Flashduty incident id, a ServiceNow number (INC0010001) or sys_id")
		return exitUsage
	}
	return withDeps(ctx, stderr, func(_ *Config, _ *slog.Logger, d *deps) int { return syncOne(ctx, d, args[0], stdout, stderr) })
}

func syncOne(ctx context.Context, d *deps, ref string, stdout, stderr io.Writer) int {
	plan, err := d.poller.SyncOne(ctx, ref)
	printJSON(stdout, plan)
	var pe *poller.PassError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &pe):
		fmt.Fprintf(stderr, "snowduty sync: %v\n", err)
		return exitUnsynced
	default:
		fmt.Fprintf(stderr, "snowduty sync: %v\n", err)
		return exitFailed
	}
}
