package poller

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/clients/servicenow"
	"github.com/snowduty/snowduty/state"
)

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
		c := &pair{readAll: true, retrying: true, retryIDs: []string{id}}
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
		if c.snow == nil && c.fd == nil && !p.o.DryRun {
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

// prune drops pairs closed on both sides for longer than the grace period
// and settles create intents that outlived state.Options.IntentTTL.
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
