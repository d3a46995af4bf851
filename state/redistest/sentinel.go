package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// SentinelMasterName is the name the sentinels of StartSentinel monitor.
const SentinelMasterName = "snowduty-test"

// Failover timings of StartSentinel: a master that does not answer for
// sentinelDownAfter is subjectively down; sentinelFailoverTimeout bounds
// one failover attempt (a retry by the same sentinel waits twice that).
const (
	sentinelDownAfter       = 800 * time.Millisecond
	sentinelFailoverTimeout = 3 * time.Second
	// topologyTimeout bounds the waits of the Sentinel and Cluster
	// starters (discovery, failover, cluster join).
	topologyTimeout = 30 * time.Second
)

// SentinelOption changes how StartSentinel configures the topology.
type SentinelOption func(*sentinelConfig)

type sentinelConfig struct {
	password string
}

// SentinelPassword protects the master, the replica and the sentinels
// with one password (requirepass, masterauth, sentinel auth-pass), as
// snowduty expects: it authenticates to the sentinels with the Redis
// password too.
func SentinelPassword(pw string) SentinelOption {
	return func(c *sentinelConfig) { c.password = pw }
}

// Sentinel is a private Sentinel topology on loopback: one master, one
// replica and three sentinels (quorum 2), every process stopped on
// t.Cleanup.
type Sentinel struct {
	cfg       sentinelConfig
	data      []*Server // the two data nodes; either may be the master
	sentinels []*Server
	t         testing.TB

	mu     sync.Mutex
	master string // the address the sentinels last reported
}

// StartSentinel starts the topology and returns once every sentinel
// knows the master, the replica and both other sentinels, and the
// replica is in sync. It fails the test (never skips) when redis-server
// is not installed.
func StartSentinel(t testing.TB, opts ...SentinelOption) *Sentinel {
	t.Helper()
	sn := &Sentinel{t: t}
	for _, o := range opts {
		o(&sn.cfg)
	}
	pw := sn.cfg.password
	// No diskless-sync delay: a returning node resyncs at once.
	dataOpts := []Option{WithArgs("--repl-diskless-sync-delay", "0")}
	if pw != "" {
		dataOpts = append(dataOpts, WithPassword(pw), WithArgs("--masterauth", pw))
	}
	m := Start(t, dataOpts...)
	r := Start(t, append(dataOpts, WithArgs("--replicaof", "127.0.0.1", strconv.Itoa(m.port)))...)
	sn.data = []*Server{m, r}
	sn.master = m.Addr()
	for i := range 3 {
		conf := filepath.Join(t.TempDir(), fmt.Sprintf("sentinel-%d.conf", i))
		if err := os.WriteFile(conf, []byte(sn.sentinelConf(m.port)), 0o600); err != nil {
			t.Fatalf("redistest: write sentinel config: %v", err)
		}
		so := []Option{func(c *config) { c.sentinelConf = conf }}
		if pw != "" {
			so = append(so, WithPassword(pw))
		}
		sn.sentinels = append(sn.sentinels, Start(t, so...))
	}
	ctx, cancel := context.WithTimeout(context.Background(), topologyTimeout)
	defer cancel()
	if err := sn.waitDiscovered(ctx); err != nil {
		t.Fatalf("redistest: sentinel topology: %v", err)
	}
	return sn
}

// sentinelConf is one sentinel's config file (sentinels rewrite it).
func (sn *Sentinel) sentinelConf(masterPort int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "sentinel monitor %s 127.0.0.1 %d 2\n", SentinelMasterName, masterPort)
	fmt.Fprintf(&b, "sentinel down-after-milliseconds %s %d\n", SentinelMasterName, sentinelDownAfter.Milliseconds())
	fmt.Fprintf(&b, "sentinel failover-timeout %s %d\n", SentinelMasterName, sentinelFailoverTimeout.Milliseconds())
	fmt.Fprintf(&b, "sentinel parallel-syncs %s 1\n", SentinelMasterName)
	if sn.cfg.password != "" {
		fmt.Fprintf(&b, "sentinel auth-pass %s %s\n", SentinelMasterName, sn.cfg.password)
	}
	return b.String()
}

// MasterName is the monitored master's name (SNOWDUTY_REDIS_SENTINEL_MASTER).
func (sn *Sentinel) MasterName() string { return SentinelMasterName }

// SentinelAddrs are the sentinels' host:port (SNOWDUTY_REDIS_SENTINEL_ADDRS).
func (sn *Sentinel) SentinelAddrs() []string {
	out := make([]string, len(sn.sentinels))
	for i, s := range sn.sentinels {
		out[i] = s.Addr()
	}
	return out
}

// Password is the topology's password ("" when none).
func (sn *Sentinel) Password() string { return sn.cfg.password }

// Master is the data node the sentinels last reported as master.
func (sn *Sentinel) Master() *Server {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	return sn.byAddr(sn.master)
}

// Replica is the data node that is not the master.
func (sn *Sentinel) Replica() *Server {
	m := sn.Master()
	for _, s := range sn.data {
		if s != m {
			return s
		}
	}
	return nil
}

