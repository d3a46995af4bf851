package main

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
	"github.com/snowduty/snowduty/state/redistest"
)

// simEnv starts both simulators on loopback and a private redis-server,
// and sets the environment of a real run against them.
func simEnv(t *testing.T) (*snowsim.Server, *fdsim.Server) {
	t.Helper()
	sn := snowsim.New(snowsim.Options{Seed: 7})
	fd := fdsim.New(fdsim.Options{Seed: 7})
	snSrv, fdSrv := httptest.NewServer(sn), httptest.NewServer(fd)
	t.Cleanup(snSrv.Close)
	t.Cleanup(fdSrv.Close)
	redis := redistest.Start(t)
	for k, v := range map[string]string{
		"SNOWDUTY_SYNC_DIRECTION":       "two_way",
		"SNOWDUTY_SERVICENOW_URL":       snSrv.URL,
		"SNOWDUTY_SERVICENOW_USERNAME":  snowsim.DefaultUser,
		"SNOWDUTY_SERVICENOW_PASSWORD":  snowsim.DefaultPassword,
		"SNOWDUTY_FLASHDUTY_URL":        fdSrv.URL,
		"SNOWDUTY_FLASHDUTY_APP_KEY":    fdsim.DefaultAppKey,
		"SNOWDUTY_FLASHDUTY_CHANNEL_ID": "2551105804131",
		"SNOWDUTY_REDIS_URL":            redis.URL(),
		"SNOWDUTY_LOG_LEVEL":            "debug",
	} {
		t.Setenv(k, v)
	}
	return sn, fd
}

// run calls the dispatcher and returns its exit code and output.
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := dispatch(t.Context(), args, &out, &errOut)
	for _, secret := range []string{snowsim.DefaultPassword, fdsim.DefaultAppKey} {
		if strings.Contains(out.String()+errOut.String(), secret) {
			t.Fatalf("%v printed a secret:\n%s\n%s", args, out.String(), errOut.String())
		}
	}
	return code, out.String(), errOut.String()
}

func TestDispatch(t *testing.T) {
	if code, _, errOut := runCmd(t, "frobnicate"); code != exitUsage || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Fatalf("unknown command: %d %q", code, errOut)
	}
	code, out, _ := runCmd(t, "help")
	if code != exitOK {
		t.Fatalf("help exit %d", code)
	}
	for _, c := range commands() {
		if !strings.Contains(out, c.name) {
			t.Errorf("help does not list %s", c.name)
		}
	}
	if code, out, _ := runCmd(t, "version"); code != exitOK || !strings.HasPrefix(out, "snowduty ") {
		t.Fatalf("version: %d %q", code, out)
	}
}

