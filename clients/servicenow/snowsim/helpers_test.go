package snowsim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "fixtures", name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return b
}

// sim is a Server behind a real listener.
type sim struct {
	*Server
	ts *httptest.Server
}

func newSim(t *testing.T, o Options) *sim {
	t.Helper()
	if o.Start.IsZero() {
		o.Start = t0
	}
	s := New(o)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return &sim{Server: s, ts: ts}
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("decode %d answer %q: %v", a.status, a.body, err)
	}
	return m
}

// call makes an authenticated Table API request (Basic auth as the
// integration user unless auth is given).
func (s *sim) call(t *testing.T, method, path, body string, auth ...string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, s.ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	switch {
	case len(auth) == 2:
		req.SetBasicAuth(auth[0], auth[1])
	case len(auth) == 1:
		req.Header.Set("Authorization", auth[0])
	default:
		req.SetBasicAuth(DefaultUser, DefaultPassword)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, b}
}

// jsonEqual compares two JSON documents structurally.
func jsonEqual(t *testing.T, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("decode got %q: %v", got, err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("decode want: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("body mismatch\n got: %s\nwant: %s", got, want)
	}
}

func result(t *testing.T, a answer) map[string]any {
	t.Helper()
	r, ok := a.json(t)["result"].(map[string]any)
	if !ok {
		t.Fatalf("answer %d has no result object: %s", a.status, a.body)
	}
	return r
}

func results(t *testing.T, a answer) []any {
	t.Helper()
	r, ok := a.json(t)["result"].([]any)
	if !ok {
		t.Fatalf("answer %d has no result list: %s", a.status, a.body)
	}
	return r
}
