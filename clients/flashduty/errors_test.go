package flashduty_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/clients/httpx"
)

// TestErrorClasses runs each failure the simulator can produce against a
// read (/incident/list-by-ids), an idempotent write (/incident/ack) and a
// non-idempotent write (/incident/comment), and checks the class, the
// number of attempts, and that nothing was written twice.
func TestErrorClasses(t *testing.T) {
	const attempts = 4 // the default MaxAttempts
	tests := []struct {
		name  string
		fault fdsim.Fault // Count 0: fails every attempt
		key   string      // a wrong key, when set
		// the class and number of requests for a read or idempotent write
		class httpx.Class
		calls int
		// the same for the comment (non-idempotent)
		commentClass httpx.Class
		commentCalls int
		hint         string
	}{
		{name: "wrong app key", key: "wrong-key", class: httpx.Unauthorized, calls: 1, commentClass: httpx.Unauthorized, commentCalls: 1, hint: "app key is wrong"},
		{name: "access denied", fault: fdsim.Fault{Status: 403}, class: httpx.Forbidden, calls: 1, commentClass: httpx.Forbidden, commentCalls: 1, hint: "lacks a permission"},
		{name: "resource not found (400)", fault: fdsim.Fault{Status: 400, Code: "ResourceNotFound"}, class: httpx.NotFound, calls: 1, commentClass: httpx.NotFound, commentCalls: 1},
		{name: "invalid parameter", fault: fdsim.Fault{Status: 400}, class: httpx.BadRequest, calls: 1, commentClass: httpx.BadRequest, commentCalls: 1},
		{name: "bad request", fault: fdsim.Fault{Status: 400, Code: "BadRequest"}, class: httpx.BadRequest, calls: 1, commentClass: httpx.BadRequest, commentCalls: 1},
		{name: "rate limited, then fine", fault: fdsim.Fault{Status: 429, RetryAfter: 7 * time.Second, Count: 2}, class: httpx.OK, calls: 3, commentClass: httpx.OK, commentCalls: 3},
		{name: "rate limited throughout", fault: fdsim.Fault{Status: 429, RetryAfter: time.Second}, class: httpx.RateLimited, calls: attempts, commentClass: httpx.RateLimited, commentCalls: attempts},
		{name: "500 once", fault: fdsim.Fault{Status: 500, Count: 1}, class: httpx.OK, calls: 2, commentClass: httpx.UnknownOutcome, commentCalls: 1},
		{name: "500 throughout", fault: fdsim.Fault{Status: 500}, class: httpx.Server, calls: attempts, commentClass: httpx.UnknownOutcome, commentCalls: 1},
		{name: "503 once", fault: fdsim.Fault{Status: 503, Count: 1}, class: httpx.OK, calls: 2, commentClass: httpx.UnknownOutcome, commentCalls: 1},
		{name: "error envelope on 200", fault: fdsim.Fault{Status: 200, Code: "InternalError"}, class: httpx.Server, calls: attempts, commentClass: httpx.UnknownOutcome, commentCalls: 1},
		{name: "AccessDenied on 200", fault: fdsim.Fault{Status: 200, Code: "AccessDenied"}, class: httpx.Forbidden, calls: 1, commentClass: httpx.Forbidden, commentCalls: 1},
		{name: "unknown code on 200", fault: fdsim.Fault{Status: 200, Code: "SomethingNew", Count: 1}, class: httpx.OK, calls: 2, commentClass: httpx.UnknownOutcome, commentCalls: 1},
		{name: "slow past the timeout", fault: fdsim.Fault{Delay: time.Minute, Count: 1}, class: httpx.OK, calls: 2, commentClass: httpx.UnknownOutcome, commentCalls: 1},
		{name: "slow within the timeout", fault: fdsim.Fault{Delay: 5 * time.Second}, class: httpx.OK, calls: 1, commentClass: httpx.OK, commentCalls: 1},
		{name: "connection dropped", fault: fdsim.Fault{Hangup: true, Count: 1}, class: httpx.OK, calls: 2, commentClass: httpx.UnknownOutcome, commentCalls: 1},
		{name: "applied, then 500", fault: fdsim.Fault{Status: 500, AfterApply: true, Count: 1}, class: httpx.OK, calls: 2, commentClass: httpx.UnknownOutcome, commentCalls: 1},
	}
	ops := []struct {
		endpoint string
		comment  bool
		run      func(ctx context.Context, c *flashduty.Client, id string) error
	}{
		{"/incident/list-by-ids", false, func(ctx context.Context, c *flashduty.Client, id string) error {
			_, err := c.ListByIDs(ctx, []string{id})
			return err
		}},
		{"/incident/ack", false, func(ctx context.Context, c *flashduty.Client, id string) error { return c.Ack(ctx, id) }},
		{"/incident/comment", true, func(ctx context.Context, c *flashduty.Client, id string) error {
			return c.Comment(ctx, id, "copied from SNOW")
		}},
	}
	for _, tt := range tests {
		for _, op := range ops {
			t.Run(tt.name+" "+op.endpoint, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					e := newEnv(t, fdsim.Options{}, flashduty.Options{AppKey: tt.key, Timeout: 30 * time.Second})
					id := e.create(t, fdsim.IncidentSpec{}).IncidentID
					f := tt.fault
					if f.Count == 0 {
						f.Count = 100
					}
					f.Path = op.endpoint
					if f != (fdsim.Fault{Path: op.endpoint, Count: 100}) {
						e.inject(t, f)
					}
					start := time.Now()
					err := op.run(t.Context(), e.client, id)
					wantClass, wantCalls := tt.class, tt.calls
					if op.comment {
						wantClass, wantCalls = tt.commentClass, tt.commentCalls
					}
					if got := flashduty.ClassOf(err); got != wantClass {
						t.Fatalf("class %s (%v), want %s", got, err, wantClass)
					}
					if got := e.sim.Count("POST", op.endpoint); got != wantCalls {
						t.Errorf("%d requests, want %d", got, wantCalls)
					}
					if err != nil && !strings.Contains(err.Error(), tt.hint) {
						t.Errorf("error %q does not say %q", err, tt.hint)
					}
					var fe *flashduty.Error
					if err != nil && (!errors.As(err, &fe) || fe.Endpoint != op.endpoint || fe.Attempts != wantCalls) {
						t.Errorf("error %#v: want an *Error for %s after %d attempts", fe, op.endpoint, wantCalls)
					}
					if fe != nil && fe.Status != 0 && fe.RequestID == "" {
						t.Errorf("error without the request id: %v", err)
					}
					if tt.name == "rate limited, then fine" && time.Since(start) < 14*time.Second {
						t.Errorf("retried after %v; Retry-After (7s) was not honoured", time.Since(start))
					}
					if op.comment {
						comments := 0
						for _, it := range e.feed(t, id) {
							if it.Type == flashduty.FeedComment {
								comments++
							}
						}
						if comments > 1 {
							t.Errorf("%d comments written: a non-idempotent call was repeated", comments)
						}
						if wantClass == httpx.UnknownOutcome && !strings.Contains(err.Error(), "outcome is unknown") {
							t.Errorf("unknown outcome not explained: %v", err)
						}
					}
				})
			})
		}
	}
}

