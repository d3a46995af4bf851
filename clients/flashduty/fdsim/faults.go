package fdsim

import (
	"net/http"
	"strconv"
	"time"
)

// Fault makes the next Count Open API requests (to Endpoint, or to any
// endpoint when it is empty) misbehave. The zero Status with no Code and no
// Hangup is a pure delay (a slow response that then succeeds).
type Fault struct {
	// Endpoint limits the fault to one path, e.g. "/incident/list".
	Endpoint string `json:"endpoint,omitempty"`
	// Count is how many requests it affects; 0 means 1.
	Count int `json:"count,omitempty"`
	// Skip lets this many matching requests through unharmed first, e.g.
	// Skip 1 fails the second of a run of comment posts.
	Skip int `json:"skip,omitempty"`
	// Status is the HTTP status to answer with: 429, 500, 503, or 200 for
	// an error envelope on a 200 answer (then Code must be set).
	Status int `json:"status,omitempty"`
	// Code is error.code; empty means the usual code for Status.
	Code string `json:"code,omitempty"`
	// RetryAfter is sent as a Retry-After header in whole seconds.
	RetryAfter time.Duration `json:"-"`
	// Delay holds the answer back this long first (on the real or
	// synctest clock).
	Delay time.Duration `json:"-"`
	// Hangup drops the connection instead of answering.
	Hangup bool `json:"hangup,omitempty"`
	// AfterApply performs the request first and then answers with the
	// fault: the write happened, the caller cannot tell.
	AfterApply bool `json:"after_apply,omitempty"`
}

var defaultCodes = map[int]string{
	http.StatusBadRequest:          "InvalidParameter",
	http.StatusUnauthorized:        "Unauthorized",
	http.StatusForbidden:           "AccessDenied",
	http.StatusTooManyRequests:     "RequestTooFrequently",
	http.StatusInternalServerError: "InternalError",
	http.StatusServiceUnavailable:  "ServiceUnavailable",
}

var messages = map[string]string{
	"Unauthorized":         "You are unauthorized.",
	"AccessDenied":         "Access Denied.",
	"ResourceNotFound":     "The resource you request is not found",
	"RequestTooFrequently": "Request too frequently.",
	"InternalError":        "We encountered an internal error, and it has been reported. Please try again later.",
	"ServiceUnavailable":   "Service unavailable, please try again later.",
	"InvalidParameter":     "The specified parameter is not valid.",
}

// respond writes the fault's answer and reports whether it wrote one (a
// pure delay writes nothing).
func (f *Fault) respond(w http.ResponseWriter, reqID string) bool {
	if f.Hangup {
		panic(http.ErrAbortHandler)
	}
	if f.Status == 0 && f.Code == "" {
		return false
	}
	status, code := f.Status, f.Code
	if status == 0 {
		status = http.StatusBadRequest
	}
	if code == "" {
		code = defaultCodes[status]
	}
	if code == "" {
		code = "InternalError"
	}
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((f.RetryAfter+time.Second-1)/time.Second)))
	}
	msg := messages[code]
	if msg == "" {
		msg = "Injected fault " + code + "."
	}
	writeEnvelope(w, reqID, nil, &apiError{Status: status, Code: code, Message: msg})
	return true
}

// InjectFault queues f; queued faults apply in order, each to its next
// Count matching requests.
func (s *Server) InjectFault(f Fault) {
	if f.Count <= 0 {
		f.Count = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults drops every queued fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFault returns the first fault matching path and uses up one of its
// requests; while that fault still skips requests, it returns nil and
// uses up one skip. The caller holds s.mu.
func (s *Server) takeFault(path string) *Fault {
	for i, f := range s.faults {
		if f.Endpoint != "" && f.Endpoint != path {
			continue
		}
		if f.Skip > 0 {
			f.Skip--
			return nil
		}
		f.Count--
		if f.Count <= 0 {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
		}
		c := *f
		return &c
	}
	return nil
}

// Documented limits: 50 requests/s and 1,000/min per account.
const (
	limitPerSecond = 50
	limitPerMinute = 1000
)

// rateLimited records a request at now and reports whether it is over the
// limit, with the whole seconds to wait. Rejected requests do not count.
// The caller holds s.mu.
func (s *Server) rateLimited(now time.Time) (bool, int) {
	if !s.rateLimit {
		return false, 0
	}
	drop := 0
	for drop < len(s.window) && !s.window[drop].After(now.Add(-time.Minute)) {
		drop++
	}
	s.window = s.window[drop:]
	var wait time.Duration
	if n := len(s.window); n >= limitPerMinute {
		wait = s.window[n-limitPerMinute].Add(time.Minute).Sub(now)
	}
	if n := len(s.window); n >= limitPerSecond {
		if d := s.window[n-limitPerSecond].Add(time.Second).Sub(now); d > 0 && d > wait {
			wait = d
		}
	}
	if wait > 0 {
		return true, int((wait + time.Second - 1) / time.Second)
	}
	s.window = append(s.window, now)
	return false, 0
}

// SetRateLimit turns enforcement of the documented rate limits on or off.
func (s *Server) SetRateLimit(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rateLimit, s.window = on, nil
}

// SetCommentsBumpUpdatedAt chooses whether comments change updated_at.
func (s *Server) SetCommentsBumpUpdatedAt(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bumpComment = on
}

// Calls returns how many Open API requests each path received, failed ones
// included.
func (s *Server) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

// ResetCalls zeroes the call counters.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = map[string]int{}
}
