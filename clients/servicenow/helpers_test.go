package servicenow

import (
	"bytes"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/snowduty/snowduty/clients/httpx"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
)

var t0 = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

// calls records what the Observer saw.
type calls struct {
	mu   sync.Mutex
	list []httpx.Call
}

func (c *calls) observe(call httpx.Call) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.list = append(c.list, call)
}

func (c *calls) all() []httpx.Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]httpx.Call(nil), c.list...)
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type env struct {
	sim   *snowsim.Server
	c     *Client
	calls *calls
	logs  *syncBuffer
}

// newEnv connects a client to an in-process simulator (frozen at t0 unless
// so.Start or so.Now is set). tweak may change the client options.
func newEnv(t *testing.T, so snowsim.Options, tweak ...func(*Options)) *env {
	t.Helper()
	if so.Start.IsZero() && so.Now == nil {
		so.Start = t0
	}
	s := snowsim.New(so)
	e := &env{sim: s, calls: &calls{}, logs: &syncBuffer{}}
	o := Options{
		BaseURL: "https://dev00000.service-now.com", Username: snowsim.DefaultUser, Password: snowsim.DefaultPassword,
		Transport: s.Transport(), Observer: e.calls.observe, Timeout: 10 * time.Second,
		Logger:  slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Backoff: httpx.Backoff{Base: time.Second, Max: 8 * time.Second},
	}
	for _, f := range tweak {
		f(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	e.c = c
	return e
}

func newLogger(w *syncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
