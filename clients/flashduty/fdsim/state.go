package fdsim

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// The state rules of reference §2.1 and §6. Every function here expects the
// caller to hold s.mu; actor is a member id, 0 for the system.

// get returns the incident with id after applying any snooze expiry.
func (s *Server) get(id string) (*incident, *apiError) {
	inc, ok := s.incidents[id]
	if !ok {
		return nil, notFound()
	}
	s.settle(inc)
	return inc, nil
}

// getAll resolves a batch of 1–100 ids, all of which must exist, before
// anything is changed.
func (s *Server) getAll(ids []string) ([]*incident, *apiError) {
	if len(ids) == 0 || len(ids) > 100 {
		return nil, invalid("incident_ids must hold 1 to 100 ids, got %d", len(ids))
	}
	out := make([]*incident, 0, len(ids))
	for _, id := range ids {
		inc, err := s.get(id)
		if err != nil {
			return nil, err
		}
		out = append(out, inc)
	}
	return out, nil
}

// settle applies a snooze that ran out while the incident was open: it goes
// back to Triggered at the expiry time and its acks are cleared.
func (s *Server) settle(inc *incident) {
	if inc.expired || inc.SnoozedBefore == 0 || inc.Progress == ProgressClosed {
		return
	}
	if inc.SnoozedBefore > s.now().Unix() {
		return
	}
	inc.expired = true
	inc.Progress = ProgressTriggered
	inc.AckTime = 0
	for i := range inc.Responders {
		inc.Responders[i].AcknowledgedAt = 0
	}
	inc.UpdatedAt = max(inc.UpdatedAt, inc.SnoozedBefore)
}

func (s *Server) addFeed(inc *incident, typ string, actor int64, detail any) {
	b, _ := json.Marshal(detail)
	ms := s.now().UnixMilli()
	inc.feed = append(inc.feed, FeedItem{RefID: inc.IncidentID, Type: typ, Detail: b, AccountID: s.opts.AccountID, CreatorID: actor, CreatedAt: ms, UpdatedAt: ms})
}

// addAudit records a write by a member (never by the system).
func (s *Server) addAudit(actor int64, op string, body any, reqID string) {
	if actor == 0 {
		return
	}
	b, _ := json.Marshal(body)
	if reqID == "" {
		reqID = s.newRequestID()
	}
	s.audit = append(s.audit, AuditDoc{
		CreatedAt: s.now().UnixMilli(), AccountID: s.opts.AccountID, MemberID: actor,
		MemberName: s.members[actor].Name, RequestID: reqID, IP: "127.0.0.1",
		Operation: "incident:write:" + op, OperationName: op, Body: string(b), Params: []any{}, IsWrite: true,
	})
}

func (s *Server) touch(inc *incident) { inc.UpdatedAt = s.now().Unix() }

