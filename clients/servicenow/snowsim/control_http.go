package snowsim

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/snowduty/snowduty/clients/internal/simkit"
)

// control is the style of this control API: indented answers, 204 for
// answers without a result, strict bodies.
var control = simkit.Control{Pretty: true, NoContent: true, Hint: "GET /_sim/ lists them"}

// controlMux is the HTTP control API under ControlPrefix. Every endpoint
// mirrors a Go method of Server.
func (s *Server) controlMux() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("GET /_sim/{$}", s.ctlIndex)
	m.HandleFunc("GET /_sim/credentials", control.Get(func() any { return s.Credentials() }))
	m.HandleFunc("POST /_sim/incidents", s.ctlCreate)
	m.HandleFunc("POST /_sim/incidents/bulk", s.ctlBulk)
	m.HandleFunc("GET /_sim/incidents/{id}", s.ctlGet)
	m.HandleFunc("PATCH /_sim/incidents/{id}", s.ctlUpdate)
	m.HandleFunc("POST /_sim/incidents/{id}/comments", s.ctlJournal("comments"))
	m.HandleFunc("POST /_sim/incidents/{id}/work_notes", s.ctlJournal("work_notes"))
	m.HandleFunc("POST /_sim/acl/hide", s.ctlHide(true))
	m.HandleFunc("POST /_sim/acl/unhide", s.ctlHide(false))
	m.HandleFunc("GET /_sim/clock", s.ctlClockGet)
	m.HandleFunc("POST /_sim/clock", s.ctlClockSet)
	m.HandleFunc("GET /_sim/faults", control.Get(func() any { return s.Faults() }))
	m.HandleFunc("POST /_sim/faults", s.ctlFault)
	m.HandleFunc("DELETE /_sim/faults", control.Func(s.ClearFaults))
	m.HandleFunc("GET /_sim/calls", control.Get(func() any { return s.Calls() }))
	m.HandleFunc("DELETE /_sim/calls", control.Func(s.ResetCalls))
	m.HandleFunc("POST /_sim/tokens/expire", control.Func(s.ExpireTokens))
	m.HandleFunc("GET /_sim/dump", control.Get(func() any { return s.Dump() }))
	m.HandleFunc("POST /_sim/reset", control.Func(s.Reset))
	m.HandleFunc("/_sim/", control.NotFound)
	return m
}

func (s *Server) ctlIndex(w http.ResponseWriter, _ *http.Request) {
	control.JSON(w, http.StatusOK, map[string]any{
		"credentials": s.Credentials(),
		"endpoints": []string{
			"GET /_sim/credentials",
			`POST /_sim/incidents {"as":"alice","fields":{...}}`,
			`POST /_sim/incidents/bulk {"as":"alice","count":250,"fields":{...}}  (all in one second)`,
			"GET /_sim/incidents/{sys_id}  (record and journal)",
			`PATCH /_sim/incidents/{sys_id} {"as":"alice","fields":{...}}`,
			`POST /_sim/incidents/{sys_id}/comments {"as":"alice","text":"..."}`,
			`POST /_sim/incidents/{sys_id}/work_notes {"as":"alice","text":"..."}`,
			`POST /_sim/acl/hide {"table":"incident","sys_id":"..."}  (and /_sim/acl/unhide)`,
			`GET /_sim/clock, POST /_sim/clock {"set":"2026-01-02 03:04:05"} or {"advance":"90s"}`,
			`POST /_sim/faults {"kind":"rate_limit","method":"GET","path":"/api/now/table/incident","count":2,"skip":0,"retry_after":"3s"}; GET, DELETE /_sim/faults`,
			"GET /_sim/calls, DELETE /_sim/calls",
			"POST /_sim/tokens/expire",
			"GET /_sim/dump, POST /_sim/reset",
		},
		"fault_kinds": []FaultKind{FaultRateLimit, FaultServerError, FaultUnavailable, FaultHibernating, FaultLoginPage, FaultPartialResult, FaultEmpty202, FaultSlow},
	})
}

type ctlWrite struct {
	As     string            `json:"as"`
	Fields map[string]string `json:"fields"`
	Count  int               `json:"count"`
	Text   string            `json:"text"`
}

