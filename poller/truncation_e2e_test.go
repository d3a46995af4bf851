package poller_test

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/diff"
	"github.com/snowduty/snowduty/state/redistest"
)

// Redis is lost after a Flashduty incident with a long title and
// description was mirrored: ServiceNow holds our shortened copies (160 and
// 4,000 characters). A person then edits ServiceNow, so it is the newer
// side. The adopted pair must keep the full texts on Flashduty.
func TestFlushKeepsTheFullTextsOverOurTruncatedCopies(t *testing.T) {
	redis := redistest.Start(t, redistest.WithPersistence())
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t)
		title := strings.TrimSpace(strings.Repeat("Checkout latency above SLO in eu-west-1 ", 8))
		desc := strings.TrimSpace(strings.Repeat("p99 latency 2.4s on /api/checkout since the 14:05 deploy. ", 80))
		id := e.newFD(fdsim.IncidentSpec{Title: title, Description: "from an alert", Severity: "Warning"})
		e.settle(4)
		// A responder writes up the long description (a reset takes up to
		// 6,144 characters; a create only 1,024).
		e.must(e.fd.EditIncident(fdsim.Alice, id, fdsim.Edit{Description: &desc}))
		time.Sleep(5 * time.Second)
		e.settle(4)
		sysID := e.linkOf(id).SysID
		sn := e.snowOf(sysID)
		for col, most := range map[string]int{"short_description": 160, "description": 4000} {
			if n := len([]rune(sn[col])); n > most || n < most-5 || !strings.HasSuffix(sn[col], diff.TruncationMarker) {
				t.Fatalf("servicenow %s is %d characters, want our copy cut to %d", col, n, most)
			}
		}

		redis.Flush()
		time.Sleep(10 * time.Second)
		e.editSN(sysID, map[string]string{"urgency": "1", "impact": "1"})
		time.Sleep(5 * time.Second)
		e.settle(6)

		fd := e.fdOf(id)
		if fd.Title != title || fd.Description != desc {
			t.Fatalf("flashduty lost its full texts: title %d chars (want %d), description %d chars (want %d)",
				len(fd.Title), len(title), len(fd.Description), len(desc))
		}
		if fd.Severity != "Critical" {
			t.Fatalf("the servicenow edit was not synced: severity %q", fd.Severity)
		}
		e.steady(3)
	})
}
