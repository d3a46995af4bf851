package poller

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/diff"
	"github.com/snowduty/snowduty/poller/fdside"
)

// mode is what a reconcile pass does with its plans: write them, log them
// (a dry run) or only compute them (explain). The reads and the planning
// are the same in every mode, so a dry run or an explanation shows exactly
// what the daemon would write.
type mode int

const (
	modeWrite   mode = iota // apply the plans and record the outcome
	modeDryRun              // log the plans; write nothing
	modeExplain             // compute the plans for one pair; write nothing
)

// writes reports whether the mode writes anything (either side, the state).
func (m mode) writes() bool { return m == modeWrite }

// mode is the mode of the scheduled passes.
func (p *Poller) mode() mode {
	if p.o.DryRun {
		return modeDryRun
	}
	return modeWrite
}

// reconcile works one batch of candidates end to end in the poller's mode.
func (p *Poller) reconcile(ctx context.Context, batch []*pair) ([]PairFailure, error) {
	return p.reconcileIn(ctx, batch, p.mode())
}

// reconcileIn works one batch of candidates end to end: links, partners,
// snapshots and comments are read in batches; each pair's plan is computed
// and (in modeWrite) applied by a bounded pool of workers; the new
// snapshots are stored in one round trip. It returns the pairs that failed
// (queued for retry); an error means the batch could not be worked at all
// and nothing was written.
func (p *Poller) reconcileIn(ctx context.Context, batch []*pair, m mode) ([]PairFailure, error) {
	batch = mergePairs(batch)
	if len(batch) == 0 {
		return nil, nil
	}
	if err := p.resolveLinks(ctx, batch, m.writes()); err != nil {
		return nil, err
	}
	if m != modeExplain {
		var err error
		if batch, err = p.dropBackingOff(ctx, batch); err != nil {
			return nil, err
		}
	}
	if err := p.fetchPartners(ctx, batch); err != nil {
		return nil, err
	}
	if err := p.loadSnapshots(ctx, batch); err != nil {
		return nil, err
	}
	if err := p.readComments(ctx, batch, nil, m); err != nil {
		return nil, err
	}
	if err := p.resolveNames(ctx, batch); err != nil {
		p.log.Debug("read person names", slog.String(keyError, err.Error()))
	}
	pol := p.policy(p.now())
	for _, c := range batch {
		p.planPair(c, pol)
	}
	// Before any comment is posted, make sure the target side's recent
	// comments were read: a copy posted by an earlier, interrupted attempt
	// is then recognised instead of posted twice.
	if again := p.needTargetComments(batch); len(again) > 0 {
		if err := p.readComments(ctx, again, again, m); err != nil {
			return nil, err
		}
		// The comments just read need their authors' names too: a copy is
		// recognised by its attribution line, which must not change.
		if err := p.resolveNames(ctx, again); err != nil {
			p.log.Debug("read person names", slog.String(keyError, err.Error()))
		}
		for _, c := range again {
			p.planPair(c, pol)
		}
	}
	switch m {
	case modeDryRun:
		p.logPlans(batch)
		return failuresOf(batch), nil
	case modeExplain:
		return failuresOf(batch), nil
	}
	p.applyAll(ctx, batch)
	p.refreshFDMarks(ctx, batch)
	if err := p.record(ctx, batch); err != nil {
		return failuresOf(batch), err
	}
	return failuresOf(batch), nil
}

