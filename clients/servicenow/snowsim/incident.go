package snowsim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// priorityOf is the default Priority Lookup Rules table (reference §4.2):
// priority = impact + urgency − 1 for values 1..3.
func priorityOf(impact, urgency string) string {
	i, err1 := strconv.Atoi(impact)
	u, err2 := strconv.Atoi(urgency)
	if err1 != nil || err2 != nil || i < 1 || i > 3 || u < 1 || u > 3 {
		return "5"
	}
	return strconv.Itoa(i + u - 1)
}

// writable reports whether a client may set column name on incident: sys_
// columns, number, priority (derived) and the journal list are not.
func writable(t *table, name string) bool {
	col, ok := t.schema.col(name)
	if !ok || col.kind == kJournalList {
		return false
	}
	return !strings.HasPrefix(name, "sys_") && name != "number" && name != "priority"
}

// createIncident inserts an incident as u, after the defaults of the
// documented POST response. The caller holds s.mu.
func (s *Server) createIncident(u *User, in map[string]string) (*record, *apiError) {
	t := s.tables["incident"]
	now := s.stamp()
	f := make(map[string]string, len(t.schema.cols))
	for _, col := range t.schema.cols {
		f[col.name] = ""
	}
	s.number++
	for k, v := range map[string]string{
		"number": fmt.Sprintf("INC%07d", s.number), "state": "1", "category": "inquiry", "impact": "3", "urgency": "3", "severity": "3",
		"active": "true", "approval": "not requested", "upon_approval": "proceed", "upon_reject": "cancel",
		"notify": "1", "escalation": "0", "knowledge": "false", "made_sla": "true", "reopen_count": "0",
		"reassignment_count": "0", "child_incidents": "0", "sys_class_name": "incident", "sys_domain": "global",
		"sys_domain_path": "/", "opened_at": now, "opened_by": u.SysID, "sys_created_on": now, "sys_updated_on": now,
		"sys_created_by": u.UserName, "sys_updated_by": u.UserName, "sys_mod_count": "0",
	} {
		f[k] = v
	}
	journal := applyInput(t, f, in)
	s.deriveFields(u, f, "")
	if aerr := dataPolicy(f); aerr != nil {
		s.number--
		return nil, aerr
	}
	f["sys_id"] = s.newSysID()
	if id := in["sys_id"]; id != "" {
		// A client may choose the sys_id of a new record (32 hex digits,
		// PySNC test_insert_custom_guid); a second insert with it fails.
		if !validSysID(id) {
			s.number--
			return nil, &apiError{http.StatusBadRequest, "Invalid sys_id", "sys_id " + id + " is not 32 hexadecimal digits"}
		}
		if t.rows[id] != nil {
			s.number--
			return nil, &apiError{http.StatusForbidden, "Operation Failed", "Error during insert of incident (" + id + ")"}
		}
		f["sys_id"] = id
	}
	rec := s.insert("incident", f)
	s.appendJournal(u, f["sys_id"], journal)
	s.trackResolved(rec)
	return rec, nil
}

// updateIncident applies in to rec as u. viaAPI enforces the closed-record
// ACL (non-admins cannot edit Closed incidents). A save that changes
// nothing and writes no journal entry does not bump sys_mod_count, as
// GlideRecord skips no-op updates. The caller holds s.mu.
func (s *Server) updateIncident(u *User, rec *record, in map[string]string, viaAPI bool) *apiError {
	t := s.tables["incident"]
	if viaAPI && rec.f["state"] == "7" && !u.Admin {
		return &apiError{http.StatusForbidden, "Operation Failed", "ACL Exception Update Failed due to security constraints"}
	}
	f := cloneFields(rec.f)
	journal := applyInput(t, f, in)
	s.deriveFields(u, f, rec.f["state"])
	if aerr := dataPolicy(f); aerr != nil {
		return aerr
	}
	changed := len(journal) > 0
	for k, v := range f {
		if rec.f[k] != v {
			changed = true
			break
		}
	}
	if !changed {
		return nil
	}
	mod, _ := strconv.Atoi(f["sys_mod_count"])
	f["sys_mod_count"] = strconv.Itoa(mod + 1)
	f["sys_updated_on"], f["sys_updated_by"] = s.stamp(), u.UserName
	t.unindex(rec)
	rec.f = f
	t.reindex(rec)
	s.appendJournal(u, f["sys_id"], journal)
	s.trackResolved(rec)
	return nil
}

// journalEntry is one comment or work note to append.
type journalEntry struct{ element, value string }

