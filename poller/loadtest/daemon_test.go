package loadtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildDaemon builds the real snowduty binary into a temp dir.
func buildDaemon(t testing.TB, race bool) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "snowduty")
	args := []string{"build", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	args = append(args, "github.com/snowduty/snowduty/cmd/snowduty")
	out, err := exec.Command("go", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("build snowduty: %v\n%s", err, out)
	}
	return bin
}

// replica is one `snowduty run` child process, restartable.
type replica struct {
	name string
	bin  string
	env  []string
	log  *os.File
	cmd  *exec.Cmd
	done chan struct{}
}

func newReplica(t testing.TB, name, bin string, env []string, logPath string) *replica {
	t.Helper()
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	r := &replica{name: name, bin: bin, env: env, log: f}
	t.Cleanup(func() { r.kill(); _ = f.Close() })
	return r
}

// start runs the daemon (if it is not running).
func (r *replica) start(t testing.TB) {
	t.Helper()
	if r.running() {
		return
	}
	cmd := exec.Command(r.bin, "run")
	cmd.Env = append(os.Environ(), r.env...)
	cmd.Stdout, cmd.Stderr = r.log, r.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", r.name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	r.cmd, r.done = cmd, done
}

func (r *replica) running() bool {
	if r.cmd == nil {
		return false
	}
	select {
	case <-r.done:
		return false
	default:
		return true
	}
}

// kill ends the process with SIGKILL: no shutdown, no lease release.
func (r *replica) kill() {
	if !r.running() {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGKILL)
	<-r.done
}

// stop ends the process with SIGTERM and waits.
func (r *replica) stop() {
	if !r.running() {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(30 * time.Second):
		r.kill()
	}
}

// pid is the process id (0 when not running).
func (r *replica) pid() int {
	if !r.running() {
		return 0
	}
	return r.cmd.Process.Pid
}

// daemonEnv is the environment of `snowduty run` against w. An empty
// redisURL leaves the Redis settings to extra (Sentinel or Cluster).
func daemonEnv(w *world, appKey, password, redisURL, instance string, extra ...string) []string {
	env := []string{
		"SNOWDUTY_SYNC_DIRECTION=two_way",
		"SNOWDUTY_SERVICENOW_URL=" + w.snURL,
		"SNOWDUTY_SERVICENOW_USERNAME=snowduty",
		"SNOWDUTY_SERVICENOW_PASSWORD=" + password,
		"SNOWDUTY_FLASHDUTY_URL=" + w.fdURL,
		"SNOWDUTY_FLASHDUTY_APP_KEY=" + appKey,
		fmt.Sprintf("SNOWDUTY_FLASHDUTY_CHANNEL_ID=%d", 2551105804131),
		"SNOWDUTY_STATE_PREFIX=" + statePrefix,
		"SNOWDUTY_HTTP_ADDR=127.0.0.1:0",
		"SNOWDUTY_INSTANCE_ID=" + instance,
	}
	if redisURL != "" {
		env = append(env, "SNOWDUTY_REDIS_URL="+redisURL)
	}
	return append(env, extra...)
}

// rssKiB reads VmRSS and VmHWM of a process from /proc.
func rssKiB(pid int) (rss, hwm int) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		var v int
		if _, err := fmt.Sscanf(line, "VmRSS: %d kB", &v); err == nil {
			rss = v
		}
		if _, err := fmt.Sscanf(line, "VmHWM: %d kB", &v); err == nil {
			hwm = v
		}
	}
	return rss, hwm
}

// waitFor polls cond every step until it holds or ctx ends.
func waitFor(ctx context.Context, step time.Duration, cond func() bool) bool {
	for {
		if cond() {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(step):
		}
	}
}
