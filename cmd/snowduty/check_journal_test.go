package main

import (
	"strings"
	"testing"

	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
)

// check names what keeps comments from ServiceNow from being mirrored (a
// journal refused with 403, or its rows hidden) and what keeps incidents
// from being synced at all (no readable number), each with its fix.
func TestCheckNamesJournalAndNumberProblems(t *testing.T) {
	sn, _ := simEnv(t)
	rec, err := sn.CreateIncident(snowsim.Alice, map[string]string{"short_description": "Badge readers offline"})
	if err != nil {
		t.Fatal(err)
	}
	if err := sn.AddComment(snowsim.Alice, rec["sys_id"], "lobby too"); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runCmd(t, "check"); code != exitOK || !strings.Contains(out, "ok    servicenow journal") || !strings.Contains(out, "ok    servicenow incident numbers readable") {
		t.Fatalf("check on a readable instance: %d\n%s", code, out)
	}
	for _, tt := range []struct {
		how  snowsim.TableDenial
		want string
	}{
		{snowsim.DenyForbidden, "403"},
		{snowsim.DenyRows, "hides its rows"},
	} {
		sn.DenyTable("sys_journal_field", tt.how)
		code, out, _ := runCmd(t, "check")
		if code != exitFailed || !strings.Contains(out, "FAIL  servicenow journal (sys_journal_field) readable") || !strings.Contains(out, tt.want) || !strings.Contains(out, "audit_viewer") {
			t.Fatalf("check with the journal denied (%s): exit %d\n%s", tt.how, code, out)
		}
	}
	// once syncs what it can and status says why comments wait.
	sn.DenyTable("sys_journal_field", snowsim.DenyForbidden)
	if code, out, errOut := runCmd(t, "once"); code != exitOK {
		t.Fatalf("once with the journal refused: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, _ := runCmd(t, "status"); code != exitOK || !regexpLine(out, `servicenow journal\s+UNREADABLE`) || !strings.Contains(out, "audit_viewer") {
		t.Fatalf("status with the journal refused: exit %d\n%s", code, out)
	}
	sn.DenyTable("sys_journal_field", snowsim.DenyNone)
	sn.HideField("incident", "number")
	code, out, _ := runCmd(t, "check")
	if code != exitFailed || !strings.Contains(out, "FAIL  servicenow incident numbers readable") || !strings.Contains(out, "incident.number") {
		t.Fatalf("check with numbers hidden: exit %d\n%s", code, out)
	}
}
