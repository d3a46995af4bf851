package poller

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/diff"
	"github.com/snowduty/snowduty/poller/fdside"
	"github.com/snowduty/snowduty/state"
)

// pollFlashduty discovers new Flashduty incidents (by start time, with
// overlap), detects changes of active pairs by re-reading them 100 at a
// time, and reads the feeds of a round-robin share of the active pairs,
// because comments may not bump updated_at. A failed discovery (its window
// stays put, so the next pass lists the same incidents) does not keep the
// changes of linked pairs from being synced.
func (p *Poller) pollFlashduty(ctx context.Context) error {
	cur, err := p.st.Cursors(ctx)
	if err != nil {
		return fmt.Errorf("read cursors: %w", err)
	}
	var failures []PairFailure
	f, discoverErr := p.discoverFlashduty(ctx, cur)
	failures = append(failures, f...)
	if discoverErr != nil && (ctx.Err() != nil || errors.Is(discoverErr, state.ErrFenced)) {
		return discoverErr
	}
	f, err = p.detectFlashduty(ctx, cur.Sweep)
	failures = append(failures, f...)
	if err := errors.Join(discoverErr, err); err != nil {
		return err
	}
	return passResult(failures)
}

// Discovery lists incidents by start time, and an incident may start
// before it is created (an alert that fired earlier): each discovery
// re-lists a short overlap behind its window, and a deep one, every
// deepDiscoveryEvery, the whole FDOverlap plus that interval, so that an
// incident started up to FDOverlap before its creation is still found. In
// a storm, re-listing the whole overlap every pass would spend a page of
// Flashduty's budget per 100 recent incidents per pass.
const (
	discoveryOverlap   = time.Minute
	deepDiscoveryEvery = 5 * time.Minute
)

// discoverySince is where a discovery starts listing, and whether it is a
// deep one.
func discoverySince(cur state.Cursors, now time.Time, overlap time.Duration) (time.Time, bool) {
	if overlap <= discoveryOverlap || (!cur.FlashdutyDeep.IsZero() && now.Sub(cur.FlashdutyDeep) < deepDiscoveryEvery) {
		return cur.FlashdutyWindow.Add(-min(overlap, discoveryOverlap)), false
	}
	return cur.FlashdutyWindow.Add(-overlap - deepDiscoveryEvery), true
}