// dropBackingOff leaves out pairs that wait in the retry queue and are not
// due yet: they are retried on the queue's backoff (in full, both sides
// read), not by every regular pass. Retries and manual syncs always run.
func (p *Poller) dropBackingOff(ctx context.Context, batch []*pair) ([]*pair, error) {
	if !slices.ContainsFunc(batch, func(c *pair) bool { return !c.retrying && !c.forced }) {
		return batch, nil
	}
	now := p.now()
	queued, err := p.st.Due(ctx, now.Add(100*365*24*time.Hour), maxQueuedRead)
	if err != nil {
		return nil, errBatch("read retry queue", err)
	}
	waiting := map[string]bool{}
	for _, r := range queued {
		if r.Due.After(now) {
			waiting[r.PairID] = true
		}
	}
	if len(waiting) == 0 {
		return batch, nil
	}
	out := batch[:0]
	for _, c := range batch {
		if !c.retrying && !c.forced && slices.ContainsFunc(c.names(), func(id string) bool { return waiting[id] }) {
			p.log.Debug("pair is backing off in the retry queue", pairAttr(c))
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

// maxQueuedRead bounds the retry entries read per batch to find pairs that
// back off.
const maxQueuedRead = 10000

// planPair computes the pair's plan, or leaves it empty when the pair is not
// to be synced (out of scope, not triggered, partner gone).
func (p *Poller) planPair(c *pair, pol diff.Policy) {
	c.plan = diff.Plan{}
	if c.failed != nil {
		return
	}
	if c.link == nil && !p.triggered(c) {
		return
	}
	if c.link != nil && (c.snow == nil || c.fd == nil) {
		return // a partner is gone: reported by fetchPartners
	}
	c.plan = diff.Compute(c.base, pairSnowView(c), fdside.View(c.fd, c.feed, p.nameMap()), pol)
}

// needTargetComments returns the pairs whose plan posts comments to a side
// whose comments were not read in this pass.
func (p *Poller) needTargetComments(batch []*pair) []*pair {
	var out []*pair
	for _, c := range batch {
		if c.link == nil {
			continue // a new incident has no comments yet
		}
		toFD := len(c.plan.Flashduty.Comments) > 0 && !c.feedRead
		toSN := len(c.plan.ServiceNow.Comments) > 0 && !c.journalRead
		if toFD || toSN {
			out = append(out, c)
		}
	}
	return out
}

// applyAll applies every pair's plan with at most Concurrency workers.
func (p *Poller) applyAll(ctx context.Context, batch []*pair) {
	sem := make(chan struct{}, p.o.Concurrency)
	var wg sync.WaitGroup
	for _, c := range batch {
		if c.failed != nil || c.plan.Writes() == 0 {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			p.applyPair(ctx, c)
			p.storeNow(ctx, c)
		}()
	}
	wg.Wait()
}

// logPlans logs each plan as structured data (dry run).
func (p *Poller) logPlans(batch []*pair) {
	for _, c := range batch {
		if c.failed == nil && c.plan.HasChanges() {
			p.log.Info("dry run: would apply", slog.String(keyPair, c.key()), slog.Any(keyPlan, planJSON(c.plan)))
		}
	}
}

// planJSON is a plan as JSON, without its new base (fingerprints): a
// nested object under a JSON handler, one readable value under text.
func planJSON(pl diff.Plan) json.RawMessage {
	pl.NewBase = nil
	b, err := json.Marshal(pl)
	if err != nil {
		return json.RawMessage(strconv.Quote(err.Error()))
	}
	return b
}

func failuresOf(batch []*pair) []PairFailure {
	var out []PairFailure
	for _, c := range batch {
		if c.failed != nil {
			out = append(out, *c.failed)
		}
	}
	return out
}

// errBatch wraps a failure that stopped a whole batch.
func errBatch(what string, err error) error { return fmt.Errorf("%s: %w", what, err) }

// refreshFDMarks re-reads, in one list-by-ids per batch, the Flashduty
// incidents this batch wrote to, and stores their new updated_at in the
// base when they show exactly what was written. Our own write then does not
// look like a Flashduty change next pass (which would cost a feed read per
// pair). A human edit that slipped in between keeps the old mark, so it is
// still seen as a change.
func (p *Poller) refreshFDMarks(ctx context.Context, batch []*pair) {
	var ids []string
	for _, c := range batch {
		if c.failed == nil && c.link != nil && c.plan.NewBase != nil && fdWrites(c.plan) {
			ids = append(ids, c.link.IncidentID)
		}
	}
	if len(ids) == 0 {
		return
	}
	got, err := p.fd.ListByIDs(ctx, ids)
	if err != nil {
		p.log.Debug("re-read flashduty incidents after writing", errAttr(err))
		return // the marks stay as read: a harmless extra check next pass
	}
	byID := make(map[string]*flashduty.Incident, len(got))
	for i := range got {
		byID[got[i].ID] = &got[i]
	}
	pol := p.policy(p.now())
	for _, c := range batch {
		inc := byID[c.incidentID()]
		if inc == nil || c.failed != nil || c.plan.NewBase == nil || !fdWrites(c.plan) {
			continue
		}
		if _, moved := diff.Changed(c.plan.NewBase, nil, fdside.View(inc, nil, nil), pol); !moved {
			c.plan.NewBase.FDUpdatedAt = inc.UpdatedAt
		}
	}
}

// fdWrites reports whether a plan writes to an existing Flashduty incident.
func fdWrites(pl diff.Plan) bool {
	f := pl.Flashduty
	return f.Create == nil && (f.Reset != nil || len(f.Actions) > 0 || len(f.Fields) > 0 || len(f.Comments) > 0)
}
