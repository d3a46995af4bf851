package poller_test

import (
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/poller"
	"github.com/snowduty/snowduty/state/redistest"
)

// A ServiceNow incident whose number the integration user cannot read (a
// field-level ACL leaves the column out of every row) has no identity to
// search Flashduty for. Today's search for "" matched the first unrelated
// Flashduty incident, linked it and overwrote it. Now the pair is parked
// with an error that names the fix, and nothing is linked or overwritten.
func TestNoLinkOnAHiddenNumber(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t)
		unrelated := e.newFD(fdsim.IncidentSpec{Title: "Unrelated disk alert on db-7", Description: "87% used", Severity: "Info"})
		e.sn.HideField("incident", "number")
		sysID := e.newSN(map[string]string{"short_description": "VPN down in Berlin", "description": "No tunnel", "urgency": "1", "impact": "1"})

		var pe *poller.PassError
		if err := e.passErr(); !errors.As(err, &pe) {
			t.Fatalf("pass: %v, want the hidden-number pair to fail", err)
		}
		// Retries (time moving past their backoff) fail the same way and
		// never fall back to a search for nothing.
		for range 4 {
			time.Sleep(time.Minute)
			var again *poller.PassError
			if err := e.passErr(); err != nil && !errors.As(err, &again) {
				t.Fatalf("pass: %v", err)
			}
		}
		var f *poller.PairFailure
		for i := range pe.Failures {
			if pe.Failures[i].Pair == "sn:"+sysID {
				f = &pe.Failures[i]
			}
		}
		if f == nil || f.Class != "no_identity" || !strings.Contains(f.Err, "incident.number") {
			t.Fatalf("failures = %+v, want sn:%s as no_identity naming incident.number", pe.Failures, sysID)
		}
		if l, ok, err := e.store.LinkBySysID(t.Context(), sysID); err != nil || ok {
			t.Fatalf("the incident with no readable number was linked: %+v (err %v)", l, err)
		}
		if got := e.fdOf(unrelated); got.Title != "Unrelated disk alert on db-7" || got.Description != "87% used" || got.Severity != "Info" {
			t.Fatalf("the unrelated flashduty incident was overwritten: %+v", got)
		}
		// The unrelated incident got its own partner; no copy of the VPN
		// incident was created.
		if e.fdCreates() != 0 || e.fdIncidents() != 1 {
			t.Fatalf("flashduty: %d creates, %d incidents; want 0 and 1", e.fdCreates(), e.fdIncidents())
		}
		if l := e.linkOf(unrelated); l.SysID == sysID {
			t.Fatalf("the unrelated flashduty incident is linked to the VPN incident")
		}
	})
}