// discoverFlashduty lists incidents started since the discovery window
// (minus overlap) and reconciles those not linked yet.
func (p *Poller) discoverFlashduty(ctx context.Context, cur state.Cursors) ([]PairFailure, error) {
	now := p.now()
	if !cur.FlashdutyWindow.IsZero() {
		// How far behind discovery is as this pass starts: about the
		// schedule's interval when healthy, growing while passes fail.
		p.metrics.cursorLag.WithLabelValues("flashduty").Set(now.Sub(cur.FlashdutyWindow).Seconds())
	}
	since, deep := discoverySince(cur, now, p.o.FDOverlap)
	if cur.FlashdutyWindow.IsZero() {
		since = now.Add(-p.o.Lookback)
	}
	var failures []PairFailure
	q := flashduty.ListQuery{Since: since, Until: now.Add(time.Minute), ChannelIDs: p.o.ChannelIDs}
	if len(p.o.Trigger.Severities) > 0 && !p.o.Trigger.Manual && p.o.Trigger.ManualField == "" && p.o.Trigger.ManualLabel[0] == "" {
		q.Severity = strings.Join(p.o.Trigger.Severities, ",")
	}
	err := p.fd.List(ctx, q, func(items []flashduty.Incident) error {
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
		if deep {
			if err := p.st.SetFlashdutyDeep(ctx, f, now); err != nil {
				return failures, fmt.Errorf("record deep discovery: %w", err)
			}
		}
	}
	return failures, nil
}

// detectFlashduty walks the active set 100 pairs at a time: one
// list-by-ids per batch; pairs whose Flashduty values moved away from the
// base are reconciled, and so are the pairs of the resync sweep's slice,
// in full. Of the feed budget's round-robin share, the pairs
// whose values did not move have their feeds read first and are
// reconciled only when a comment there still needs mirroring (see
// feedPending): an idle pass reads nothing from ServiceNow for them.
func (p *Poller) detectFlashduty(ctx context.Context, sw state.Sweep) ([]PairFailure, error) {
	feedDue := map[string]bool{}
	// A dry run must not move the shared round-robin pointer: it spends the
	// budget on the first pairs of the walk instead.
	dryBudget := 0
	if p.o.DryRun {
		dryBudget = p.o.FeedBudget
	} else if budget := underLoad(p.o.FeedBudget, p.fd.Load()); budget > 0 {
		due, err := p.st.NextFeedBatch(ctx, budget)
		if err != nil {
			return nil, fmt.Errorf("pick feed batch: %w", err)
		}
		for _, a := range due {
			feedDue[a.PairID] = true
		}
	}
	sweep, err := p.nextSweepSlice(ctx, sw)
	if err != nil {
		return nil, err
	}
	var failures []PairFailure
	active := 0
	err = p.walkActive(ctx, func(batch []*pair) error {
		active += len(batch)
		var work, check []*pair
		pol := p.policy(p.now())
		for _, c := range batch {
			c.feedDue = feedDue[c.id]
			c.readAll = c.readAll || sweep.has(c.id)
			if dryBudget > 0 {
				c.feedDue, dryBudget = true, dryBudget-1
			}
			if c.fd == nil || c.base == nil || c.readAll {
				work = append(work, c)
				continue
			}
			if _, fdChanged := diff.Changed(c.base, nil, fdside.View(c.fd, nil, nil), pol); fdChanged {
				work = append(work, c)
			} else if c.feedDue {
				check = append(check, c)
			}
		}
		due, err := p.feedPending(ctx, check, pol)
		if err != nil {
			return err
		}
		fs, err := p.reconcile(ctx, append(work, due...))
		failures = append(failures, fs...)
		return err
	}, true)
	p.metrics.activePairs.Set(float64(active))
	if err != nil {
		return failures, err
	}
	p.lastActive.Store(int64(active))
	return failures, p.advance(ctx, sweep)
}

// underLoad scales n, a number of optional reads for a pass (the feed
// budget, the resync sweep's slice), to Flashduty's rate: all of it while
// at most half the per-minute limit is used, none from 90 % on, in
// proportion between. Those reads look for what no change signalled (a
// comment that did not bump updated_at, drift); under load the changes come
// first, and the reads resume where they stopped once the load falls.
func underLoad(n int, load float64) int {
	switch {
	case load <= 0.5:
		return n
	case load >= 0.9:
		return 0
	}
	return int(math.Round(float64(n) * (0.9 - load) / 0.4))
}

// walkActive calls fn with every active pair, a batch at a time, each with
// its link, snapshot and (withFD) its Flashduty incident read: one Redis
// round trip for links, one for snapshots and one list-by-ids per batch.
// The walk starts at a random point of the set and wraps around: when
// passes are cut short (restarts, the run timeout), each covers a
// different part, and no pair waits behind the same ones every time.
func (p *Poller) walkActive(ctx context.Context, fn func([]*pair) error, withFD bool) error {
	var buf []state.ActivePair
	flush := func() error {
		batch, err := p.pairsByID(ctx, buf, withFD)
		if err != nil {
			return err
		}
		buf = buf[:0]
		return fn(batch)
	}
	for _, cursor := range state.WalkFrom(rand.Float64()) {
		for {
			page, next, err := p.st.ActivePairs(ctx, cursor, p.o.BatchSize-len(buf))
			if err != nil {
				return fmt.Errorf("walk active pairs: %w", err)
			}
			buf = append(buf, page...)
			if len(buf) >= p.o.BatchSize {
				if err := flush(); err != nil {
					return err
				}
			}
			if next == "" {
				break
			}
			cursor = next
		}
	}
	if len(buf) > 0 {
		return flush()
	}
	return nil
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
