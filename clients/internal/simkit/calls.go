package simkit

import (
	"maps"
	"net/http"
	"slices"
	"sync"
)

// Request is one API request a simulator answered.
type Request struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Query  string `json:"query"`
	// Status is the HTTP status answered; 0 when nothing was written (the
	// caller gave up, or the connection was dropped).
	Status int `json:"status"`
}

// CallLog counts API requests per "METHOD endpoint" and keeps the last
// ones. It is safe for concurrent use.
type CallLog struct {
	max int

	mu       sync.Mutex
	counts   map[string]int
	requests []Request
}

// NewCallLog returns a log that keeps the last keep requests.
func NewCallLog(keep int) *CallLog {
	return &CallLog{max: keep, counts: map[string]int{}}
}

// Serve counts r under "METHOD endpoint" (endpoint is the path with its
// ids replaced by placeholders, or the path itself), serves it with h and
// logs it with the status h answered, which it returns.
func (l *CallLog) Serve(w http.ResponseWriter, r *http.Request, endpoint string, h http.Handler) int {
	l.mu.Lock()
	l.counts[r.Method+" "+endpoint]++
	l.mu.Unlock()
	rec := &statusRecorder{ResponseWriter: w}
	defer func() { // also when h drops the connection by panicking
		l.mu.Lock()
		defer l.mu.Unlock()
		l.requests = append(l.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Status: rec.status})
		if len(l.requests) > l.max {
			l.requests = l.requests[len(l.requests)-l.max:]
		}
	}()
	h.ServeHTTP(rec, r)
	return rec.status
}

// Calls returns a copy of the counts per "METHOD endpoint".
func (l *CallLog) Calls() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.counts)
}

// Count returns the count of method and endpoint.
func (l *CallLog) Count(method, endpoint string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.counts[method+" "+endpoint]
}

// Requests returns the last requests, oldest first.
func (l *CallLog) Requests() []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.requests)
}

// Reset zeroes the counts and empties the log.
func (l *CallLog) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.counts, l.requests = map[string]int{}, nil
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}