// TestCreateUnknownOutcome: a create whose answer is lost is not re-sent,
// and the incident it may have made is found by a full-text query.
func TestCreateUnknownOutcome(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, fdsim.Options{}, flashduty.Options{})
		e.inject(t, fdsim.Fault{Path: "/incident/create", Hangup: true, AfterApply: true})
		_, err := e.client.Create(t.Context(), flashduty.CreateRequest{Title: "INC0099 printer on fire", Severity: "Info"})
		var fe *flashduty.Error
		if flashduty.ClassOf(err) != httpx.UnknownOutcome || !errors.As(err, &fe) || fe.Outcome != httpx.Transport {
			t.Fatalf("Create = %v; want UnknownOutcome after a transport failure", err)
		}
		if n := e.sim.Count("POST", "/incident/create"); n != 1 {
			t.Errorf("create sent %d times", n)
		}
		var found []flashduty.Incident
		_ = e.client.List(t.Context(), flashduty.ListQuery{Since: t0.Add(-time.Hour), Query: "INC0099"}, func(p []flashduty.Incident) error {
			found = append(found, p...)
			return nil
		})
		if len(found) != 1 {
			t.Errorf("reconcile found %d incidents, want the one created", len(found))
		}
		// A 429 is a refusal, not an uncertain outcome: retried, created once.
		e.inject(t, fdsim.Fault{Path: "/incident/create", Status: 429, RetryAfter: time.Second})
		if _, err := e.client.Create(t.Context(), flashduty.CreateRequest{Title: "second", Severity: "Info"}); err != nil {
			t.Fatal(err)
		}
		if n := len(e.sim.IncidentIDs()); n != 2 {
			t.Errorf("%d incidents, want 2", n)
		}
	})
}