func (sn *Sentinel) byAddr(addr string) *Server {
	for _, s := range sn.data {
		if s.Addr() == addr {
			return s
		}
	}
	return nil
}

// KillMaster ends the current master with SIGKILL and returns its old
// address; WaitFailover then waits for the sentinels to promote the
// replica.
func (sn *Sentinel) KillMaster() string {
	m := sn.Master()
	m.Kill()
	return m.Addr()
}

// WaitFailover polls the sentinels until a majority of them report a
// master other than old, and that master answers as a master. It returns
// the new master's address.
func (sn *Sentinel) WaitFailover(ctx context.Context, old string) (string, error) {
	var last string
	err := pollUntil(ctx, func(ctx context.Context) bool {
		addr, n := sn.reportedMaster(ctx)
		last = addr
		if addr == "" || addr == old || n < 2 {
			return false
		}
		s := sn.byAddr(addr)
		if s == nil {
			return false
		}
		info, err := s.Client().Info(ctx, "replication").Result()
		return err == nil && strings.Contains(info, "role:master")
	})
	if err != nil {
		return "", fmt.Errorf("wait for failover from %s (sentinels report %q): %w", old, last, err)
	}
	sn.mu.Lock()
	sn.master = last
	sn.mu.Unlock()
	return last, nil
}

// RestartOld starts a killed data node again (empty: no persistence); the
// sentinels turn it into a replica of the new master. It returns once it
// replicates with its link up, so the topology can fail over again.
func (sn *Sentinel) RestartOld(ctx context.Context, t testing.TB) error {
	t.Helper()
	var old *Server
	for _, s := range sn.data {
		if !s.Running() {
			old = s
		}
	}
	if old == nil {
		return nil
	}
	old.Restart(t)
	err := pollUntil(ctx, func(ctx context.Context) bool {
		info, err := old.Client().Info(ctx, "replication").Result()
		return err == nil && strings.Contains(info, "role:slave") && strings.Contains(info, "master_link_status:up") &&
			strings.Contains(info, "master_port:"+strconv.Itoa(sn.Master().port))
	})
	if err != nil {
		return fmt.Errorf("wait for %s to replicate %s: %w\n%s", old.Addr(), sn.Master().Addr(), err, sn.logs())
	}
	return nil
}

// logs is every process's output, for a failure message.
func (sn *Sentinel) logs() string {
	var b strings.Builder
	for _, s := range append(append([]*Server{}, sn.data...), sn.sentinels...) {
		fmt.Fprintf(&b, "--- %s\n%s", s.Addr(), s.Log())
	}
	return b.String()
}

// WaitReplicated waits until the replica acknowledged every write the
// master received so far (WAIT 1 on the master): a write made before it
// survives a failover.
func (sn *Sentinel) WaitReplicated(ctx context.Context) error {
	n, err := sn.Master().Client().Wait(ctx, 1, 10*time.Second).Result()
	if err != nil {
		return fmt.Errorf("wait for replication: %w", err)
	}
	if n < 1 {
		return fmt.Errorf("wait for replication: %d replicas acknowledged", n)
	}
	return nil
}

// reportedMaster asks every sentinel for the master's address and returns
// the most reported one with its count.
func (sn *Sentinel) reportedMaster(ctx context.Context) (string, int) {
	votes := map[string]int{}
	for _, s := range sn.sentinels {
		c := redis.NewSentinelClient(&redis.Options{Addr: s.Addr(), Password: sn.cfg.password, MaxRetries: -1})
		addr, err := c.GetMasterAddrByName(ctx, SentinelMasterName).Result()
		_ = c.Close()
		if err == nil && len(addr) == 2 {
			votes[net.JoinHostPort(addr[0], addr[1])]++
		}
	}
	best, n := "", 0
	for a, v := range votes {
		if v > n {
			best, n = a, v
		}
	}
	return best, n
}

// waitDiscovered waits until every sentinel sees the replica and two
// other sentinels, and the replica's link to the master is up.
func (sn *Sentinel) waitDiscovered(ctx context.Context) error {
	return pollUntil(ctx, func(ctx context.Context) bool {
		for _, s := range sn.sentinels {
			c := redis.NewSentinelClient(&redis.Options{Addr: s.Addr(), Password: sn.cfg.password, MaxRetries: -1})
			peers, err1 := c.Sentinels(ctx, SentinelMasterName).Result()
			reps, err2 := c.Replicas(ctx, SentinelMasterName).Result()
			_ = c.Close()
			if err1 != nil || err2 != nil || len(peers) < 2 || len(reps) < 1 {
				return false
			}
		}
		info, err := sn.data[1].Client().Info(ctx, "replication").Result()
		return err == nil && strings.Contains(info, "master_link_status:up")
	})
}

// pollUntil calls cond every 50ms until it holds or ctx ends: the
// processes under test have no ready signal to wait on.
func pollUntil(ctx context.Context, cond func(context.Context) bool) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		ok := cond(cctx)
		cancel()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("poll: %w", ctx.Err())
		case <-tick.C:
		}
	}
}
