package servicenow

import (
	"log/slog"
	"testing"
	"time"

	"github.com/snowduty/snowduty/clients/httpx"
	"github.com/snowduty/snowduty/clients/httpx/httpxtest"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
)

var t0 = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

type env struct {
	sim   *snowsim.Server
	c     *Client
	calls *httpxtest.Calls
	logs  *httpxtest.SyncBuffer
}

// newEnv connects a client to an in-process simulator (frozen at t0 unless
// so.Start or so.Now is set). tweak may change the client options.
func newEnv(t *testing.T, so snowsim.Options, tweak ...func(*Options)) *env {
	t.Helper()
	if so.Start.IsZero() && so.Now == nil {
		so.Start = t0
	}
	s := snowsim.New(so)
	e := &env{sim: s, calls: &httpxtest.Calls{}, logs: &httpxtest.SyncBuffer{}}
	o := Options{
		BaseURL: "https://dev00000.service-now.com", Username: snowsim.DefaultUser, Password: snowsim.DefaultPassword,
		Transport: s.Transport(), Observer: e.calls.Observe, Timeout: 10 * time.Second,
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

func newLogger(w *httpxtest.SyncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
