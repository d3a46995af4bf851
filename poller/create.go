package poller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/clients/httpx"
	"github.com/snowduty/snowduty/clients/servicenow"
	"github.com/snowduty/snowduty/diff"
	"github.com/snowduty/snowduty/state"
)

// errCreatePending means an earlier create of the pair may still land: its
// intent is younger than state.Options.IntentTTL and a search did not find
// the incident.
var errCreatePending = errors.New("an earlier create of this pair is unresolved; waiting before creating again")

// createFD creates the Flashduty partner of a ServiceNow incident: intent
// first, then the create, then the link, then correlation_id on ServiceNow.
// An uncertain create leaves the intent; the next attempt searches
// Flashduty for the ServiceNow number before creating anything.
func (p *Poller) createFD(ctx context.Context, c *pair) {
	sn := c.snow
	pairID := state.PairIDForSysID(sn.SysID)
	if sn.Number == "" {
		// The number is the copy's only mark: without it, a copy whose
		// create answer was lost could not be found again (a search for ""
		// matches any incident), and discovery would take it for a new
		// Flashduty incident. Park the pair rather than risk either.
		c.fail("servicenow", noIdentityError(fmt.Sprintf("servicenow incident %s has no number the integration user can read (blank, or hidden by a field-level ACL on incident.number): "+
			"snowduty cannot mark or find its Flashduty copy, so it creates none; grant the user read access to incident.number", sn.SysID)))
		return
	}
	// Search first, every time: if an earlier create landed but neither its
	// link (Redis lost) nor correlation_id (crash before the PATCH) was
	// kept, the "[ServiceNow: INC…]" line still finds it. One list call per
	// create buys "no duplicate, ever".
	found, err := p.searchFD(ctx, sn.Number, sn.SysCreatedOn.Add(-p.o.FDOverlap))
	if err == nil && found == "" {
		found, err = p.beginCreate(ctx, pairID, state.SideFlashduty, func(since time.Time) (string, error) {
			return p.searchFD(ctx, sn.Number, since)
		})
	}
	if err != nil {
		c.fail("flashduty", err)
		return
	}
	id := found
	if id == "" {
		cr := c.plan.Flashduty.Create
		fields := make(map[string]any, len(cr.Fields))
		for k, v := range cr.Fields {
			fields[k] = v
		}
		if err := p.storeCreateBase(ctx, c, pairID); err != nil {
			p.createFailed(ctx, c, pairID, "state", err)
			return
		}
		id, err = p.fd.Create(ctx, flashduty.CreateRequest{Title: cr.Title, Description: cr.Description, Severity: string(cr.Severity), ChannelID: p.o.CreateChannelID, Fields: fields})
		if err != nil {
			p.createFailed(ctx, c, pairID, "flashduty", err)
			return
		}
		p.metrics.creates.WithLabelValues("flashduty", "created").Inc()
	} else {
		p.metrics.creates.WithLabelValues("flashduty", "adopted").Inc()
	}
	l := state.Link{SysID: sn.SysID, Number: sn.Number, IncidentID: id, Created: p.now(), Origin: state.OriginServiceNow}
	if err := p.linkCreated(ctx, c, l); err != nil {
		c.fail("state", err)
		return
	}
	if found != "" {
		c.plan.NewBase = nil // the found incident is reconciled as an adopted pair next pass
		c.readAll = true
		return
	}
	upd := maps.Clone(c.plan.ServiceNow.Update)
	if upd == nil {
		upd = map[string]string{}
	}
	upd["correlation_id"], upd["correlation_display"] = id, diff.CorrelationDisplay
	c.plan.ServiceNow.Update = upd
	if err := p.applySnow(ctx, c, sn.SysID); err != nil {
		c.fail("servicenow", err)
		return
	}
	c.plan.Flashduty.Create = nil
	if err := p.applyFD(ctx, c, id); err != nil {
		c.fail("flashduty", err)
	}
}

