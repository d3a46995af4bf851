package poller

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/clients/servicenow"
	"github.com/snowduty/snowduty/diff"
	"github.com/snowduty/snowduty/state"
)

// pollServiceNow reads ServiceNow's change feed from the cursor, page by
// page, and reconciles each page before moving the cursor past it. The
// cursor never passes ServiceNow's clock minus Lag, and a page that could
// not be read or recorded stops the pass without moving the cursor.
func (p *Poller) pollServiceNow(ctx context.Context) error {
	cur, err := p.st.Cursors(ctx)
	if err != nil {
		return fmt.Errorf("read cursors: %w", err)
	}
	after := servicenow.Cursor{UpdatedOn: cur.ServiceNow.UpdatedOn.Add(-p.o.Overlap)}
	if cur.ServiceNow.UpdatedOn.IsZero() {
		after = servicenow.Cursor{UpdatedOn: p.now().Add(-p.o.Lookback).Truncate(time.Second)}
	}
	var failures []PairFailure
	for {
		page, err := p.sn.Changes(ctx, servicenow.ChangeQuery{After: after, Scope: p.o.Scope, Columns: p.o.Policy.Mapping.Columns(), PageSize: p.o.PageSize})
		if err != nil {
			return fmt.Errorf("read servicenow changes: %w", err)
		}
		batch := make([]*pair, 0, len(page.Incidents))
		for i := range page.Incidents {
			batch = append(batch, &pair{snow: &page.Incidents[i]})
		}
		batch, err = p.dropUnchangedSnow(ctx, batch)
		if err != nil {
			return err
		}
		for _, chunk := range chunksOf(batch, p.o.BatchSize) {
			f, err := p.reconcile(ctx, chunk)
			failures = append(failures, f...)
			if err != nil {
				return err
			}
		}
		if err := p.advanceSnowCursor(ctx, page); err != nil {
			return err
		}
		if !page.More {
			break
		}
		after = page.Next
	}
	return passResult(failures)
}

