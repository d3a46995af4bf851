package poller

import (
	"context"

	"github.com/snowduty/snowduty/diff"
	"github.com/snowduty/snowduty/poller/fdside"
	"github.com/snowduty/snowduty/poller/snowside"
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

// applySnow writes the ServiceNow plan (snowside.Apply) and records what
// landed. When no one else wrote in between, the base takes the record's
// new update marks, so that our own write is not even read back as a
// change.
func (p *Poller) applySnow(ctx context.Context, c *pair, sysID string) error {
	sp := c.plan.ServiceNow
	var l snowside.Landed
	err := snowside.Apply(ctx, p.sn, sysID, sp, &l)
	if c.landed != nil {
		if l.Patch {
			c.landed.groups[diff.GroupSnowPatch] = true
		}
		c.landed.snowComments = l.Comments
	}
	if err != nil || l.Bodies == 0 {
		return err
	}
	for k := range sp.Update {
		p.metrics.pushed.WithLabelValues("servicenow", k).Inc()
	}
	if n := len(sp.Comments); n > 0 {
		p.metrics.pushed.WithLabelValues("servicenow", "comments").Add(float64(n))
	}
	if nb := c.plan.NewBase; nb != nil && c.snow != nil && int64(l.Last.SysModCount) == int64(c.snow.SysModCount)+int64(l.Bodies) {
		nb.SnowModCount = int64(l.Last.SysModCount)
		nb.SnowUpdatedOn = l.Last.SysUpdatedOn.Unix()
	}
	return nil
}

// applyFD makes the Flashduty calls of the plan (fdside.Apply) and records
// what landed.
func (p *Poller) applyFD(ctx context.Context, c *pair, id string) error {
	fp := c.plan.Flashduty
	var l fdside.Landed
	err := fdside.Apply(ctx, p.fd, id, fp, &l)
	if l.TooShort != nil {
		p.log.Warn("flashduty kept a field: the value is too short to send", pairAttr(c), errAttr(l.TooShort))
	}
	if l.Reset {
		for f, set := range map[string]bool{"title": fp.Reset.Title != nil, "description": fp.Reset.Description != nil, "severity": fp.Reset.Severity != nil} {
			if set {
				p.metrics.pushed.WithLabelValues("flashduty", f).Inc()
			}
		}
	}
	if l.Actions > 0 {
		p.metrics.pushed.WithLabelValues("flashduty", "status").Add(float64(l.Actions))
	}
	for name := range l.Fields {
		p.metrics.pushed.WithLabelValues("flashduty", "field:"+name).Inc()
	}
	if l.Comments > 0 {
		p.metrics.pushed.WithLabelValues("flashduty", "comments").Add(float64(l.Comments))
	}
	if c.landed != nil {
		if l.Reset {
			c.landed.groups[diff.GroupFDReset] = true
		}
		if l.State {
			c.landed.groups[diff.GroupFDState] = true
		}
		for name := range l.Fields {
			c.landed.fdFields[name] = true
		}
		c.landed.fdComments = l.Comments
	}
	return err
}
