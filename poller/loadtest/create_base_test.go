package loadtest

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/state/redistest"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Bug 3 (poller create/adopt): a person edits the Flashduty title just
// before the ServiceNow copy (built from the older read) is created, and
// the create's answer is lost. The copy is later adopted with no base, and
// the edit loses to the copy's stale title (policy newest: the copy was
// created after the edit), on both sides. Seen in the soak as lost updates.
func TestUncertainCreateKeepsAnEditMadeMeanwhile(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, redis)
		inc, err := w.fd.CreateIncident(fdsim.IncidentSpec{Title: "Disk full", Severity: fdsim.SeverityWarning, ChannelID: fdsim.OpsChannelID})
		if err != nil {
			t.Fatal(err)
		}
		title := "Disk full on db-7"
		var once sync.Once
		snT := w.sn.Transport()
		w.snT = roundTripFunc(func(r *http.Request) (*http.Response, error) {
			first := false
			if r.Method == http.MethodPost && r.URL.Path == "/api/now/table/incident" {
				once.Do(func() { first = true })
			}
			if !first {
				return snT.RoundTrip(r)
			}
			// A person edits the title, a second before the copy lands.
			if err := w.fd.EditIncident(fdsim.Alice, inc.IncidentID, fdsim.Edit{Title: &title}); err != nil {
				return nil, err
			}
			time.Sleep(time.Second)
			if _, err := snT.RoundTrip(r); err != nil {
				return nil, err
			}
			rec := httptest.NewRecorder()
			rec.WriteHeader(http.StatusBadGateway)
			return rec.Result(), nil // applied, answer lost
		})
		p := w.newPoller(t, daemonOptions{inProcess: true})
		_ = p.RunOnce(t.Context()) // creates the ServiceNow copy; the answer is lost
		for range 10 {
			time.Sleep(30 * time.Second)
			_ = p.RunOnce(t.Context())
		}
		fd, _ := w.fd.Incident(inc.IncidentID)
		for _, rec := range w.sn.Dump().Incidents {
			if rec["correlation_id"] == inc.IncidentID && rec["short_description"] != title {
				t.Errorf("servicenow copy %s has title %q, want the edit %q", rec["number"], rec["short_description"], title)
			}
		}
		if fd.Title != title {
			t.Errorf("flashduty title is %q: the human edit %q was overwritten", fd.Title, title)
		}
	})
}
