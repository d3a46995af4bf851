package servicenow_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/snowduty/snowduty/clients/servicenow"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
)

// BenchmarkDecodePage reads one page of 100 incidents (a body the
// simulator rendered, every column) through the client: HTTP plumbing,
// JSON decoding and conversion to Incident values.
func BenchmarkDecodePage(b *testing.B) {
	sim := snowsim.New(snowsim.Options{Seed: 1})
	ids, err := sim.CreateIncidents(snowsim.Alice, 100, map[string]string{"description": "p99 latency above SLO for 10 minutes", "urgency": "2", "impact": "2"})
	if err != nil {
		b.Fatal(err)
	}
	// Capture the body the simulator renders for the client's own query.
	var body []byte
	capture := roundTrip(func(r *http.Request) (*http.Response, error) {
		resp, err := sim.Transport().RoundTrip(r)
		if err == nil && r.Method == http.MethodGet {
			body, _ = io.ReadAll(resp.Body)
			resp.Body = io.NopCloser(bytes.NewReader(body))
		}
		return resp, err
	})
	cc, err := servicenow.New(servicenow.Options{BaseURL: "https://sim.service-now.com", Username: snowsim.DefaultUser, Password: snowsim.DefaultPassword,
		Transport: capture, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := cc.GetMany(context.Background(), ids, nil); err != nil {
		b.Fatal(err)
	}
	c := fuzzClient(b, &fixedRT{status: 200, body: body})
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		got, err := c.GetMany(context.Background(), ids, nil)
		if err != nil || len(got) != 100 {
			b.Fatalf("got %d incidents, err %v", len(got), err)
		}
	}
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