func TestRunRefusesBadConfiguration(t *testing.T) {
	simEnv(t)
	t.Setenv("SNOWDUTY_SYNC_DIRECTION", "")
	t.Setenv("SNOWDUTY_SCHEDULE_SERVICENOW", "every thirty seconds")
	t.Setenv("SNOWDUTY_SYNC_DIRECTON", "two_way")
	code, _, errOut := runCmd(t, "run")
	if code != exitUsage {
		t.Fatalf("exit %d, want %d", code, exitUsage)
	}
	for _, want := range []string{"SNOWDUTY_SYNC_DIRECTION: is required", "SNOWDUTY_SCHEDULE_SERVICENOW", "did you mean SNOWDUTY_SYNC_DIRECTION"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

func TestOnceStatusExplainSyncDeadLetters(t *testing.T) {
	sn, fd := simEnv(t)
	inc, err := fd.CreateIncident(fdsim.IncidentSpec{Title: "Disk full on db-01", Severity: "Critical", ChannelID: fdsim.OpsChannelID})
	if err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCmd(t, "once"); code != exitOK {
		t.Fatalf("once: exit %d\n%s\n%s", code, out, errOut)
	}
	if n := sn.IncidentCount(); n != 1 {
		t.Fatalf("%d servicenow incidents after once, want 1", n)
	}
	if code, out, errOut := runCmd(t, "once"); code != exitOK || sn.IncidentCount() != 1 {
		t.Fatalf("second once: exit %d, %d incidents\n%s\n%s", code, sn.IncidentCount(), out, errOut)
	}

	code, out, _ := runCmd(t, "status")
	if code != exitOK || !strings.Contains(out, "linked pairs") || !regexpLine(out, `linked pairs\s+1`) {
		t.Fatalf("status: %d\n%s", code, out)
	}

	code, out, errOut := runCmd(t, "explain", inc.IncidentID)
	if code != exitOK {
		t.Fatalf("explain: %d %s", code, errOut)
	}
	var ex struct {
		Link struct{ IncidentID string } `json:"link"`
		Plan json.RawMessage             `json:"plan"`
	}
	if err := json.Unmarshal([]byte(out), &ex); err != nil || ex.Link.IncidentID != inc.IncidentID {
		t.Fatalf("explain output: %v\n%s", err, out)
	}

	title := "Disk full on db-01 and db-02"
	if err := fd.EditIncident(fdsim.Alice, inc.IncidentID, fdsim.Edit{Title: &title}); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCmd(t, "sync", inc.IncidentID); code != exitOK || !strings.Contains(out, "short_description") {
		t.Fatalf("sync: %d\n%s\n%s", code, out, errOut)
	}
	found := false
	for _, rec := range sn.Dump().Incidents {
		found = found || rec["short_description"] == title
	}
	if !found {
		t.Fatal("sync did not push the new title")
	}
	if code, out, _ := runCmd(t, "sync", "not-an-id"); code != exitFailed || out == "" {
		t.Fatalf("sync bad id: %d", code)
	}

	if code, out, _ := runCmd(t, "dead-letters"); code != exitOK || !strings.Contains(out, "no dead letters") {
		t.Fatalf("dead-letters: %d %s", code, out)
	}
	if code, out, _ := runCmd(t, "dead-letters", "replay"); code != exitOK || !strings.Contains(out, "0 pair(s)") {
		t.Fatalf("dead-letters replay: %d %s", code, out)
	}
}

func TestCheck(t *testing.T) {
	simEnv(t)
	code, out, errOut := runCmd(t, "check")
	if code != exitOK || !strings.Contains(out, "all checks passed") {
		t.Fatalf("check: %d\n%s\n%s", code, out, errOut)
	}
	t.Setenv("SNOWDUTY_SERVICENOW_PASSWORD", "wrong-password")
	t.Setenv("SNOWDUTY_FLASHDUTY_APP_KEY", "wrong-key")
	code, out, _ = runCmd(t, "check")
	if code != exitFailed {
		t.Fatalf("check with bad credentials: exit %d\n%s", code, out)
	}
	for _, want := range []string{"Password needs reset", "web service access", "app key is wrong"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "wrong-password") || strings.Contains(out, "wrong-key") {
		t.Fatalf("check printed a secret:\n%s", out)
	}
}

func TestOnceBadCredentialsExplains(t *testing.T) {
	simEnv(t)
	t.Setenv("SNOWDUTY_SERVICENOW_PASSWORD", "wrong-password")
	code, out, errOut := runCmd(t, "once")
	if code != exitFailed || !strings.Contains(out+errOut, "401") {
		t.Fatalf("once with a bad password: exit %d\n%s\n%s", code, out, errOut)
	}
	if strings.Contains(out+errOut, "wrong-password") {
		t.Fatal("printed the password")
	}
}

func TestDemo(t *testing.T) {
	if os.Getenv("SNOWDUTY_REDIS_URL") != "" {
		t.Setenv("SNOWDUTY_REDIS_URL", "")
	}
	code, out, errOut := runCmd(t, "demo", "--step-timeout", "20s")
	if code != exitOK || !strings.Contains(out, "10 of 10 steps synced") {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out, errOut)
	}
}

func regexpLine(s, pattern string) bool { return regexp.MustCompile(pattern).MatchString(s) }
