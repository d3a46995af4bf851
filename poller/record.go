package poller

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/snowduty/snowduty/diff"
	"github.com/snowduty/snowduty/state"
)

// record stores what the batch did: new snapshots (one compare-and-set
// round trip), the active set, the retry queue and the audit stream.
func (p *Poller) record(ctx context.Context, batch []*pair) error {
	f, ok := p.currentFence()
	if !ok {
		return fmt.Errorf("record batch: %w", state.ErrFenced)
	}
	var writes []state.SnapshotWrite
	byID := map[string]*pair{}
	var closed, open []string
	for _, c := range batch {
		nb := c.plan.NewBase
		if c.failed != nil && !c.storedPartial {
			nb = c.partialBase()
		} else if c.failed != nil {
			nb = nil // storeNow stored it
		}
		if nb == nil || c.id == "" || !(c.plan.HasChanges() || c.base == nil) {
			continue
		}
		data, err := nb.MarshalBinary()
		if err != nil {
			c.fail("state", fmt.Errorf("encode snapshot: %w", err))
			continue
		}
		writes = append(writes, state.SnapshotWrite{PairID: c.id, Data: data, IfVersion: c.baseVersion})
		byID[c.id] = c
		if c.failed != nil {
			continue // a partial base: the pair stays queued for retry
		}
		if bothClosed(c) {
			closed = append(closed, c.id)
		} else {
			open = append(open, c.id)
		}
	}
	if len(writes) > 0 {
		res, err := p.st.PutSnapshots(ctx, f, writes)
		if err != nil {
			return fmt.Errorf("store snapshots: %w", err)
		}
		for _, r := range res {
			if !r.OK {
				byID[r.PairID].fail("state", fmt.Errorf("store snapshot: another writer changed the pair's snapshot (version %d); it is reconciled again", r.Version))
			}
		}
	}
	if len(open) > 0 {
		if err := p.st.AddActive(ctx, open...); err != nil {
			return fmt.Errorf("update active set: %w", err)
		}
	}
	if len(closed) > 0 {
		if err := p.st.MarkClosed(ctx, p.now(), closed...); err != nil {
			return fmt.Errorf("update active set: %w", err)
		}
	}
	var synced []string
	for _, c := range batch {
		p.recordPair(ctx, c)
		if c.failed == nil && c.plan.Writes() > 0 {
			synced = append(synced, c.names()...)
		}
	}
	// A dead-lettered pair that syncs again (someone fixed the cause)
	// no longer needs an operator.
	if n, err := p.st.ClearDeadLetters(ctx, synced...); err != nil {
		p.log.Warn("clear dead letters", errAttr(err))
	} else if n > 0 {
		p.log.Info("dead-lettered pairs synced again", slog.Int(keyCount, n))
	}
	return nil
}

// recordPair counts, audits and queues one pair's outcome.
func (p *Poller) recordPair(ctx context.Context, c *pair) {
	if c.failed != nil && c.failed.Class == classGone {
		// The partner was deleted (or hidden): nothing left to sync. The
		// pair leaves the active set; its link stays for explain.
		p.metrics.pairFailures.WithLabelValues(c.failed.Side, string(c.failed.Class)).Inc()
		p.audit(ctx, c, state.Event{Kind: "gone", Side: state.Side(c.failed.Side), Detail: c.failed.Err})
		p.log.Warn("partner incident gone: pair no longer synced", pairAttr(c), slog.String(keyError, c.failed.Err))
		if err := p.st.RemoveActive(ctx, c.key()); err != nil {
			p.log.Warn("remove pair from active set", pairAttr(c), errAttr(err))
		}
		if c.retrying {
			p.clearRetries(ctx, c, append(c.staleRetries(), c.key()))
		}
		c.failed = nil
		return
	}
	// Entries that named the pair before it was linked under its key.
	p.clearRetries(ctx, c, c.staleRetries())
	if c.failed != nil {
		p.metrics.pairFailures.WithLabelValues(c.failed.Side, string(c.failed.Class)).Inc()
		id := c.key()
		s, err := p.st.Schedule(ctx, id, c.failed.Side, c.failed.Err)
		if err != nil {
			p.log.Error("queue retry", slog.String(keyPair, id), errAttr(err))
			return
		}
		ev := state.Event{Kind: "error", Side: state.Side(c.failed.Side), Detail: c.failed.Err}
		lvl := slog.LevelWarn
		if s.Dead {
			ev.Kind, lvl = "dead_letter", slog.LevelError
		}
		p.audit(ctx, c, ev)
		p.log.Log(ctx, lvl, "pair failed", slog.String(keyPair, id), slog.String(keySide, c.failed.Side), slog.String(keyClass, string(c.failed.Class)),
			slog.Int(keyAttempt, s.Attempt), slog.Bool("dead_letter", s.Dead), slog.Time(keyRetryAt, s.Due), slog.String(keyError, c.failed.Err))
		return
	}
	if c.retrying {
		p.clearRetries(ctx, c, []string{c.key()})
	}
	if c.plan.Writes() == 0 && len(c.plan.Conflicts) == 0 {
		if c.link != nil && c.base != nil && (c.snow != nil && c.snow.SysUpdatedBy == p.origin.ServiceNowUser) {
			p.metrics.echoes.WithLabelValues("servicenow").Inc()
		}
		return
	}
	for _, cf := range c.plan.Conflicts {
		p.metrics.conflicts.WithLabelValues(cf.Field, string(cf.Winner)).Inc()
		p.audit(ctx, c, state.Event{Kind: "conflict", Field: cf.Field, Side: state.Side(loser(cf.Winner)),
			Detail: fmt.Sprintf("servicenow %q vs flashduty %q: %s wins (%s)", cf.ServiceNow, cf.Flashduty, cf.Winner, cf.Reason)})
		p.log.Info("conflict resolved", pairAttr(c), slog.String(keyField, cf.Field), slog.String(keyWinner, string(cf.Winner)), slog.String("reason", cf.Reason))
	}
	if f := pushedFields(c.plan); f != "" {
		p.audit(ctx, c, state.Event{Kind: "push", Detail: f})
		p.log.Info("synced", pairAttr(c), slog.String("pushed", f))
	}
}

