package diff

import (
	"crypto/sha256"
	"encoding/hex"
)

// createFD plans a Flashduty incident for a ServiceNow incident: ServiceNow
// wins every field; the description carries the ServiceNow number.
func (c *computer) createFD() {
	m := c.p.Mapping
	sv, swhy := c.snowCanon(c.snow)
	c.expSnow = sv
	c.expUrgency, c.expState = c.snow.Urgency, c.snow.State

	title := sv[KeyTitle]
	if runes(title) < FDTitleMin {
		title = "ServiceNow incident " + c.snow.Number
		c.skip(Flashduty, KeyTitle, "title shorter than 3 characters: created with a placeholder title")
	}
	titleField, _ := builtinField(KeyTitle)
	descField, _ := builtinField(KeyDescription)
	title = truncate(title, titleField.text.fdCreate)
	sev := Severity(sv[KeySeverity])
	if !sev.valid() {
		sev = SeverityWarning
		c.skip(Flashduty, KeySeverity, swhy[KeySeverity]+": created as Warning")
	}
	desc := sv[KeyDescription]
	if c.snow.Number != "" {
		ref := refLine(c.snow.Number)
		desc = truncate(desc, descField.text.fdCreate-runes(ref)-2)
		if desc == "" {
			desc = ref
		} else {
			desc += "\n\n" + ref
		}
	} else {
		desc = truncate(desc, descField.text.fdCreate)
	}
	cr := &FDCreate{Title: title, Description: desc, Severity: sev}
	exp := &FDView{Title: title, Description: desc, Severity: sev, Progress: "Triggered"}
	for _, f := range m.FieldsToFlashduty {
		if v := truncate(norm(c.snow.Columns[f.Column]), FDTextFieldMax); v != "" {
			if cr.Fields == nil {
				cr.Fields, exp.Fields = map[string]string{}, map[string]any{}
			}
			cr.Fields[f.Field], exp.Fields[f.Field] = v, v
		}
	}
	c.plan.Flashduty.Create = cr
	c.expFD, _ = c.fdCanon(exp)
	if st, ok := sv[KeyStatus]; ok {
		c.statusToFD(Status(st))
		c.expFD[KeyStatus] = st
	} else {
		c.skip(Flashduty, KeyStatus, swhy[KeyStatus]+": created as Triggered")
	}
	for _, f := range m.FieldsToServiceNow {
		key := "sn:" + f.Column
		c.expSnow[key], c.expFD[key] = norm(c.snow.Columns[f.Column]), fdSource(exp, f)
	}
	for _, f := range m.FieldsToFlashduty {
		key := "fd:" + f.Field
		c.expSnow[key], c.expFD[key] = truncate(norm(c.snow.Columns[f.Column]), FDTextFieldMax), norm(fieldString(exp.Fields[f.Field]))
	}
}

// ServiceNowSysID is the sys_id snowduty asks ServiceNow to give the
// incident it creates for Flashduty incident incidentID: 32 hex digits
// derived from the id alone, so a create sent twice (its first answer
// lost) cannot make a second record, and the first is found by a read.
func ServiceNowSysID(incidentID string) string {
	sum := sha256.Sum256([]byte("snowduty/flashduty-incident/" + incidentID))
	return hex.EncodeToString(sum[:16])
}

// createSnow plans a ServiceNow incident for a Flashduty incident:
// Flashduty wins every field; correlation_id links it.
func (c *computer) createSnow() {
	m := c.p.Mapping
	fv, fwhy := c.fdCanon(c.fd)
	c.expFD = fv
	c.expSnow = canon{KeyTitle: "", KeyDescription: ""}
	c.plan.ServiceNow.Create = map[string]string{
		"sys_id":              ServiceNowSysID(c.fd.IncidentID),
		"correlation_id":      c.fd.IncidentID,
		"correlation_display": CorrelationDisplay,
	}
	c.writeSnow(KeyTitle, fv[KeyTitle])
	c.writeSnow(KeyDescription, fv[KeyDescription])
	for _, key := range []string{KeySeverity, KeyStatus} {
		if v, ok := fv[key]; ok {
			c.writeSnow(key, v)
		} else {
			c.skip(ServiceNow, key, fwhy[key]+": left to the servicenow default")
		}
	}
	cols := map[string]string{}
	for _, f := range m.FieldsToServiceNow {
		key := "sn:" + f.Column
		src := fdSource(c.fd, f)
		if src != "" {
			c.snowUpd[f.Column], cols[f.Column] = src, src
		}
		c.expSnow[key], c.expFD[key] = src, src
	}
	for _, f := range m.FieldsToFlashduty {
		key := "fd:" + f.Field
		c.expSnow[key], c.expFD[key] = truncate(cols[f.Column], FDTextFieldMax), norm(fieldString(c.fd.Fields[f.Field]))
	}
}
