package poller_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/diff"
	"github.com/snowduty/snowduty/poller"
	"github.com/snowduty/snowduty/state/redistest"
)

func TestConflictPolicies(t *testing.T) {
	for _, c := range []struct {
		policy    diff.ConflictPolicy
		snowFirst bool // ServiceNow's edit is the older one
		want      string
	}{
		{diff.ConflictNewest, true, "title from flashduty"},
		{diff.ConflictNewest, false, "title from servicenow"},
		{diff.ConflictServiceNow, true, "title from servicenow"},
		{diff.ConflictFlashduty, false, "title from flashduty"},
	} {
		t.Run(string(c.policy), func(t *testing.T) {
			redis := redistest.Start(t)
			synctest.Test(t, func(t *testing.T) {
				e := newWorld(redis).newEnv(t, func(o *poller.Options) { o.Policy.Conflict = c.policy })
				id, sysID := e.linkedPair("original title")
				time.Sleep(10 * time.Second)
				editSN := func() { e.editSN(sysID, map[string]string{"short_description": "title from servicenow"}) }
				editFD := func() {
					e.must(e.fd.EditIncident(fdsim.Alice, id, fdsim.Edit{Title: ptr("title from flashduty")}))
				}
				if c.snowFirst {
					editSN()
					time.Sleep(3 * time.Second)
					editFD()
				} else {
					editFD()
					time.Sleep(3 * time.Second)
					editSN()
				}
				time.Sleep(3 * time.Second)
				e.settle(4)
				if sn, fd := e.snowOf(sysID)["short_description"], e.fdOf(id).Title; sn != c.want || fd != c.want {
					t.Fatalf("after the conflict: servicenow %q, flashduty %q; want both %q", sn, fd, c.want)
				}
				if n := testutil.CollectAndCount(e.reg, "snowduty_conflicts_total"); n != 1 {
					t.Fatalf("%d conflict series, want 1", n)
				}
				e.steady(2)
			})
		})
	}
}