// IncidentSpec describes an incident to create through the control API.
type IncidentSpec struct {
	Title       string            `json:"title"`
	Description string            `json:"description,omitempty"`
	Severity    string            `json:"severity,omitempty"` // default Warning
	ChannelID   int64             `json:"channel_id,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Fields      map[string]any    `json:"fields,omitempty"`
	// StartTime is when the incident started; zero means now. It may lie
	// in the past (an alert that started earlier).
	StartTime time.Time `json:"start_time,omitzero"`
	// As is the user name of the member who created it (Alice, Bob,
	// DefaultKeyUser); empty means the system (an alert, creator_id 0).
	As string `json:"as,omitempty"`
	// AssignTo are the person ids it is assigned to (its responders);
	// empty means unassigned.
	AssignTo []int64 `json:"assign_to,omitempty"`
}

// create makes an incident with creator as its creator_id (0: an alert).
// The caller holds s.mu.
func (s *Server) create(spec IncidentSpec, creator int64, reqID string) (*incident, *apiError) {
	if spec.Severity == "" {
		spec.Severity = SeverityWarning
	}
	if !validSeverity(spec.Severity) {
		return nil, invalid("incident_severity must be Info, Warning or Critical, got %q", spec.Severity)
	}
	if n := utf8.RuneCountInString(spec.Title); n == 0 || n > 512 {
		return nil, invalid("title must be 1 to 512 characters, got %d", n)
	}
	if n := utf8.RuneCountInString(spec.Description); n > 1024 {
		return nil, invalid("description must be at most 1024 characters, got %d", n)
	}
	var ch Channel
	if spec.ChannelID != 0 {
		i := slices.IndexFunc(s.channels, func(c Channel) bool { return c.ChannelID == spec.ChannelID })
		if i < 0 {
			return nil, invalid("channel_id %d does not exist", spec.ChannelID)
		}
		ch = s.channels[i]
	}
	if creator != 0 {
		if _, ok := s.members[creator]; !ok {
			return nil, invalid("creator %d is not a member", creator)
		}
	}
	if err := s.checkPersons(spec.AssignTo); err != nil {
		return nil, err
	}
	fields := map[string]any{}
	for _, f := range s.fields {
		if f.DefaultValue != nil && f.Status == "enabled" {
			fields[f.FieldName] = f.DefaultValue
		}
	}
	for name, v := range spec.Fields {
		nv, err := s.checkField(name, v)
		if err != nil {
			return nil, err
		}
		fields[name] = nv
	}
	now := s.now()
	start := spec.StartTime
	if start.IsZero() {
		start = now
	}
	id := s.newID(now) // an ObjectID holds its creation time
	labels := map[string]string{}
	for k, v := range spec.Labels {
		labels[k] = v
	}
	inc := &incident{Incident: Incident{
		IncidentID: id, Num: strings.ToUpper(id[18:]), AccountID: s.opts.AccountID,
		ChannelID: ch.ChannelID, ChannelName: ch.ChannelName, ChannelStatus: ch.Status,
		Title: spec.Title, Description: spec.Description, Severity: spec.Severity, Status: spec.Severity,
		Progress: ProgressTriggered, StartTime: start.Unix(), CreatedAt: now.Unix(), UpdatedAt: now.Unix(),
		LastTime: start.Unix(), CreatorID: creator, Labels: labels, Fields: fields,
		Responders: []Responder{}, GroupMethod: "n", Frequency: "rare",
		DetailURL:   s.opts.ConsoleURL + "/incident/detail/" + id,
		AccountName: s.opts.AccountName, AccountLocale: accountLocale, AccountTimeZone: accountTimeZone,
		IntegrationIDs: []int64{}, IntegrationTypes: []string{},
	}}
	if ch.ChannelID != 0 {
		inc.SilenceURL = fmt.Sprintf("%s/channel/detail/%d?tab=alertSuppression&fromIncidentId=%s", s.opts.ConsoleURL, ch.ChannelID, id)
	}
	if creator == 0 {
		inc.AlertCnt, inc.ActiveAlertCnt, inc.AlertEventCnt = 1, 1, 1
		inc.alertID = alertIDOf(id)
	}
	s.insert(inc)
	s.addFeed(inc, "i_new", creator, map[string]any{"severity": spec.Severity, "title": spec.Title})
	if len(spec.AssignTo) > 0 {
		s.assign(inc, creator, spec.AssignTo, "assign", false)
	}
	s.addAudit(creator, "create", map[string]any{"incident_severity": spec.Severity, "title": spec.Title, "channel_id": spec.ChannelID}, reqID)
	return inc, nil
}

func (s *Server) fieldDef(name string) (Field, bool) {
	i := slices.IndexFunc(s.fields, func(f Field) bool { return f.FieldName == name && f.Status != "deleted" })
	if i < 0 {
		return Field{}, false
	}
	return s.fields[i], true
}

// checkField validates a custom field value against its definition and
// returns it in its stored form.
func (s *Server) checkField(name string, v any) (any, *apiError) {
	f, ok := s.fieldDef(name)
	if !ok {
		return nil, invalid("field %q is not defined", name)
	}
	switch f.FieldType {
	case "text":
		str, ok := v.(string)
		if !ok {
			return nil, invalid("field %q is a text field; its value must be a string", name)
		}
		if utf8.RuneCountInString(str) > 3000 {
			return nil, invalid("field %q: text values are at most 3000 characters", name)
		}
		return str, nil
	case "single_select":
		str, ok := v.(string)
		if !ok || !slices.Contains(f.Options, str) {
			return nil, invalid("field %q: value must be one of %v", name, f.Options)
		}
		return str, nil
	case "multi_select":
		var out []string
		switch l := v.(type) {
		case []string:
			out = slices.Clone(l)
		case []any:
			for _, e := range l {
				str, ok := e.(string)
				if !ok {
					return nil, invalid("field %q: values must be strings", name)
				}
				out = append(out, str)
			}
		default:
			return nil, invalid("field %q is a multi_select field; its value must be a list of strings", name)
		}
		for _, str := range out {
			if !slices.Contains(f.Options, str) {
				return nil, invalid("field %q: value %q is not one of %v", name, str, f.Options)
			}
		}
		return out, nil
	case "checkbox":
		b, ok := v.(bool)
		if !ok {
			return nil, invalid("field %q is a checkbox field; its value must be true or false", name)
		}
		return b, nil
	}
	return nil, invalid("field %q has unknown type %q", name, f.FieldType)
}

func (s *Server) ack(inc *incident, actor int64) {
	if inc.Progress == ProgressClosed {
		return
	}
	now := s.now().Unix()
	i := slices.IndexFunc(inc.Responders, func(r Responder) bool { return r.PersonID == actor })
	if i < 0 {
		inc.Responders = append(inc.Responders, Responder{PersonID: actor, AssignedAt: now})
		i = len(inc.Responders) - 1
	}
	if inc.Responders[i].AcknowledgedAt == 0 {
		inc.Responders[i].AcknowledgedAt = now
	}
	if inc.AckTime == 0 {
		inc.AckTime = now
	}
	inc.Progress = ProgressProcessing
	s.touch(inc)
	s.addFeed(inc, "i_ack", actor, map[string]any{"progress": inc.Progress})
}

// unack removes actor's acknowledgement; the incident returns to Triggered
// only when no acker remains.
func (s *Server) unack(inc *incident, actor int64) {
	if inc.Progress != ProgressProcessing {
		return
	}
	for i := range inc.Responders {
		if inc.Responders[i].PersonID == actor {
			inc.Responders[i].AcknowledgedAt = 0
		}
	}
	if !slices.ContainsFunc(inc.Responders, func(r Responder) bool { return r.AcknowledgedAt != 0 }) {
		inc.Progress = ProgressTriggered
		inc.AckTime = 0
	}
	s.touch(inc)
	s.addFeed(inc, "i_unack", actor, map[string]any{"progress": inc.Progress})
}

// resolve closes inc; actor 0 is an automatic close.
func (s *Server) resolve(inc *incident, actor int64, rootCause, resolution string) {
	if rootCause != "" {
		inc.RootCause = rootCause
	}
	if resolution != "" {
		inc.Resolution = resolution
	}
	if inc.Progress == ProgressClosed {
		return
	}
	now := s.now().Unix()
	inc.Progress = ProgressClosed
	inc.CloseTime = now
	inc.CloserID = actor
	inc.SnoozedBefore = 0
	inc.ActiveAlertCnt = 0
	if actor == 0 {
		inc.EndTime = now
		inc.Status = "Ok"
	}
	s.touch(inc)
	from := "console"
	if actor == 0 {
		from = "autorslv"
	}
	s.addFeed(inc, "i_rslv", actor, map[string]any{"from": from})
}

func (s *Server) reopen(inc *incident, actor int64, reason string) {
	if inc.Progress != ProgressClosed {
		return
	}
	inc.Progress = ProgressTriggered
	inc.Status = inc.Severity
	inc.CloseTime, inc.CloserID, inc.EndTime, inc.AckTime, inc.SnoozedBefore = 0, 0, 0, 0, 0
	for i := range inc.Responders {
		inc.Responders[i].AcknowledgedAt = 0
	}
	s.touch(inc)
	s.addFeed(inc, "i_reopen", actor, map[string]any{"reason": reason})
}

func (s *Server) snooze(inc *incident, actor int64, minutes int) *apiError {
	if minutes <= 0 || minutes > 1440 {
		return invalid("minutes must be between 1 and 1440, got %d", minutes)
	}
	if inc.Progress == ProgressClosed {
		return nil
	}
	inc.SnoozedBefore = s.now().Add(time.Duration(minutes) * time.Minute).Unix()
	inc.expired = false
	s.touch(inc)
	s.addFeed(inc, "i_snooze", actor, map[string]any{"minutes": minutes})
	return nil
}

func (s *Server) wake(inc *incident, actor int64) {
	if inc.SnoozedBefore <= s.now().Unix() {
		return
	}
	before := inc.SnoozedBefore
	inc.SnoozedBefore = 0
	s.touch(inc)
	s.addFeed(inc, "i_wake", actor, map[string]any{"snoozedBefore": before})
}

// comment stores text trimmed; comments bump updated_at only when the
// switch says so.
func (s *Server) comment(inc *incident, actor int64, text string, muteReply bool) *apiError {
	text = strings.TrimSpace(text)
	if text == "" {
		return invalid("comment must not be empty")
	}
	if n := utf8.RuneCountInString(text); n > 1024 {
		return invalid("comment must be at most 1024 characters, got %d", n)
	}
	if s.bumpComment {
		s.touch(inc)
	}
	s.addFeed(inc, "i_comm", actor, map[string]any{"comment": text, "mute_reply": muteReply})
	return nil
}

// Edit is a change to an incident's built-in fields (those of
// /incident/reset); nil leaves a field alone.
type Edit struct {
	Title       *string `json:"title,omitempty"`
	Description *string `json:"description,omitempty"`
	Severity    *string `json:"incident_severity,omitempty"`
	Impact      *string `json:"impact,omitempty"`
	RootCause   *string `json:"root_cause,omitempty"`
	Resolution  *string `json:"resolution,omitempty"`
}

func (s *Server) edit(inc *incident, actor int64, e Edit) *apiError {
	if e.Title == nil && e.Description == nil && e.Severity == nil && e.Impact == nil && e.RootCause == nil && e.Resolution == nil {
		return invalid("at least one of title, description, incident_severity, impact, root_cause, resolution must be provided")
	}
	if e.Title != nil {
		if n := utf8.RuneCountInString(*e.Title); n < 3 || n > 200 {
			return invalid("title must be 3 to 200 characters, got %d", n)
		}
	}
	texts := []struct {
		name string
		v    *string
		dst  *string
		feed string
	}{
		{"description", e.Description, &inc.Description, "i_r_desc"},
		{"impact", e.Impact, &inc.Impact, "i_r_impact"},
		{"root_cause", e.RootCause, &inc.RootCause, "i_r_rc"},
		{"resolution", e.Resolution, &inc.Resolution, "i_r_rsltn"},
	}
	for _, t := range texts {
		if t.v == nil {
			continue
		}
		if n := utf8.RuneCountInString(*t.v); n < 3 || n > 6144 {
			return invalid("%s must be 3 to 6144 characters, got %d", t.name, n)
		}
	}
	if e.Severity != nil && !validSeverity(*e.Severity) {
		return invalid("incident_severity must be Info, Warning or Critical, got %q", *e.Severity)
	}
	if e.Title != nil && *e.Title != inc.Title {
		s.addFeed(inc, "i_r_title", actor, map[string]any{"from": inc.Title, "to": *e.Title})
		inc.Title = *e.Title
		if !slices.Contains(inc.ManualOverrides, "title") {
			inc.ManualOverrides = append(inc.ManualOverrides, "title")
		}
	}
	for _, t := range texts {
		if t.v != nil && *t.v != *t.dst {
			s.addFeed(inc, t.feed, actor, map[string]any{})
			*t.dst = *t.v
		}
	}
	if e.Severity != nil && *e.Severity != inc.Severity {
		s.addFeed(inc, "i_r_severity", actor, map[string]any{"from": inc.Severity, "to": *e.Severity})
		inc.Severity = *e.Severity
		if inc.Progress != ProgressClosed {
			inc.Status = inc.Severity
		}
	}
	s.touch(inc)
	return nil
}

// setField sets (or, with clear, deletes) one custom field value.
func (s *Server) setField(inc *incident, actor int64, name string, value any, clear bool) *apiError {
	var stored any
	if !clear {
		v, err := s.checkField(name, value)
		if err != nil {
			return err
		}
		stored = v
		inc.Fields[name] = v
	} else {
		if _, ok := s.fieldDef(name); !ok {
			return invalid("field %q is not defined", name)
		}
		delete(inc.Fields, name)
	}
	s.touch(inc)
	s.addFeed(inc, "i_r_field", actor, map[string]any{"field_name": name, "to": stored})
	return nil
}

// checkPersons fails unless every id is a person of the account (at most
// 100, as the spec's person_ids).
func (s *Server) checkPersons(ids []int64) *apiError {
	if len(ids) > 100 {
		return invalid("person_ids must hold at most 100 ids, got %d", len(ids))
	}
	for _, id := range ids {
		if _, ok := s.members[id]; !ok {
			return invalid("person_id %d is not a member of the account", id)
		}
	}
	return nil
}

// assign makes persons the incident's assignment (typ assign or reassign)
// and adds those not yet among its responders; with feed it records
// i_assign. Existing responders (and their acks) stay.
func (s *Server) assign(inc *incident, actor int64, persons []int64, typ string, feed bool) {
	now := s.now().Unix()
	ids := []int64{}
	for _, id := range persons {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	inc.AssignedTo = &Assignment{PersonIDs: ids, EscalateRuleID: noEscalateRule, Type: typ, AssignedAt: now, ID: s.newAssignmentID()}
	for _, id := range ids {
		if !slices.ContainsFunc(inc.Responders, func(r Responder) bool { return r.PersonID == id }) {
			inc.Responders = append(inc.Responders, Responder{PersonID: id, AssignedAt: now})
		}
	}
	if feed {
		s.touch(inc)
		s.addFeed(inc, "i_assign", actor, map[string]any{"person_ids": ids, "type": typ})
	}
}

// noEscalateRule is the escalate_rule_id of a direct assignment (the
// documented example's zero ObjectID).
const noEscalateRule = "000000000000000000000000"

// newAssignmentID returns a 22-character id like the documented
// "MvQfH9Dc8eNS8k79jmrWn6". The caller holds s.mu.
func (s *Server) newAssignmentID() string {
	const alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	var b [22]byte
	for i := range b {
		b[i] = alphabet[s.rng.IntN(len(alphabet))]
	}
	return string(b[:])
}

// alerts returns the incident's alerts (one for an incident an alert
// created, none otherwise); its state follows the incident: closed when
// the incident's alerts are no longer active.
func (s *Server) alerts(inc *incident) []Alert {
	if inc.alertID == "" {
		return nil
	}
	a := Alert{
		AlertID: inc.alertID, AccountID: inc.AccountID, ChannelID: inc.ChannelID, IncidentID: inc.IncidentID,
		Title: inc.Title, Description: inc.Description, AlertSeverity: inc.Severity, AlertStatus: inc.Severity,
		Progress: ProgressTriggered, StartTime: inc.StartTime, LastTime: inc.LastTime, CreatedAt: inc.CreatedAt,
		UpdatedAt: inc.CreatedAt, EventCnt: inc.AlertEventCnt, Labels: maps.Clone(inc.Labels),
	}
	if inc.ActiveAlertCnt == 0 {
		a.Progress, a.AlertStatus = ProgressClosed, "Ok"
		a.EndTime = inc.CloseTime
		a.UpdatedAt = inc.CloseTime
	}
	return []Alert{a}
}

// alertIDOf derives the id of an incident's alert from the incident's (the
// same creation time, other bytes), so that alerts draw nothing from the
// seeded generator and incident ids stay what they were.
func alertIDOf(incidentID string) string {
	h := fnv.New64a()
	h.Write([]byte(incidentID))
	return fmt.Sprintf("%s%016x", incidentID[:8], h.Sum64())
}
