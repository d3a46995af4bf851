package poller_test

import (
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
	"github.com/snowduty/snowduty/poller"
	"github.com/snowduty/snowduty/state/redistest"
)

// stateKeys lists the Redis keys and their contents, leaving out the lease
// and its fence counter (taken and given back by every pass).
func stateKeys(t *testing.T, redis *redistest.Server) map[string]string {
	t.Helper()
	c := redis.Client()
	keys, err := c.Keys(t.Context(), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, k := range keys {
		if strings.HasSuffix(k, "}L") || strings.HasSuffix(k, "}f") {
			continue
		}
		v, err := c.Dump(t.Context(), k).Result()
		if err != nil {
			t.Fatal(err)
		}
		out[k] = v
	}
	return out
}

func TestDryRunWritesNothing(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(redis)
		live := w.newEnv(t)
		id, sysID := live.linkedPair("Already linked")
		live.steady(1)

		dry := w.newEnv(t, func(o *poller.Options) { o.DryRun = true; o.HolderID = "dry" })
		dry.must(dry.p.Prepare(t.Context()))
		before := stateKeys(t, redis)
		writes := dry.writes()
		// Work for every kind of plan: a create each way, a field change,
		// comments both ways.
		dry.newFD(fdsim.IncidentSpec{Title: "New in flashduty", Severity: "Info"})
		dry.newSN(map[string]string{"short_description": "New in servicenow", "urgency": "1", "impact": "1"})
		time.Sleep(3 * time.Second)
		dry.editSN(sysID, map[string]string{"urgency": "1"})
		dry.must(dry.sn.AddComment(snowsim.Alice, sysID, "dry comment"))
		dry.must(dry.fd.Comment(fdsim.Alice, id, "dry fd comment"))
		time.Sleep(5 * time.Second)
		for range 3 {
			dry.pass()
			time.Sleep(10 * time.Second)
		}
		if got := dry.writes() - writes; got != 0 {
			t.Fatalf("dry run made %d write calls", got)
		}
		after := stateKeys(t, redis)
		for k, v := range after {
			if before[k] != v {
				t.Errorf("dry run changed redis key %s", k)
			}
		}
		for k := range before {
			if _, ok := after[k]; !ok {
				t.Errorf("dry run deleted redis key %s", k)
			}
		}
		logs := dry.logs.String()
		var plans []string
		for _, line := range strings.Split(logs, "\n") {
			if strings.Contains(line, `msg="dry run: would apply"`) {
				plans = append(plans, line)
			}
		}
		if len(plans) < 3 || !slices.ContainsFunc(plans, func(l string) bool {
			return strings.Contains(l, `plan="{\"servicenow\":`) && strings.Contains(l, "pair=") && !strings.Contains(l, "0xc")
		}) {
			t.Fatalf("dry run logged %d plans: %q", len(plans), plans)
		}
		// The same work, for real, afterwards.
		live.settle(5)
		if live.fdComments(id, "dry comment") != 1 || countJournal(live.sn.Journal(sysID), "dry fd comment") != 1 || live.sn.IncidentCount() != 3 || live.fdIncidents() != 3 {
			t.Fatal("the live daemon did not finish the work the dry run planned")
		}
	})
}
