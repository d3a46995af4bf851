package poller

import (
	"context"
	"fmt"
	"time"

	"github.com/snowduty/snowduty/clients/servicenow"
	"github.com/snowduty/snowduty/diff"
	"github.com/snowduty/snowduty/poller/snowside"
	"github.com/snowduty/snowduty/state"
)

// pollServiceNow reads ServiceNow's change feed from the cursor, page by
// page, and reconciles each page before moving the cursor past it. The
// cursor never passes ServiceNow's clock minus Lag, and a page that could
// not be read or recorded stops the pass without moving the cursor. A pass
// that reads the feed to its end also moves the cursor up to ServiceNow's
// clock minus Lag, so that a pass after nothing changed reads one empty
// page instead of re-reading the last burst of changes.
func (p *Poller) pollServiceNow(ctx context.Context) error {
	p.probeJournal(ctx)
	cur, err := p.st.Cursors(ctx)
	if err != nil {
		return fmt.Errorf("read cursors: %w", err)
	}
	if !cur.ServiceNow.UpdatedOn.IsZero() {
		// Grows while passes fail; refined from ServiceNow's clock below.
		p.metrics.cursorLag.WithLabelValues("servicenow").Set(p.now().Sub(cur.ServiceNow.UpdatedOn).Seconds())
	}
	after := servicenow.Cursor{UpdatedOn: cur.ServiceNow.UpdatedOn.Add(-p.o.Overlap)}
	if cur.ServiceNow.UpdatedOn.IsZero() {
		after = servicenow.Cursor{UpdatedOn: p.now().Add(-p.o.Lookback).Truncate(time.Second)}
	}
	pass := snowPass{start: cur.ServiceNow}
	var failures []PairFailure
	for {
		page, err := p.sn.Changes(ctx, servicenow.ChangeQuery{After: after, Scope: p.o.Scope, Columns: p.o.Policy.Mapping.Columns(), PageSize: p.o.PageSize})
		if err != nil {
			return fmt.Errorf("read servicenow changes: %w", err)
		}
		pass.sawClock(page.ServerTime)
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
		if err := p.advanceSnowCursor(ctx, page, pass); err != nil {
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
				if snowChanged, _ := diff.Changed(&s, snowside.View(c.snow, nil), nil, pol); !snowChanged {
					continue
				}
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// snowPass is what advanceSnowCursor needs to know about the pass so far.
type snowPass struct {
	// start is the cursor the pass began from. Everything before it was
	// read by earlier passes (up to the Overlap they re-read), so the
	// cursor never moves back behind it.
	start state.SNCursor
	// clock is the earliest ServiceNow clock (Date header) among the pages
	// read so far; zero while none carried one.
	clock time.Time
}

// sawClock notes ServiceNow's clock from one page.
func (s *snowPass) sawClock(t time.Time) {
	if !t.IsZero() && (s.clock.IsZero() || t.Before(s.clock)) {
		s.clock = t
	}
}

// advanceSnowCursor moves the ServiceNow cursor to the end of a processed
// page, never behind the cursor the pass started from and never past
// ServiceNow's clock minus Lag.
//
// After the last page of a pass (page.More false) the whole feed from the
// pass's start has been read, so the cursor may move on to ServiceNow's
// clock minus Lag even when the last row read is older: every row updated
// before that time was visible when the first page was read (that is what
// Lag promises), hence on every later page too, and the keyset feed read
// each of them. The time is taken from the earliest clock any page of the
// pass reported, and only a clock ServiceNow reported counts: without one
// the cursor stays at the last row. The cursor this yields has no sys_id:
// it means "everything before that second", and the next pass re-reads
// from it minus Overlap, inclusive, as always.
func (p *Poller) advanceSnowCursor(ctx context.Context, page servicenow.ChangePage, pass snowPass) error {
	if p.o.DryRun || page.Next.UpdatedOn.IsZero() {
		return nil
	}
	next := maxSNCursor(state.SNCursor{UpdatedOn: page.Next.UpdatedOn, SysID: page.Next.SysID}, pass.start)
	if !page.More && !pass.clock.IsZero() {
		next = maxSNCursor(next, state.SNCursor{UpdatedOn: pass.clock.Add(-p.o.Lag).Truncate(time.Second)})
	}
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

// maxSNCursor returns the later of two keyset cursors, ordered by
// (UpdatedOn, SysID); a cursor without a sys_id comes before every row of
// its second.
func maxSNCursor(a, b state.SNCursor) state.SNCursor {
	if b.UpdatedOn.After(a.UpdatedOn) || b.UpdatedOn.Equal(a.UpdatedOn) && b.SysID > a.SysID {
		return b
	}
	return a
}
