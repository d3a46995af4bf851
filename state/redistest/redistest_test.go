package redistest

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestStartFlushRestartStop(t *testing.T) {
	t.Parallel()
	s := Start(t)
	ctx := context.Background()
	if strings.HasSuffix(s.Addr(), ":6379") {
		t.Fatalf("test server on the shared port: %s", s.Addr())
	}
	if !strings.HasPrefix(s.URL(), "redis://127.0.0.1:") {
		t.Fatalf("URL = %s", s.URL())
	}
	c := s.Client()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	s.Flush()
	if _, err := c.Get(ctx, "k").Result(); !errors.Is(err, redis.Nil) {
		t.Fatalf("after Flush: %v", err)
	}
	// Without persistence a restart starts empty, on the same address.
	addr := s.Addr()
	_ = c.Set(ctx, "k", "v", 0).Err()
	s.Restart(t)
	if s.Addr() != addr {
		t.Fatalf("restart moved from %s to %s", addr, s.Addr())
	}
	if n, err := c.Exists(ctx, "k").Result(); err != nil || n != 0 {
		t.Fatalf("non-persistent data survived restart: %d %v", n, err)
	}
	s.Stop()
	s.Stop() // twice is harmless
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("server still answers after Stop")
	}
}

func TestPersistenceAndPassword(t *testing.T) {
	t.Parallel()
	s := Start(t, WithPersistence(), WithPassword("pw-123"))
	ctx := context.Background()
	if err := redis.NewClient(&redis.Options{Addr: s.Addr()}).Ping(ctx).Err(); err == nil {
		t.Fatal("server accepted a client without the password")
	}
	opt, err := redis.ParseURL(s.URL())
	if err != nil || opt.Password != "pw-123" {
		t.Fatalf("URL %s: %v", s.URL(), err)
	}
	if err := s.Client().Set(ctx, "k", "kept", 0).Err(); err != nil {
		t.Fatal(err)
	}
	s.Restart(t)
	if v, err := s.Client().Get(ctx, "k").Result(); err != nil || v != "kept" {
		t.Fatalf("after restart with persistence: %q %v", v, err)
	}
}

// fatalTB records Fatal instead of failing the real test.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Fatal(args ...any) {
	f.msg = strings.TrimSpace(strings.Join(strings.Fields(strings.TrimSpace(fmtArgs(args))), " "))
	runtime.Goexit()
}

func (f *fatalTB) Helper() {}

func fmtArgs(args []any) string {
	var b strings.Builder
	for _, a := range args {
		b.WriteString(a.(string))
	}
	return b.String()
}

// Without redis-server on PATH, Start fails the test (it never skips) and
// says how to install it.
func TestStartFailsWhenRedisServerIsMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	f := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Start(f)
	}()
	<-done
	if f.msg != "redis-server is missing; install it (apt-get install -y redis-server)" {
		t.Fatalf("Start without redis-server: Fatal(%q)", f.msg)
	}
}
