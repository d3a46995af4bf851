package diff

import (
	"fmt"
	"slices"
	"time"
)

// computer holds one Compute call's inputs and the plan being built.
type computer struct {
	p    Policy
	base *Snapshot
	snow *SnowView
	fd   *FDView

	plan     Plan
	snowUpd  map[string]string
	reset    FDReset
	resetSet bool

	// exp holds, per side, the canonical values each side will show after
	// the writes; keep lists keys whose base must not move.
	expSnow, expFD canon
	keep           map[string]bool
	expUrgency     string
	expState       string
}

// Compute is the three-way merge of one linked pair: base is the snapshot
// stored after the last successful sync (nil when there is none), snow and
// fd are the two sides as read now (nil when the incident does not exist
// yet). p must have passed Validate, with Now set to the time of the pass.
// It returns what to write to each side and the new base; see the package
// documentation for the rules.
func Compute(base *Snapshot, snow *SnowView, fd *FDView, p Policy) Plan {
	c := &computer{p: p, base: base, snow: snow, fd: fd, snowUpd: map[string]string{}, keep: map[string]bool{}}
	switch {
	case snow == nil && fd == nil:
		return Plan{}
	case snow == nil && base != nil:
		c.skip(ServiceNow, KeyIncident, "the linked servicenow incident is missing: not re-created")
		return c.plan
	case fd == nil && base != nil:
		c.skip(Flashduty, KeyIncident, "the linked flashduty incident is missing: not re-created")
		return c.plan
	case snow == nil:
		if !p.Direction.allows(ServiceNow) {
			c.skip(ServiceNow, KeyIncident, "direction "+string(p.Direction)+" does not create servicenow incidents")
			return c.plan
		}
		c.createSnow()
	case fd == nil:
		if !p.Direction.allows(Flashduty) {
			c.skip(Flashduty, KeyIncident, "direction "+string(p.Direction)+" does not create flashduty incidents")
			return c.plan
		}
		c.createFD()
	default:
		c.merge()
	}
	c.finish()
	return c.plan
}

func (c *computer) skip(side Side, field, reason string) {
	c.plan.Skipped = append(c.plan.Skipped, Skip{Side: side, Field: field, Reason: reason})
}

// merge handles a pair that exists on both sides.
func (c *computer) merge() {
	sv, swhy := c.snowCanon(c.snow)
	fv, fwhy := c.fdCanon(c.fd)
	c.expSnow, c.expFD = sv, fv
	c.expUrgency, c.expState = c.snow.Urgency, c.snow.State
	for _, bf := range builtins {
		key := bf.key
		s, sok := sv[key]
		f, fok := fv[key]
		if !sok || !fok {
			c.keep[key] = true
			reason := swhy[key]
			side := Flashduty
			if !fok {
				reason, side = fwhy[key], ServiceNow
			}
			c.skip(side, key, reason)
			continue
		}
		b, has := c.base.field(key)
		if !has && c.copyOf(key, s, f) {
			// No base, and one side holds our (shortened) copy of the
			// other: they agree, the full text stays where it is.
			continue
		}
		sChanged := !has || fingerprint(s) != b.ServiceNow
		fChanged := !has || fingerprint(f) != b.Flashduty
		if key == KeySeverity && has && c.snow.Urgency == c.base.Urgency {
			// Vendor rule: ServiceNow moves severity only when urgency changed.
			sChanged = false
		}
		c.decide(key, s, f, sChanged, fChanged)
	}
	c.customFields()
	if c.snow.CorrelationID == "" && c.p.Direction.allows(ServiceNow) {
		// A pair linked by adoption, or by a search after an uncertain
		// create: ServiceNow must name its partner, so the link can be
		// rebuilt from correlation_id if Redis is lost. (Under
		// from_servicenow nothing is written to ServiceNow; the link is
		// then rebuilt from the number line of the Flashduty copy.)
		c.snowUpd["correlation_id"], c.snowUpd["correlation_display"] = c.fd.IncidentID, CorrelationDisplay
	}
}

// CorrelationDisplay is what ServiceNow's correlation_display holds on an
// incident linked to Flashduty: snowduty writes it with correlation_id, and
// a person writes it to ask for an incident to be synced (manual trigger).
const CorrelationDisplay = "Flashduty"

// decide applies the merge table to one field.
func (c *computer) decide(key, s, f string, sChanged, fChanged bool) {
	switch {
	case !sChanged && !fChanged:
	case sChanged && !fChanged:
		c.push(key, Flashduty, s)
	case !sChanged && fChanged:
		c.push(key, ServiceNow, f)
	case s == f:
	default:
		winner, reason := c.winner()
		if c.base == nil && c.p.Direction == TwoWay && c.p.conflict() == ConflictNewest {
			if w, r, ok := c.adoptedWinner(key, s); ok {
				winner, reason = w, r
			}
		}
		c.plan.Conflicts = append(c.plan.Conflicts, Conflict{Field: key, ServiceNow: clip(s), Flashduty: clip(f), Winner: winner, Reason: reason})
		to, val, loser := Flashduty, s, f
		if winner == Flashduty {
			to, val, loser = ServiceNow, f, s
		}
		if c.plan.losers == nil {
			c.plan.losers = map[string]uint64{}
		}
		c.plan.losers[key] = fingerprint(loser)
		if c.push(key, to, val) && c.p.Direction.allows(to) {
			// The winner's value cannot be sent (too short): the pair
			// settles as it is, or every pass would decide the conflict
			// again, and our own writes elsewhere would flip it.
			delete(c.keep, key)
		}
	}
}