// applyInput copies the writable fields of in onto f and returns the
// journal entries (comments, work_notes) it carried.
func applyInput(t *table, f, in map[string]string) []journalEntry {
	var journal []journalEntry
	for _, el := range []string{"comments", "work_notes"} {
		if v := in[el]; strings.TrimSpace(v) != "" {
			journal = append(journal, journalEntry{el, v})
		}
	}
	for k, v := range in {
		col, _ := t.schema.col(k)
		if !writable(t, k) || col.kind == kJournal {
			continue
		}
		f[k] = v
	}
	if _, ok := in["state"]; !ok {
		if v, ok := in["incident_state"]; ok {
			f["state"] = v
		}
	}
	return journal
}

// deriveFields runs the business rules: incident_state mirrors state,
// priority follows impact × urgency, and resolution, closure and reopening
// stamp their fields.
func (s *Server) deriveFields(u *User, f map[string]string, oldState string) {
	f["incident_state"] = f["state"]
	f["priority"] = priorityOf(f["impact"], f["urgency"])
	now := s.stamp()
	st := f["state"]
	if st == oldState {
		return
	}
	switch st {
	case "6":
		f["resolved_at"], f["resolved_by"], f["active"] = now, u.SysID, "true"
	case "7":
		if f["resolved_at"] == "" {
			f["resolved_at"], f["resolved_by"] = now, u.SysID
		}
		f["closed_at"], f["closed_by"], f["active"] = now, u.SysID, "false"
	case "8":
		f["active"] = "false"
	default:
		f["active"] = "true"
		if oldState == "6" || oldState == "7" || oldState == "8" {
			// Reopening (inferred): the incident becomes active again and
			// reopen_count goes up.
			n, _ := strconv.Atoi(f["reopen_count"])
			f["reopen_count"] = strconv.Itoa(n + 1)
			f["resolved_at"], f["resolved_by"], f["closed_at"], f["closed_by"] = "", "", "", ""
		}
	}
}

// dataPolicy enforces the typical instance's data policies: Resolved and
// Closed need a resolution code and close notes, On Hold needs a reason.
func dataPolicy(f map[string]string) *apiError {
	var missing []string
	switch f["state"] {
	case "6", "7":
		if f["close_code"] == "" {
			missing = append(missing, "Resolution code")
		}
		if f["close_notes"] == "" {
			missing = append(missing, "Close notes")
		}
	case "3":
		if f["hold_reason"] == "" {
			missing = append(missing, "On hold reason")
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return &apiError{http.StatusForbidden, "Operation Failed", "Data Policy Exception: \n\tThe following fields are mandatory: " + strings.Join(missing, ", ")}
}

// appendJournal writes sys_journal_field rows. The caller holds s.mu.
func (s *Server) appendJournal(u *User, incidentID string, entries []journalEntry) {
	for _, e := range entries {
		rec := s.insert("sys_journal_field", map[string]string{
			"sys_id": s.newSysID(), "element": e.element, "element_id": incidentID, "name": "incident",
			"value": e.value, "sys_created_on": s.stamp(), "sys_created_by": u.UserName, "sys_tags": "",
		})
		s.journalBy[incidentID] = append(s.journalBy[incidentID], rec)
	}
}

func (s *Server) trackResolved(rec *record) {
	if s.opts.AutoCloseAfter <= 0 {
		return
	}
	if rec.f["state"] == "6" {
		s.resolved[rec.f["sys_id"]] = true
	} else {
		delete(s.resolved, rec.f["sys_id"])
	}
}

// autoClose closes Resolved incidents whose resolution is older than
// Options.AutoCloseAfter, as user system. The caller holds s.mu.
func (s *Server) autoClose() {
	if s.opts.AutoCloseAfter <= 0 || len(s.resolved) == 0 {
		return
	}
	t := s.tables["incident"]
	sys := s.users[System]
	if sys == nil {
		sys = &User{UserName: System, Name: "System", Admin: true}
	}
	cutoff := s.now().Add(-s.opts.AutoCloseAfter).Format(internalLayout)
	for id := range s.resolved {
		rec := t.rows[id]
		if rec == nil {
			delete(s.resolved, id)
			continue
		}
		if rec.f["sys_updated_on"] <= cutoff {
			_ = s.updateIncident(sys, rec, map[string]string{"state": "7"}, false)
		}
	}
}

// validSysID reports whether id has the shape of a sys_id.
func validSysID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for _, r := range id {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}
