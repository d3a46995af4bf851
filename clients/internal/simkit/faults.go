package simkit

import (
	"errors"
	"strings"
	"sync"
)

// Match selects the requests an injected fault applies to. Both
// simulators' Fault types carry these four fields under these names.
type Match struct {
	// Method limits the fault to one HTTP method (any case); empty means
	// any.
	Method string
	// Path limits the fault to one path and the paths below it:
	// "/api/now/table/incident" matches ".../incident/{sys_id}" too, but not
	// ".../incident_task"; "/incident/list" does not match
	// "/incident/list-by-ids". Empty means any path.
	Path string
	// Count is how many matching requests it affects; zero means 1.
	Count int
	// Skip lets this many matching requests through unharmed first.
	Skip int
}

// Matches reports whether a request with method and path is selected.
func (m Match) Matches(method, path string) bool {
	if m.Method != "" && !strings.EqualFold(m.Method, method) {
		return false
	}
	return m.Path == "" || path == m.Path || strings.HasPrefix(path, strings.TrimSuffix(m.Path, "/")+"/")
}

// ErrNegative is the error of a fault with a negative count or skip.
var ErrNegative = errors.New("count and skip must not be negative")

// Queue holds injected faults in order. F is the simulator's own answer
// (its Fault); the queue only matches and counts. It is safe for concurrent
// use.
type Queue[F any] struct {
	mu    sync.Mutex
	items []*Queued[F]
}

// Queued is one fault waiting in a Queue: what it still matches (Count and
// Skip are what is left) and the simulator's fault.
type Queued[F any] struct {
	Match Match
	Fault F
}

// Add queues f for the requests m selects (a zero Count means 1).
func (q *Queue[F]) Add(m Match, f F) error {
	if m.Count < 0 || m.Skip < 0 {
		return ErrNegative
	}
	m.Count = max(m.Count, 1)
	q.mu.Lock()
	defer q.mu.Unlock()
	q.items = append(q.items, &Queued[F]{Match: m, Fault: f})
	return nil
}

// Take finds the first queued fault that selects the request. While that
// fault still skips requests it uses up one skip and reports false (the
// request passes, whatever comes later in the queue); otherwise it uses up
// one of its Count, drops it when none is left, and returns it.
func (q *Queue[F]) Take(method, path string) (F, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var zero F
	for i, it := range q.items {
		if !it.Match.Matches(method, path) {
			continue
		}
		if it.Match.Skip > 0 {
			it.Match.Skip--
			return zero, false
		}
		it.Match.Count--
		if it.Match.Count <= 0 {
			q.items = append(q.items[:i:i], q.items[i+1:]...)
		}
		return it.Fault, true
	}
	return zero, false
}

// Pending returns a copy of the faults still queued, in order.
func (q *Queue[F]) Pending() []Queued[F] {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]Queued[F], 0, len(q.items))
	for _, it := range q.items {
		out = append(out, *it)
	}
	return out
}

// Clear drops every queued fault.
func (q *Queue[F]) Clear() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.items = nil
}
