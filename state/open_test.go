package state

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/snowduty/snowduty/clients/httpx/httpxtest"
	"github.com/snowduty/snowduty/state/redistest"
)

func TestOpenValidation(t *testing.T) {
	t.Parallel()
	valid := func() Options {
		return Options{URL: "redis://127.0.0.1:1/0", Logger: discardLogger()}
	}
	tests := []struct {
		name string
		mod  func(*Options)
		want string
	}{
		{"no redis", func(o *Options) { o.URL = "" }, "Options.URL is required"},
		{"two modes", func(o *Options) { o.ClusterAddrs = []string{"a:1"} }, "set only one of"},
		{"sentinel without addrs", func(o *Options) { o.URL = ""; o.SentinelMaster = "m" }, "SentinelMaster and SentinelAddrs go together"},
		{"no logger", func(o *Options) { o.Logger = nil }, "Options.Logger is required"},
		{"braces in prefix", func(o *Options) { o.Prefix = "a{b}" }, "Options.Prefix"},
		{"retry base below 10s", func(o *Options) { o.RetryBase = 5 * time.Second }, "RetryBase must be at least 10s"},
		{"retry max below base", func(o *Options) { o.RetryMax = 15 * time.Second; o.RetryBase = 20 * time.Second }, "RetryMax"},
		{"renew too slow", func(o *Options) { o.LeaseTTL = 10 * time.Second; o.LeaseRenew = 6 * time.Second }, "LeaseRenew"},
		{"negative grace", func(o *Options) { o.ClosedGrace = -time.Second }, "ClosedGrace must be positive"},
		{"attempts", func(o *Options) { o.MaxAttempts = -1 }, "MaxAttempts"},
		{"audit cap", func(o *Options) { o.AuditMaxLen = 5 }, "AuditMaxLen"},
		{"bad scheme", func(o *Options) { o.URL = "http://h:1" }, `scheme "http" is not supported`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := valid()
			tc.mod(&o)
			_, err := Open(t.Context(), o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestOpenUnreachable(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	addr := srv.Addr()
	srv.Stop()
	_, err := Open(t.Context(), Options{URL: srv.URL(), Logger: discardLogger()})
	if err == nil {
		t.Fatal("Open on a stopped Redis succeeded")
	}
	for _, want := range []string{"connect to redis at " + addr, "unreachable", "check the Redis address"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestOpenWrongPasswordLeaksNoSecret(t *testing.T) {
	t.Parallel()
	const right, wrong = "right-horse-battery", "wrong-staple-9f8e7d"
	srv := redistest.Start(t, redistest.WithPassword(right))
	logs := &httpxtest.SyncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	// Password given separately.
	_, err := Open(t.Context(), Options{URL: "redis://" + srv.Addr() + "/0", Password: wrong, Logger: logger})
	if err == nil || !strings.Contains(err.Error(), "password was refused") {
		t.Fatalf("Open with a wrong password: %v, want a 'password was refused' error", err)
	}
	// Password inside the URL.
	_, err2 := Open(t.Context(), Options{URL: "redis://:" + wrong + "@" + srv.Addr() + "/0", Logger: logger})
	if err2 == nil || !strings.Contains(err2.Error(), "password was refused") {
		t.Fatalf("Open with a wrong URL password: %v", err2)
	}
	// A URL that does not parse, holding a password.
	_, err3 := Open(t.Context(), Options{URL: "redis://:" + wrong + "@host:notaport/0", Logger: logger})
	if err3 == nil || !strings.Contains(err3.Error(), "not a valid URL") {
		t.Fatalf("Open with a malformed URL: %v", err3)
	}
	// A URL that parses but has bad options.
	_, err4 := Open(t.Context(), Options{URL: "redis://:" + wrong + "@host:1/0?bogus=" + wrong, Logger: logger})
	if err4 == nil {
		t.Fatal("Open with an unknown URL option succeeded")
	}
	for _, e := range []error{err, err2, err3, err4} {
		if strings.Contains(e.Error(), wrong) || strings.Contains(e.Error(), right) {
			t.Errorf("error leaks the password: %v", e)
		}
	}
	if strings.Contains(logs.String(), wrong) {
		t.Errorf("logs leak the password: %s", logs)
	}
	// The right password works.
	s, err := Open(t.Context(), Options{URL: "redis://" + srv.Addr() + "/0", Password: right, Logger: logger})
	if err != nil {
		t.Fatalf("Open with the right password: %v", err)
	}
	_ = s.Close()
}

func TestOpenWrongKeyType(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ctx := t.Context()
	// Another program wrote a string where the retry queue (a zset) lives.
	if err := srv.Client().Set(ctx, "{snowduty:}q", "not ours", 0).Err(); err != nil {
		t.Fatal(err)
	}
	_, err := Open(ctx, Options{URL: srv.URL(), Logger: discardLogger()})
	if err == nil {
		t.Fatal("Open accepted a foreign key type")
	}
	for _, want := range []string{"key {snowduty:}q is a string", "stores a zset", "choose another state prefix"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}

	// A foreign bucket key is found too.
	if err := srv.Client().Set(ctx, "{third:}s:abc", "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	_, err = Open(ctx, Options{URL: srv.URL(), Logger: discardLogger(), Prefix: "third:"})
	if err == nil || !strings.Contains(err.Error(), "key {third:}s:abc is a string") {
		t.Fatalf("Open with a foreign bucket key: %v", err)
	}

	// A bucket key clobbered after Open gives a clear error at run time.
	s := openStore(t, srv, newClock(), func(o *Options) { o.Prefix = "other:" })
	if err := srv.Client().Set(ctx, s.bkey(bucketLinks, "sys1"), "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	err = s.PutLink(ctx, Link{SysID: "sys1", IncidentID: "inc1", Origin: OriginServiceNow})
	if err == nil || !strings.Contains(err.Error(), "holds the wrong type of value") || !strings.Contains(err.Error(), `"other:"`) {
		t.Fatalf("PutLink on a clobbered key: %v", err)
	}
}

func TestOpenLayoutMismatch(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	if err := srv.Client().HSet(t.Context(), "{snowduty:}m", "layout", "99").Err(); err != nil {
		t.Fatal(err)
	}
	_, err := Open(t.Context(), Options{URL: srv.URL(), Logger: discardLogger()})
	if err == nil || !strings.Contains(err.Error(), `uses key layout "99"`) {
		t.Fatalf("Open on a foreign layout: %v", err)
	}
}

func TestRedisRestartKeepsWorking(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, redistest.WithPersistence())
	s := openStore(t, srv, newClock())
	ctx := t.Context()
	l := Link{SysID: "s1", IncidentID: "i1", Number: "INC001", Origin: OriginServiceNow}
	if err := s.PutLink(ctx, l); err != nil {
		t.Fatal(err)
	}
	srv.Restart(t) // scripts cache is empty now; data is back from the RDB file
	got, ok, err := s.LinkByIncidentID(ctx, "i1")
	if err != nil || !ok || got.SysID != "s1" {
		t.Fatalf("after restart: %+v %v %v", got, ok, err)
	}
	if err := s.PutLink(ctx, Link{SysID: "s2", IncidentID: "i2", Origin: OriginAdopted}); err != nil {
		t.Fatalf("PutLink after restart: %v", err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(s.Close(), nil) {
		t.Fatal("close failed")
	}
}