// dropUnchangedSnow drops rows seen before at the same sys_mod_count whose
// synced values still match the base (the overlap window re-reads them, and
// our own writes come back this way). One snapshot read per page.
func (p *Poller) dropUnchangedSnow(ctx context.Context, rows []*pair) ([]*pair, error) {
	if len(rows) == 0 {
		return rows, nil
	}
	ids := make([]string, len(rows))
	for i, c := range rows {
		ids[i] = c.snow.SysID
	}
	links, err := p.st.LinksBySysIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read links: %w", err)
	}
	var pairIDs []string
	for _, c := range rows {
		if l, ok := links[c.snow.SysID]; ok {
			c.setLink(l)
			pairIDs = append(pairIDs, c.id)
		}
	}
	if len(pairIDs) == 0 {
		return rows, nil
	}
	snaps, err := p.st.Snapshots(ctx, pairIDs)
	if err != nil {
		return nil, fmt.Errorf("read snapshots: %w", err)
	}
	pol := p.policy(p.now())
	out := rows[:0]
	for _, c := range rows {
		if v, ok := snaps[c.id]; ok && c.link != nil && len(v.Data) > 0 {
			var s diff.Snapshot
			if s.UnmarshalBinary(v.Data) == nil && s.SnowModCount == int64(c.snow.SysModCount) {
				if snowChanged, _ := diff.Changed(&s, snowView(c.snow, nil), nil, pol); !snowChanged {
					continue
				}
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// advanceSnowCursor moves the ServiceNow cursor to the end of a processed
// page, but never past ServiceNow's clock minus Lag.
func (p *Poller) advanceSnowCursor(ctx context.Context, page servicenow.ChangePage) error {
	if p.o.DryRun || page.Next.UpdatedOn.IsZero() {
		return nil
	}
	next := state.SNCursor{UpdatedOn: page.Next.UpdatedOn, SysID: page.Next.SysID}
	serverNow := page.ServerTime
	if serverNow.IsZero() {
		serverNow = p.now()
	}
	if limit := serverNow.Add(-p.o.Lag).Truncate(time.Second); next.UpdatedOn.After(limit) {
		next = state.SNCursor{UpdatedOn: limit}
	}
	f, ok := p.currentFence()
	if !ok {
		return fmt.Errorf("move servicenow cursor: %w", state.ErrFenced)
	}
	if err := p.st.SetServiceNowCursor(ctx, f, next); err != nil {
		return fmt.Errorf("move servicenow cursor: %w", err)
	}
	p.metrics.cursorLag.WithLabelValues("servicenow").Set(serverNow.Sub(next.UpdatedOn).Seconds())
	return nil
}

// pollFlashduty discovers new Flashduty incidents (by start time, with
// overlap), detects changes of active pairs by re-reading them 100 at a
// time, and reads the feeds of a round-robin share of the active pairs,
// because comments may not bump updated_at.
func (p *Poller) pollFlashduty(ctx context.Context) error {
	var failures []PairFailure
	f, err := p.discoverFlashduty(ctx)
	failures = append(failures, f...)
	if err != nil {
		return err
	}
	f, err = p.detectFlashduty(ctx)
	failures = append(failures, f...)
	if err != nil {
		return err
	}
	return passResult(failures)
}

// discoverFlashduty lists incidents started since the discovery window
// (minus overlap) and reconciles those not linked yet.
func (p *Poller) discoverFlashduty(ctx context.Context) ([]PairFailure, error) {
	cur, err := p.st.Cursors(ctx)
	if err != nil {
		return nil, fmt.Errorf("read cursors: %w", err)
	}
	now := p.now()
	since := cur.FlashdutyWindow.Add(-p.o.FDOverlap)
	if cur.FlashdutyWindow.IsZero() {
		since = now.Add(-p.o.Lookback)
	}
	var failures []PairFailure
	q := flashduty.ListQuery{Since: since, Until: now.Add(time.Minute), ChannelIDs: p.o.ChannelIDs}
	if len(p.o.Trigger.Severities) > 0 && !p.o.Trigger.Manual && p.o.Trigger.ManualField == "" && p.o.Trigger.ManualLabel[0] == "" {
		q.Severity = strings.Join(p.o.Trigger.Severities, ",")
	}
	err = p.fd.List(ctx, q, func(items []flashduty.Incident) error {
		ids := make([]string, len(items))
		for i := range items {
			ids[i] = items[i].ID
		}
		links, err := p.st.LinksByIncidentIDs(ctx, ids)
		if err != nil {
			return fmt.Errorf("read links: %w", err)
		}
		var batch []*pair
		for i := range items {
			if _, linked := links[items[i].ID]; !linked {
				batch = append(batch, &pair{fd: &items[i]})
			}
		}
		for _, chunk := range chunksOf(batch, p.o.BatchSize) {
			fs, err := p.reconcile(ctx, chunk)
			failures = append(failures, fs...)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return failures, fmt.Errorf("discover flashduty incidents: %w", err)
	}
	if !p.o.DryRun {
		f, ok := p.currentFence()
		if !ok {
			return failures, fmt.Errorf("move flashduty window: %w", state.ErrFenced)
		}
		if err := p.st.SetFlashdutyWindow(ctx, f, now); err != nil {
			return failures, fmt.Errorf("move flashduty window: %w", err)
		}
	}
	p.metrics.cursorLag.WithLabelValues("flashduty").Set(p.now().Sub(now).Seconds())
	return failures, nil
}

// detectFlashduty walks the active set 100 pairs at a time: one
// list-by-ids per batch; pairs whose Flashduty values moved away from the
// base, and the feed budget's round-robin share, are reconciled.
func (p *Poller) detectFlashduty(ctx context.Context) ([]PairFailure, error) {
	feedDue := map[string]bool{}
	if p.o.FeedBudget > 0 {
		due, err := p.st.NextFeedBatch(ctx, p.o.FeedBudget)
		if err != nil {
			return nil, fmt.Errorf("pick feed batch: %w", err)
		}
		for _, a := range due {
			feedDue[a.PairID] = true
		}
	}
	var failures []PairFailure
	active := 0
	err := p.walkActive(ctx, func(batch []*pair) error {
		active += len(batch)
		var work []*pair
		pol := p.policy(p.now())
		for _, c := range batch {
			c.feedDue = feedDue[c.id]
			if c.fd == nil || c.feedDue || c.base == nil {
				work = append(work, c)
				continue
			}
			if _, fdChanged := diff.Changed(c.base, nil, fdView(c.fd, nil, nil), pol); fdChanged {
				work = append(work, c)
			}
		}
		fs, err := p.reconcile(ctx, work)
		failures = append(failures, fs...)
		return err
	}, true)
	p.metrics.activePairs.Set(float64(active))
	return failures, err
}

// walkActive calls fn with every active pair, a batch at a time, each with
// its link, snapshot and (withFD) its Flashduty incident read: one Redis
// round trip for links, one for snapshots and one list-by-ids per batch.
func (p *Poller) walkActive(ctx context.Context, fn func([]*pair) error, withFD bool) error {
	cursor := ""
	for {
		page, next, err := p.st.ActivePairs(ctx, cursor, p.o.BatchSize)
		if err != nil {
			return fmt.Errorf("walk active pairs: %w", err)
		}
		if len(page) > 0 {
			batch, err := p.pairsByID(ctx, page, withFD)
			if err != nil {
				return err
			}
			if err := fn(batch); err != nil {
				return err
			}
		}
		if next == "" {
			return nil
		}
		cursor = next
	}
}

// pairsByID builds candidates for active pairs: links and snapshots from
// Redis and, with withFD, the Flashduty incidents in one list-by-ids.
func (p *Poller) pairsByID(ctx context.Context, page []state.ActivePair, withFD bool) ([]*pair, error) {
	ids := make([]string, len(page))
	for i, a := range page {
		ids[i] = a.PairID
	}
	links, err := p.st.LinksByPairIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read links: %w", err)
	}
	var batch []*pair
	var fdIDs []string
	for _, id := range ids {
		l, ok := links[id]
		if !ok {
			continue // unlinked since (Redis partly lost): pruned by the next prune
		}
		c := &pair{}
		c.setLink(l)
		batch = append(batch, c)
		fdIDs = append(fdIDs, l.IncidentID)
	}
	if err := p.loadSnapshots(ctx, batch); err != nil {
		return nil, err
	}
	if withFD && len(fdIDs) > 0 {
		got, err := p.fd.ListByIDs(ctx, fdIDs)
		if err != nil {
			return nil, fmt.Errorf("read flashduty incidents: %w", err)
		}
		byID := map[string]*flashduty.Incident{}
		for i := range got {
			byID[got[i].ID] = &got[i]
		}
		for _, c := range batch {
			c.fd = byID[c.link.IncidentID]
		}
	}
	return batch, nil
}

// retryDue reconciles the pairs whose retry is due, reading both sides in
// full (so nothing that an earlier attempt half-wrote is written twice).
func (p *Poller) retryDue(ctx context.Context) error {
	due, err := p.st.Due(ctx, p.now(), 1000)
	if err != nil {
		return fmt.Errorf("read retry queue: %w", err)
	}
	var failures []PairFailure
	for _, chunk := range chunksOf(due, p.o.BatchSize) {
		batch, err := p.pairsForIDs(ctx, chunk)
		if err != nil {
			return err
		}
		fs, err := p.reconcile(ctx, batch)
		failures = append(failures, fs...)
		if err != nil {
			return err
		}
	}
	p.updateQueueGauges(ctx)
	return passResult(failures)
}

// pairsForIDs rebuilds candidates from retry entries: linked pairs by their
// link, unlinked ones ("sn:<sys_id>", "fd:<incident_id>") by their source
// incident.
func (p *Poller) pairsForIDs(ctx context.Context, due []state.Retry) ([]*pair, error) {
	ids := make([]string, len(due))
	for i, r := range due {
		ids[i] = r.PairID
	}
	links, err := p.st.LinksByPairIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read links: %w", err)
	}
	var batch []*pair
	var sns, fds []string
	for _, id := range ids {
		c := &pair{readAll: true, retrying: true}
		if l, ok := links[id]; ok {
			c.setLink(l)
		} else if s, ok := strings.CutPrefix(id, "sn:"); ok {
			sns = append(sns, s)
		} else if f, ok := strings.CutPrefix(id, "fd:"); ok {
			fds = append(fds, f)
		}
		batch = append(batch, c)
	}
	var snows []servicenow.Incident
	var fdsGot []flashduty.Incident
	if len(sns) > 0 {
		if snows, err = p.sn.GetMany(ctx, sns, p.o.Policy.Mapping.Columns()); err != nil {
			return nil, fmt.Errorf("read servicenow incidents: %w", err)
		}
	}
	if len(fds) > 0 {
		if fdsGot, err = p.fd.ListByIDs(ctx, fds); err != nil {
			return nil, fmt.Errorf("read flashduty incidents: %w", err)
		}
	}
	// Attach the source incidents of unlinked entries.
	for i, id := range ids {
		c := batch[i]
		if c.link != nil {
			continue
		}
		if s, ok := strings.CutPrefix(id, "sn:"); ok {
			for j := range snows {
				if snows[j].SysID == s {
					c.snow = &snows[j]
				}
			}
		} else if f, ok := strings.CutPrefix(id, "fd:"); ok {
			for j := range fdsGot {
				if fdsGot[j].ID == f {
					c.fd = &fdsGot[j]
				}
			}
		}
		if c.snow == nil && c.fd == nil {
			// The source is gone: nothing left to sync.
			if err := p.st.Done(ctx, id); err != nil {
				return nil, fmt.Errorf("drop retry of %s: %w", id, err)
			}
		}
	}
	out := batch[:0]
	for _, c := range batch {
		if c.link != nil || c.snow != nil || c.fd != nil {
			out = append(out, c)
		}
	}
	return out, nil
}

// resync re-checks every active pair in full: both sides and their
// comments are read, so any drift (a missed change, a lost write) is
// repaired.
func (p *Poller) resync(ctx context.Context) error {
	var failures []PairFailure
	err := p.walkActive(ctx, func(batch []*pair) error {
		for _, c := range batch {
			c.readAll = true
		}
		fs, err := p.reconcile(ctx, batch)
		failures = append(failures, fs...)
		return err
	}, false)
	if err != nil {
		return err
	}
	return passResult(failures)
}

// prune drops pairs closed on both sides for longer than the grace period
// and settles create intents that outlived IntentTTL.
func (p *Poller) prune(ctx context.Context) error {
	if p.o.DryRun {
		return nil
	}
	ids, err := p.st.Prune(ctx, p.now())
	if err != nil {
		return fmt.Errorf("prune active pairs: %w", err)
	}
	if len(ids) > 0 {
		p.log.Info("pairs closed on both sides left the active set", slog.Int(keyCount, len(ids)))
	}
	expired, err := p.st.ExpiredIntents(ctx, p.now())
	if err != nil {
		return fmt.Errorf("read create intents: %w", err)
	}
	var due []state.Retry
	for _, in := range expired {
		due = append(due, state.Retry{PairID: in.PairID})
	}
	var failures []PairFailure
	for _, chunk := range chunksOf(due, p.o.BatchSize) {
		batch, err := p.pairsForIDs(ctx, chunk)
		if err != nil {
			return err
		}
		fs, err := p.reconcile(ctx, batch)
		failures = append(failures, fs...)
		if err != nil {
			return err
		}
	}
	p.updateQueueGauges(ctx)
	return passResult(failures)
}

// updateQueueGauges refreshes the retry queue and dead letter gauges.
func (p *Poller) updateQueueGauges(ctx context.Context) {
	st, err := p.st.Status(ctx)
	if err != nil {
		p.log.Debug("read state status", errAttr(err))
		return
	}
	p.metrics.retryDepth.Set(float64(st.RetryQueue))
	p.metrics.deadLetters.Set(float64(st.DeadLetters))
}

func passResult(failures []PairFailure) error {
	if len(failures) == 0 {
		return nil
	}
	return &PassError{Failures: failures}
}

func chunksOf[T any](s []T, n int) [][]T {
	var out [][]T
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	if len(s) > 0 {
		out = append(out, s)
	}
	return out
}
