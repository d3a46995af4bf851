package flashduty

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/snowduty/snowduty/clients/httpx"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestFeedStopsOnAPageThatNeverAdvances: a server that keeps announcing
// another page but repeats the same entries must not make Feed page (and
// allocate) forever.
func TestFeedStopsOnAPageThatNeverAdvances(t *testing.T) {
	body := []byte(`{"request_id":"r","data":{"has_next_page":true,"items":[{"ref_id":"x","type":"i_comm","detail":{"comment":"hi"},"created_at":1795718000000}]}}`)
	calls := 0
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		calls++
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
	})
	c, err := New(Options{BaseURL: "https://api.flashcat.cloud", AppKey: "k", Transport: rt, Logger: slog.New(slog.DiscardHandler),
		Backoff: httpx.Backoff{Base: time.Millisecond, Max: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Feed(context.Background(), FeedQuery{IncidentID: "6b0878020620ae96ebaff6e4"})
	if err == nil || !strings.Contains(err.Error(), "repeats page") || calls != 2 {
		t.Fatalf("Feed = %v after %d calls; want a 'repeats page' error after 2", err, calls)
	}
}
