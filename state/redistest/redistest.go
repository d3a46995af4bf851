// Package redistest starts a real, private redis-server for tests: on a free
// loopback port, with its files in t.TempDir(), stopped on t.Cleanup. It
// never touches the shared Redis on 6379.
package redistest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// startTimeout bounds how long a redis-server may take to say it is ready.
const startTimeout = 15 * time.Second

// missing is the failure message when redis-server is not installed.
const missing = "redis-server is missing; install it (apt-get install -y redis-server)"

// Option changes how Start configures the server.
type Option func(*config)

type config struct {
	tls      bool
	cluster  bool
	persist  bool
	password string
	args     []string
	// sentinelConf, when set, runs the server as a Sentinel with this
	// config file (see sentinel.go).
	sentinelConf string
	// clusterNode enables cluster mode without assigning slots: the node
	// joins a multi-node cluster made by StartCluster (see cluster.go).
	clusterNode bool
}

// WithPersistence keeps the data across Restart: the server saves an RDB
// file in its temp dir when it stops and loads it when it starts again.
func WithPersistence() Option { return func(c *config) { c.persist = true } }

// WithCluster runs the server as a one-node Redis Cluster that owns every
// slot, for tests of the cluster client path. Start returns once the
// cluster state is ok (Redis waits about 2s before it says so).
func WithCluster() Option { return func(c *config) { c.cluster = true } }

// WithPassword makes the server require AUTH with this password.
func WithPassword(pw string) Option { return func(c *config) { c.password = pw } }

// WithArgs appends raw redis-server arguments, e.g. "--maxmemory", "10mb".
func WithArgs(args ...string) Option {
	return func(c *config) { c.args = append(c.args, args...) }
}

// Server is one private redis-server process.
type Server struct {
	cfg  config
	dir  string
	port int

	t      testing.TB
	mu     sync.Mutex
	log    *syncBuffer // the current process's output
	cmd    *exec.Cmd
	done   chan struct{}
	client *redis.Client
}

// Start launches a redis-server for t and waits until it answers PING. It
// fails the test (never skips) when redis-server is not on PATH.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal(missing)
	}
	s := &Server{dir: t.TempDir(), t: t}
	for _, o := range opts {
		o(&s.cfg)
	}
	var err error
	for range 5 { // a free port can be taken between probe and bind; retry
		if s.port, err = freePort(); err != nil {
			t.Fatalf("redistest: find a free port: %v", err)
		}
		if err = s.launch(); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("redistest: start redis-server: %v", err)
	}
	t.Cleanup(func() {
		s.Stop()
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.client != nil {
			_ = s.client.Close()
		}
	})
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// URL is a redis:// URL for the server, with the password if one is set.
func (s *Server) URL() string {
	u := url.URL{Scheme: "redis", Host: s.Addr(), Path: "/0"}
	if s.cfg.tls {
		u.Scheme = "rediss"
	}
	if s.cfg.password != "" {
		u.User = url.UserPassword("", s.cfg.password)
	}
	return u.String()
}

// Client returns a client for the server (one per Server, closed on cleanup).
func (s *Server) Client() *redis.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client == nil {
		s.client = redis.NewClient(s.clientOptions())
	}
	return s.client
}

// Flush deletes every key on this (private) server; a failure is reported
// with Errorf on the test that started it.
func (s *Server) Flush() {
	if err := s.Client().FlushAll(context.Background()).Err(); err != nil {
		s.t.Errorf("redistest: flush: %v", err)
	}
}

// Restart stops the server and starts it again on the same port and dir,
// so with WithPersistence the data survives.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	if err := s.launch(); err != nil {
		t.Fatalf("redistest: restart redis-server: %v", err)
	}
}

// Stop ends the server (SIGTERM, then waits). Calling it twice is harmless.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(terminate)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// Kill ends the server with SIGKILL, as a crash would: no save, no
// goodbye to replicas or clients. Restart starts it again.
func (s *Server) Kill() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-done
}

