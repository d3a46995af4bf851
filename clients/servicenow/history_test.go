package servicenow

import (
	"strings"
	"testing"

	"github.com/snowduty/snowduty/clients/httpx"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
)

// A hardened instance refuses sys_journal_field to the integration user,
// with a 403 or by hiding its rows; the incident's comments field still
// shows the history (its display value), which JournalHistory reads.
func TestJournalDeniedAndHistory(t *testing.T) {
	e := newEnv(t, snowsim.Options{})
	rec, err := e.sim.CreateIncident(snowsim.Alice, map[string]string{"short_description": "Printer on fire"})
	if err != nil {
		t.Fatal(err)
	}
	id := rec["sys_id"]
	if err := e.sim.AddComment(snowsim.Alice, id, "smoke seen on floor 3"); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.AddWorkNote(snowsim.Alice, id, "facilities called"); err != nil {
		t.Fatal(err)
	}
	q := JournalQuery{IncidentIDs: []string{id}, Elements: []string{"comments", "work_notes"}}
	if got, err := e.c.Journal(t.Context(), q); err != nil || len(got) != 2 {
		t.Fatalf("readable journal = %d entries, %v", len(got), err)
	}

	e.sim.DenyTable("sys_journal_field", snowsim.DenyForbidden)
	if _, err := e.c.Journal(t.Context(), q); ClassOf(err) != httpx.Forbidden {
		t.Fatalf("journal with a table ACL: %v (class %s), want forbidden", err, ClassOf(err))
	}
	e.sim.DenyTable("sys_journal_field", snowsim.DenyRows)
	if got, err := e.c.Journal(t.Context(), q); err != nil || len(got) != 0 {
		t.Fatalf("journal with hidden rows = %d entries, %v; want none", len(got), err)
	}
	hist, err := e.c.JournalHistory(t.Context(), []string{id, "0123456789abcdef0123456789abcdef"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(hist[id], "smoke seen on floor 3") || !strings.Contains(hist[id], "facilities called") {
		t.Fatalf("history = %q, want both entries", hist[id])
	}
	if _, ok := hist["0123456789abcdef0123456789abcdef"]; ok || len(hist) != 1 {
		t.Fatalf("history holds incidents not asked for or not found: %v", hist)
	}
	e.sim.DenyTable("sys_journal_field", snowsim.DenyNone)
	if got, err := e.c.Journal(t.Context(), q); err != nil || len(got) != 2 {
		t.Fatalf("journal after the denial is lifted = %d entries, %v", len(got), err)
	}
}
