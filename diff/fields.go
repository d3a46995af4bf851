package diff

import "strings"

// writeFD plans writing the canonical value v of key to Flashduty. It
// returns a reason when the value cannot be sent.
func (c *computer) writeFD(key, v string) string {
	b, _ := builtinField(key)
	switch {
	case b.text != nil:
		if runes(v) < FDTitleMin {
			return key + " shorter than 3 characters cannot be sent to flashduty"
		}
		v = truncate(v, b.text.fdWrite)
		if v != c.expFD[key] {
			c.reset.setText(key, v)
			c.resetSet = true
		}
	case key == KeySeverity:
		if v != c.expFD[KeySeverity] {
			sev := Severity(v)
			c.reset.Severity, c.resetSet = &sev, true
		}
	case key == KeyStatus:
		c.statusToFD(Status(v))
	}
	c.expFD[key] = v
	return ""
}

// setText sets the reset's text field key (title or description).
func (r *FDReset) setText(key, v string) {
	if key == KeyTitle {
		r.Title = &v
	} else {
		r.Description = &v
	}
}

// writeSnow plans writing the canonical value v of key to ServiceNow.
func (c *computer) writeSnow(key, v string) string {
	m := c.p.Mapping
	b, _ := builtinField(key)
	switch {
	case b.text != nil:
		v = truncate(v, b.text.snowMax(m))
		if v != c.expSnow[key] {
			c.snowUpd[b.text.snowColumn] = v
		}
	case key == KeySeverity:
		pair := m.SeverityToServiceNow[Severity(v)]
		if c.snow == nil || pair.Impact != c.snow.Impact || pair.Urgency != c.snow.Urgency {
			c.snowUpd["impact"], c.snowUpd["urgency"] = pair.Impact, pair.Urgency
		}
		c.expUrgency = pair.Urgency
		v = string(m.UrgencyToSeverity[pair.Urgency])
	case key == KeyStatus:
		v = string(c.statusToSnow(Status(v)))
	}
	c.expSnow[key] = v
	return ""
}

// customFields handles the one-way custom field maps: a source change is
// pushed unless it is empty (an empty source never overwrites the target);
// edits of the target alone are left alone.
func (c *computer) customFields() {
	m := c.p.Mapping
	for _, f := range m.FieldsToServiceNow {
		key := "sn:" + f.Column
		src := fdSource(c.fd, f)
		tgt := norm(c.snow.Columns[f.Column])
		c.oneWay(key, ServiceNow, src, tgt, func(v string) { c.snowUpd[f.Column] = v })
	}
	for _, f := range m.FieldsToFlashduty {
		key := "fd:" + f.Field
		src := norm(c.snow.Columns[f.Column])
		tgt := norm(fieldString(c.fd.Fields[f.Field]))
		c.oneWay(key, Flashduty, truncate(src, FDTextFieldMax), tgt, func(v string) {
			c.plan.Flashduty.Fields = append(c.plan.Flashduty.Fields, FDField{Name: f.Field, Value: v})
		})
	}
}

// oneWay merges one custom field whose values flow only to side to.
func (c *computer) oneWay(key string, to Side, src, tgt string, write func(string)) {
	setExp := func(target string) {
		if to == ServiceNow {
			c.expSnow[key], c.expFD[key] = target, src
		} else {
			c.expSnow[key], c.expFD[key] = src, target
		}
	}
	b, has := c.base.field(key)
	srcBase := b.ServiceNow
	if to == ServiceNow {
		srcBase = b.Flashduty
	}
	switch {
	case has && fingerprint(src) == srcBase, src == tgt:
		setExp(tgt)
	case src == "":
		if has {
			c.skip(to, key, "the source is empty: an empty source never overwrites the target")
		}
		setExp(tgt)
	case !c.p.Direction.allows(to):
		c.keep[key] = true
		c.skip(to, key, "direction "+string(c.p.Direction)+" does not write to "+string(to))
	default:
		write(src)
		setExp(src)
		c.pushed(key, to)
	}
}

// copyOf reports whether one side's canonical text s (ServiceNow) or f
// (Flashduty) is what snowduty writes for the other's: the same text cut
// to the target's limit by any write that carries it (a ServiceNow update;
// a Flashduty reset, or its create, whose description also makes room for
// the "[ServiceNow: <number>]" line). Without a base, such a pair agrees:
// the shortened copy is not an edit, and must never replace the full text.
func (c *computer) copyOf(key, s, f string) bool {
	if s == f {
		return true
	}
	b, ok := builtinField(key)
	if !ok || b.text == nil {
		return false
	}
	lim := b.text
	if n := lim.snowMax(c.p.Mapping); n > 0 && s == truncate(f, n) {
		return true
	}
	fdMax := []int{lim.fdWrite, lim.fdCreate}
	if lim.fdRoomForNumber && c.snow != nil && c.snow.Number != "" {
		fdMax = append(fdMax, lim.fdCreate-runes(refLine(c.snow.Number))-2)
	}
	for _, n := range fdMax {
		if f == truncate(s, n) {
			return true
		}
	}
	return false
}

// closeNotes is what ServiceNow's close_notes gets when Flashduty closes.
func (c *computer) closeNotes() string {
	if c.fd != nil {
		if r := norm(c.fd.Resolution); r != "" {
			return r
		}
	}
	closer := "Flashduty (automatic close)"
	if c.fd != nil && c.fd.CloserName != "" {
		closer = c.fd.CloserName
	} else if c.fd != nil && c.fd.CloserID != 0 {
		closer = "Flashduty member " + itoa(c.fd.CloserID)
	}
	return strings.ReplaceAll(c.p.Mapping.CloseNotesTemplate, CloserPlaceholder, closer)
}
