package fdsim

import (
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"
)

// The Open API write handlers. Each acts as the app key's principal (its
// member, or the account principal for an account-level key: c.actor),
// checks the whole request before changing anything, and answers with an
// empty data.

func (s *Server) apiCreate(c *apiCall) (any, *apiError) {
	var req struct {
		Severity    string         `json:"incident_severity"`
		Title       string         `json:"title"`
		Description string         `json:"description"`
		ChannelID   int64          `json:"channel_id"`
		Fields      map[string]any `json:"fields"`
		AssignedTo  *assignedTo    `json:"assigned_to"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.Severity == "" {
		return nil, invalid("incident_severity is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var persons []int64
	if req.AssignedTo != nil {
		var err *apiError
		if persons, _, err = s.resolveAssignee(req.AssignedTo); err != nil {
			return nil, err
		}
	}
	inc, err := s.create(IncidentSpec{Title: req.Title, Description: req.Description, Severity: req.Severity,
		ChannelID: req.ChannelID, Fields: req.Fields, AssignTo: persons}, c.actor, c.requestID)
	if err != nil {
		return nil, err
	}
	return map[string]string{"incident_id": inc.IncidentID, "title": inc.Title}, nil
}

func (s *Server) apiReset(c *apiCall) (any, *apiError) {
	var req struct {
		IncidentID string `json:"incident_id"`
		Edit
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	inc, err := s.get(req.IncidentID)
	if err != nil {
		return nil, err
	}
	if err := s.edit(inc, c.actor, req.Edit); err != nil {
		return nil, err
	}
	s.addAudit(c.actor, "reset", json.RawMessage(c.body), c.requestID)
	return nil, nil
}

func (s *Server) apiFieldReset(c *apiCall) (any, *apiError) {
	var req struct {
		IncidentID string          `json:"incident_id"`
		FieldName  string          `json:"field_name"`
		FieldValue json.RawMessage `json:"field_value"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.FieldName == "" {
		return nil, invalid("field_name is required")
	}
	clear := len(req.FieldValue) == 0 || string(req.FieldValue) == "null"
	var v any
	if !clear {
		if err := json.Unmarshal(req.FieldValue, &v); err != nil {
			return nil, invalid("field_value is not valid JSON")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	inc, err := s.get(req.IncidentID)
	if err != nil {
		return nil, err
	}
	if err := s.setField(inc, c.actor, req.FieldName, v, clear); err != nil {
		return nil, err
	}
	s.addAudit(c.actor, "field_reset", json.RawMessage(c.body), c.requestID)
	return nil, nil
}

// batchRequest is the body of the incident_ids write endpoints.
type batchRequest struct {
	IncidentIDs []string `json:"incident_ids"`
	RootCause   string   `json:"root_cause"`
	Resolution  string   `json:"resolution"`
	Reason      string   `json:"reason"`
	Minutes     int      `json:"minutes"`
	Comment     string   `json:"comment"`
	MuteReply   bool     `json:"mute_reply"`
}

// batch decodes a batch write, resolves all ids, runs check once and then
// apply on each incident, all under one lock.
func (s *Server) batch(c *apiCall, op string, check func(*batchRequest) *apiError, apply func(*incident, int64, *batchRequest) *apiError) (any, *apiError) {
	var req batchRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if check != nil {
		if err := check(&req); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	incs, err := s.getAll(req.IncidentIDs)
	if err != nil {
		return nil, err
	}
	actor := c.actor
	for _, inc := range incs {
		if err := apply(inc, actor, &req); err != nil {
			return nil, err
		}
	}
	s.addAudit(actor, op, json.RawMessage(c.body), c.requestID)
	return nil, nil
}

func (s *Server) apiAck(c *apiCall) (any, *apiError) {
	return s.batch(c, "acknowledge", nil, func(inc *incident, actor int64, _ *batchRequest) *apiError {
		s.ack(inc, actor)
		return nil
	})
}

func (s *Server) apiUnack(c *apiCall) (any, *apiError) {
	return s.batch(c, "unacknowledge", nil, func(inc *incident, actor int64, _ *batchRequest) *apiError {
		s.unack(inc, actor)
		return nil
	})
}

func checkLen(name, v string, limit int) *apiError {
	if n := utf8.RuneCountInString(v); n > limit {
		return invalid("%s must be at most %d characters, got %d", name, limit, n)
	}
	return nil
}

func (s *Server) apiResolve(c *apiCall) (any, *apiError) {
	check := func(r *batchRequest) *apiError {
		if err := checkLen("root_cause", r.RootCause, 1024); err != nil {
			return err
		}
		return checkLen("resolution", r.Resolution, 1024)
	}
	return s.batch(c, "resolve", check, func(inc *incident, actor int64, r *batchRequest) *apiError {
		s.resolve(inc, actor, r.RootCause, r.Resolution)
		return nil
	})
}

func (s *Server) apiReopen(c *apiCall) (any, *apiError) {
	check := func(r *batchRequest) *apiError { return checkLen("reason", r.Reason, 1024) }
	return s.batch(c, "reopen", check, func(inc *incident, actor int64, r *batchRequest) *apiError {
		s.reopen(inc, actor, r.Reason)
		return nil
	})
}

func (s *Server) apiSnooze(c *apiCall) (any, *apiError) {
	check := func(r *batchRequest) *apiError {
		if r.Minutes <= 0 || r.Minutes > 1440 {
			return invalid("minutes must be between 1 and 1440, got %d", r.Minutes)
		}
		return nil
	}
	return s.batch(c, "snooze", check, func(inc *incident, actor int64, r *batchRequest) *apiError {
		return s.snooze(inc, actor, r.Minutes)
	})
}

func (s *Server) apiWake(c *apiCall) (any, *apiError) {
	return s.batch(c, "wake", nil, func(inc *incident, actor int64, _ *batchRequest) *apiError {
		s.wake(inc, actor)
		return nil
	})
}

func (s *Server) apiComment(c *apiCall) (any, *apiError) {
	check := func(r *batchRequest) *apiError {
		if err := checkLen("comment", strings.TrimSpace(r.Comment), 1024); err != nil {
			return err
		}
		if strings.TrimSpace(r.Comment) == "" {
			return invalid("comment must not be empty")
		}
		return nil
	}
	return s.batch(c, "comment", check, func(inc *incident, actor int64, r *batchRequest) *apiError {
		return s.comment(inc, actor, r.Comment, r.MuteReply)
	})
}

// assignedTo is the assigned_to of /incident/create and /incident/assign
// (reference §6.1, §6.8).
type assignedTo struct {
	Type           string   `json:"type"`
	PersonIDs      []int64  `json:"person_ids"`
	Emails         []string `json:"emails"`
	EscalateRuleID string   `json:"escalate_rule_id"`
	LayerIdx       int      `json:"layer_idx"`
	Notify         any      `json:"notify"`
}

// resolveAssignee checks an assigned_to and returns its person ids (emails
// resolved to members, unknown emails ignored) and its type. The simulator
// has no escalation rules, so an escalate_rule_id other than the zero id
// names none. The caller holds s.mu.
func (s *Server) resolveAssignee(a *assignedTo) ([]int64, string, *apiError) {
	if a.EscalateRuleID != "" && a.EscalateRuleID != noEscalateRule {
		return nil, "", invalid("escalate_rule_id %q does not exist", a.EscalateRuleID)
	}
	if len(a.PersonIDs) == 0 && len(a.Emails) == 0 {
		return nil, "", invalid("assigned_to needs person_ids, emails or escalate_rule_id")
	}
	if len(a.Emails) > 100 {
		return nil, "", invalid("emails must hold at most 100 addresses, got %d", len(a.Emails))
	}
	if err := s.checkPersons(a.PersonIDs); err != nil {
		return nil, "", err
	}
	persons := slices.Clone(a.PersonIDs)
	for _, e := range a.Emails {
		for _, id := range s.memberIDs() {
			if m := s.members[id]; id != s.opts.AccountID && strings.EqualFold(m.Email, strings.TrimSpace(e)) && !slices.Contains(persons, id) {
				persons = append(persons, id)
			}
		}
	}
	typ := a.Type
	switch typ {
	case "":
		typ = "assign"
	case "assign", "reassign":
	default:
		return nil, "", invalid("assigned_to.type must be assign or reassign, got %q", a.Type)
	}
	return persons, typ, nil
}

// memberIDs returns the person ids in ascending order (a stable order for
// resolving emails). The caller holds s.mu.
func (s *Server) memberIDs() []int64 {
	ids := make([]int64, 0, len(s.members))
	for id := range s.members {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// apiAssign serves /incident/assign: incident_id or incident_ids (1–100)
// and assigned_to. The persons become the incident's assignment and are
// added to its responders; the feed records i_assign.
func (s *Server) apiAssign(c *apiCall) (any, *apiError) {
	var req struct {
		IncidentID  string      `json:"incident_id"`
		IncidentIDs []string    `json:"incident_ids"`
		AssignedTo  *assignedTo `json:"assigned_to"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.AssignedTo == nil {
		return nil, invalid("assigned_to is required")
	}
	ids := req.IncidentIDs
	if req.IncidentID != "" {
		ids = append([]string{req.IncidentID}, ids...)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	persons, typ, err := s.resolveAssignee(req.AssignedTo)
	if err != nil {
		return nil, err
	}
	incs, err := s.getAll(ids)
	if err != nil {
		return nil, err
	}
	for _, inc := range incs {
		s.assign(inc, c.actor, persons, typ, true)
	}
	s.addAudit(c.actor, "assign", json.RawMessage(c.body), c.requestID)
	return nil, nil
}

// apiResponderAdd serves /incident/responder/add: incident_id and
// person_ids (1–100) become responders (those already responding stay as
// they are); the feed records i_a_rspd.
func (s *Server) apiResponderAdd(c *apiCall) (any, *apiError) {
	var req struct {
		IncidentID string  `json:"incident_id"`
		PersonIDs  []int64 `json:"person_ids"`
		Notify     any     `json:"notify"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if len(req.PersonIDs) == 0 {
		return nil, invalid("person_ids is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkPersons(req.PersonIDs); err != nil {
		return nil, err
	}
	inc, err := s.get(req.IncidentID)
	if err != nil {
		return nil, err
	}
	now := s.now().Unix()
	added := []int64{}
	for _, id := range req.PersonIDs {
		if !slices.ContainsFunc(inc.Responders, func(r Responder) bool { return r.PersonID == id }) {
			inc.Responders = append(inc.Responders, Responder{PersonID: id, AssignedAt: now})
			added = append(added, id)
		}
	}
	s.touch(inc)
	s.addFeed(inc, "i_a_rspd", c.actor, map[string]any{"person_ids": added})
	s.addAudit(c.actor, "responder_add", json.RawMessage(c.body), c.requestID)
	return nil, nil
}

// apiMerge serves /incident/merge: every source is closed by the caller
// (or, with remove_source_incidents, deleted) after an i_merge entry naming
// the target; the target gets the comment, if any, as an i_comm. The
// sources' alerts and responders are not moved (the simulator's choice).
func (s *Server) apiMerge(c *apiCall) (any, *apiError) {
	var req struct {
		SourceIDs []string `json:"source_incident_ids"`
		TargetID  string   `json:"target_incident_id"`
		Title     *string  `json:"title"`
		Comment   string   `json:"comment"`
		OwnerID   int64    `json:"owner_id"`
		Remove    bool     `json:"remove_source_incidents"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.TargetID == "" {
		return nil, invalid("target_incident_id is required")
	}
	if slices.Contains(req.SourceIDs, req.TargetID) {
		return nil, invalid("target_incident_id must not be one of source_incident_ids")
	}
	if err := checkLen("comment", strings.TrimSpace(req.Comment), 1024); err != nil {
		return nil, err
	}
	if req.Title != nil {
		if n := utf8.RuneCountInString(*req.Title); n < 3 || n > 200 {
			return nil, invalid("title must be 3 to 200 characters, got %d", n)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	target, err := s.get(req.TargetID)
	if err != nil {
		return nil, err
	}
	sources, err := s.getAll(req.SourceIDs)
	if err != nil {
		return nil, err
	}
	for _, src := range sources {
		s.addFeed(src, "i_merge", c.actor, map[string]any{"target_incident": target.IncidentID})
		if req.Remove {
			s.remove(src)
			continue
		}
		s.resolve(src, c.actor, "", "")
	}
	if req.Title != nil && *req.Title != target.Title {
		if err := s.edit(target, c.actor, Edit{Title: req.Title}); err != nil {
			return nil, err
		}
	}
	if strings.TrimSpace(req.Comment) != "" {
		if err := s.comment(target, c.actor, req.Comment, false); err != nil {
			return nil, err
		}
	}
	s.touch(target)
	s.addAudit(c.actor, "merge", json.RawMessage(c.body), c.requestID)
	return nil, nil
}

// apiRemove serves /incident/remove: the incidents are deleted for good
// (afterwards unknown: ResourceNotFound, absent from lists).
func (s *Server) apiRemove(c *apiCall) (any, *apiError) {
	return s.batch(c, "remove", nil, func(inc *incident, _ int64, _ *batchRequest) *apiError {
		s.remove(inc)
		return nil
	})
}
