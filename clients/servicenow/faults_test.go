package servicenow

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/clients/httpx"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
)

// TestFaultsClassAndRetry drives every injectable fault through the client
// under a fake clock: the error class, how many requests reached the
// instance and how long the call waited.
func TestFaultsClassAndRetry(t *testing.T) {
	type op func(ctx context.Context, e *env, id string) error
	get := func(ctx context.Context, e *env, id string) error { _, err := e.c.Get(ctx, id); return err }
	feed := func(ctx context.Context, e *env, _ string) error {
		_, err := e.c.Changes(ctx, ChangeQuery{})
		return err
	}
	create := func(ctx context.Context, e *env, _ string) error {
		_, err := e.c.Create(ctx, map[string]string{"short_description": "x", "correlation_id": "fd-1"})
		return err
	}
	patch := func(ctx context.Context, e *env, id string) error {
		_, err := e.c.Update(ctx, id, map[string]string{"urgency": "1"})
		return err
	}
	comment := func(ctx context.Context, e *env, id string) error {
		_, err := e.c.Update(ctx, id, map[string]string{"comments": "from Flashduty"})
		return err
	}
	tests := []struct {
		name     string
		faults   []snowsim.Fault
		op       op
		class    httpx.Class
		requests int
		waited   time.Duration // exact when retryAfter, else a range check
		minWait  time.Duration
		maxWait  time.Duration
		contains string
	}{
		{name: "429 then success waits Retry-After", faults: []snowsim.Fault{{Kind: snowsim.FaultRateLimit, RetryAfter: 3 * time.Second}}, op: get, class: httpx.OK, requests: 2, minWait: 3 * time.Second, maxWait: 3 * time.Second},
		{name: "429 with a long Retry-After is returned", faults: []snowsim.Fault{{Kind: snowsim.FaultRateLimit, RetryAfter: 3600 * time.Second}}, op: feed, class: httpx.RateLimited, requests: 1, contains: "Rate limit exceeded"},
		{name: "500 until attempts run out", faults: []snowsim.Fault{{Kind: snowsim.FaultServerError, Count: 10}}, op: get, class: httpx.Server, requests: 4, minWait: 3500 * time.Millisecond, maxWait: 7 * time.Second, contains: "after 4 attempts"},
		{name: "503 HTML then success", faults: []snowsim.Fault{{Kind: snowsim.FaultUnavailable}}, op: feed, class: httpx.OK, requests: 2, minWait: 500 * time.Millisecond, maxWait: time.Second},
		{name: "202 empty then success", faults: []snowsim.Fault{{Kind: snowsim.FaultEmpty202, Count: 2}}, op: get, class: httpx.OK, requests: 3, minWait: 1500 * time.Millisecond, maxWait: 3 * time.Second},
		{name: "hibernating is not retried", faults: []snowsim.Fault{{Kind: snowsim.FaultHibernating, Count: 5}}, op: feed, class: httpx.Hibernating, requests: 1, contains: "hibernating"},
		{name: "login page is a bad response", faults: []snowsim.Fault{{Kind: snowsim.FaultLoginPage}}, op: get, class: httpx.BadResponse, requests: 1, contains: "HTML instead of JSON"},
		{name: "partial result is an error", faults: []snowsim.Fault{{Kind: snowsim.FaultPartialResult}}, op: feed, class: httpx.BadResponse, requests: 1, contains: "maximum execution time exceeded"},
		{name: "slow answer times out and is retried", faults: []snowsim.Fault{{Kind: snowsim.FaultSlow, Delay: time.Minute}}, op: get, class: httpx.OK, requests: 2, minWait: 10*time.Second + 500*time.Millisecond, maxWait: 11 * time.Second},
		{name: "POST 500 is an unknown outcome, not retried", faults: []snowsim.Fault{{Kind: snowsim.FaultServerError, Method: "POST"}}, op: create, class: httpx.UnknownOutcome, requests: 1, contains: "correlation_id"},
		{name: "POST timeout is an unknown outcome", faults: []snowsim.Fault{{Kind: snowsim.FaultSlow, Delay: time.Minute, Method: "POST"}}, op: create, class: httpx.UnknownOutcome, requests: 1},
		{name: "POST 429 is retried", faults: []snowsim.Fault{{Kind: snowsim.FaultRateLimit, Method: "POST", RetryAfter: time.Second}}, op: create, class: httpx.OK, requests: 2, minWait: time.Second, maxWait: time.Second},
		{name: "PATCH without journal 503 is retried", faults: []snowsim.Fault{{Kind: snowsim.FaultUnavailable, Method: "PATCH"}}, op: patch, class: httpx.OK, requests: 2, minWait: 500 * time.Millisecond, maxWait: time.Second},
		{name: "PATCH with a comment 503 is an unknown outcome", faults: []snowsim.Fault{{Kind: snowsim.FaultUnavailable, Method: "PATCH"}}, op: comment, class: httpx.UnknownOutcome, requests: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, snowsim.Options{})
				inc, err := e.sim.CreateIncident(snowsim.Alice, map[string]string{"short_description": "x"})
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range tt.faults {
					if err := e.sim.InjectFault(f); err != nil {
						t.Fatal(err)
					}
				}
				start := time.Now()
				err = tt.op(t.Context(), e, inc["sys_id"])
				waited := time.Since(start)
				synctest.Wait() // let an abandoned handler finish and log
				if got := ClassOf(err); got != tt.class {
					t.Fatalf("class = %s (%v), want %s", got, err, tt.class)
				}
				if n := len(e.sim.Requests()); n != tt.requests {
					t.Fatalf("%d requests reached the instance, want %d", n, tt.requests)
				}
				if tt.maxWait > 0 && (waited < tt.minWait || waited > tt.maxWait) {
					t.Fatalf("call took %v, want %v..%v", waited, tt.minWait, tt.maxWait)
				}
				if tt.contains != "" && !strings.Contains(err.Error(), tt.contains) {
					t.Fatalf("error %q does not say %q", err, tt.contains)
				}
				if obs := e.calls.All(); len(obs) != tt.requests {
					t.Fatalf("observer saw %d calls, want %d", len(obs), tt.requests)
				}
			})
		})
	}
}

