package fdsim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// t0 is the frozen start of every test clock.
var t0 = time.Date(2026, 4, 12, 9, 0, 0, 0, time.UTC)

func newTestServer(t *testing.T, o Options) *Server {
	t.Helper()
	if o.Start.IsZero() {
		o.Start = t0
	}
	return New(o)
}

// answer is one decoded Open API response.
type answer struct {
	Status int
	Header http.Header
	Raw    []byte
	Env    struct {
		RequestID string          `json:"request_id"`
		Data      json.RawMessage `json:"data"`
		Error     *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
}

func (a *answer) code() string {
	if a.Env.Error == nil {
		return ""
	}
	return a.Env.Error.Code
}

// post sends body (a string is sent verbatim) to path with the right key.
func post(t *testing.T, s *Server, path string, body any) *answer {
	t.Helper()
	return postKey(t, s, path, s.AppKey(), body)
}

func postKey(t *testing.T, s *Server, path, key string, body any) *answer {
	t.Helper()
	var b []byte
	switch v := body.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	req := httptest.NewRequest(http.MethodPost, path+"?app_key="+key, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	a := &answer{Status: rec.Code, Header: rec.Header(), Raw: rec.Body.Bytes()}
	if err := json.Unmarshal(a.Raw, &a.Env); err != nil {
		t.Fatalf("%s: answer is not JSON: %v: %s", path, err, a.Raw)
	}
	return a
}

// ok fails unless a is a success envelope and decodes its data into v.
func (a *answer) ok(t *testing.T, v any) {
	t.Helper()
	if a.Status != http.StatusOK || a.Env.Error != nil {
		t.Fatalf("want success, got HTTP %d %s", a.Status, a.Raw)
	}
	if v != nil {
		if err := json.Unmarshal(a.Env.Data, v); err != nil {
			t.Fatalf("decode data: %v: %s", err, a.Env.Data)
		}
	}
}

// fails fails unless a is an error envelope with status and code.
func (a *answer) fails(t *testing.T, status int, code string) {
	t.Helper()
	if a.Status != status || a.code() != code {
		t.Fatalf("want HTTP %d %s, got HTTP %d %s", status, code, a.Status, a.Raw)
	}
	if len(a.Env.Data) != 0 {
		t.Fatalf("error envelope carries data: %s", a.Raw)
	}
}

func mustCreate(t *testing.T, s *Server, spec IncidentSpec) Incident {
	t.Helper()
	if spec.Title == "" {
		spec.Title = "CPU usage high - web-server-01"
	}
	inc, err := s.CreateIncident(spec)
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

func ctl(t *testing.T, s *Server, method, path, body string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out
}

func newRecorder(s *Server, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func postBench(b *testing.B, s *Server, path string, body any) int {
	return postBenchInto(b, s, path, body, nil)
}

func postBenchInto(b *testing.B, s *Server, path string, body any, v any) int {
	b.Helper()
	raw, _ := json.Marshal(body)
	req := httptest.NewRequest(http.MethodPost, path+"?app_key="+s.AppKey(), bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if v != nil {
		var env struct {
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
			b.Fatal(err)
		}
		if err := json.Unmarshal(env.Data, v); err != nil {
			b.Fatal(err)
		}
	}
	return rec.Code
}

func mustInject(t *testing.T, s *Server, f Fault) {
	t.Helper()
	if err := s.InjectFault(f); err != nil {
		t.Fatal(err)
	}
}
