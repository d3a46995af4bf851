package servicenow

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/snowduty/snowduty/clients/httpx"
)

// An instance ignores a condition on a column it does not know (or the
// user may not read), and answers with rows the lookup never asked for.
// Every lookup keeps only exact, non-empty matches.
func TestLookupsKeepOnlyExactMatches(t *testing.T) {
	rows := `{"result":[
	 {"sys_id":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","number":"INC0010001","correlation_id":"","sys_created_on":"2026-01-15 12:00:00","sys_updated_on":"2026-01-15 12:00:00"},
	 {"sys_id":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","number":"INC0010002","correlation_id":"64f0a1b2c3d4e5f601234567","sys_created_on":"2026-01-15 12:00:00","sys_updated_on":"2026-01-15 12:00:00"},
	 {"sys_id":"cccccccccccccccccccccccccccccccc","sys_created_on":"2026-01-15 12:00:00","sys_updated_on":"2026-01-15 12:00:00"},
	 {"number":"INC0010003","correlation_id":"64f0a1b2c3d4e5f601234568","sys_created_on":"2026-01-15 12:00:00","sys_updated_on":"2026-01-15 12:00:00"}]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Total-Count", "4")
		_, _ = w.Write([]byte(rows))
	}))
	c := rawClient(t, srv)
	ctx := t.Context()
	byCorr, err := c.FindByCorrelationIDs(ctx, []string{"64f0a1b2c3d4e5f601234567", ""})
	if err != nil || len(byCorr) != 1 || byCorr[0].SysID != "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" {
		t.Fatalf("by correlation_id = %+v, %v; want only INC0010002", byCorr, err)
	}
	byNum, err := c.FindByNumbers(ctx, []string{"INC0010001"})
	if err != nil || len(byNum) != 1 || byNum[0].Number != "INC0010001" {
		t.Fatalf("by number = %+v, %v; want only INC0010001", byNum, err)
	}
	// The row with no sys_id matches the number, but is no record to link.
	if got, err := c.FindByNumbers(ctx, []string{"INC0010003"}); err != nil || len(got) != 0 {
		t.Fatalf("a row without sys_id was returned: %+v, %v", got, err)
	}
	byID, err := c.GetMany(ctx, []string{"cccccccccccccccccccccccccccccccc"}, nil)
	if err != nil || len(byID) != 1 || byID[0].Number != "" {
		t.Fatalf("by sys_id = %+v, %v; want the one row, number unreadable", byID, err)
	}
	// Nothing asked, nothing read: no query goes out with an empty key.
	if got, err := c.FindByNumbers(ctx, []string{"", ""}); err != nil || len(got) != 0 {
		t.Fatalf("empty numbers = %+v, %v", got, err)
	}
}

// No lookup sends a condition with an empty value: "correlation_id=" would
// match every record whose correlation_id is empty.
func TestLookupsNeverQueryAnEmptyKey(t *testing.T) {
	var queries []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		queries = append(queries, r.URL.Query().Get("sysparm_query"))
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"result":[]}`))
	}))
	c := rawClient(t, srv)
	ctx := t.Context()
	_, _ = c.FindByCorrelationIDs(ctx, []string{"", "64f0a1b2c3d4e5f601234567"})
	_, _ = c.FindByNumbers(ctx, []string{"INC0010001", ""})
	_, _ = c.FindByCorrelationIDs(ctx, []string{""})
	if len(queries) != 2 {
		t.Fatalf("%d queries sent, want 2 (none for an empty key): %q", len(queries), queries)
	}
	for _, q := range queries {
		if strings.Contains(q, "IN,") || strings.Contains(q, ",,") || strings.Contains(q, ",^") || strings.HasSuffix(q, "IN") || strings.Contains(q, "IN^") {
			t.Errorf("query %q carries an empty value", q)
		}
	}
}

// rawClient is a client of srv, a hand-written answer.
func rawClient(t *testing.T, srv *httptest.Server) *Client {
	t.Helper()
	t.Cleanup(srv.Close)
	c, err := New(Options{BaseURL: srv.URL, AllowHTTP: true, Username: "snowduty", Password: "pw", Timeout: 5 * time.Second,
		Logger: slog.New(slog.DiscardHandler), Backoff: httpx.Backoff{Base: time.Millisecond, Max: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A web tier refuses an over-long URL with a 414 (often an HTML page): that
// is "request too long", not a generic bad request, and says so.
func TestRequestTooLong(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusRequestURITooLong)
		_, _ = w.Write([]byte("<html><body><h1>414 Request-URI Too Large</h1></body></html>"))
	}))
	c := rawClient(t, srv)
	_, err := c.FindByNumbers(t.Context(), []string{"INC0010001"})
	var e *Error
	if !errors.As(err, &e) || !e.TooLong || e.Class != httpx.BadRequest || !strings.Contains(err.Error(), "request too long") {
		t.Fatalf("414 = %v, want a too-long bad request", err)
	}
	// A URL over the budget never leaves the client.
	long := make([]string, 0, 300)
	for i := range 300 {
		long = append(long, fmt.Sprintf("64f0a1b2c3d4e5f60%07x", i))
	}
	calls := 0
	srv2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if n := len("http://" + r.Host + r.URL.RequestURI()); n > MaxURLLength {
			t.Errorf("a %d-character URL was sent", n)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"result":[]}`))
	}))
	if _, err := rawClient(t, srv2).FindByCorrelationIDs(t.Context(), long); err != nil {
		t.Fatal(err)
	}
	if calls <= 3 {
		t.Fatalf("300 correlation ids in %d requests: the 100-id batches were not cut by length", calls)
	}
}
