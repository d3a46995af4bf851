package servicenow_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/snowduty/snowduty/clients/httpx"
	"github.com/snowduty/snowduty/clients/servicenow"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
)

// fixedRT answers every request with one status and body, and remembers
// the last encoded query it was sent.
type fixedRT struct {
	status int
	body   []byte

	mu    sync.Mutex
	query []string
}

func (f *fixedRT) RoundTrip(r *http.Request) (*http.Response, error) {
	f.mu.Lock()
	f.query = append(f.query, r.URL.Query().Get("sysparm_query"))
	f.mu.Unlock()
	return &http.Response{StatusCode: f.status, Header: http.Header{"Content-Type": {"application/json;charset=UTF-8"}},
		Body: io.NopCloser(bytes.NewReader(f.body)), Request: r}, nil
}

func fuzzClient(t testing.TB, rt http.RoundTripper) *servicenow.Client {
	t.Helper()
	c, err := servicenow.New(servicenow.Options{BaseURL: "https://fuzz.service-now.com", Username: "u", Password: "p",
		Transport: rt, Logger: slog.New(slog.DiscardHandler), MaxAttempts: 1, Backoff: httpx.Backoff{Base: time.Millisecond, Max: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// FuzzDecodeResponses feeds arbitrary bodies (wrong types, huge numbers,
// deep nesting, invalid UTF-8) to the readers: they must return an error
// or well-formed values, never panic or hang.
func FuzzDecodeResponses(f *testing.F) {
	files, _ := filepath.Glob("testdata/fixtures/*.json")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(200, b)
		}
	}
	for _, s := range []string{
		`{"result":[{"sys_id":1,"number":{"a":1},"sys_mod_count":"1e400","sys_updated_on":[]}]}`,
		`{"result":[{"sys_id":"0123456789abcdef0123456789abcdef","sys_mod_count":"99999999999999999999999","sys_updated_on":"2026-13-45 99:99:99"}]}`,
		`{"result":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`,
		"{\"result\":[{\"short_description\":\"\xff\xfe\"}]}",
		`{"result":{"sys_id":"x"}}`, `{"result":null}`, `null`, `[]`, `{"error":{"message":"x","detail":null},"status":"failure"}`,
	} {
		f.Add(200, []byte(s))
	}
	f.Add(404, []byte(`{"error":{"message":"No Record found","detail":"Records matching query not found"},"status":"failure"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 599 {
			return
		}
		c := fuzzClient(t, &fixedRT{status: status, body: body})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ids := []string{"0123456789abcdef0123456789abcdef"}
		if got, err := c.GetMany(ctx, ids, nil); err == nil {
			for _, in := range got {
				checkIncident(t, in)
			}
		}
		if page, err := c.Changes(ctx, servicenow.ChangeQuery{After: servicenow.Cursor{UpdatedOn: time.Unix(1_700_000_000, 0)}, PageSize: 10}); err == nil {
			for _, in := range page.Incidents {
				checkIncident(t, in)
			}
		}
		_, _ = c.Journal(ctx, servicenow.JournalQuery{IncidentIDs: ids})
		_, _ = c.CurrentUser(ctx)
		if ctx.Err() != nil {
			t.Fatal("a reader hung on a fixed answer")
		}
	})
}

func checkIncident(t *testing.T, in servicenow.Incident) {
	t.Helper()
	if in.SysModCount < 0 {
		t.Fatalf("negative sys_mod_count %d decoded", in.SysModCount)
	}
	_ = utf8.ValidString(in.ShortDescription) // decoding may keep invalid bytes; it must not panic
}

// FuzzHostileValuesCannotWiden puts hostile values (a title or id with
// ^NQ, ^OR, commas, line breaks) into every query the client builds from
// data: the request is either refused before it is sent, or its encoded
// query is one AND group that names only the intended values.
func FuzzHostileValuesCannotWiden(f *testing.F) {
	for _, s := range []string{"INC0010001", "x^NQactive=true", "x^ORactive=true", "a,b", "x\n^NQy=1", "^EQ", "x^ORDERBYnumber", "6b0878020620ae96ebaff6e4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		rt := &fixedRT{status: 200, body: []byte(`{"result":[]}`)}
		c := fuzzClient(t, rt)
		ctx := context.Background()
		for _, call := range []struct {
			column string
			run    func() error
		}{
			{"correlation_id", func() error { _, err := c.FindByCorrelationIDs(ctx, []string{v}); return err }},
			{"number", func() error { _, err := c.FindByNumbers(ctx, []string{v}); return err }},
		} {
			rt.mu.Lock()
			rt.query = nil
			rt.mu.Unlock()
			err := call.run()
			rt.mu.Lock()
			sent := append([]string(nil), rt.query...)
			rt.mu.Unlock()
			if err != nil && len(sent) == 0 {
				continue // refused before sending: safe
			}
			for _, q := range sent {
				parsed := snowsim.ParseQuery(q)
				if len(parsed.Groups) != 1 {
					t.Fatalf("value %q widened the %s query %q into %d OR'ed groups", v, call.column, q, len(parsed.Groups))
				}
				for _, term := range parsed.Groups[0] {
					if len(term) != 1 {
						t.Fatalf("value %q added an ^OR to the %s query %q", v, call.column, q)
					}
					if cond := term[0]; cond.Field == call.column && cond.Value != v {
						t.Fatalf("value %q became %q in the %s condition of %q", v, cond.Value, call.column, q)
					}
				}
			}
		}
	})
}
