// Package httpxtest holds small test helpers shared by the packages that
// test API clients: a goroutine-safe log sink and a recorder of the calls a
// client reports to its httpx.Observer.
package httpxtest

import (
	"bytes"
	"sync"

	"github.com/snowduty/snowduty/clients/httpx"
)

// SyncBuffer is a log sink safe for concurrent writes.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Calls records what a client reported to its Observer.
type Calls struct {
	mu   sync.Mutex
	list []httpx.Call
}

// Observe is an httpx.Observer.
func (c *Calls) Observe(call httpx.Call) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.list = append(c.list, call)
}

// All returns a copy of the calls seen so far.
func (c *Calls) All() []httpx.Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]httpx.Call(nil), c.list...)
}
