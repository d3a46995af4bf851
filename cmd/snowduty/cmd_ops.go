package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/snowduty/snowduty/poller"
)

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// withDeps reads and validates the configuration, builds the clients, the
// store and the poller (Redis is connected; no API call is made), runs fn
// and releases everything.
func withDeps(ctx context.Context, stderr io.Writer, fn func(*Config, *slog.Logger, *deps) int) int {
	c, log, code := setup(ctx, stderr, true)
	if code != exitOK {
		return code
	}
	d, err := build(ctx, c, log, buildOptions{})
	if err != nil {
		fmt.Fprintf(stderr, "snowduty: %v\n", err)
		return exitFailed
	}
	defer d.close()
	return fn(c, log, d)
}

// runStatus is `snowduty status`: cursors and lag, active pairs, retry
// queue, dead letters, leader.
func runStatus(ctx context.Context, _ []string, stdout, stderr io.Writer) int {
	return withDeps(ctx, stderr, func(_ *Config, _ *slog.Logger, d *deps) int { return status(ctx, d, stdout, stderr) })
}

func status(ctx context.Context, d *deps, stdout, stderr io.Writer) int {
	st, err := d.store.Status(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "snowduty status: %v\n", err)
		return exitFailed
	}
	now := time.Now()
	w := tabwriter.NewWriter(stdout, 0, 2, 2, ' ', 0)
	fmt.Fprintf(w, "state prefix\t%s\n", st.Prefix)
	fmt.Fprintf(w, "bound to\t%s\n", st.Identity)
	if st.Leader != nil {
		fmt.Fprintf(w, "leader\t%s (lease #%d, until %s)\n", st.Leader.Holder, st.Leader.Token, st.Leader.Deadline.UTC().Format(time.RFC3339))
	} else {
		fmt.Fprintf(w, "leader\tnone: no replica is running the schedules\n")
	}
	fmt.Fprintf(w, "servicenow cursor\t%s\n", cursorText(st.Cursors.ServiceNow.UpdatedOn, now))
	fmt.Fprintf(w, "flashduty discovery\t%s\n", cursorText(st.Cursors.FlashdutyWindow, now))
	fmt.Fprintf(w, "linked pairs\t%d\n", st.Links)
	fmt.Fprintf(w, "active pairs\t%d (%d closed on both sides, leaving after the grace period)\n", st.Active, st.Closing)
	fmt.Fprintf(w, "create intents\t%d\n", st.Intents)
	fmt.Fprintf(w, "retry queue\t%d (%d due now)\n", st.RetryQueue, st.RetryDue)
	fmt.Fprintf(w, "dead letters\t%d\n", st.DeadLetters)
	if j := st.Journal; j.Unreadable() {
		fmt.Fprintf(w, "servicenow journal\tUNREADABLE since %s: %s; comments from ServiceNow are not mirrored\n", j.Since.UTC().Format(time.RFC3339), j.Reason)
	} else {
		fmt.Fprintf(w, "servicenow journal\treadable\n")
	}
	_ = w.Flush()
	if st.DeadLetters > 0 {
		fmt.Fprintln(stdout, "\nsee them with: snowduty dead-letters; retry them with: snowduty dead-letters replay")
	}
	if st.Journal.Unreadable() {
		fmt.Fprintln(stdout, "\nto mirror comments from ServiceNow: "+poller.JournalHint)
	}
	return exitOK
}

func cursorText(t, now time.Time) string {
	if t.IsZero() {
		return "not started"
	}
	return fmt.Sprintf("%s (lag %s)", t.UTC().Format(time.RFC3339), now.Sub(t).Round(time.Second))
}

// runExplain is `snowduty explain <id>`.
func runExplain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "snowduty explain: name one incident: a Flashduty incident id, a ServiceNow number (INC0010001) or sys_id")
		return exitUsage
	}
	return withDeps(ctx, stderr, func(_ *Config, _ *slog.Logger, d *deps) int { return explain(ctx, d, args[0], stdout, stderr) })
}

func explain(ctx context.Context, d *deps, ref string, stdout, stderr io.Writer) int {
	ex, err := d.poller.Explain(ctx, ref)
	if ex != nil {
		printJSON(stdout, ex)
	}
	if err != nil {
		fmt.Fprintf(stderr, "snowduty explain: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// runDeadLetters is `snowduty dead-letters [replay [pair]]`.
func runDeadLetters(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] != "replay" || len(args) > 2 {
		fmt.Fprintln(stderr, "snowduty dead-letters: usage: dead-letters [replay [PAIR]]")
		return exitUsage
	}
	return withDeps(ctx, stderr, func(_ *Config, _ *slog.Logger, d *deps) int { return deadLetters(ctx, d, args, stdout, stderr) })
}

func deadLetters(ctx context.Context, d *deps, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		pair := ""
		if len(args) == 2 {
			pair = args[1]
		}
		n, err := d.store.Replay(ctx, pair)
		if err != nil {
			fmt.Fprintf(stderr, "snowduty dead-letters replay: %v\n", err)
			return exitFailed
		}
		fmt.Fprintf(stdout, "%d pair(s) moved back to the retry queue, due now\n", n)
		return exitOK
	}
	dls, err := d.store.DeadLetters(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "snowduty dead-letters: %v\n", err)
		return exitFailed
	}
	if len(dls) == 0 {
		fmt.Fprintln(stdout, "no dead letters")
		return exitOK
	}
	w := tabwriter.NewWriter(stdout, 0, 2, 2, ' ', 0)
	fmt.Fprintln(w, "PAIR\tATTEMPTS\tFIRST FAILED\tDEAD SINCE\tSIDE\tERROR")
	for _, dl := range dls {
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", dl.PairID, dl.Attempts, dl.FirstFailed.UTC().Format(time.RFC3339), dl.At.UTC().Format(time.RFC3339), dl.Op, dl.Err)
	}
	_ = w.Flush()
	return exitOK
}
