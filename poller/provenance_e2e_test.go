package poller_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/state/redistest"
)

// TestFlushKeepsEachSidesNewerEdit: Redis is flushed, so every base is
// lost. Meanwhile a person edits the title in Flashduty (after snowduty had
// mirrored ServiceNow's title there), and ServiceNow is edited later on
// another field; on a second pair ServiceNow's title is edited and
// Flashduty is edited later on another field. Flashduty's timeline tells
// which side changed each title, so neither edit is lost to the other
// incident's newer update time.
func TestFlushKeepsEachSidesNewerEdit(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t)
		id1, sys1 := e.linkedPair("first pair")
		id2, sys2 := e.linkedPair("second pair")
		e.editSN(sys1, map[string]string{"short_description": "first pair, titled in servicenow"})
		time.Sleep(5 * time.Second)
		e.settle(4)

		redis.Flush()
		e.must(e.fd.EditIncident(fdsim.Alice, id1, fdsim.Edit{Title: ptr("first pair, retitled in flashduty")}))
		e.editSN(sys2, map[string]string{"short_description": "second pair, retitled in servicenow"})
		time.Sleep(2 * time.Second)
		e.editSN(sys1, map[string]string{"description": "servicenow edited later"})
		e.must(e.fd.EditIncident(fdsim.Bob, id2, fdsim.Edit{Description: ptr("flashduty edited later")}))
		time.Sleep(5 * time.Second)
		e.settle(6)
		e.steady(2)

		for _, c := range []struct{ id, sysID, want, desc string }{
			{id1, sys1, "first pair, retitled in flashduty", "servicenow edited later"},
			{id2, sys2, "second pair, retitled in servicenow", "flashduty edited later"},
		} {
			sn, fd := e.snowOf(c.sysID), e.fdOf(c.id)
			if sn["short_description"] != c.want || fd.Title != c.want {
				t.Errorf("titles: servicenow %q, flashduty %q; want %q on both", sn["short_description"], fd.Title, c.want)
			}
			if sn["description"] != c.desc {
				t.Errorf("servicenow description %q, want %q", sn["description"], c.desc)
			}
		}
	})
}

// TestAdoptedPairIsWatchedAtOnce: after Redis was lost, a pass adopts a
// pair (stores its link) and the process dies before the pass records it.
// The pair must already be in the active set: Flashduty discovery skips
// linked incidents, so otherwise a later Flashduty edit would never be seen.
func TestAdoptedPairIsWatchedAtOnce(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t)
		id, _ := e.linkedPair("adopted after a flush")
		redis.Flush()
		e.must(e.fd.InjectFault(fdsim.Fault{Path: "/incident/feed", Delay: time.Hour}))
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(5*time.Second, cancel) // dies while reading the timeline
		if err := e.p.RunOnce(ctx); err == nil {
			t.Fatal("the cancelled pass reported success")
		}
		e.fd.ClearFaults()
		if l := e.linkOf(id); l.IncidentID != id {
			t.Fatalf("no link stored by the cancelled pass: %+v", l)
		}
		active, _, err := e.store.ActivePairs(t.Context(), "", 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(active) != 1 || active[0].PairID != e.linkOf(id).PairID() {
			t.Fatalf("active pairs after the adoption = %+v, want the adopted pair", active)
		}
	})
}