// createSnow creates the ServiceNow partner of a Flashduty incident, with
// correlation_id set in the same POST, so a search by correlation_id (done
// for every unlinked Flashduty incident) finds it after a crash, and with
// a sys_id derived from the Flashduty id (diff.ServiceNowSysID), so a
// second POST cannot make a second record and a read by sys_id finds the
// first whatever became of its correlation_id.
func (p *Poller) createSnow(ctx context.Context, c *pair) {
	fd := c.fd
	pairID := state.PairIDForIncident(fd.ID)
	fields := maps.Clone(c.plan.ServiceNow.Create)
	chosen := fields["sys_id"]
	if p.noChosenSysID.Load() {
		delete(fields, "sys_id")
	}
	found, err := p.beginCreate(ctx, pairID, state.SideServiceNow, func(time.Time) (string, error) {
		// resolveLinks already searched by correlation_id this pass.
		return p.findChosen(ctx, chosen)
	})
	if err == nil && found == "" {
		if err = p.storeCreateBase(ctx, c, pairID); err != nil {
			p.createFailed(ctx, c, pairID, "state", err)
			return
		}
		var inc servicenow.Incident
		if inc, err = p.createSnowRecord(ctx, fields, chosen); err == nil {
			p.createdSnow(ctx, c, inc)
			return
		}
		if found, _ = p.findChosen(ctx, chosen); found == "" {
			p.createFailed(ctx, c, pairID, "servicenow", err)
			return
		}
		// The POST failed because the record exists: an earlier create of
		// ours landed (a second one could not). Its intent is settled by
		// the link.
		err = nil
	}
	if err != nil {
		c.fail("servicenow", err)
		return
	}
	got, err := p.sn.GetMany(ctx, []string{found}, p.o.Policy.Mapping.Columns())
	if err != nil || len(got) == 0 {
		c.fail("servicenow", fmt.Errorf("read the servicenow incident an earlier create made: %w", errors.Join(err, errCreatePending)))
		return
	}
	p.metrics.creates.WithLabelValues("servicenow", "adopted").Inc()
	sn := &got[0]
	p.link(ctx, c, sn, fd, true)
	// The found incident is reconciled as an adopted pair next pass; it
	// names its partner now, so a search finds it from then on.
	c.plan = diff.Plan{}
	if c.failed == nil && sn.CorrelationID == "" {
		c.plan.ServiceNow.Update = map[string]string{"correlation_id": fd.ID, "correlation_display": diff.CorrelationDisplay}
		if err := p.applySnow(ctx, c, sn.SysID); err != nil {
			c.fail("servicenow", err)
		}
	}
}

// createSnowRecord POSTs the incident. An instance that refuses the chosen
// sys_id (a definite refusal, and no record with it exists) gets the
// create again without it, and creates rely on the intent and the
// correlation_id search from then on.
func (p *Poller) createSnowRecord(ctx context.Context, fields map[string]string, chosen string) (servicenow.Incident, error) {
	inc, err := p.sn.Create(ctx, fields)
	cls := classOf(err)
	if err == nil || fields["sys_id"] == "" || (cls != httpx.BadRequest && cls != httpx.Forbidden) {
		return inc, err
	}
	if found, ferr := p.findChosen(ctx, chosen); ferr != nil || found != "" {
		return inc, err // the record exists (or cannot be checked): not a refusal of the sys_id
	}
	p.noChosenSysID.Store(true)
	p.log.Warn("servicenow refused the sys_id snowduty chose for a new incident; creating without it (creates stay idempotent through the intent and the correlation_id search)", errAttr(err))
	delete(fields, "sys_id")
	return p.sn.Create(ctx, fields)
}

// findChosen reads the incident with the chosen sys_id ("" when none).
func (p *Poller) findChosen(ctx context.Context, sysID string) (string, error) {
	if sysID == "" {
		return "", nil
	}
	got, err := p.sn.GetMany(ctx, []string{sysID}, nil)
	if err != nil {
		return "", fmt.Errorf("look for an earlier create by sys_id: %w", err)
	}
	if len(got) == 1 && got[0].SysID == sysID {
		return sysID, nil
	}
	return "", nil
}

// createdSnow links a ServiceNow incident just created and writes the rest
// of the plan.
func (p *Poller) createdSnow(ctx context.Context, c *pair, inc servicenow.Incident) {
	fd := c.fd
	p.metrics.creates.WithLabelValues("servicenow", "created").Inc()
	l := state.Link{SysID: inc.SysID, Number: inc.Number, IncidentID: fd.ID, Created: p.now(), Origin: state.OriginFlashduty}
	if err := p.linkCreated(ctx, c, l); err != nil {
		c.fail("state", err)
		return
	}
	c.snow = &inc
	c.plan.ServiceNow.Create, c.plan.ServiceNow.Update = nil, nil
	if err := p.applySnow(ctx, c, inc.SysID); err != nil {
		c.fail("servicenow", err)
		return
	}
	if err := p.applyFD(ctx, c, fd.ID); err != nil {
		c.fail("flashduty", err)
	}
}

// beginCreate writes the create intent. When one exists already, an earlier
// create may have landed: search finds it (the partner's id), or, once the
// intent is older than state.Options.IntentTTL, the intent is dropped and a
// new one written. found is the id of a partner found by search ("" to create).
func (p *Poller) beginCreate(ctx context.Context, pairID string, side state.Side, search func(since time.Time) (string, error)) (found string, err error) {
	f, ok := p.currentFence()
	if !ok {
		return "", fmt.Errorf("begin create: %w", state.ErrFenced)
	}
	started, err := p.st.BeginCreate(ctx, f, pairID, side, p.now())
	if err != nil || started {
		return "", err
	}
	intents, err := p.st.Intents(ctx)
	if err != nil {
		return "", err
	}
	since := p.now().Add(-p.o.Lookback)
	var in *state.Intent
	for i := range intents {
		if intents[i].PairID == pairID {
			in = &intents[i]
			since = in.Started.Add(-p.o.FDOverlap)
		}
	}
	id, err := search(since)
	if err != nil || id != "" {
		return id, err
	}
	if in != nil && !p.st.IntentExpired(*in, p.now()) {
		return "", errCreatePending
	}
	if err := p.st.ResolveIntent(ctx, pairID); err != nil {
		return "", err
	}
	started, err = p.st.BeginCreate(ctx, f, pairID, side, p.now())
	if err == nil && !started {
		err = errCreatePending
	}
	return "", err
}

