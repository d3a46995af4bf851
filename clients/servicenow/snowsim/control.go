package snowsim

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/snowduty/snowduty/clients/internal/simkit"
)

// ErrNotFound is returned by control methods for an unknown incident.
var ErrNotFound = errors.New("no such incident")

// Credentials are what a client needs to log in to the simulator.
type Credentials struct {
	User         string `json:"user"`
	Password     string `json:"password"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// Credentials returns the integration user's login and the OAuth client.
func (s *Server) Credentials() Credentials {
	c := Credentials{User: s.opts.IntegrationUser, ClientID: s.opts.ClientID, ClientSecret: s.opts.ClientSecret}
	for _, u := range s.opts.Users {
		if u.UserName == c.User {
			c.Password = u.Password
		}
	}
	return c
}

// User returns a user by user_name.
func (s *Server) User(userName string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[userName]
	if u == nil {
		return User{}, false
	}
	return *u, true
}

// Now returns the simulated time (whole seconds, UTC).
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}

// SetClock freezes the clock at t. Everything written until the clock
// moves shares t's second.
func (s *Server) SetClock(t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kit.Clock.Set(t.UTC())
	s.autoClose()
}

// Advance moves the clock forward by d (frozen or live) and returns the
// new time.
func (s *Server) Advance(d time.Duration) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kit.Clock.Advance(d)
	s.autoClose()
	return s.now()
}

func (s *Server) actor(as string) (*User, error) {
	if as == "" {
		as = Alice
	}
	u := s.users[as]
	if u == nil {
		return nil, fmt.Errorf("act as %q: no such user; use one of %s", as, strings.Join(slices.Sorted(maps.Keys(s.users)), ", "))
	}
	return u, nil
}

func controlError(op string, aerr *apiError) error {
	return fmt.Errorf("%s: %s: %s", op, aerr.message, strings.Join(strings.Fields(aerr.detail), " "))
}

// CreateIncident creates an incident as the named user (empty means Alice),
// with the same defaults, business rules and data policies as the Table
// API. It returns the raw record.
func (s *Server) CreateIncident(as string, fields map[string]string) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.actor(as)
	if err != nil {
		return nil, err
	}
	rec, aerr := s.createIncident(u, fields)
	if aerr != nil {
		return nil, controlError("create incident", aerr)
	}
	return cloneFields(rec.f), nil
}

// CreateIncidents creates n incidents as the named user, all stamped with
// the same second (even on a live clock), and returns their sys_ids in
// creation order. It is how tests make hundreds of rows share one
// sys_updated_on.
func (s *Server) CreateIncidents(as string, n int, fields map[string]string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.actor(as)
	if err != nil {
		return nil, err
	}
	defer s.kit.Clock.Hold()()
	ids := make([]string, 0, n)
	for i := range n {
		f := cloneFields(fields)
		if f["short_description"] == "" {
			f["short_description"] = fmt.Sprintf("Simulated incident %d", i+1)
		}
		rec, aerr := s.createIncident(u, f)
		if aerr != nil {
			return ids, controlError("create incidents", aerr)
		}
		ids = append(ids, rec.f["sys_id"])
	}
	return ids, nil
}

// UpdateIncident changes an incident as the named user, like a person
// saving the form: business rules and data policies apply; closed
// incidents may be edited. It returns the raw record.
func (s *Server) UpdateIncident(as, sysID string, fields map[string]string) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.actor(as)
	if err != nil {
		return nil, err
	}
	rec := s.tables["incident"].rows[sysID]
	if rec == nil {
		return nil, fmt.Errorf("update incident %s: %w", sysID, ErrNotFound)
	}
	if aerr := s.updateIncident(u, rec, fields, false); aerr != nil {
		return nil, controlError("update incident", aerr)
	}
	return cloneFields(rec.f), nil
}

// AddComment appends an Additional comment as the named user.
func (s *Server) AddComment(as, sysID, text string) error {
	_, err := s.UpdateIncident(as, sysID, map[string]string{"comments": text})
	return err
}

// AddWorkNote appends a Work note as the named user.
func (s *Server) AddWorkNote(as, sysID, text string) error {
	_, err := s.UpdateIncident(as, sysID, map[string]string{"work_notes": text})
	return err
}

// Incident returns a copy of an incident's raw record.
func (s *Server) Incident(sysID string) (map[string]string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.tables["incident"].rows[sysID]
	if rec == nil {
		return nil, false
	}
	return cloneFields(rec.f), true
}

// IncidentCount returns how many incidents exist.
func (s *Server) IncidentCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tables["incident"].rows)
}

// Journal returns an incident's journal rows (sys_journal_field), oldest
// first.
func (s *Server) Journal(sysID string) []map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]map[string]string, 0, len(s.journalBy[sysID]))
	for _, r := range s.journalBy[sysID] {
		out = append(out, cloneFields(r.f))
	}
	return out
}

// Hide makes a row invisible to non-admin API users (a row-level read
// ACL): lists skip it after sysparm_limit is applied, reads answer 404.
func (s *Server) Hide(table, sysID string) error {
	return s.setHidden(table, sysID, true)
}

// Unhide undoes Hide.
func (s *Server) Unhide(table, sysID string) error {
	return s.setHidden(table, sysID, false)
}

func (s *Server) setHidden(table, sysID string, hide bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tables[table]
	if t == nil || t.rows[sysID] == nil {
		return fmt.Errorf("hide %s/%s: no such row", table, sysID)
	}
	if hide {
		t.hidden[sysID] = true
	} else {
		delete(t.hidden, sysID)
	}
	return nil
}

// HideField makes a column invisible to non-admin API users (a field-level
// read ACL): it is omitted from answers, and queries on it are refused
// with 403.
func (s *Server) HideField(table, column string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hiddenFields[table+"."+column] = true
}

// TableDenial is how a hardened instance refuses a table's reads to a
// user without the role its read ACL asks for.
type TableDenial string

// The ways a table's reads can be refused.
const (
	// DenyForbidden answers every read of the table with 403.
	DenyForbidden TableDenial = "forbidden"
	// DenyRows hides every row, present and future, from lists (200 with
	// no rows) and single reads (404), as a row-level read ACL does.
	DenyRows TableDenial = "rows"
	// DenyNone lifts an earlier denial.
	DenyNone TableDenial = ""
)

// DenyTable refuses reads of a table to non-admin API users, e.g.
// DenyTable("sys_journal_field", DenyForbidden) for an instance where
// reading journal entries needs more than itil. Writes are unaffected.
func (s *Server) DenyTable(table string, how TableDenial) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if how == DenyNone {
		delete(s.deniedTables, table)
		return
	}
	s.deniedTables[table] = how
}

// ExpireTokens invalidates every OAuth access token, as if they had all
// expired; refresh tokens stay valid.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

// InjectFault queues a fault for the next matching requests (Count of
// them, after Skip).
func (s *Server) InjectFault(f Fault) error {
	if err := f.validate(); err != nil {
		return err
	}
	f.Count = max(f.Count, 1)
	return s.kit.Faults.Add(f.match(), f)
}

// Faults returns the faults still queued, with the Count and Skip they
// have left.
func (s *Server) Faults() []Fault {
	pending := s.kit.Faults.Pending()
	out := make([]Fault, 0, len(pending))
	for _, p := range pending {
		f := p.Fault
		f.Count, f.Skip = p.Match.Count, p.Match.Skip
		out = append(out, f)
	}
	return out
}

// ClearFaults drops every queued fault.
func (s *Server) ClearFaults() { s.kit.Faults.Clear() }

// maxRequestLog bounds the request log.
const maxRequestLog = 2000

// Request is one API request the server answered.
type Request = simkit.Request

// Calls returns the number of API requests per "METHOD endpoint", where a
// sys_id in the path reads {sys_id} ("GET /api/now/table/incident/{sys_id}").
func (s *Server) Calls() map[string]int { return s.kit.Calls.Calls() }

// Count returns Calls()[method+" "+endpoint].
func (s *Server) Count(method, endpoint string) int { return s.kit.Calls.Count(method, endpoint) }

// Requests returns the last API requests (at most 2000), oldest first.
func (s *Server) Requests() []Request { return s.kit.Calls.Requests() }

// ResetCalls zeroes the counters and the request log.
func (s *Server) ResetCalls() { s.kit.Calls.Reset() }

// Dump is the whole state of a Server, for debugging and demos.
type Dump struct {
	Now       string              `json:"now"`
	Frozen    bool                `json:"frozen"`
	Incidents []map[string]string `json:"incidents"`
	Journal   []map[string]string `json:"journal"`
	Hidden    []string            `json:"hidden"`
	Faults    []Fault             `json:"faults"`
	Calls     map[string]int      `json:"calls"`
}

// Dump returns a copy of the state: incidents by number, journal rows by
// creation, hidden rows as table/sys_id.
func (s *Server) Dump() Dump {
	s.mu.Lock()
	d := Dump{Now: s.stamp(), Frozen: s.kit.Clock.Frozen(), Calls: s.kit.Calls.Calls(), Hidden: []string{}}
	inc := s.tables["incident"]
	for _, r := range inc.rows {
		d.Incidents = append(d.Incidents, cloneFields(r.f))
	}
	jr := make([]*record, 0, len(s.tables["sys_journal_field"].rows))
	for _, r := range s.tables["sys_journal_field"].rows {
		jr = append(jr, &record{seq: r.seq, f: cloneFields(r.f)})
	}
	for name, t := range s.tables {
		for id := range t.hidden {
			d.Hidden = append(d.Hidden, name+"/"+id)
		}
	}
	s.mu.Unlock()
	d.Faults = s.Faults()
	sort.Slice(d.Incidents, func(i, j int) bool { return d.Incidents[i]["number"] < d.Incidents[j]["number"] })
	sort.Slice(jr, func(i, j int) bool { return jr[i].seq < jr[j].seq })
	for _, r := range jr {
		d.Journal = append(d.Journal, r.f)
	}
	sort.Strings(d.Hidden)
	return d
}

// Reset restores the state New built (clock, data, faults, counters).
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reset()
}
