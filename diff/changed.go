package diff

import "strings"

// Changed reports, without planning anything, whether either side moved
// away from the base: a cheap filter that lets the poller skip pairs whose
// re-read shows nothing new (our own echoes included). A nil side reports
// false; a nil base reports true for every side given. It is conservative:
// when it says false, Compute would find nothing to do for that side's
// fields (comments are not considered; they are read separately).
func Changed(base *Snapshot, snow *SnowView, fd *FDView, p Policy) (snowChanged, fdChanged bool) {
	c := &computer{p: p, base: base}
	if snow != nil {
		snowChanged = base == nil || snow.Urgency != base.Urgency || snow.State != base.SnowState ||
			snow.CorrelationID == "" && p.Direction.allows(ServiceNow) // Compute names the partner
		if !snowChanged {
			v, _ := c.snowCanon(snow)
			for _, f := range p.Mapping.FieldsToServiceNow {
				v["sn:"+f.Column] = norm(snow.Columns[f.Column])
			}
			for _, f := range p.Mapping.FieldsToFlashduty {
				// As the merge keeps it: cut to what Flashduty holds.
				v["fd:"+f.Field] = truncate(norm(snow.Columns[f.Column]), FDTextFieldMax)
			}
			snowChanged = c.differs(v, func(b FieldBase) uint64 { return b.ServiceNow })
		}
	}
	if fd != nil {
		fdChanged = base == nil
		if !fdChanged {
			v, _ := c.fdCanon(fd)
			for _, f := range p.Mapping.FieldsToServiceNow {
				v["sn:"+f.Column] = fdSource(fd, f)
			}
			for _, f := range p.Mapping.FieldsToFlashduty {
				v["fd:"+f.Field] = norm(fieldString(fd.Fields[f.Field]))
			}
			fdChanged = c.differs(v, func(b FieldBase) uint64 { return b.Flashduty })
		}
	}
	return snowChanged, fdChanged
}

// differs reports whether any value's fingerprint differs from the base's
// fingerprint on that side (a key missing from the base counts as a
// difference).
func (c *computer) differs(v canon, side func(FieldBase) uint64) bool {
	for key, val := range v {
		b, ok := c.base.field(key)
		if !ok {
			if val == "" && (strings.HasPrefix(key, "sn:") || strings.HasPrefix(key, "fd:")) {
				continue // an empty custom field with no base never pushes
			}
			return true
		}
		if fingerprint(val) != side(b) {
			return true
		}
	}
	return false
}
