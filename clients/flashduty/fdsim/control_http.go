package fdsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/snowduty/snowduty/clients/internal/simkit"
)

// control is the style of this control API: compact answers, 200
// {"ok":true} for answers without a result, an empty body read as {}.
var control = simkit.Control{ContentType: "application/json; charset=utf-8", AllowEmpty: true, Hint: "see the fdsim package documentation"}

// controlMux is the control API over HTTP, under ControlPrefix. It needs
// no app key and speaks plain JSON (no envelope), so it can never be
// mistaken for the Open API:
//
//	POST   /_sim/incidents                 IncidentSpec → Incident
//	GET    /_sim/incidents                 every incident
//	GET    /_sim/incidents/{id}            {"incident", "feed"}
//	POST   /_sim/incidents/{id}/{action}   act {"as": "alice", ...}: ack unack snooze wake close reopen comment edit field autoclose
//	GET    /_sim/clock                     {"now"}
//	POST   /_sim/clock                     {"set": RFC 3339 or "2006-01-02 15:04:05"} or {"advance": "90m"}
//	POST   /_sim/faults                    a Fault (durations as "5s")
//	DELETE /_sim/faults                    drop queued faults
//	GET    /_sim/calls, DELETE /_sim/calls count per "METHOD path", reset counts
//	POST   /_sim/config                    {"comments_bump_updated_at": bool, "rate_limit": bool}
//	POST   /_sim/keys                      {"kind": "account", "app_key": optional} → mint an account-level key (AppKeyInfo)
//	GET    /_sim/keys                      every accepted key (AppKeyInfo)
//	GET    /_sim/dump                      the whole state
//	POST   /_sim/reset                     back to the initial state
func (s *Server) controlMux() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("POST /_sim/incidents", s.ctlCreate)
	m.HandleFunc("GET /_sim/incidents", control.Get(func() any { return s.Dump().Incidents }))
	m.HandleFunc("GET /_sim/incidents/{id}", s.ctlGet)
	m.HandleFunc("POST /_sim/incidents/{id}/{action}", s.ctlAct)
	m.HandleFunc("GET /_sim/clock", control.Get(func() any { return map[string]time.Time{"now": s.Now()} }))
	m.HandleFunc("POST /_sim/clock", s.ctlClock)
	m.HandleFunc("POST /_sim/faults", s.ctlFault)
	m.HandleFunc("DELETE /_sim/faults", control.Func(s.ClearFaults))
	m.HandleFunc("GET /_sim/calls", control.Get(func() any { return s.Calls() }))
	m.HandleFunc("DELETE /_sim/calls", control.Func(s.ResetCalls))
	m.HandleFunc("POST /_sim/config", s.ctlConfig)
	m.HandleFunc("POST /_sim/keys", s.ctlMintKey)
	m.HandleFunc("GET /_sim/keys", control.Get(func() any { return s.AppKeys() }))
	m.HandleFunc("GET /_sim/dump", control.Get(func() any { return s.Dump() }))
	m.HandleFunc("POST /_sim/reset", control.Func(s.Reset))
	m.HandleFunc("/_sim/", control.NotFound)
	return m
}

func ctlOK(w http.ResponseWriter, v any) { control.JSON(w, http.StatusOK, v) }

func ctlFail(w http.ResponseWriter, status int, err error) {
	var ce *ControlError
	if errors.As(err, &ce) && ce.Code == "ResourceNotFound" {
		status = http.StatusNotFound
	}
	control.Error(w, status, err)
}

func (s *Server) ctlCreate(w http.ResponseWriter, r *http.Request) {
	var spec IncidentSpec
	if !control.Decode(w, r, &spec) {
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
	As          string          `json:"as"`
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
	if !control.Decode(w, r, &a) {
		return
	}
	id := r.PathValue("id")
	var err error
	switch action := r.PathValue("action"); action {
	case "ack":
		err = s.Ack(a.As, id)
	case "unack":
		err = s.Unack(a.As, id)
	case "snooze":
		err = s.Snooze(a.As, id, a.Minutes)
	case "wake":
		err = s.Wake(a.As, id)
	case "close":
		err = s.Close(a.As, id, a.RootCause, a.Resolution)
	case "reopen":
		err = s.Reopen(a.As, id, a.Reason)
	case "comment":
		err = s.Comment(a.As, id, a.Text)
	case "edit":
		err = s.EditIncident(a.As, id, Edit{Title: a.Title, Description: a.Description, Severity: a.Severity})
	case "field":
		var v any
		if len(a.FieldValue) > 0 {
			if err := json.Unmarshal(a.FieldValue, &v); err != nil {
				ctlFail(w, http.StatusBadRequest, fmt.Errorf("decode field_value: %w", err))
				return
			}
		}
		err = s.SetField(a.As, id, a.FieldName, v)
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
	var in simkit.ClockChange
	if !control.Decode(w, r, &in) {
		return
	}
	if err := in.Apply(s.SetClock, func(d time.Duration) { s.Advance(d) }, true); err != nil {
		ctlFail(w, http.StatusBadRequest, err)
		return
	}
	ctlOK(w, map[string]time.Time{"now": s.Now()})
}

func (s *Server) ctlFault(w http.ResponseWriter, r *http.Request) {
	var f Fault
	if !control.Decode(w, r, &f) {
		return
	}
	if err := s.InjectFault(f); err != nil {
		ctlFail(w, http.StatusBadRequest, err)
		return
	}
	control.Done(w)
}

func (s *Server) ctlConfig(w http.ResponseWriter, r *http.Request) {
	var req struct {
		CommentsBumpUpdatedAt *bool `json:"comments_bump_updated_at"`
		RateLimit             *bool `json:"rate_limit"`
	}
	if !control.Decode(w, r, &req) {
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

// ctlMintKey mints an app key. Only account-level keys can be minted (the
// member key is Options.AppKey); "kind" may be left out.
func (s *Server) ctlMintKey(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Kind   string `json:"kind"`
		AppKey string `json:"app_key"`
	}
	if !control.Decode(w, r, &req) {
		return
	}
	if req.Kind != "" && req.Kind != KeyAccountLevel {
		ctlFail(w, http.StatusBadRequest, fmt.Errorf("kind %q cannot be minted: use %q (the member key is the one the simulator was started with)", req.Kind, KeyAccountLevel))
		return
	}
	key, err := s.MintAccountKey(req.AppKey)
	if err != nil {
		ctlFail(w, http.StatusBadRequest, err)
		return
	}
	ctlOK(w, AppKeyInfo{AppKey: key, Kind: KeyAccountLevel, PersonID: s.opts.AccountID})
}
