package fdsim

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// The Open API write handlers. Each acts as the app key's member, checks the
// whole request before changing anything, and answers with an empty data.

func (s *Server) apiCreate(c *apiCall) (any, *apiError) {
	var req struct {
		Severity    string         `json:"incident_severity"`
		Title       string         `json:"title"`
		Description string         `json:"description"`
		ChannelID   int64          `json:"channel_id"`
		Fields      map[string]any `json:"fields"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.Severity == "" {
		return nil, invalid("incident_severity is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	inc, err := s.create(IncidentSpec{Title: req.Title, Description: req.Description, Severity: req.Severity,
		ChannelID: req.ChannelID, Fields: req.Fields, CreatorID: s.opts.KeyMember.MemberID}, c.requestID)
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
	if err := s.edit(inc, s.opts.KeyMember.MemberID, req.Edit); err != nil {
		return nil, err
	}
	s.addAudit(s.opts.KeyMember.MemberID, "reset", json.RawMessage(c.body), c.requestID)
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
	if err := s.setField(inc, s.opts.KeyMember.MemberID, req.FieldName, v, clear); err != nil {
		return nil, err
	}
	s.addAudit(s.opts.KeyMember.MemberID, "field_reset", json.RawMessage(c.body), c.requestID)
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
	actor := s.opts.KeyMember.MemberID
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
