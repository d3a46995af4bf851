package servicenow

import (
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
