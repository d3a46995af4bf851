package fdsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// The control API over HTTP, under ControlPrefix. It needs no app key and
// speaks plain JSON (no envelope), so it can never be mistaken for the Open
// API:
//
//	POST   /_sim/incidents                 IncidentSpec → Incident
//	GET    /_sim/incidents                 every incident
//	GET    /_sim/incidents/{id}            {"incident", "feed"}
//	POST   /_sim/incidents/{id}/{action}   act: ack unack snooze wake close reopen comment edit field autoclose
//	GET    /_sim/clock                     {"now"}
//	POST   /_sim/clock                     {"set": RFC 3339} or {"advance": "90m"}
//	POST   /_sim/faults                    a fault (durations as "5s")
//	DELETE /_sim/faults                    drop queued faults
//	GET    /_sim/calls, DELETE /_sim/calls count per endpoint, reset counts
//	POST   /_sim/config                    {"comments_bump_updated_at": bool, "rate_limit": bool}
//	GET    /_sim/dump                      the whole state
//	POST   /_sim/reset                     back to the initial state
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	s.ctlOnce.Do(func() { s.ctl = s.controlMux() })
	s.ctl.ServeHTTP(w, r)
}

func (s *Server) controlMux() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("POST /_sim/incidents", s.ctlCreate)
	m.HandleFunc("GET /_sim/incidents", func(w http.ResponseWriter, _ *http.Request) { ctlOK(w, s.Dump().Incidents) })
	m.HandleFunc("GET /_sim/incidents/{id}", s.ctlGet)
	m.HandleFunc("POST /_sim/incidents/{id}/{action}", s.ctlAct)
	m.HandleFunc("GET /_sim/clock", func(w http.ResponseWriter, _ *http.Request) { ctlOK(w, map[string]time.Time{"now": s.Now()}) })
	m.HandleFunc("POST /_sim/clock", s.ctlClock)
	m.HandleFunc("POST /_sim/faults", s.ctlFault)
	m.HandleFunc("DELETE /_sim/faults", func(w http.ResponseWriter, _ *http.Request) { s.ClearFaults(); ctlOK(w, map[string]bool{"ok": true}) })
	m.HandleFunc("GET /_sim/calls", func(w http.ResponseWriter, _ *http.Request) { ctlOK(w, s.Calls()) })
	m.HandleFunc("DELETE /_sim/calls", func(w http.ResponseWriter, _ *http.Request) { s.ResetCalls(); ctlOK(w, map[string]bool{"ok": true}) })
	m.HandleFunc("POST /_sim/config", s.ctlConfig)
	m.HandleFunc("GET /_sim/dump", func(w http.ResponseWriter, _ *http.Request) { ctlOK(w, s.Dump()) })
	m.HandleFunc("POST /_sim/reset", func(w http.ResponseWriter, _ *http.Request) { s.Reset(); ctlOK(w, map[string]bool{"ok": true}) })
	m.HandleFunc("/_sim/", func(w http.ResponseWriter, r *http.Request) {
		ctlFail(w, http.StatusNotFound, fmt.Errorf("no control endpoint %s %s; see the fdsim package documentation", r.Method, r.URL.Path))
	})
	return m
}

func ctlOK(w http.ResponseWriter, v any) { writeJSON(w, http.StatusOK, "", v) }

func ctlFail(w http.ResponseWriter, status int, err error) {
	var ce *ControlError
	if errors.As(err, &ce) && ce.Code == "ResourceNotFound" {
		status = http.StatusNotFound
	}
	writeJSON(w, status, "", map[string]string{"error": err.Error()})
}

func ctlDecode(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	if err != nil {
		return fmt.Errorf("read control request: %w", err)
	}
	if len(b) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode control request: %w", err)
	}
	return nil
}

func (s *Server) ctlCreate(w http.ResponseWriter, r *http.Request) {
	var spec IncidentSpec
	if err := ctlDecode(r, &spec); err != nil {
		ctlFail(w, http.StatusBadRequest, err)
		return
	}
	inc, err := s.CreateIncident(spec)
	if err != nil {
		ctlFail(w, http.StatusBadRequest, err)
		return
	}
	ctlOK(w, inc)
}

func (s *Server) ctlGet(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	inc, ok := s.Incident(id)
	if !ok {
		ctlFail(w, http.StatusNotFound, fmt.Errorf("no incident %q", id))
		return
	}
	feed, _ := s.Feed(id)
	ctlOK(w, map[string]any{"incident": inc, "feed": feed})
}

