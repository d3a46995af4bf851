package redistest

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// missingCLI is the failure message when redis-cli is not installed.
const missingCLI = "redis-cli is missing; install it (apt-get install -y redis-server)"

// ClusterOption changes how StartCluster configures the cluster.
type ClusterOption func(*clusterConfig)

type clusterConfig struct {
	password string
}

// ClusterPassword makes every node require this password.
func ClusterPassword(pw string) ClusterOption {
	return func(c *clusterConfig) { c.password = pw }
}

// Cluster is a private Redis Cluster of three masters (no replicas) on
// loopback, made with `redis-cli --cluster create`, every node stopped on
// t.Cleanup.
type Cluster struct {
	cfg   clusterConfig
	nodes []*Server
	ids   []string
}

// StartCluster starts three cluster-enabled redis-servers, joins them
// with redis-cli and returns once every node reports cluster_state:ok
// and the same owner for every slot. It fails the test (never skips)
// when redis-server or redis-cli is not installed.
func StartCluster(t testing.TB, opts ...ClusterOption) *Cluster {
	t.Helper()
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Fatal(missingCLI)
	}
	c := &Cluster{}
	for _, o := range opts {
		o(&c.cfg)
	}
	so := []Option{func(cf *config) { cf.clusterNode = true }, WithArgs("--cluster-node-timeout", "5000")}
	if c.cfg.password != "" {
		so = append(so, WithPassword(c.cfg.password), WithArgs("--masterauth", c.cfg.password))
	}
	for range 3 {
		c.nodes = append(c.nodes, Start(t, so...))
	}
	args := []string{"--cluster", "create"}
	args = append(args, c.Addrs()...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if c.cfg.password != "" {
		args = append(args, "-a", c.cfg.password, "--no-auth-warning")
	}
	ctx, cancel := context.WithTimeout(context.Background(), topologyTimeout)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("redistest: redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, n := range c.nodes {
		id, err := n.Client().Do(ctx, "CLUSTER", "MYID").Text()
		if err != nil {
			t.Fatalf("redistest: cluster myid of %s: %v", n.Addr(), err)
		}
		c.ids = append(c.ids, id)
	}
	if err := pollUntil(ctx, c.consistent); err != nil {
		t.Fatalf("redistest: cluster did not reach state ok on every node: %v", err)
	}
	return c
}

// Addrs are the nodes' host:port (SNOWDUTY_REDIS_CLUSTER_ADDRS).
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		out[i] = n.Addr()
	}
	return out
}

// Nodes are the three masters.
func (c *Cluster) Nodes() []*Server { return c.nodes }

// Password is the nodes' password ("" when none).
func (c *Cluster) Password() string { return c.cfg.password }

// KeySlot is the hash slot of key (CLUSTER KEYSLOT).
func (c *Cluster) KeySlot(ctx context.Context, key string) (int, error) {
	n, err := c.nodes[0].Client().ClusterKeySlot(ctx, key).Result()
	if err != nil {
		return 0, fmt.Errorf("read key slot: %w", err)
	}
	return int(n), nil
}

// Owner is the master that serves slot, as every node agrees.
func (c *Cluster) Owner(ctx context.Context, slot int) (*Server, error) {
	var owner *Server
	for _, n := range c.nodes {
		o, err := c.ownerSeenBy(ctx, n, slot)
		if err != nil {
			return nil, err
		}
		if owner != nil && o != owner {
			return nil, fmt.Errorf("find slot owner: nodes disagree on slot %d (%s, %s)", slot, owner.Addr(), o.Addr())
		}
		owner = o
	}
	return owner, nil
}

// ownerSeenBy is the owner of slot in n's view (CLUSTER SLOTS).
func (c *Cluster) ownerSeenBy(ctx context.Context, n *Server, slot int) (*Server, error) {
	ranges, err := n.Client().ClusterSlots(ctx).Result() //nolint:staticcheck // CLUSTER SLOTS works on every Redis the tests meet; CLUSTER SHARDS needs 7.0
	if err != nil {
		return nil, fmt.Errorf("read cluster slots from %s: %w", n.Addr(), err)
	}
	for _, r := range ranges {
		if slot < int(r.Start) || slot > int(r.End) || len(r.Nodes) == 0 {
			continue
		}
		for _, s := range c.nodes {
			if s.Addr() == r.Nodes[0].Addr {
				return s, nil
			}
		}
	}
	return nil, fmt.Errorf("find slot owner: %s knows no owner of slot %d", n.Addr(), slot)
}