// Running reports whether the process is up (not stopped or killed).
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd != nil
}

// clientOptions reach this server (password and TLS included).
func (s *Server) clientOptions() *redis.Options {
	return &redis.Options{Addr: s.Addr(), Password: s.cfg.password, TLSConfig: s.clientTLS()}
}

func (s *Server) args() ([]string, error) {
	var a []string
	if s.cfg.sentinelConf != "" {
		a = append(a, s.cfg.sentinelConf, "--sentinel")
	}
	a = append(a,
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--dir", s.dir, "--logfile", "", "--daemonize", "no",
		"--appendonly", "no", "--protected-mode", "yes",
	)
	if s.cfg.persist {
		a = append(a, "--save", "3600 1", "--dbfilename", "dump.rdb")
	} else {
		a = append(a, "--save", "")
	}
	if s.cfg.password != "" {
		a = append(a, "--requirepass", s.cfg.password)
	}
	if s.cfg.cluster || s.cfg.clusterNode {
		a = append(a, "--cluster-enabled", "yes")
	}
	if s.cfg.tls {
		ta, err := s.tlsArgs()
		if err != nil {
			return nil, err
		}
		a = append(a, ta...) // --port 0 after --port N: TLS only
	}
	return append(a, s.cfg.args...), nil
}

// launch starts the process and waits for "Ready to accept connections",
// then for a PING answer.
func (s *Server) launch() error {
	args, err := s.args()
	if err != nil {
		return err
	}
	cmd := exec.Command("redis-server", args...)
	cmd.SysProcAttr = procAttr()
	out, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("pipe stdout: %w", err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run redis-server: %w", err)
	}
	log := &syncBuffer{}
	ready := make(chan struct{})
	done := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		signalled := false
		for sc.Scan() {
			log.add(sc.Text())
			if !signalled && isReadyLine(sc.Text()) {
				signalled = true
				close(ready)
			}
		}
		_, _ = io.Copy(io.Discard, out)
		_ = cmd.Wait()
		close(done)
	}()
	select {
	case <-ready:
	case <-done:
		return fmt.Errorf("redis-server exited early:\n%s", log.String())
	case <-time.After(startTimeout):
		_ = cmd.Process.Kill()
		<-done
		return errors.New("redis-server did not become ready in time")
	}
	s.mu.Lock()
	s.cmd, s.done, s.log = cmd, done, log
	s.mu.Unlock()
	if err := s.ping(); err != nil {
		return err
	}
	if s.cfg.cluster {
		return s.clusterUp()
	}
	return nil
}

// clusterUp gives the node every slot (on first start) and waits until it
// reports cluster_state:ok.
func (s *Server) clusterUp() error {
	c := redis.NewClient(s.clientOptions())
	defer func() { _ = c.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := c.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", 0, 16383).Err(); err != nil && !strings.Contains(err.Error(), "already busy") {
		return fmt.Errorf("assign cluster slots: %w", err)
	}
	// Readiness polling of an external process (it has no ready signal
	// for the cluster state), bounded by startTimeout.
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		info, err := c.ClusterInfo(ctx).Result()
		if err == nil && strings.Contains(info, "cluster_state:ok") {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster did not reach state ok: %w", errors.Join(ctx.Err(), err))
		case <-tick.C:
		}
	}
}

// Log is what the server (its last start) printed so far.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.log == nil {
		return ""
	}
	return s.log.String()
}

// syncBuffer collects log lines from the reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) add(line string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.b.WriteString(line + "\n")
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// isReadyLine reports whether a log line says the server (or, for a
// Sentinel, which never prints "Ready", the sentinel) accepts clients.
func isReadyLine(line string) bool {
	return strings.Contains(line, "Ready to accept connections") || strings.Contains(line, "Sentinel ID is")
}

func (s *Server) ping() error {
	o := s.clientOptions()
	o.MaxRetries = -1
	c := redis.NewClient(o)
	defer func() { _ = c.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ping redis-server at %s: %w", s.Addr(), err)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}