// actRequest is the body of POST /_sim/incidents/{id}/{action}.
type actRequest struct {
	MemberID    int64           `json:"member_id"`
	Minutes     int             `json:"minutes"`
	Text        string          `json:"text"`
	RootCause   string          `json:"root_cause"`
	Resolution  string          `json:"resolution"`
	Reason      string          `json:"reason"`
	Title       *string         `json:"title"`
	Description *string         `json:"description"`
	Severity    *string         `json:"severity"`
	FieldName   string          `json:"field_name"`
	FieldValue  json.RawMessage `json:"field_value"`
}

func (s *Server) ctlAct(w http.ResponseWriter, r *http.Request) {
	var a actRequest
	if err := ctlDecode(r, &a); err != nil {
		ctlFail(w, http.StatusBadRequest, err)
		return
	}
	id := r.PathValue("id")
	var err error
	switch action := r.PathValue("action"); action {
	case "ack":
		err = s.Ack(a.MemberID, id)
	case "unack":
		err = s.Unack(a.MemberID, id)
	case "snooze":
		err = s.Snooze(a.MemberID, id, a.Minutes)
	case "wake":
		err = s.Wake(a.MemberID, id)
	case "close":
		err = s.Close(a.MemberID, id, a.RootCause, a.Resolution)
	case "reopen":
		err = s.Reopen(a.MemberID, id, a.Reason)
	case "comment":
		err = s.Comment(a.MemberID, id, a.Text)
	case "edit":
		err = s.EditIncident(a.MemberID, id, Edit{Title: a.Title, Description: a.Description, Severity: a.Severity})
	case "field":
		var v any
		if len(a.FieldValue) > 0 {
			if err := json.Unmarshal(a.FieldValue, &v); err != nil {
				ctlFail(w, http.StatusBadRequest, fmt.Errorf("decode field_value: %w", err))
				return
			}
		}
		err = s.SetField(a.MemberID, id, a.FieldName, v)
	case "autoclose":
		err = s.AutoClose(id)
	default:
		ctlFail(w, http.StatusNotFound, fmt.Errorf("unknown action %q: use ack, unack, snooze, wake, close, reopen, comment, edit, field or autoclose", action))
		return
	}
	if err != nil {
		ctlFail(w, http.StatusBadRequest, err)
		return
	}
	inc, _ := s.Incident(id)
	ctlOK(w, inc)
}

func (s *Server) ctlClock(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Set     time.Time `json:"set"`
		Advance string    `json:"advance"`
	}
	if err := ctlDecode(r, &req); err != nil {
		ctlFail(w, http.StatusBadRequest, err)
		return
	}
	if !req.Set.IsZero() {
		s.SetClock(req.Set)
	}
	if req.Advance != "" {
		d, err := time.ParseDuration(req.Advance)
		if err != nil {
			ctlFail(w, http.StatusBadRequest, fmt.Errorf("parse advance: %w (write it like \"90m\")", err))
			return
		}
		s.Advance(d)
	}
	ctlOK(w, map[string]time.Time{"now": s.Now()})
}

func (s *Server) ctlFault(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Fault
		RetryAfter string `json:"retry_after"`
		Delay      string `json:"delay"`
	}
	if err := ctlDecode(r, &req); err != nil {
		ctlFail(w, http.StatusBadRequest, err)
		return
	}
	f := req.Fault
	for _, d := range []struct {
		name, raw string
		to        *time.Duration
	}{{"retry_after", req.RetryAfter, &f.RetryAfter}, {"delay", req.Delay, &f.Delay}} {
		if d.raw == "" {
			continue
		}
		v, err := time.ParseDuration(d.raw)
		if err != nil {
			ctlFail(w, http.StatusBadRequest, fmt.Errorf("parse %s: %w (write it like \"5s\")", d.name, err))
			return
		}
		*d.to = v
	}
	s.InjectFault(f)
	ctlOK(w, map[string]bool{"ok": true})
}

func (s *Server) ctlConfig(w http.ResponseWriter, r *http.Request) {
	var req struct {
		CommentsBumpUpdatedAt *bool `json:"comments_bump_updated_at"`
		RateLimit             *bool `json:"rate_limit"`
	}
	if err := ctlDecode(r, &req); err != nil {
		ctlFail(w, http.StatusBadRequest, err)
		return
	}
	if req.CommentsBumpUpdatedAt != nil {
		s.SetCommentsBumpUpdatedAt(*req.CommentsBumpUpdatedAt)
	}
	if req.RateLimit != nil {
		s.SetRateLimit(*req.RateLimit)
	}
	s.mu.Lock()
	cfg := map[string]bool{"comments_bump_updated_at": s.bumpComment, "rate_limit": s.rateLimit}
	s.mu.Unlock()
	ctlOK(w, cfg)
}
