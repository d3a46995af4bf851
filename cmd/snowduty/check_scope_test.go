package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/snowduty/snowduty/clients/httpx/httpxtest"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
)

// typoScope misspells assignment_group: ServiceNow ignores the condition,
// so the scope would be every active incident.
const typoScope = "assignement_group=" + snowsim.ServiceDeskGroup + "^active=true"

func containsAll(t *testing.T, what, s string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(s, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, s)
		}
	}
}

// A misspelt column in the scope fails check, naming it with the closest
// column, and run and once refuse to start (exit 2) before syncing
// anything.
func TestScopeQueryTypoFailsCheckAndRefusesRun(t *testing.T) {
	sn, fd := simEnv(t)
	if _, err := sn.CreateIncident(snowsim.Alice, map[string]string{"short_description": "Out of scope"}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SNOWDUTY_SERVICENOW_QUERY", typoScope)
	code, out, _ := runCmd(t, "check")
	if code != exitFailed {
		t.Fatalf("check: exit %d, want %d\n%s", code, exitFailed, out)
	}
	containsAll(t, "check output", out,
		"FAIL  servicenow scope query columns exist: ServiceNow would silently ignore 1 condition(s) of SNOWDUTY_SERVICENOW_QUERY",
		`- column "assignement_group" does not exist on incident (nor on task, which incident extends) (did you mean assignment_group?)`,
		"refuse to start (unless SNOWDUTY_SERVICENOW_QUERY_ALLOW_UNKNOWN=true)")

	for _, cmd := range []string{"run", "once"} {
		code, out, errOut := runCmd(t, cmd)
		if code != exitUsage {
			t.Fatalf("%s: exit %d, want %d\n%s\n%s", cmd, code, exitUsage, out, errOut)
		}
		containsAll(t, cmd+" stderr", errOut,
			"snowduty: the configuration has problems:",
			`  SNOWDUTY_SERVICENOW_QUERY: column "assignement_group" does not exist on incident`,
			"did you mean assignment_group?",
			"set SNOWDUTY_SERVICENOW_QUERY_ALLOW_UNKNOWN=true to start anyway")
	}
	if ids := fd.IncidentIDs(); len(ids) != 0 {
		t.Fatalf("a refused start synced %d incident(s)", len(ids))
	}
}

// SNOWDUTY_SERVICENOW_QUERY_ALLOW_UNKNOWN=true lets once and run start on
// such a query, with a warning naming the column.
func TestScopeQueryOverrideStarts(t *testing.T) {
	simEnv(t)
	t.Setenv("SNOWDUTY_SERVICENOW_QUERY", typoScope)
	t.Setenv("SNOWDUTY_SERVICENOW_QUERY_ALLOW_UNKNOWN", "true")
	t.Setenv("SNOWDUTY_HTTP_ADDR", "127.0.0.1:0")
	code, out, errOut := runCmd(t, "once")
	if code != exitOK {
		t.Fatalf("once with the override: exit %d\n%s\n%s", code, out, errOut)
	}
	containsAll(t, "once stderr", errOut, "starting anyway", "assignement_group", "SNOWDUTY_SERVICENOW_QUERY_ALLOW_UNKNOWN=true")

	// check still fails: the override is for run and once only.
	if code, out, _ := runCmd(t, "check"); code != exitFailed || !strings.Contains(out, "FAIL  servicenow scope query columns exist") {
		t.Fatalf("check with the override: exit %d\n%s", code, out)
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr httpxtest.SyncBuffer
	done := make(chan int, 1)
	go func() { done <- dispatch(ctx, []string{"run"}, &stdout, &stderr) }()
	deadline := time.After(20 * time.Second)
	// Wait until it leads (a cancel during the poller's own start-up
	// checks ends run with "context canceled", which is not what this
	// test is about).
	for !strings.Contains(stderr.String(), "leading: running the schedules") {
		select {
		case code := <-done:
			t.Fatalf("run with the override exited %d before it ran:\n%s", code, stderr.String())
		case <-deadline:
			t.Fatalf("run with the override did not start:\n%s", stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("run stopped with exit %d:\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not stop")
	}
	containsAll(t, "run stderr", stderr.String(), "starting anyway", "assignement_group")
}

// Correct dot-walks pass check and let once run; a misspelt one fails with
// the column it meant.
func TestScopeQueryDotWalks(t *testing.T) {
	sn, _ := simEnv(t)
	sn.AddReferenceSchema()
	t.Setenv("SNOWDUTY_SERVICENOW_QUERY", "assignment_group.name=Service Desk^ORopened_by.user_name=alice^active=true")
	code, out, errOut := runCmd(t, "check")
	if code != exitOK || !strings.Contains(out, "all checks passed\n") {
		t.Fatalf("check with correct dot-walks: exit %d\n%s\n%s", code, out, errOut)
	}
	containsAll(t, "check output", out, "ok    servicenow scope query columns exist: assignment_group.name, opened_by.user_name, active")
	if code, out, errOut := runCmd(t, "once"); code != exitOK {
		t.Fatalf("once with correct dot-walks: exit %d\n%s\n%s", code, out, errOut)
	}

	t.Setenv("SNOWDUTY_SERVICENOW_QUERY", "assignment_group.nmae=Service Desk^active=true")
	code, out, _ = runCmd(t, "check")
	if code != exitFailed {
		t.Fatalf("check with a misspelt dot-walk: exit %d\n%s", code, out)
	}
	containsAll(t, "check output", out, `"assignment_group.nmae": sys_user_group (which assignment_group references) has no column "nmae" (did you mean assignment_group.name?)`)
	if code, _, errOut := runCmd(t, "once"); code != exitUsage || !strings.Contains(errOut, `SNOWDUTY_SERVICENOW_QUERY: "assignment_group.nmae"`) {
		t.Fatalf("once with a misspelt dot-walk: exit %d\n%s", code, errOut)
	}

	t.Setenv("SNOWDUTY_SERVICENOW_QUERY", "short_description.name=x")
	if code, out, _ := runCmd(t, "check"); code != exitFailed || !strings.Contains(out, "short_description is a string column, not a reference, so it cannot be dot-walked") {
		t.Fatalf("check with a dot-walk through a string: exit %d\n%s", code, out)
	}
}

// Where sys_dictionary cannot be read, check warns (and passes) and run
// starts with a warning: snowduty cannot tell a typo from a column there.
func TestScopeQueryDictionaryUnreadable(t *testing.T) {
	sn, _ := simEnv(t)
	t.Setenv("SNOWDUTY_SERVICENOW_QUERY", typoScope)
	for _, how := range []snowsim.TableDenial{snowsim.DenyForbidden, snowsim.DenyRows} {
		sn.DenyTable("sys_dictionary", how)
		code, out, errOut := runCmd(t, "check")
		if code != exitOK {
			t.Fatalf("check with sys_dictionary denied (%s): exit %d\n%s\n%s", how, code, out, errOut)
		}
		containsAll(t, "check output", out, "WARN  servicenow scope query columns exist: not checked: ", "personalize_dictionary", "all checks passed, 1 warning(s) above")
		code, out, errOut = runCmd(t, "once")
		if code != exitOK {
			t.Fatalf("once with sys_dictionary denied (%s): exit %d\n%s\n%s", how, code, out, errOut)
		}
		containsAll(t, "once stderr", errOut, "scope query columns not checked", "personalize_dictionary")
	}
	sn.DenyTable("sys_dictionary", snowsim.DenyNone)

	// The simulator has no dictionary rows of sys_user_group until
	// AddReferenceSchema: a dot-walk through it is a warning, not a
	// failure.
	t.Setenv("SNOWDUTY_SERVICENOW_QUERY", "assignment_group.name=Service Desk")
	code, out, _ := runCmd(t, "check")
	if code != exitOK {
		t.Fatalf("check with an unverifiable dot-walk: exit %d\n%s", code, out)
	}
	containsAll(t, "check output", out, "WARN  servicenow scope query columns exist: 0 found (), 1 not checked", "sys_dictionary shows no column of sys_user_group")
}
