package loadtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// tap wraps a simulator: it counts requests by status and by write, notes
// when each incident was last written (for latency) and may let a chaos
// function answer instead of the simulator.
type tap struct {
	next http.Handler
	key  func(r *http.Request, body []byte) string

	mu       sync.Mutex
	status   map[int]int
	writesAt map[string][]time.Time // incident → write times
	chaos    func(w http.ResponseWriter, r *http.Request, body []byte, next http.Handler) bool
}

func newTap(next http.Handler, key func(*http.Request, []byte) string) *tap {
	return &tap{next: next, key: key, status: map[int]int{}, writesAt: map[string][]time.Time{}}
}

// setChaos installs (or with nil removes) the chaos function.
func (t *tap) setChaos(f func(w http.ResponseWriter, r *http.Request, body []byte, next http.Handler) bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.chaos = f
}

// ServeHTTP serves r through the chaos function or the simulator.
func (t *tap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		_ = r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	rec := &statusWriter{ResponseWriter: w}
	t.mu.Lock()
	chaos := t.chaos
	t.mu.Unlock()
	if chaos == nil || !chaos(rec, r, body, t.next) {
		t.next.ServeHTTP(rec, r)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.status[rec.code()]++
	if k := t.key(r, body); k != "" && rec.code() == http.StatusOK {
		for _, id := range strings.Split(k, ",") {
			t.writesAt[id] = append(t.writesAt[id], time.Now())
		}
	}
}

// statusCount returns how many answers had the status.
func (t *tap) statusCount(code int) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.status[code]
}

// total returns how many requests were answered.
func (t *tap) total() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, v := range t.status {
		n += v
	}
	return n
}

// firstWriteAfter returns the first write to id at or after since.
func (t *tap) firstWriteAfter(id string, since time.Time) (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, at := range t.writesAt[id] {
		if !at.Before(since) {
			return at, true
		}
	}
	return time.Time{}, false
}

// reset forgets counts and write times.
func (t *tap) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.status, t.writesAt = map[int]int{}, map[string][]time.Time{}
}

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(c int) {
	if s.status == 0 {
		s.status = c
	}
	s.ResponseWriter.WriteHeader(c)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) code() int {
	if s.status == 0 {
		return http.StatusOK
	}
	return s.status
}

// fdKey names the Flashduty incidents a write request touches ("" for
// reads), comma-separated.
func fdKey(r *http.Request, body []byte) string {
	if !isFDWrite(r.URL.Path) {
		return ""
	}
	var b struct {
		ID  string   `json:"incident_id"`
		IDs []string `json:"incident_ids"`
	}
	_ = json.Unmarshal(body, &b)
	if b.ID != "" {
		b.IDs = append(b.IDs, b.ID)
	}
	return strings.Join(b.IDs, ",")
}