// clip shortens a value shown in a conflict.
func clip(s string) string { return truncate(s, 200) }

// winner resolves a conflict by direction, then policy.
func (c *computer) winner() (Side, string) {
	switch c.p.Direction {
	case ToServiceNow:
		return Flashduty, "direction to_servicenow: flashduty is the source"
	case FromServiceNow:
		return ServiceNow, "direction from_servicenow: servicenow is the source"
	}
	adopt := ""
	if c.base == nil {
		adopt = "no base (adopted link); "
	}
	switch c.p.conflict() {
	case ConflictServiceNow:
		return ServiceNow, adopt + "policy servicenow"
	case ConflictFlashduty:
		return Flashduty, adopt + "policy flashduty"
	}
	st, ft := unixOrZero(c.snow.SysUpdatedOn), c.fd.UpdatedAt
	if ft > st {
		return Flashduty, fmt.Sprintf("%spolicy newest: flashduty updated at %d, servicenow at %d", adopt, ft, st)
	}
	return ServiceNow, fmt.Sprintf("%spolicy newest: servicenow updated at %d, flashduty at %d (ties go to servicenow)", adopt, st, ft)
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// push writes value to side to, if the direction allows it. It reports
// whether the push was skipped (the base of key is then kept).
func (c *computer) push(key string, to Side, value string) (skipped bool) {
	if !c.p.Direction.allows(to) {
		c.keep[key] = true
		c.skip(to, key, "direction "+string(c.p.Direction)+" does not write to "+string(to))
		return true
	}
	var reason string
	if to == Flashduty {
		reason = c.writeFD(key, value)
	} else {
		reason = c.writeSnow(key, value)
	}
	if reason != "" {
		c.keep[key] = true
		c.skip(to, key, reason)
		return true
	}
	c.pushed(key, to)
	return false
}

// pushed notes that key's value is written to side to.
func (c *computer) pushed(key string, to Side) {
	if c.plan.pushes == nil {
		c.plan.pushes = map[string]Side{}
	}
	c.plan.pushes[key] = to
}

// finish assembles the writes and the new base.
func (c *computer) finish() {
	if len(c.snowUpd) > 0 {
		if c.plan.ServiceNow.Create != nil {
			for k, v := range c.snowUpd {
				c.plan.ServiceNow.Create[k] = v
			}
		} else {
			c.plan.ServiceNow.Update = c.snowUpd
		}
	}
	if c.resetSet {
		r := c.reset
		c.plan.Flashduty.Reset = &r
	}
	slices.SortFunc(c.plan.Flashduty.Fields, func(a, b FDField) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})

	nb := &Snapshot{Urgency: c.expUrgency, SnowState: c.expState}
	if c.base != nil && c.keep[KeySeverity] {
		nb.Urgency = c.base.Urgency // a blocked severity keeps its urgency rule base
	}
	if c.base != nil && c.keep[KeyStatus] {
		nb.SnowState = c.base.SnowState
	}
	if c.snow != nil {
		nb.SnowModCount = c.snow.SysModCount
		nb.SnowUpdatedOn = unixOrZero(c.snow.SysUpdatedOn)
	}
	if c.fd != nil {
		nb.FDUpdatedAt = c.fd.UpdatedAt
	}
	keys := map[string]bool{}
	for k := range c.expSnow {
		keys[k] = true
	}
	for k := range c.expFD {
		keys[k] = true
	}
	for k := range c.keep {
		keys[k] = true
	}
	for _, k := range sortedKeys(keys) {
		if c.keep[k] {
			if b, ok := c.base.field(k); ok {
				nb.Fields = append(nb.Fields, b)
			}
			continue
		}
		s, sok := c.expSnow[k]
		f, fok := c.expFD[k]
		if !sok || !fok {
			continue
		}
		nb.Fields = append(nb.Fields, FieldBase{Key: k, ServiceNow: fingerprint(s), Flashduty: fingerprint(f)})
	}
	marks := c.comments()
	if c.base != nil {
		nb.Comments = slices.Clone(c.base.Comments)
		nb.SnowCommentHighWater = c.base.SnowCommentHighWater
		nb.FDCommentHighWater = c.base.FDCommentHighWater
	}
	limit := c.p.Mapping.MirroredComments
	if limit < 1 {
		limit = 1
	}
	nb.addComments(marks, limit)
	c.plan.NewBase = nb
	c.plan.baseChanged = !nb.equal(c.base)
}