// TestEnvelopeVariants checks answers the simulator does not produce: empty
// success data as {}, null or absent; non-JSON answers from a proxy. It
// runs over a real socket.
func TestEnvelopeVariants(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		class  httpx.Class
	}{
		{"data {}", 200, `{"request_id":"r1","data":{}}`, httpx.OK},
		{"data null", 200, `{"request_id":"r1","data":null}`, httpx.OK},
		{"data absent", 200, `{"request_id":"r1"}`, httpx.OK},
		{"error code OK", 200, `{"request_id":"r1","data":{},"error":{"code":"OK","message":""}}`, httpx.OK},
		{"error code 0", 200, `{"request_id":"r1","error":{"code":"0"}}`, httpx.OK},
		{"HTML on 200", 200, `<html>captive portal</html>`, httpx.BadResponse},
		{"HTML on 502", 502, `<html>bad gateway</html>`, httpx.Server},
		{"empty 401", 401, ``, httpx.Unauthorized},
		{"RouteNotFound 404", 404, `{"request_id":"r1","error":{"code":"RouteNotFound","message":"no route"}}`, httpx.BadRequest},
		{"RequestLocked 423", 423, `{"request_id":"r1","error":{"code":"RequestLocked","message":"locked"}}`, httpx.RateLimited},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			c, err := flashduty.New(flashduty.Options{BaseURL: srv.URL, AppKey: "k", MaxAttempts: 1})
			if err != nil {
				t.Fatal(err)
			}
			err = c.Ack(t.Context(), "69da451ef77b1b51f40e83ee")
			if got := flashduty.ClassOf(err); got != tt.class {
				t.Errorf("class %s (%v), want %s", got, err, tt.class)
			}
			// The same answer to a comment: anything that is not a clear
			// refusal leaves the outcome unknown.
			want := tt.class
			if tt.class == httpx.Server || tt.class == httpx.BadResponse {
				want = httpx.UnknownOutcome
			}
			if got := flashduty.ClassOf(c.Comment(t.Context(), "69da451ef77b1b51f40e83ee", "hi")); got != want {
				t.Errorf("comment: class %s, want %s", got, want)
			}
		})
	}
}

func TestCancelledContextStopsRetrying(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, fdsim.Options{}, flashduty.Options{MaxAttempts: 10})
		e.inject(t, fdsim.Fault{Status: 503, Count: 100})
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		defer cancel()
		_, err := e.client.Fields(ctx)
		if flashduty.ClassOf(err) != httpx.Server {
			t.Errorf("Fields = %v", err)
		}
		if n := e.sim.Count("POST", "/field/list"); n > 3 {
			t.Errorf("%d calls within a 3s deadline with 1s+ backoff", n)
		}
	})
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		o    flashduty.Options
		want string
	}{
		{flashduty.Options{}, "app key is empty"},
		{flashduty.Options{AppKey: "k", BaseURL: "http://fd.internal"}, "only allowed for loopback"},
		{flashduty.Options{AppKey: "k", BaseURL: "ftp://x"}, "not supported"},
		{flashduty.Options{AppKey: "k", MaxAttempts: -1}, "MaxAttempts"},
		{flashduty.Options{AppKey: "k", PerSecond: 51}, "above Flashduty's limits"},
		{flashduty.Options{AppKey: "k", PerMinute: 2000}, "above Flashduty's limits"},
		{flashduty.Options{AppKey: "k", CAFile: "/nonexistent.pem"}, "CA bundle"},
	}
	for _, tt := range tests {
		if _, err := flashduty.New(tt.o); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) = %v, want an error saying %q", tt.o, err, tt.want)
		}
	}
	if _, err := flashduty.New(flashduty.Options{AppKey: "k", BaseURL: "http://fd.internal", AllowHTTP: true}); err != nil {
		t.Errorf("AllowHTTP: %v", err)
	}
	if _, err := flashduty.New(flashduty.Options{AppKey: "k"}); err != nil {
		t.Errorf("defaults: %v", err)
	}
}
