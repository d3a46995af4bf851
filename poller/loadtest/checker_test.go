package loadtest

import (
	"strings"
	"testing"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/diff"
)

// TestCheckerTellsConflictsFromLostUpdates: the soak's checker accepts
// either value after a true conflict (each person edited without seeing the
// other's edit) and flags the older value winning over an edit made after
// the other side's value had arrived.
func TestCheckerTellsConflictsFromLostUpdates(t *testing.T) {
	const sysID, fdID = "sys1", "fd1"
	rec := map[string]string{"number": "INC0010001", "sys_id": sysID}
	inc := fdsim.Incident{IncidentID: fdID}
	for _, tt := range []struct {
		name      string
		fdBefore  string // Flashduty's title when the Flashduty person edited it
		final     string // what both sides hold in the end
		wantLost  bool
		fdEditsAt time.Duration // after the ServiceNow edit
	}{
		{"true conflict, the older edit won", "original", "SN title", false, time.Second},
		{"true conflict, the newer edit won", "original", "FD title", false, time.Second},
		{"the flashduty edit saw servicenow's value, and lost", "SN title", "SN title", true, time.Second},
		{"the flashduty edit saw servicenow's value, and won", "SN title", "FD title", false, time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHumans(nil, nil, 1)
			h.adopt([]string{fdID}, []map[string]string{{"sys_id": sysID, "correlation_id": fdID}})
			h.remember("sn", sysID, "title", "SN title", "original")
			h.lastEdit["sn/"+sysID+"/title"] = edit{value: "SN title", at: time.Now().Add(-tt.fdEditsAt)}
			h.remember("fd", fdID, "title", "FD title", tt.fdBefore)
			lost := h.lost(rec, inc, diff.Incident{Title: tt.final}, diff.Incident{Title: tt.final})
			if got := len(lost) > 0; got != tt.wantLost {
				t.Fatalf("lost = %q, want lost %v", strings.Join(lost, "; "), tt.wantLost)
			}
		})
	}
}
