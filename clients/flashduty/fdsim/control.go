package fdsim

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// The control API as Go methods: what a test or the demo does to the
// simulated Flashduty outside the Open API. Methods that act "as" a member
// take its user name, as snowsim's take a ServiceNow user name: Alice or
// Bob (Options.Members) or DefaultKeyUser (the key owner). The change is
// recorded with that member's id as creator_id, exactly as if the person
// had used the console.

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

// CreateIncident creates an incident as an alert would (spec.As empty:
// creator_id 0) or as a member would, with labels, fields, channel and
// start time.
func (s *Server) CreateIncident(spec IncidentSpec) (Incident, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var creator int64
	if spec.As != "" {
		m, err := s.member(spec.As)
		if err != nil {
			return Incident{}, err
		}
		creator = m.MemberID
	}
	inc, err := s.create(spec, creator, "")
	if err != nil {
		return Incident{}, asError(err)
	}
	return inc.clone(), nil
}

// member returns the member whose user name is as. The caller holds s.mu.
func (s *Server) member(as string) (Member, error) {
	names := make([]string, 0, len(s.members))
	for _, m := range s.members {
		if m.UserName == as && as != "" {
			return m, nil
		}
		if m.UserName != "" {
			names = append(names, m.UserName)
		}
	}
	sort.Strings(names)
	return Member{}, fmt.Errorf("fdsim: act as %q: not a member of the account; use one of %s", as, strings.Join(names, ", "))
}

// act runs fn on incident id as the member named as.
func (s *Server) act(as, id, op string, fn func(inc *incident, member int64) *apiError) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.member(as)
	if err != nil {
		return err
	}
	member := m.MemberID
	inc, aerr := s.get(id)
	if aerr != nil {
		return asError(aerr)
	}
	if aerr := fn(inc, member); aerr != nil {
		return asError(aerr)
	}
	s.addAudit(member, op, map[string]any{"incident_ids": []string{id}}, "")
	return nil
}

// Ack acknowledges the incident as the member named as.
func (s *Server) Ack(as, id string) error {
	return s.act(as, id, "acknowledge", func(inc *incident, member int64) *apiError { s.ack(inc, member); return nil })
}

// Unack withdraws the acknowledgement of the member named as.
func (s *Server) Unack(as, id string) error {
	return s.act(as, id, "unacknowledge", func(inc *incident, member int64) *apiError { s.unack(inc, member); return nil })
}

// Snooze snoozes the incident for minutes (1–1440) as the member named as.
func (s *Server) Snooze(as, id string, minutes int) error {
	return s.act(as, id, "snooze", func(inc *incident, member int64) *apiError { return s.snooze(inc, member, minutes) })
}

// Wake ends a snooze as the member named as.
func (s *Server) Wake(as, id string) error {
	return s.act(as, id, "wake", func(inc *incident, member int64) *apiError { s.wake(inc, member); return nil })
}

// Close resolves the incident as the member named as.
func (s *Server) Close(as, id, rootCause, resolution string) error {
	return s.act(as, id, "resolve", func(inc *incident, member int64) *apiError {
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

// Reopen reopens a closed incident as the member named as.
func (s *Server) Reopen(as, id, reason string) error {
	return s.act(as, id, "reopen", func(inc *incident, member int64) *apiError { s.reopen(inc, member, reason); return nil })
}

// Comment adds a comment as the member named as (trimmed, at most 1024
// characters).
func (s *Server) Comment(as, id, text string) error {
	return s.act(as, id, "comment", func(inc *incident, member int64) *apiError { return s.comment(inc, member, text, false) })
}

// EditIncident changes title, description or severity as the member
// named as, with the same rules as /incident/reset.
func (s *Server) EditIncident(as, id string, e Edit) error {
	return s.act(as, id, "reset", func(inc *incident, member int64) *apiError { return s.edit(inc, member, e) })
}

// SetField sets a custom field as the member named as; a nil value clears
// it.
func (s *Server) SetField(as, id, name string, value any) error {
	return s.act(as, id, "field_reset", func(inc *incident, member int64) *apiError {
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

// Key kinds, as the control API names them.
const (
	KeyMemberLevel  = "member"
	KeyAccountLevel = "account"
)

// MintAccountKey adds an account-level app key and returns it: a key that
// acts as the account principal, as one issued for the account rather than
// for a member does. With it /member/info answers HTTP 400 InvalidParameter
// (the real service refuses the account principal there), /account/info
// answers as for any key, and every write made with it is recorded with
// the account id (AccountID) as creator_id in the feed and as member_id in
// the audit log. An empty key mints a fresh one ("fdsim-account-key-1",
// "-2", … since the last Reset); minting an existing account key again
// returns it, and a member key cannot become one. Minted keys last until
// Reset (Options.AccountKey survives it).
func (s *Server) MintAccountKey(key string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if key == "" {
		for {
			s.minted++
			key = fmt.Sprintf("fdsim-account-key-%d", s.minted)
			if _, taken := s.keys[key]; !taken {
				break
			}
		}
	}
	if p, taken := s.keys[key]; taken {
		if p.account {
			return key, nil
		}
		return "", fmt.Errorf("fdsim: mint account key: %q is already the member key of member %d", key, p.id)
	}
	s.keys[key] = principal{id: s.opts.AccountID, account: true}
	return key, nil
}

// AppKeyInfo describes one app key the server accepts.
type AppKeyInfo struct {
	AppKey string `json:"app_key"`
	// Kind is KeyMemberLevel or KeyAccountLevel.
	Kind string `json:"kind"`
	// PersonID is who the key acts as: its member's id, or the account id
	// for an account-level key. Its writes carry it as creator_id.
	PersonID int64 `json:"person_id"`
}

// AppKeys returns every key the server accepts, sorted by key.
func (s *Server) AppKeys() []AppKeyInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]AppKeyInfo, 0, len(s.keys))
	for k, p := range s.keys {
		kind := KeyMemberLevel
		if p.account {
			kind = KeyAccountLevel
		}
		out = append(out, AppKeyInfo{AppKey: k, Kind: kind, PersonID: p.id})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].AppKey < out[j].AppKey })
	return out
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
	d := Dump{Now: s.now(), Incidents: make([]Incident, 0, len(s.byStart)), Feeds: map[string][]FeedItem{}}
	for _, inc := range s.byStart {
		s.settle(inc)
		d.Incidents = append(d.Incidents, inc.clone())
		d.Feeds[inc.IncidentID] = append([]FeedItem(nil), inc.feed...)
	}
	d.Calls = s.kit.Calls.Calls()
	for _, f := range s.kit.Faults.Pending() {
		d.Faults += f.Match.Count
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