// consistent reports whether every node says cluster_state:ok and owns
// the same slots in every node's view.
func (c *Cluster) consistent(ctx context.Context) bool {
	for _, n := range c.nodes {
		info, err := n.Client().ClusterInfo(ctx).Result()
		if err != nil || !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_known_nodes:3") {
			return false
		}
	}
	for _, slot := range []int{0, 8191, 16383} {
		if _, err := c.Owner(ctx, slot); err != nil {
			return false
		}
	}
	return true
}

// MigrateOptions paces MigrateSlot.
type MigrateOptions struct {
	// Batch is how many keys one MIGRATE moves (default 10).
	Batch int
	// Pause is how long to wait between two batches, to keep the slot in
	// its migrating state for a while under traffic (default none).
	Pause time.Duration
}

// MigrateStats describes one slot migration.
type MigrateStats struct {
	From, To string
	Keys     int
	Batches  int
	Took     time.Duration
}

// MigrateSlot moves slot, keys included, from its owner to the master to
// while clients keep using it, as `redis-cli --cluster reshard` does:
// SETSLOT IMPORTING on the target, MIGRATING on the source, MIGRATE the
// keys in batches, then SETSLOT NODE on the target, the source and the
// other master.
func (c *Cluster) MigrateSlot(ctx context.Context, slot int, to *Server, mo MigrateOptions) (MigrateStats, error) {
	if mo.Batch <= 0 {
		mo.Batch = 10
	}
	from, err := c.Owner(ctx, slot)
	if err != nil {
		return MigrateStats{}, err
	}
	st := MigrateStats{From: from.Addr(), To: to.Addr()}
	if from == to {
		return st, fmt.Errorf("migrate slot %d: %s owns it already", slot, to.Addr())
	}
	start := time.Now()
	src, dst := from.Client(), to.Client()
	if err := dst.Do(ctx, "CLUSTER", "SETSLOT", slot, "IMPORTING", c.id(from)).Err(); err != nil {
		return st, fmt.Errorf("set slot %d importing on %s: %w", slot, to.Addr(), err)
	}
	if err := src.Do(ctx, "CLUSTER", "SETSLOT", slot, "MIGRATING", c.id(to)).Err(); err != nil {
		return st, fmt.Errorf("set slot %d migrating on %s: %w", slot, from.Addr(), err)
	}
	for {
		keys, err := src.ClusterGetKeysInSlot(ctx, slot, mo.Batch).Result()
		if err != nil {
			return st, fmt.Errorf("list keys of slot %d: %w", slot, err)
		}
		if len(keys) == 0 {
			break
		}
		args := []any{"MIGRATE", "127.0.0.1", to.port, "", 0, 5000}
		if c.cfg.password != "" {
			args = append(args, "AUTH", c.cfg.password)
		}
		args = append(args, "KEYS")
		for _, k := range keys {
			args = append(args, k)
		}
		if err := src.Do(ctx, args...).Err(); err != nil && !errors.Is(err, redis.Nil) {
			return st, fmt.Errorf("migrate %d keys of slot %d: %w", len(keys), slot, err)
		}
		st.Keys += len(keys)
		st.Batches++
		if mo.Pause > 0 {
			select {
			case <-ctx.Done():
				return st, fmt.Errorf("migrate slot %d: %w", slot, ctx.Err())
			case <-time.After(mo.Pause): // pacing, not a wait for a condition
			}
		}
	}
	order := []*Server{to, from}
	for _, n := range c.nodes {
		if n != to && n != from {
			order = append(order, n)
		}
	}
	for _, n := range order {
		if err := n.Client().Do(ctx, "CLUSTER", "SETSLOT", slot, "NODE", c.id(to)).Err(); err != nil {
			return st, fmt.Errorf("set slot %d node on %s: %w", slot, n.Addr(), err)
		}
	}
	st.Took = time.Since(start)
	return st, pollUntil(ctx, func(ctx context.Context) bool {
		o, err := c.Owner(ctx, slot)
		return err == nil && o == to
	})
}

// id is a node's cluster id.
func (c *Cluster) id(n *Server) string {
	for i, s := range c.nodes {
		if s == n {
			return c.ids[i]
		}
	}
	return ""
}

// Next is the master after n in start order (for moving a slot on).
func (c *Cluster) Next(n *Server) *Server {
	for i, s := range c.nodes {
		if s == n {
			return c.nodes[(i+1)%len(c.nodes)]
		}
	}
	return c.nodes[0]
}
