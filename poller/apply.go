package poller

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/clients/servicenow"
	"github.com/snowduty/snowduty/diff"
)

// applyPair writes one pair's plan: ServiceNow first, then Flashduty, each
// side's fields before its comments. A failure stops the pair: it is queued
// for retry and, when some writes landed, a partial base is stored (see
// diff.Plan.PartialBase), so the next attempt recomputes from what both
// sides then say without taking our own writes for conflicting edits.
func (p *Poller) applyPair(ctx context.Context, c *pair) {
	switch {
	case c.plan.Flashduty.Create != nil:
		p.createFD(ctx, c)
	case c.plan.ServiceNow.Create != nil:
		p.createSnow(ctx, c)
	default:
		c.landed = newLanded()
		if err := p.applySnow(ctx, c, c.link.SysID); err != nil {
			c.fail("servicenow", err)
			return
		}
		if err := p.applyFD(ctx, c, c.link.IncidentID); err != nil {
			c.fail("flashduty", err)
		}
	}
}

// applySnow sends the fields and the first comment in one PATCH and each
// further comment in its own. When no one else wrote in between, the base
// takes the record's new update marks, so that our own write is not even
// read back as a change.
func (p *Poller) applySnow(ctx context.Context, c *pair, sysID string) error {
	sp := c.plan.ServiceNow
	if len(sp.Update) == 0 && len(sp.Comments) == 0 {
		return nil
	}
	bodies := snowBodies(sp)
	var last servicenow.Incident
	for i, body := range bodies {
		inc, err := p.sn.Update(ctx, sysID, body)
		if err != nil {
			return err
		}
		if c.landed != nil {
			c.landed.groups[diff.GroupSnowPatch] = true
			if len(sp.Comments) > 0 {
				c.landed.snowComments = i + 1 // body i carries comment i
			}
		}
		last = inc
	}
	for k := range sp.Update {
		p.metrics.pushed.WithLabelValues("servicenow", k).Inc()
	}
	if n := len(sp.Comments); n > 0 {
		p.metrics.pushed.WithLabelValues("servicenow", "comments").Add(float64(n))
	}
	if nb := c.plan.NewBase; nb != nil && c.snow != nil && int64(last.SysModCount) == int64(c.snow.SysModCount)+int64(len(bodies)) {
		nb.SnowModCount = int64(last.SysModCount)
		nb.SnowUpdatedOn = last.SysUpdatedOn.Unix()
	}
	return nil
}

// snowBodies returns the PATCH bodies of a ServiceNow plan: the fields with
// the first comment, then one body per further comment.
func snowBodies(sp diff.SnowPlan) []map[string]string {
	first := maps.Clone(sp.Update)
	if first == nil {
		first = map[string]string{}
	}
	comments := sp.Comments
	if len(comments) > 0 {
		first[comments[0].Element] = comments[0].Text
		comments = comments[1:]
	}
	out := []map[string]string{first}
	for _, cm := range comments {
		out = append(out, map[string]string{cm.Element: cm.Text})
	}
	return out
}

// applyFD makes the Flashduty calls in the plan's order: reset, state
// actions, custom fields, comments.
func (p *Poller) applyFD(ctx context.Context, c *pair, id string) error {
	fp := c.plan.Flashduty
	if r := fp.Reset; r != nil {
		req := flashduty.ResetRequest{IncidentID: id, Title: r.Title, Description: r.Description}
		if r.Severity != nil {
			s := string(*r.Severity)
			req.Severity = &s
		}
		if err := p.fd.Reset(ctx, req); err != nil && !errors.Is(err, flashduty.ErrTooShort) {
			return err
		} else if err != nil {
			// The other fields were written; Flashduty cannot hold a text
			// that short, which diff normally never sends.
			p.log.Warn("flashduty kept a field: the value is too short to send", pairAttr(c), errAttr(err))
		}
		if c.landed != nil {
			c.landed.groups[diff.GroupFDReset] = true
		}
		for f, set := range map[string]bool{"title": r.Title != nil, "description": r.Description != nil, "severity": r.Severity != nil} {
			if set {
				p.metrics.pushed.WithLabelValues("flashduty", f).Inc()
			}
		}
	}
	for _, a := range fp.Actions {
		if err := p.fdAction(ctx, id, a); err != nil {
			return err
		}
		p.metrics.pushed.WithLabelValues("flashduty", "status").Inc()
	}
	if c.landed != nil {
		// Every state call landed (also when none was needed: a status
		// Flashduty already shows counts as written).
		c.landed.groups[diff.GroupFDState] = true
	}
	for _, f := range fp.Fields {
		if err := p.fd.ResetField(ctx, id, f.Name, f.Value); err != nil {
			return err
		}
		if c.landed != nil {
			c.landed.fdFields[f.Name] = true
		}
		p.metrics.pushed.WithLabelValues("flashduty", "field:"+f.Name).Inc()
	}
	for _, text := range fp.Comments {
		if err := p.fd.Comment(ctx, id, text); err != nil {
			return err
		}
		if c.landed != nil {
			c.landed.fdComments++
		}
		p.metrics.pushed.WithLabelValues("flashduty", "comments").Inc()
	}
	return nil
}

// fdAction makes one Flashduty state call.
func (p *Poller) fdAction(ctx context.Context, id string, a diff.FDAction) error {
	switch a.Kind {
	case diff.ActionAck:
		return p.fd.Ack(ctx, id)
	case diff.ActionUnack:
		return p.fd.Unack(ctx, id)
	case diff.ActionSnooze:
		return p.fd.Snooze(ctx, id, a.Minutes)
	case diff.ActionWake:
		return p.fd.Wake(ctx, id)
	case diff.ActionResolve:
		return p.fd.Resolve(ctx, id, "", a.Resolution)
	case diff.ActionReopen:
		return p.fd.Reopen(ctx, id)
	}
	return fmt.Errorf("apply flashduty action: unknown action %q", a.Kind)
}
