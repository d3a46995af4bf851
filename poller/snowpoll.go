package poller

import (
	"context"
	"fmt"
	"time"

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
	if !cur.ServiceNow.UpdatedOn.IsZero() {
		// Grows while passes fail; refined from ServiceNow's clock below.
		p.metrics.cursorLag.WithLabelValues("servicenow").Set(p.now().Sub(cur.ServiceNow.UpdatedOn).Seconds())
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