func writeStatus(err error) int {
	if errors.Is(err, ErrNotFound) {
		return http.StatusNotFound
	}
	return http.StatusUnprocessableEntity
}

func (s *Server) ctlCreate(w http.ResponseWriter, r *http.Request) {
	var in ctlWrite
	if !control.Decode(w, r, &in) {
		return
	}
	rec, err := s.CreateIncident(in.As, in.Fields)
	if err != nil {
		control.Error(w, writeStatus(err), err)
		return
	}
	control.JSON(w, http.StatusCreated, rec)
}

func (s *Server) ctlBulk(w http.ResponseWriter, r *http.Request) {
	var in ctlWrite
	if !control.Decode(w, r, &in) {
		return
	}
	if in.Count < 1 || in.Count > 100000 {
		control.Error(w, http.StatusBadRequest, errors.New("create incidents: count must be between 1 and 100000"))
		return
	}
	ids, err := s.CreateIncidents(in.As, in.Count, in.Fields)
	if err != nil {
		control.Error(w, writeStatus(err), err)
		return
	}
	control.JSON(w, http.StatusCreated, map[string]any{"sys_ids": ids})
}

func (s *Server) ctlGet(w http.ResponseWriter, r *http.Request) {
	rec, ok := s.Incident(r.PathValue("id"))
	if !ok {
		control.Error(w, http.StatusNotFound, ErrNotFound)
		return
	}
	control.JSON(w, http.StatusOK, map[string]any{"incident": rec, "journal": s.Journal(r.PathValue("id"))})
}

func (s *Server) ctlUpdate(w http.ResponseWriter, r *http.Request) {
	var in ctlWrite
	if !control.Decode(w, r, &in) {
		return
	}
	rec, err := s.UpdateIncident(in.As, r.PathValue("id"), in.Fields)
	if err != nil {
		control.Error(w, writeStatus(err), err)
		return
	}
	control.JSON(w, http.StatusOK, rec)
}

func (s *Server) ctlJournal(element string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in ctlWrite
		if !control.Decode(w, r, &in) {
			return
		}
		if strings.TrimSpace(in.Text) == "" {
			control.Error(w, http.StatusBadRequest, errors.New("add journal entry: text must not be empty"))
			return
		}
		rec, err := s.UpdateIncident(in.As, r.PathValue("id"), map[string]string{element: in.Text})
		if err != nil {
			control.Error(w, writeStatus(err), err)
			return
		}
		control.JSON(w, http.StatusCreated, map[string]any{"incident": rec, "journal": s.Journal(r.PathValue("id"))})
	}
}

func (s *Server) ctlHide(hide bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Table string `json:"table"`
			SysID string `json:"sys_id"`
		}
		if !control.Decode(w, r, &in) {
			return
		}
		if in.Table == "" {
			in.Table = "incident"
		}
		if err := s.setHidden(in.Table, in.SysID, hide); err != nil {
			control.Error(w, http.StatusNotFound, err)
			return
		}
		control.Done(w)
	}
}

func (s *Server) ctlClockGet(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	now, frozen := s.now(), s.kit.Clock.Frozen()
	s.mu.Unlock()
	control.JSON(w, http.StatusOK, map[string]any{"now": now.Format(internalLayout), "frozen": frozen})
}

func (s *Server) ctlClockSet(w http.ResponseWriter, r *http.Request) {
	var in simkit.ClockChange
	if !control.Decode(w, r, &in) {
		return
	}
	if err := in.Apply(s.SetClock, func(d time.Duration) { s.Advance(d) }, false); err != nil {
		control.Error(w, http.StatusBadRequest, err)
		return
	}
	s.ctlClockGet(w, r)
}

func (s *Server) ctlFault(w http.ResponseWriter, r *http.Request) {
	var f Fault
	if !control.Decode(w, r, &f) {
		return
	}
	if err := s.InjectFault(f); err != nil {
		control.Error(w, http.StatusBadRequest, err)
		return
	}
	control.JSON(w, http.StatusCreated, s.Faults())
}
