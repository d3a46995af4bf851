package poller_test

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
	"github.com/snowduty/snowduty/state/redistest"
)

// Behind a web tier that refuses URLs over 2,048 characters (with an HTML
// 414), the daemon still reads its partners 100 pairs at a time: its batch
// reads are cut to fit, so no pass fails for the length of its URLs.
func TestBatchReadsFitTheURLBudget(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(redis)
		w.sn = snowsim.New(snowsim.Options{Seed: 1, MaxURLLength: 2048})
		e := w.newEnv(t)
		const n = 120
		ids := make([]string, n)
		for i := range ids {
			ids[i] = e.newFD(fdsim.IncidentSpec{Title: fmt.Sprintf("Edge node %03d unreachable", i), Severity: "Warning"})
		}
		e.settle(4)
		time.Sleep(5 * time.Second)
		for i, id := range ids {
			title := fmt.Sprintf("Edge node %03d unreachable (rack B)", i)
			e.must(e.fd.EditIncident(fdsim.Alice, id, fdsim.Edit{Title: &title}))
		}
		time.Sleep(5 * time.Second)
		e.settle(4)
		for i, id := range ids {
			if got := e.snowOf(e.linkOf(id).SysID)["short_description"]; got != fmt.Sprintf("Edge node %03d unreachable (rack B)", i) {
				t.Fatalf("pair %d: servicenow title %q: the edit did not arrive", i, got)
			}
		}
		for _, r := range e.sn.Requests() {
			if r.Status == 414 {
				t.Fatalf("a request was refused for its length: %s %s", r.Method, r.Path)
			}
		}
	})
}
