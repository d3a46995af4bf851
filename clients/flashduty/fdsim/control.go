package fdsim

import (
	"errors"
	"fmt"
	"sort"
	"time"
)

// The control API as Go methods: what a test or the demo does to the
// simulated Flashduty outside the Open API. Methods that act "as a member"
// take the member id of a human (Options.Members) or of the key owner; the
// change is recorded with that creator_id, exactly as if the person had
// used the console.

// ControlError is an error of the control API or of an act as a member:
// the same code and message the Open API would answer with.
type ControlError struct {
	Code    string
	Message string
}

// Error returns the code and message.
func (e *ControlError) Error() string { return "fdsim: " + e.Code + ": " + e.Message }

func asError(e *apiError) error {
	if e == nil {
		return nil
	}
	return &ControlError{Code: e.Code, Message: e.Message}
}

// IsNotFound reports whether err says the incident does not exist.
func IsNotFound(err error) bool {
	var ce *ControlError
	return errors.As(err, &ce) && ce.Code == "ResourceNotFound"
}

// CreateIncident creates an incident as an alert would (CreatorID 0) or as
// a member would, with labels, fields, channel and start time.
func (s *Server) CreateIncident(spec IncidentSpec) (Incident, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inc, err := s.create(spec, "")
	if err != nil {
		return Incident{}, asError(err)
	}
	return inc.clone(), nil
}

// act runs fn on incident id as member, which must be a known member.
func (s *Server) act(member int64, id string, op string, fn func(*incident) *apiError) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.members[member]; !ok {
		return fmt.Errorf("fdsim: act as member %d: not a member of the account", member)
	}
	inc, err := s.get(id)
	if err != nil {
		return asError(err)
	}
	if err := fn(inc); err != nil {
		return asError(err)
	}
	s.addAudit(member, op, map[string]any{"incident_ids": []string{id}}, "")
	return nil
}

// Ack acknowledges the incident as member.
func (s *Server) Ack(member int64, id string) error {
	return s.act(member, id, "acknowledge", func(inc *incident) *apiError { s.ack(inc, member); return nil })
}

// Unack withdraws member's acknowledgement.
func (s *Server) Unack(member int64, id string) error {
	return s.act(member, id, "unacknowledge", func(inc *incident) *apiError { s.unack(inc, member); return nil })
}

// Snooze snoozes the incident for minutes (1–1440) as member.
func (s *Server) Snooze(member int64, id string, minutes int) error {
	return s.act(member, id, "snooze", func(inc *incident) *apiError { return s.snooze(inc, member, minutes) })
}

// Wake ends a snooze as member.
func (s *Server) Wake(member int64, id string) error {
	return s.act(member, id, "wake", func(inc *incident) *apiError { s.wake(inc, member); return nil })
}

// Close resolves the incident as member.
func (s *Server) Close(member int64, id, rootCause, resolution string) error {
	return s.act(member, id, "resolve", func(inc *incident) *apiError {
		if err := checkLen("root_cause", rootCause, 1024); err != nil {
			return err
		}
		if err := checkLen("resolution", resolution, 1024); err != nil {
			return err
		}
		s.resolve(inc, member, rootCause, resolution)
		return nil
	})
}

// Reopen reopens a closed incident as member.
func (s *Server) Reopen(member int64, id, reason string) error {
	return s.act(member, id, "reopen", func(inc *incident) *apiError { s.reopen(inc, member, reason); return nil })
}

// Comment adds a comment as member (trimmed, at most 1024 characters).
func (s *Server) Comment(member int64, id, text string) error {
	return s.act(member, id, "comment", func(inc *incident) *apiError { return s.comment(inc, member, text, false) })
}

// EditIncident changes title, description or severity as member, with the
// same rules as /incident/reset.
func (s *Server) EditIncident(member int64, id string, e Edit) error {
	return s.act(member, id, "reset", func(inc *incident) *apiError { return s.edit(inc, member, e) })
}

// SetField sets a custom field as member; a nil value clears it.
func (s *Server) SetField(member int64, id, name string, value any) error {
	return s.act(member, id, "field_reset", func(inc *incident) *apiError {
		return s.setField(inc, member, name, value, value == nil)
	})
}

// AutoClose closes the incident as the system (closer_id 0, feed
// i_rslv from autorslv), as when all alerts recover or the channel's
// auto-close timeout fires.
func (s *Server) AutoClose(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	inc, err := s.get(id)
	if err != nil {
		return asError(err)
	}
	s.resolve(inc, 0, "", "")
	return nil
}

// Incident returns a copy of the incident, as /incident/info would.
func (s *Server) Incident(id string) (Incident, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inc, err := s.get(id)
	if err != nil {
		return Incident{}, false
	}
	return inc.clone(), true
}

// Feed returns the incident's whole timeline, oldest first.
func (s *Server) Feed(id string) ([]FeedItem, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inc, err := s.get(id)
	if err != nil {
		return nil, false
	}
	return append([]FeedItem(nil), inc.feed...), true
}

// Dump is the whole simulated state.
type Dump struct {
	Now       time.Time             `json:"now"`
	Incidents []Incident            `json:"incidents"` // by start time, then id
	Feeds     map[string][]FeedItem `json:"feeds"`
	Calls     map[string]int        `json:"calls"`
	Faults    int                   `json:"faults_pending"`
}

// Dump returns a copy of the whole state.
func (s *Server) Dump() Dump {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := Dump{Now: s.now(), Incidents: make([]Incident, 0, len(s.byStart)), Feeds: map[string][]FeedItem{}, Calls: map[string]int{}}
	for _, inc := range s.byStart {
		s.settle(inc)
		d.Incidents = append(d.Incidents, inc.clone())
		d.Feeds[inc.IncidentID] = append([]FeedItem(nil), inc.feed...)
	}
	for k, v := range s.calls {
		d.Calls[k] = v
	}
	for _, f := range s.faults {
		d.Faults += f.Count
	}
	return d
}

// IncidentIDs returns every incident id, sorted.
func (s *Server) IncidentIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.incidents))
	for id := range s.incidents {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Reset drops every incident, fault, count and clock change and returns to
// the state New built (ids restart from the seed).
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reset()
}
