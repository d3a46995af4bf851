package simkit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// MaxControlBody is the largest control request body read.
const MaxControlBody = 1 << 20

// Control reads and writes the plain JSON (no vendor envelope, no
// credentials) of a simulator's control API. Its fields keep each
// simulator's established style.
type Control struct {
	// Pretty writes answers indented, each ending in a newline; otherwise
	// they are compact, on one line.
	Pretty bool
	// ContentType of answers; empty means "application/json".
	ContentType string
	// AllowEmpty reads an empty request body as {}; otherwise it is refused.
	AllowEmpty bool
	// NoContent answers a request that has no result with 204 and no body;
	// otherwise with 200 {"ok":true}.
	NoContent bool
	// Hint ends the answer to an unknown endpoint, e.g. "GET /_sim/ lists
	// them".
	Hint string
}

// JSON writes v with status.
func (c Control) JSON(w http.ResponseWriter, status int, v any) {
	var b []byte
	var err error
	if c.Pretty {
		b, err = json.MarshalIndent(v, "", "  ")
		b = append(b, '\n')
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"encode control answer"}`)
	}
	ct := c.ContentType
	if ct == "" {
		ct = "application/json"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// Error writes {"error": err} with status.
func (c Control) Error(w http.ResponseWriter, status int, err error) {
	c.JSON(w, status, map[string]string{"error": err.Error()})
}

// Done answers a request that has no result (see NoContent).
func (c Control) Done(w http.ResponseWriter) {
	if c.NoContent {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	c.JSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// Decode reads the request's JSON body into v; unknown fields are errors.
// On failure it answers 400 and returns false.
func (c Control) Decode(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxControlBody))
	if err == nil && len(b) == 0 && c.AllowEmpty {
		b = []byte("{}")
	}
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		err = dec.Decode(v)
	}
	if err != nil {
		c.Error(w, http.StatusBadRequest, errors.New("read control request: "+err.Error()))
		return false
	}
	return true
}

// NotFound answers a request no control endpoint serves.
func (c Control) NotFound(w http.ResponseWriter, r *http.Request) {
	c.Error(w, http.StatusNotFound, fmt.Errorf("no control endpoint %s %s; %s", r.Method, r.URL.Path, c.Hint))
}

// Func returns a handler that runs fn and answers with Done.
func (c Control) Func(fn func()) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { fn(); c.Done(w) }
}

// Get returns a handler that answers 200 with what fn returns.
func (c Control) Get(fn func() any) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { c.JSON(w, http.StatusOK, fn()) }
}

// ClockChange is the body of POST /_sim/clock in both simulators:
// {"set": "2026-01-02 15:04:05"} (UTC, or RFC 3339) freezes the clock there,
// {"advance": "90s"} (a Go duration) moves it; with both, set comes first.
type ClockChange struct {
	Set     string `json:"set"`
	Advance string `json:"advance"`
}

// Apply calls set and then advance for what the change names. A negative
// advance is refused unless backwards is true. A failed advance leaves an
// applied set in place.
func (c ClockChange) Apply(set func(time.Time), advance func(time.Duration), backwards bool) error {
	if c.Set != "" {
		t, err := time.Parse(TimeLayout, c.Set)
		if err != nil {
			if t, err = time.Parse(time.RFC3339, c.Set); err != nil {
				return fmt.Errorf("set clock: %q: write the time as \"2026-01-02 15:04:05\" (UTC) or RFC 3339", c.Set)
			}
		}
		set(t)
	}
	if c.Advance != "" {
		d, err := time.ParseDuration(c.Advance)
		if err != nil || (d < 0 && !backwards) {
			return fmt.Errorf("advance clock: %q: write a positive Go duration such as \"90s\" or \"2h\"", c.Advance)
		}
		advance(d)
	}
	return nil
}

// TimeLayout is the "2006-01-02 15:04:05" (UTC) layout a clock change may
// use, ServiceNow's internal date-time format.
const TimeLayout = "2006-01-02 15:04:05"

// Sleep waits d or until ctx ends, and reports whether the whole wait
// passed.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
