//go:build bugs

// Minimal reproductions of bugs the load runs and the soak found. They fail
// until the bugs are fixed; run them with
//
//	go test -tags bugs -run TestBug ./poller/loadtest/
//
// and move each into the regular suite of its package once it passes.
package loadtest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/clients/httpx"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
	"github.com/snowduty/snowduty/poller"
	"github.com/snowduty/snowduty/state/redistest"
)

// Bug 1 (clients/flashduty Feed): a server that keeps answering
// has_next_page: true with items makes Feed page forever, collecting
// items without bound (List guards against this; Feed does not).
func TestBugFeedPagesForever(t *testing.T) {
	body := []byte(`{"request_id":"r","data":{"has_next_page":true,"items":[{"ref_id":"x","type":"i_comm","detail":{"comment":"hi"},"created_at":1795718000000}]}}`)
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
	})
	c, err := flashduty.New(flashduty.Options{BaseURL: "https://api.flashcat.cloud", AppKey: "k", Transport: rt, Logger: slog.New(slog.DiscardHandler),
		Backoff: httpx.Backoff{Base: time.Millisecond, Max: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, err = c.Feed(ctx, flashduty.FeedQuery{IncidentID: "6b0878020620ae96ebaff6e4"})
	if ctx.Err() != nil {
		t.Fatalf("Feed still paging after 3s over a page that never advances (err %v); want an error like List's \"has_next_page is true but ... did not move\"", err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Bug 2 (poller/sources.go advanceSnowCursor): the ServiceNow cursor only
// moves to the last row read, so once changes stop, every pass re-reads the
// last burst (all rows in the Overlap window before it) — 3 extra pages per
// pass here, ~100 at 10,000 pairs — instead of one empty page.
func TestBugIdlePassRereadsLastBurst(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, redis)
		p := w.newPoller(t, daemonOptions{inProcess: true})
		if _, err := w.sn.CreateIncidents(snowsim.Bob, 300, map[string]string{"urgency": "2", "impact": "2"}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		w.settle(t, t.Context(), p, 10)
		time.Sleep(10 * time.Minute) // long quiet: nothing changed since
		w.sn.ResetCalls()
		if err := p.RunOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
		if n := w.sn.Count("GET", "/api/now/table/incident"); n != 1 {
			t.Fatalf("an idle pass 10 minutes after the last change read the change feed %d times, want 1", n)
		}
	})
}

// Bug 3 (poller create/adopt): a person edits the Flashduty title just
// before the ServiceNow copy (built from the older read) is created, and
// the create's answer is lost. The copy is later adopted with no base, and
// the edit loses to the copy's stale title (policy newest: the copy was
// created after the edit), on both sides. Seen in the soak as lost updates.
func TestBugUncertainCreateLosesEdit(t *testing.T) {
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
			if err := w.fd.EditIncident(fdsim.AliceID, inc.IncidentID, fdsim.Edit{Title: &title}); err != nil {
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

// Bug 7 (robfig/cron v3.0.1, used by cmd/snowduty's validation and the
// poller): Parse panics on the spec "TZ=" (or "CRON_TZ="), so
// SNOWDUTY_SCHEDULE_SERVICENOW="TZ=" crashes snowduty instead of being
// reported as a bad setting. Found by cmd/snowduty FuzzCronSpec.
func TestBugCronSpecTZPanics(t *testing.T) {
	for _, spec := range []string{"TZ=", "CRON_TZ="} {
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("parsing the schedule %q panics (%v); want an error", spec, p)
				}
			}()
			if _, err := poller.ParseSchedule(spec); err == nil {
				t.Errorf("ParseSchedule(%q) accepted a malformed spec", spec)
			}
		}()
	}
}