// createFailed handles a failed create: an uncertain outcome keeps the
// intent (the next attempt searches first); a definite failure drops it.
func (p *Poller) createFailed(ctx context.Context, c *pair, pairID, side string, err error) {
	p.metrics.creates.WithLabelValues(side, "failed").Inc()
	if classOf(err) != httpx.UnknownOutcome {
		if rerr := p.st.ResolveIntent(ctx, pairID); rerr != nil {
			p.log.Warn("resolve intent", slog.String(keyPair, pairID), errAttr(rerr))
		}
	}
	c.fail(side, err)
}

// linkCreated stores the link of a freshly created pair and puts it in the
// active set.
func (p *Poller) linkCreated(ctx context.Context, c *pair, l state.Link) error {
	if err := p.st.PutLink(ctx, l); err != nil {
		return err
	}
	if err := p.st.ResolveIntent(ctx, l.PairID()); err != nil {
		return err
	}
	if err := p.st.AddActive(ctx, l.PairID()); err != nil {
		return err
	}
	c.setLink(l)
	p.log.Info("created partner incident", pairAttr(c), slog.String(keySide, sideOf(l.Origin)), slog.String(keyNumber, l.Number), slog.String(keyIncidentID, l.IncidentID))
	p.audit(ctx, c, state.Event{Kind: "create", Side: state.Side(sideOf(l.Origin)), Detail: fmt.Sprintf("linked %s ↔ %s", l.Number, l.IncidentID)})
	return nil
}

// sideOf is the side an origin created the partner on.
func sideOf(o state.Origin) string {
	if o == state.OriginServiceNow {
		return "flashduty"
	}
	return "servicenow"
}

// searchFD looks for a Flashduty incident that snowduty created for a
// ServiceNow number (its description carries "[ServiceNow: <number>]").
func (p *Poller) searchFD(ctx context.Context, number string, since time.Time) (string, error) {
	if number == "" {
		// An empty query lists every incident: never search for nothing.
		return "", noIdentityError("search flashduty for a servicenow copy: the servicenow number is empty")
	}
	var found string
	var channels []int64
	if p.o.CreateChannelID != 0 {
		channels = []int64{p.o.CreateChannelID}
	}
	errStop := errors.New("stop")
	err := p.fd.List(ctx, flashduty.ListQuery{Since: since, Until: p.now().Add(time.Minute), ChannelIDs: channels, Query: number}, func(items []flashduty.Incident) error {
		for _, it := range items {
			if it.ID != "" && refNumber(it.Description) == number {
				found = it.ID
				return errStop
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return "", fmt.Errorf("search flashduty for %s: %w", number, err)
	}
	return found, nil
}

// storeCreateBase stores, before a create, the base the create will
// establish (the values being written) under the pair's id. If the create's
// answer is lost, or the process dies before the pair's first snapshot is
// written, the pair is later found and linked with this base instead of
// none: an edit a person made meanwhile is then a change to push, not a
// "conflict" that the copy's newer timestamp could win.
func (p *Poller) storeCreateBase(ctx context.Context, c *pair, pairID string) error {
	if c.plan.NewBase == nil {
		return nil
	}
	f, ok := p.currentFence()
	if !ok {
		return fmt.Errorf("store create base: %w", state.ErrFenced)
	}
	// The comments mirrored after the create are not handled yet: if their
	// posts fail, the next attempt must find them unmarked (and finds the
	// ones that did land by their attributed copy).
	nb := *c.plan.NewBase
	nb.Comments, nb.SnowCommentHighWater, nb.FDCommentHighWater = nil, 0, 0
	data, err := nb.MarshalBinary()
	if err != nil {
		return fmt.Errorf("store create base: %w", err)
	}
	cur, err := p.st.Snapshots(ctx, []string{pairID})
	if err != nil {
		return fmt.Errorf("store create base: %w", err)
	}
	version := cur[pairID].Version
	res, err := p.st.PutSnapshots(ctx, f, []state.SnapshotWrite{{PairID: pairID, Data: data, IfVersion: version}})
	if err != nil {
		return fmt.Errorf("store create base: %w", err)
	}
	if len(res) != 1 || !res[0].OK {
		return fmt.Errorf("store create base: another writer changed the snapshot of %s", pairID)
	}
	c.baseVersion, c.baseLoaded = res[0].Version, true
	return nil
}