func TestRateLimitErrorExposesHeaders(t *testing.T) {
	e := newEnv(t, snowsim.Options{}, func(o *Options) { o.MaxRetryWait = time.Second })
	_ = e.sim.InjectFault(snowsim.Fault{Kind: snowsim.FaultRateLimit, RetryAfter: 30 * time.Second})
	_, err := e.c.Changes(t.Context(), ChangeQuery{})
	var se *Error
	if !errors.As(err, &se) {
		t.Fatalf("err = %v", err)
	}
	if se.Class != httpx.RateLimited || se.Status != 429 || se.RetryAfter != 30*time.Second || se.RateLimitLimit != 100 ||
		!se.RateLimitReset.Equal(time.Date(2026, 1, 15, 13, 0, 0, 0, time.UTC)) || se.RateLimitRule == "" ||
		se.Detail != "Rate limit of 100 requests per hour for Table API exceeded" {
		t.Fatalf("error = %+v", se)
	}
}

func TestDataPolicyAndACLErrors(t *testing.T) {
	e := newEnv(t, snowsim.Options{})
	inc, _ := e.sim.CreateIncident(snowsim.Alice, map[string]string{"short_description": "x"})
	_, err := e.c.Update(t.Context(), inc["sys_id"], map[string]string{"state": "6"})
	var se *Error
	if !errors.As(err, &se) || se.Class != httpx.DataPolicy || strings.Join(se.MandatoryFields, "|") != "Resolution code|Close notes" {
		t.Fatalf("resolve without close info: %+v", err)
	}
	_, err = e.c.Update(t.Context(), inc["sys_id"], map[string]string{"state": "3"})
	if !errors.As(err, &se) || strings.Join(se.MandatoryFields, "|") != "On hold reason" {
		t.Fatalf("hold without reason: %+v", err)
	}
	_, _ = e.sim.UpdateIncident(snowsim.Alice, inc["sys_id"], map[string]string{"state": "7", "close_code": "Duplicate", "close_notes": "dup"})
	_, err = e.c.Update(t.Context(), inc["sys_id"], map[string]string{"state": "2"})
	if ClassOf(err) != httpx.Forbidden || !strings.Contains(err.Error(), "ACL Exception Update Failed") || !strings.Contains(err.Error(), "itil") {
		t.Fatalf("update closed: %v", err)
	}
	_ = e.sim.Hide("incident", inc["sys_id"])
	if _, err = e.c.Get(t.Context(), inc["sys_id"]); ClassOf(err) != httpx.NotFound {
		t.Fatalf("hidden get: %v", err)
	}
	if n := len(e.sim.Requests()); n != 4 {
		t.Fatalf("permanent errors were retried: %d requests", n)
	}
}
