package poller_test

import (
	"encoding/json"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
	"github.com/snowduty/snowduty/diff"
	"github.com/snowduty/snowduty/state/redistest"
)

// explain runs the pipeline the daemon runs, only without writing: on the
// same world, the plan it shows is exactly the plan `snowduty sync` then
// applies. Before, explain re-listed the stages and skipped the name
// lookup, showing "comment by member 2476…" where the daemon wrote
// "comment by Alice".
func TestExplainPlansWhatSyncApplies(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t)
		id, sysID := e.linkedPair("Payments 502s")
		time.Sleep(5 * time.Second)
		e.must(e.fd.Comment(fdsim.Alice, id, "rolling back the gateway"))
		e.must(e.sn.AddComment(snowsim.Alice, sysID, "merchant support informed"))
		e.editSN(sysID, map[string]string{"short_description": "Payments 502s in EU"})
		time.Sleep(5 * time.Second)

		writes := e.writes()
		ex, err := e.p.Explain(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if e.writes() != writes {
			t.Fatalf("explain wrote %d calls", e.writes()-writes)
		}
		applied, err := e.p.SyncOne(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := planText(ex.Plan), planText(applied); got != want {
			t.Fatalf("explain planned\n%s\nbut sync applied\n%s", got, want)
		}
		if len(applied.ServiceNow.Comments) != 1 || !strings.Contains(applied.ServiceNow.Comments[0].Text, "[Flashduty comment by Alice") {
			t.Fatalf("the applied plan does not attribute the comment to Alice: %s", planText(applied))
		}
		if len(applied.Flashduty.Comments) != 1 || applied.Flashduty.Reset == nil {
			t.Fatalf("the applied plan lacks the servicenow comment or title: %s", planText(applied))
		}
	})
}

// planText is a plan as JSON without its new base (whose update marks the
// writes themselves move).
func planText(p diff.Plan) string {
	p.NewBase = nil
	b, _ := json.MarshalIndent(p, "", "  ")
	return string(b)
}
