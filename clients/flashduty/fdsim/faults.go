package fdsim

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/snowduty/snowduty/clients/internal/simkit"
)

// Fault makes the next Count matching Open API requests misbehave. The
// zero Status with no Code and no Hangup is a pure delay (a slow response
// that then succeeds). Method, Path, Count, Skip, RetryAfter and Delay mean
// the same as in snowsim.Fault.
type Fault struct {
	// Method limits the fault to one HTTP method; empty means any.
	Method string `json:"method,omitempty"`
	// Path limits the fault to one endpoint, e.g. "/incident/list" (and
	// the paths below it; "/incident/list-by-ids" is another endpoint);
	// empty means any.
	Path string `json:"path,omitempty"`
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
	// RetryAfter is sent as a Retry-After header in whole seconds (rounded
	// up). JSON: "retry_after": "5s".
	RetryAfter time.Duration `json:"-"`
	// Delay holds the answer back this long first (on the real or
	// synctest clock). JSON: "delay": "5s".
	Delay time.Duration `json:"-"`
	// Hangup drops the connection instead of answering.
	Hangup bool `json:"hangup,omitempty"`
	// AfterApply performs the request first and then answers with the
	// fault: the write happened, the caller cannot tell.
	AfterApply bool `json:"after_apply,omitempty"`
}

// MarshalJSON writes RetryAfter and Delay as Go duration strings.
func (f Fault) MarshalJSON() ([]byte, error) {
	type plain Fault
	return simkit.MarshalFault(plain(f), f.RetryAfter, f.Delay)
}

// UnmarshalJSON reads RetryAfter and Delay as Go duration strings ("5s")
// and refuses unknown fields.
func (f *Fault) UnmarshalJSON(b []byte) error {
	type plain Fault
	return simkit.UnmarshalFault(b, (*plain)(f), &f.RetryAfter, &f.Delay)
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
// Count matching requests (after Skip). A negative Count or Skip is an
// error.
func (s *Server) InjectFault(f Fault) error {
	if err := s.kit.Faults.Add(simkit.Match{Method: f.Method, Path: f.Path, Count: f.Count, Skip: f.Skip}, f); err != nil {
		return fmt.Errorf("fdsim: inject fault: %w", err)
	}
	return nil
}

// ClearFaults drops every queued fault.
func (s *Server) ClearFaults() { s.kit.Faults.Clear() }

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

// maxRequestLog bounds the request log.
const maxRequestLog = 2000

// Request is one Open API request the server answered.
type Request = simkit.Request

// Calls returns how many Open API requests each "METHOD path" received
// ("POST /incident/list"), failed ones included.
func (s *Server) Calls() map[string]int { return s.kit.Calls.Calls() }

// Count returns Calls()[method+" "+path].
func (s *Server) Count(method, path string) int { return s.kit.Calls.Count(method, path) }

// Requests returns the last Open API requests (at most 2000), oldest
// first.
func (s *Server) Requests() []Request { return s.kit.Calls.Requests() }

// ResetCalls zeroes the call counters and the request log.
func (s *Server) ResetCalls() { s.kit.Calls.Reset() }
