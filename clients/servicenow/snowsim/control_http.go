package snowsim

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"
)

// buildControl registers the HTTP control API under ControlPrefix. Every
// endpoint mirrors a Go method of Server.
func (s *Server) buildControl() {
	m := http.NewServeMux()
	m.HandleFunc("GET /_sim/{$}", s.ctlIndex)
	m.HandleFunc("GET /_sim/credentials", func(w http.ResponseWriter, _ *http.Request) { ctlJSON(w, http.StatusOK, s.Credentials()) })
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
	m.HandleFunc("GET /_sim/faults", func(w http.ResponseWriter, _ *http.Request) { ctlJSON(w, http.StatusOK, s.Faults()) })
	m.HandleFunc("POST /_sim/faults", s.ctlFault)
	m.HandleFunc("DELETE /_sim/faults", func(w http.ResponseWriter, _ *http.Request) { s.ClearFaults(); w.WriteHeader(http.StatusNoContent) })
	m.HandleFunc("GET /_sim/calls", func(w http.ResponseWriter, _ *http.Request) { ctlJSON(w, http.StatusOK, s.Calls()) })
	m.HandleFunc("DELETE /_sim/calls", func(w http.ResponseWriter, _ *http.Request) { s.ResetCalls(); w.WriteHeader(http.StatusNoContent) })
	m.HandleFunc("POST /_sim/tokens/expire", func(w http.ResponseWriter, _ *http.Request) { s.ExpireTokens(); w.WriteHeader(http.StatusNoContent) })
	m.HandleFunc("GET /_sim/dump", func(w http.ResponseWriter, _ *http.Request) { ctlJSON(w, http.StatusOK, s.Dump()) })
	m.HandleFunc("POST /_sim/reset", func(w http.ResponseWriter, _ *http.Request) { s.Reset(); w.WriteHeader(http.StatusNoContent) })
	m.HandleFunc("/_sim/", func(w http.ResponseWriter, _ *http.Request) {
		ctlError(w, http.StatusNotFound, errors.New("unknown control endpoint; GET /_sim/ lists them"))
	})
	s.ctl = m
}

func ctlJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func ctlError(w http.ResponseWriter, status int, err error) {
	ctlJSON(w, status, map[string]string{"error": err.Error()})
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		ctlError(w, http.StatusBadRequest, errors.New("read control request: "+err.Error()))
		return false
	}
	return true
}

func (s *Server) ctlIndex(w http.ResponseWriter, _ *http.Request) {
	ctlJSON(w, http.StatusOK, map[string]any{
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
			`POST /_sim/faults {"kind":"rate_limit","times":2,"retry_after":3}; GET, DELETE /_sim/faults`,
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
	if !decode(w, r, &in) {
		return
	}
	rec, err := s.CreateIncident(in.As, in.Fields)
	if err != nil {
		ctlError(w, writeStatus(err), err)
		return
	}
	ctlJSON(w, http.StatusCreated, rec)
}

func (s *Server) ctlBulk(w http.ResponseWriter, r *http.Request) {
	var in ctlWrite
	if !decode(w, r, &in) {
		return
	}
	if in.Count < 1 || in.Count > 100000 {
		ctlError(w, http.StatusBadRequest, errors.New("create incidents: count must be between 1 and 100000"))
		return
	}
	ids, err := s.CreateIncidents(in.As, in.Count, in.Fields)
	if err != nil {
		ctlError(w, writeStatus(err), err)
		return
	}
	ctlJSON(w, http.StatusCreated, map[string]any{"sys_ids": ids})
}

func (s *Server) ctlGet(w http.ResponseWriter, r *http.Request) {
	rec, ok := s.Incident(r.PathValue("id"))
	if !ok {
		ctlError(w, http.StatusNotFound, ErrNotFound)
		return
	}
	ctlJSON(w, http.StatusOK, map[string]any{"incident": rec, "journal": s.Journal(r.PathValue("id"))})
}

func (s *Server) ctlUpdate(w http.ResponseWriter, r *http.Request) {
	var in ctlWrite
	if !decode(w, r, &in) {
		return
	}
	rec, err := s.UpdateIncident(in.As, r.PathValue("id"), in.Fields)
	if err != nil {
		ctlError(w, writeStatus(err), err)
		return
	}
	ctlJSON(w, http.StatusOK, rec)
}

func (s *Server) ctlJournal(element string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in ctlWrite
		if !decode(w, r, &in) {
			return
		}
		if strings.TrimSpace(in.Text) == "" {
			ctlError(w, http.StatusBadRequest, errors.New("add journal entry: text must not be empty"))
			return
		}
		rec, err := s.UpdateIncident(in.As, r.PathValue("id"), map[string]string{element: in.Text})
		if err != nil {
			ctlError(w, writeStatus(err), err)
			return
		}
		ctlJSON(w, http.StatusCreated, map[string]any{"incident": rec, "journal": s.Journal(r.PathValue("id"))})
	}
}

func (s *Server) ctlHide(hide bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Table string `json:"table"`
			SysID string `json:"sys_id"`
		}
		if !decode(w, r, &in) {
			return
		}
		if in.Table == "" {
			in.Table = "incident"
		}
		if err := s.setHidden(in.Table, in.SysID, hide); err != nil {
			ctlError(w, http.StatusNotFound, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) ctlClockGet(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	now, frozen := s.now(), s.frozen
	s.mu.Unlock()
	ctlJSON(w, http.StatusOK, map[string]any{"now": now.Format(internalLayout), "frozen": frozen})
}

func (s *Server) ctlClockSet(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Set     string `json:"set"`
		Advance string `json:"advance"`
	}
	if !decode(w, r, &in) {
		return
	}
	if in.Set != "" {
		t, err := time.Parse(internalLayout, in.Set)
		if err != nil {
			if t, err = time.Parse(time.RFC3339, in.Set); err != nil {
				ctlError(w, http.StatusBadRequest, errors.New(`set clock: write the time as "2026-01-02 15:04:05" (UTC) or RFC 3339`))
				return
			}
		}
		s.SetClock(t)
	}
	if in.Advance != "" {
		d, err := time.ParseDuration(in.Advance)
		if err != nil || d < 0 {
			ctlError(w, http.StatusBadRequest, errors.New(`advance clock: write a positive Go duration such as "90s" or "2h"`))
			return
		}
		s.Advance(d)
	}
	s.ctlClockGet(w, r)
}

func (s *Server) ctlFault(w http.ResponseWriter, r *http.Request) {
	var f Fault
	if !decode(w, r, &f) {
		return
	}
	if err := s.InjectFault(f); err != nil {
		ctlError(w, http.StatusBadRequest, err)
		return
	}
	ctlJSON(w, http.StatusCreated, s.Faults())
}
