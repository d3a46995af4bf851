package flashduty_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
)

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// BenchmarkDecodePage reads one list-by-ids page of 100 incidents (a body
// the simulator rendered for the client's own request) through the
// client: HTTP plumbing, envelope and JSON decoding. The client's own rate
// limiter (50/s) is left out: it would measure the limit, not the decode.
func BenchmarkDecodePage(b *testing.B) {
	sim := fdsim.New(fdsim.Options{Seed: 1})
	ids := make([]string, 100)
	for i := range ids {
		inc, err := sim.CreateIncident(fdsim.IncidentSpec{Title: fmt.Sprintf("Checkout latency above SLO %d", i), Description: "p99 > 2s for 10 minutes",
			Severity: fdsim.SeverityCritical, ChannelID: fdsim.OpsChannelID, Labels: map[string]string{"service": "checkout"}})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = inc.IncidentID
	}
	var body []byte
	capture := rtFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := sim.Transport().RoundTrip(r)
		if err == nil {
			body, _ = io.ReadAll(resp.Body)
			resp.Body = io.NopCloser(bytes.NewReader(body))
		}
		return resp, err
	})
	newClient := func(rt http.RoundTripper) *flashduty.Client {
		c, err := flashduty.New(flashduty.Options{BaseURL: "https://api.flashcat.cloud", AppKey: sim.AppKey(), Transport: rt, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	if got, err := newClient(capture).ListByIDs(context.Background(), ids); err != nil || len(got) != 100 {
		b.Fatalf("capture: %d incidents, err %v", len(got), err)
	}
	var out []flashduty.Incident
	dec := bodyRT{200, body}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		c := newClient(dec) // a fresh client per page keeps its limiter from pacing the loop
		b.StartTimer()
		var err error
		if out, err = c.ListByIDs(context.Background(), ids); err != nil || len(out) != 100 {
			b.Fatalf("got %d incidents, err %v", len(out), err)
		}
	}
}