// clearRetries removes retry entries of the pair.
func (p *Poller) clearRetries(ctx context.Context, c *pair, ids []string) {
	for _, id := range ids {
		if err := p.st.Done(ctx, id); err != nil {
			p.log.Warn("clear retry", pairAttr(c), errAttr(err))
		}
	}
}

// pushedFields summarises what a plan wrote, e.g.
// "servicenow: state, comments×2; flashduty: ack".
func pushedFields(pl diff.Plan) string {
	var fd []string
	sn := sortedKeys(pl.ServiceNow.Update)
	if n := len(pl.ServiceNow.Comments); n > 0 {
		sn = append(sn, fmt.Sprintf("comments×%d", n))
	}
	if r := pl.Flashduty.Reset; r != nil {
		if r.Title != nil {
			fd = append(fd, "title")
		}
		if r.Description != nil {
			fd = append(fd, "description")
		}
		if r.Severity != nil {
			fd = append(fd, "severity")
		}
	}
	for _, a := range pl.Flashduty.Actions {
		fd = append(fd, string(a.Kind))
	}
	for _, f := range pl.Flashduty.Fields {
		fd = append(fd, "field:"+f.Name)
	}
	if n := len(pl.Flashduty.Comments); n > 0 {
		fd = append(fd, fmt.Sprintf("comments×%d", n))
	}
	var parts []string
	if len(sn) > 0 {
		parts = append(parts, "servicenow: "+strings.Join(sn, ", "))
	}
	if len(fd) > 0 {
		parts = append(parts, "flashduty: "+strings.Join(fd, ", "))
	}
	return strings.Join(parts, "; ")
}

// bothClosed reports whether both sides are closed once the plan applied.
func bothClosed(c *pair) bool {
	if c.snow == nil || c.fd == nil {
		return false
	}
	st := c.snow.State
	if v, ok := c.plan.ServiceNow.Update["state"]; ok {
		st = v
	}
	fdClosed := c.fd.Closed()
	for _, a := range c.plan.Flashduty.Actions {
		switch a.Kind {
		case diff.ActionResolve:
			fdClosed = true
		case diff.ActionReopen:
			fdClosed = false
		}
	}
	return snowClosed(st) && fdClosed
}

func loser(w diff.Side) string {
	if w == diff.ServiceNow {
		return "flashduty"
	}
	return "servicenow"
}

// audit appends an event for the pair; a failure to audit is logged, never
// fatal.
func (p *Poller) audit(ctx context.Context, c *pair, ev state.Event) {
	if p.o.DryRun {
		return
	}
	if err := p.st.Audit(ctx, c.key(), ev); err != nil {
		p.log.Warn("write audit event", pairAttr(c), errAttr(err))
	}
}

func pairAttr(c *pair) slog.Attr  { return slog.String(keyPair, c.key()) }
func errAttr(err error) slog.Attr { return slog.String(keyError, err.Error()) }

// goneError reports a partner incident that disappeared.
type goneError string

func (e goneError) Error() string { return string(e) }

// noIdentityError reports an incident whose identity (the ServiceNow
// number) is missing, so it can be neither searched for nor linked.
type noIdentityError string

func (e noIdentityError) Error() string { return string(e) }
