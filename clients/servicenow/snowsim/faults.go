package snowsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/snowduty/snowduty/clients/internal/simkit"
)

// FaultKind names an injectable failure.
type FaultKind string

// The faults the simulator can inject.
const (
	// FaultRateLimit answers 429 with Retry-After and X-RateLimit-* headers.
	FaultRateLimit FaultKind = "rate_limit"
	// FaultServerError answers 500 with a JSON error whose detail is null.
	FaultServerError FaultKind = "server_error"
	// FaultUnavailable answers 503 with a load balancer's HTML page.
	FaultUnavailable FaultKind = "unavailable"
	// FaultHibernating answers HTTP 200 with the "Instance Hibernating
	// page" HTML, as a sleeping developer instance does for every request.
	FaultHibernating FaultKind = "hibernating"
	// FaultLoginPage answers HTTP 200 with an HTML SSO login page, as a
	// proxy or identity provider in front of the instance may.
	FaultLoginPage FaultKind = "login_page"
	// FaultPartialResult answers HTTP 200 with half of the real result
	// followed by "error": "Transaction cancelled: maximum execution time
	// exceeded" (KB0778443).
	FaultPartialResult FaultKind = "partial_result"
	// FaultEmpty202 answers 202 with no body, as an instance does when too
	// many requests queue on one session.
	FaultEmpty202 FaultKind = "empty_202"
	// FaultSlow delays the answer by Delay, then answers normally.
	FaultSlow FaultKind = "slow"
)

// Fault is one injected failure, applied to the next Count matching
// requests (Table API and /oauth_token.do; never the control API). Method,
// Path, Count, Skip, RetryAfter and Delay mean the same as in fdsim.Fault.
type Fault struct {
	Kind FaultKind `json:"kind"`
	// Method limits it to one HTTP method; empty means any.
	Method string `json:"method,omitempty"`
	// Path limits it to one path and the paths below it
	// ("/api/now/table/incident" also matches a record's path); empty means
	// any.
	Path string `json:"path,omitempty"`
	// Count is how many requests it applies to; zero means 1.
	Count int `json:"count,omitempty"`
	// Skip lets this many matching requests through unharmed first.
	Skip int `json:"skip,omitempty"`
	// RetryAfter is the Retry-After of a 429, sent in whole seconds
	// (rounded up); zero means 1s. JSON: "retry_after": "3s".
	RetryAfter time.Duration `json:"-"`
	// Delay is the wait of FaultSlow. JSON: "delay": "5s".
	Delay time.Duration `json:"-"`
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

func (f Fault) match() simkit.Match {
	return simkit.Match{Method: f.Method, Path: f.Path, Count: f.Count, Skip: f.Skip}
}

func (f Fault) validate() error {
	switch f.Kind {
	case FaultRateLimit, FaultServerError, FaultUnavailable, FaultHibernating, FaultLoginPage, FaultPartialResult, FaultEmpty202:
	case FaultSlow:
		if f.Delay <= 0 {
			return fmt.Errorf("inject fault: slow needs a positive delay such as \"5s\"")
		}
	default:
		return fmt.Errorf("inject fault: unknown kind %q; use rate_limit, server_error, unavailable, hibernating, login_page, partial_result, empty_202 or slow", f.Kind)
	}
	if f.Count < 0 || f.Skip < 0 || f.RetryAfter < 0 {
		return fmt.Errorf("inject fault: count, skip and retry_after must not be negative")
	}
	return nil
}

// hibernatingPage is the body a sleeping developer instance serves. Only
// its title and one sentence are documented (reference §3.2).
const hibernatingPage = `<html><head><title>Instance Hibernating page</title></head>
<body><h1>Your instance is hibernating</h1>
<p>Sign in to the developer portal to wake it up.</p>
<p>Want to find out why instances hibernate? Read the developer program FAQ.</p></body></html>
`

const unavailablePage = `<html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your request. Please try again later.</p></body></html>
`

const loginPage = `<html><head><title>Sign in</title></head><body><form method="post" action="/login.do"><input name="user_name"><input type="password" name="user_password"></form></body></html>
`

// applyFault writes the fault's answer. It reports whether the request is
// finished (handled) and whether the normal answer must be cut short with a
// trailing error (partial).
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f *Fault) (handled, partial bool) {
	switch f.Kind {
	case FaultSlow:
		return !simkit.Sleep(r.Context(), f.Delay), false
	case FaultPartialResult:
		return false, true
	case FaultRateLimit:
		ra := max((f.RetryAfter+time.Second-1)/time.Second, 1)
		s.mu.Lock()
		now := s.now()
		s.mu.Unlock()
		reset := now.Truncate(time.Hour).Add(time.Hour)
		h := w.Header()
		h.Set("Retry-After", strconv.FormatInt(int64(ra), 10))
		// Real instances spell these with a capital L, which Header.Set
		// would canonicalize away.
		h["X-RateLimit-Limit"] = []string{"100"}
		h["X-RateLimit-Reset"] = []string{strconv.FormatInt(reset.Unix(), 10)}
		h["X-RateLimit-Rule"] = []string{"a1b2c3d4e5f60718293a4b5c6d7e8f90"}
		writeError(w, http.StatusTooManyRequests, "Rate limit exceeded", "Rate limit of 100 requests per hour for Table API exceeded")
	case FaultServerError:
		writeError(w, http.StatusInternalServerError, "Internal server error", "")
	case FaultUnavailable:
		writeHTML(w, http.StatusServiceUnavailable, unavailablePage)
	case FaultHibernating:
		writeHTML(w, http.StatusOK, hibernatingPage)
	case FaultLoginPage:
		writeHTML(w, http.StatusOK, loginPage)
	case FaultEmpty202:
		w.WriteHeader(http.StatusAccepted)
	}
	return true, false
}

func writeHTML(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/html;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// writePartial writes HTTP 200 with a (truncated) result and a trailing
// error, as when the REST transaction quota cancels serialization.
func writePartial(w http.ResponseWriter, result any) {
	b, _ := json.Marshal(result)
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	_, _ = fmt.Fprintf(w, `{"result":%s,"error":{"detail":"No such column Check logs for error trace or enable glide.rest.debug property to verify REST request processing","message":"Transaction cancelled: maximum execution time exceeded"},"status":"failure"}`, b)
}
