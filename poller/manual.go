package poller

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/snowduty/snowduty/clients/servicenow"
	"github.com/snowduty/snowduty/diff"
	"github.com/snowduty/snowduty/poller/fdside"
	"github.com/snowduty/snowduty/state"
)

var (
	sysIDRE  = regexp.MustCompile(`^[0-9a-f]{32}$`)
	numberRE = regexp.MustCompile(`^[A-Z]{2,8}[0-9]{4,12}$`)
)

// find builds the candidate named by ref: a Flashduty incident id (24 hex),
// a ServiceNow sys_id (32 hex) or number (INC0010001), or a pair id.
func (p *Poller) find(ctx context.Context, ref string) (*pair, error) {
	ref = strings.TrimSpace(ref)
	if id, ok := strings.CutPrefix(ref, "sn:"); ok {
		ref = id
	} else if id, ok := strings.CutPrefix(ref, "fd:"); ok {
		ref = id
	}
	c := &pair{readAll: true}
	switch {
	case looksLikeIncidentID(ref):
		got, err := p.fd.ListByIDs(ctx, []string{ref})
		if err != nil {
			return nil, fmt.Errorf("read flashduty incident %s: %w", ref, err)
		}
		if len(got) == 0 {
			return nil, fmt.Errorf("find %s: no Flashduty incident with this id (or the app key cannot read it)", ref)
		}
		c.fd = &got[0]
	case sysIDRE.MatchString(ref) || numberRE.MatchString(strings.ToUpper(ref)):
		var got []servicenow.Incident
		var err error
		if sysIDRE.MatchString(ref) {
			got, err = p.sn.GetMany(ctx, []string{ref}, p.o.Policy.Mapping.Columns())
		} else {
			got, err = p.sn.FindByNumbers(ctx, []string{strings.ToUpper(ref)})
		}
		if err != nil {
			return nil, fmt.Errorf("read servicenow incident %s: %w", ref, err)
		}
		if len(got) == 0 {
			return nil, fmt.Errorf("find %s: no ServiceNow incident with this sys_id or number (or the integration user cannot read it)", ref)
		}
		c.snow = &got[0]
	default:
		return nil, fmt.Errorf("find %q: give a Flashduty incident id (24 hex digits), a ServiceNow number (INC0010001) or sys_id (32 hex digits)", ref)
	}
	return c, nil
}

// SyncOne syncs one incident now, whatever the trigger settings say (the
// manual trigger: `snowduty sync <id>`); the direction still applies. It
// returns the plan it applied.
func (p *Poller) SyncOne(ctx context.Context, ref string) (diff.Plan, error) {
	if err := p.Prepare(ctx); err != nil {
		return diff.Plan{}, err
	}
	if err := p.lockPass(ctx); err != nil {
		return diff.Plan{}, err
	}
	defer p.unlockPass()
	release, err := p.ensureLease(ctx)
	if err != nil {
		return diff.Plan{}, err
	}
	defer release()
	c, err := p.find(ctx, ref)
	if err != nil {
		return diff.Plan{}, err
	}
	c.forced = true
	failures, err := p.reconcile(ctx, []*pair{c})
	if err != nil {
		return c.plan, err
	}
	if len(failures) > 0 {
		return c.plan, &PassError{Failures: failures}
	}
	return c.plan, nil
}

// Explanation is everything `snowduty explain` shows about one pair.
type Explanation struct {
	Link       *state.Link         `json:"link,omitempty"`
	PairID     string              `json:"pair_id,omitempty"`
	Base       *diff.Snapshot      `json:"base,omitempty"`
	ServiceNow *diff.SnowView      `json:"servicenow,omitempty"`
	Flashduty  *diff.FDView        `json:"flashduty,omitempty"`
	Triggered  bool                `json:"triggered"`
	Plan       diff.Plan           `json:"plan"`
	Audit      []state.AuditRecord `json:"audit,omitempty"`
	Retry      *state.Retry        `json:"retry,omitempty"`
	DeadLetter *state.DeadLetter   `json:"dead_letter,omitempty"`
}

// Explain reads one pair as a pass would and computes the plan it would
// run now, without writing anything.
func (p *Poller) Explain(ctx context.Context, ref string) (*Explanation, error) {
	if err := p.Prepare(ctx); err != nil {
		return nil, err
	}
	c, err := p.find(ctx, ref)
	if err != nil {
		return nil, err
	}
	// The pass the daemon runs, in explain mode: every read and the plan,
	// no write. A name a comment's author resolves to, an earlier copy
	// found on the target, all of it is what a pass would see.
	if _, err := p.reconcileIn(ctx, []*pair{c}, modeExplain); err != nil {
		return nil, err
	}
	ex := &Explanation{Link: c.link, PairID: c.key(), Base: c.base, Plan: c.plan, Triggered: c.link != nil || p.triggered(c),
		ServiceNow: pairSnowView(c), Flashduty: fdside.View(c.fd, c.feed, p.nameMap())}
	if ex.Audit, err = p.st.AuditFor(ctx, c.key(), 50); err != nil {
		return nil, err
	}
	dls, err := p.st.DeadLetters(ctx)
	if err != nil {
		return nil, err
	}
	for i := range dls {
		if dls[i].PairID == c.key() {
			ex.DeadLetter = &dls[i]
		}
	}
	if c.failed != nil {
		return ex, errors.New(c.failed.Err)
	}
	return ex, nil
}
