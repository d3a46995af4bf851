package httpx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// failure is a Classified error for the tests.
type failure struct{ f Failure }

func (e *failure) Error() string    { return "attempt failed: " + string(e.f.Class) }
func (e *failure) Failure() Failure { return e.f }

// attempts is a scripted attempt func: the i-th call returns errs[i] (nil
// past the end) and records n and the time it was made.
type attempts struct {
	errs []error
	ns   []int
	at   []time.Time
}

func (a *attempts) run(_ context.Context, n int) error {
	a.ns = append(a.ns, n)
	a.at = append(a.at, time.Now())
	if i := len(a.ns) - 1; i < len(a.errs) {
		return a.errs[i]
	}
	return nil
}

// gap is the wait before attempt i (0-based).
func (a *attempts) gap(i int) time.Duration { return a.at[i].Sub(a.at[i-1]) }

func fail(c Class) error { return &failure{f: Failure{Class: c}} }

func failAfter(c Class, d time.Duration) error {
	return &failure{f: Failure{Class: c, Status: 429, RetryAfter: d}}
}

var testBackoff = Backoff{Base: time.Second, Max: 8 * time.Second}

func TestDoRetriesUntilSuccessWithBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := &attempts{errs: []error{fail(Server), fail(Transport), fail(Timeout)}}
		p := RetryPolicy{MaxAttempts: 4, Backoff: testBackoff}
		if err := p.Do(t.Context(), a.run); err != nil {
			t.Fatal(err)
		}
		if got := len(a.ns); got != 4 || a.ns[0] != 1 || a.ns[3] != 4 {
			t.Fatalf("attempts numbered %v, want 1..4", a.ns)
		}
		for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
			if g := a.gap(i + 1); g < want/2 || g > want {
				t.Errorf("wait before attempt %d = %v, want in [%v, %v]", i+2, g, want/2, want)
			}
		}
	})
}

func TestDoStopsAtMaxAttempts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, tt := range []struct{ max, want int }{{3, 3}, {1, 1}, {0, 1}} {
			last := fail(Server)
			a := &attempts{errs: []error{fail(Server), fail(Server), last, fail(Server)}}
			err := RetryPolicy{MaxAttempts: tt.max, Backoff: testBackoff}.Do(t.Context(), a.run)
			if len(a.ns) != tt.want {
				t.Errorf("MaxAttempts %d: %d attempts, want %d", tt.max, len(a.ns), tt.want)
			}
			if tt.want == 3 && !errors.Is(err, last) {
				t.Errorf("MaxAttempts 3: err = %v, want the last attempt's error", err)
			}
		}
	})
}

func TestDoReturnsWhatDoesNotRetryAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		plain := errors.New("not classified")
		noHibernate := func(c Class) bool { return c.Retryable() && c != Hibernating }
		for _, tt := range []struct {
			name    string
			err     error
			retries func(Class) bool
		}{
			{"bad request", fail(BadRequest), nil},
			{"unknown outcome", fail(UnknownOutcome), nil},
			{"unclassified", plain, nil},
			{"excluded by the policy", fail(Hibernating), noHibernate},
		} {
			a := &attempts{errs: []error{tt.err, nil}}
			start := time.Now()
			err := RetryPolicy{MaxAttempts: 4, Backoff: testBackoff, Retries: tt.retries}.Do(t.Context(), a.run)
			if !errors.Is(err, tt.err) || len(a.ns) != 1 || time.Since(start) != 0 {
				t.Errorf("%s: err %v after %d attempts and %v, want it at once", tt.name, err, len(a.ns), time.Since(start))
			}
		}
		a := &attempts{errs: []error{fail(Hibernating)}}
		if err := (RetryPolicy{MaxAttempts: 2, Backoff: testBackoff}).Do(t.Context(), a.run); err != nil || len(a.ns) != 2 {
			t.Errorf("default policy: %v after %d attempts, want Hibernating retried", err, len(a.ns))
		}
	})
}

func TestDoRetryAfterBeatsBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := &attempts{errs: []error{failAfter(RateLimited, 7*time.Second), failAfter(Server, 300*time.Millisecond)}}
		if err := (RetryPolicy{MaxAttempts: 4, Backoff: testBackoff}).Do(t.Context(), a.run); err != nil {
			t.Fatal(err)
		}
		if g := a.gap(1); g != 7*time.Second {
			t.Errorf("waited %v after Retry-After 7s, want 7s", g)
		}
		if g := a.gap(2); g < time.Second || g > 2*time.Second {
			t.Errorf("waited %v after Retry-After 300ms at attempt 2, want the longer backoff (1s..2s)", g)
		}
	})
}

func TestDoCapsRetryAfter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		over := failAfter(RateLimited, time.Minute+time.Second)
		a := &attempts{errs: []error{over, nil}}
		var logs bytes.Buffer
		p := RetryPolicy{MaxAttempts: 4, Backoff: testBackoff, MaxRetryAfter: time.Minute, Log: slog.New(slog.NewTextHandler(&logs, nil))}
		start := time.Now()
		if err := p.Do(t.Context(), a.run); !errors.Is(err, over) || len(a.ns) != 1 || time.Since(start) != 0 || logs.Len() != 0 {
			t.Fatalf("Retry-After above the cap: err %v, %d attempts, %v waited, log %q; want the error at once, unlogged", err, len(a.ns), time.Since(start), logs.String())
		}
		a = &attempts{errs: []error{failAfter(RateLimited, time.Minute)}}
		if err := p.Do(t.Context(), a.run); err != nil || a.gap(1) != time.Minute {
			t.Fatalf("Retry-After at the cap: %v after %v, want it waited out", err, a.gap(1))
		}
		p.MaxRetryAfter = 0
		a = &attempts{errs: []error{failAfter(RateLimited, time.Hour)}}
		if err := p.Do(t.Context(), a.run); err != nil || a.gap(1) != time.Hour {
			t.Fatalf("no cap: %v after %v, want an hour waited out", err, a.gap(1))
		}
	})
}

func TestDoStopsWhenContextEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		defer cancel()
		first := failAfter(RateLimited, 10*time.Second)
		a := &attempts{errs: []error{first, nil}}
		start := time.Now()
		err := RetryPolicy{MaxAttempts: 4, Backoff: testBackoff}.Do(ctx, a.run)
		if !errors.Is(err, first) || len(a.ns) != 1 || time.Since(start) != 3*time.Second {
			t.Fatalf("cancelled wait: err %v, %d attempts after %v; want the attempt's error at the deadline", err, len(a.ns), time.Since(start))
		}

		ctx, cancel = context.WithCancel(t.Context())
		var logs bytes.Buffer
		failed := fail(Timeout)
		err = RetryPolicy{MaxAttempts: 4, Backoff: testBackoff, Log: slog.New(slog.NewTextHandler(&logs, nil))}.Do(ctx, func(context.Context, int) error {
			cancel()
			return failed
		})
		if !errors.Is(err, failed) || logs.Len() != 0 {
			t.Fatalf("done context: err %v, log %q; want the attempt's error, no retry line", err, logs.String())
		}
	})
}

func TestDoRetryNow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs bytes.Buffer
		a := &attempts{errs: []error{ErrRetryNow, fail(Server)}}
		start := time.Now()
		err := RetryPolicy{MaxAttempts: 1, Backoff: testBackoff, Log: slog.New(slog.NewTextHandler(&logs, nil))}.Do(t.Context(), a.run)
		if err == nil || len(a.ns) != 2 || a.ns[1] != 2 || time.Since(start) != 0 || logs.Len() != 0 {
			t.Fatalf("ErrRetryNow: err %v, attempts %v after %v, log %q; want attempt 2 at once, unlogged, then the 500", err, a.ns, time.Since(start), logs.String())
		}
	})
}

func TestDoLogsEachRetry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs bytes.Buffer
		log := slog.New(slog.NewJSONHandler(&logs, nil))
		a := &attempts{errs: []error{
			&failure{f: Failure{Class: RateLimited, Status: 429, RetryAfter: 2 * time.Second, RequestID: "req-1"}},
			fail(Transport),
		}}
		p := RetryPolicy{MaxAttempts: 4, Backoff: testBackoff, Log: log, API: "someapi", Attrs: []slog.Attr{slog.String("op", "read thing")}}
		if err := p.Do(t.Context(), a.run); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
		if len(lines) != 2 {
			t.Fatalf("%d log lines, want one per retry:\n%s", len(lines), logs.String())
		}
		var first, second map[string]any
		if json.Unmarshal([]byte(lines[0]), &first) != nil || json.Unmarshal([]byte(lines[1]), &second) != nil {
			t.Fatalf("unreadable log:\n%s", logs.String())
		}
		want := map[string]any{"level": "WARN", "msg": "someapi call failed; retrying", "op": "read thing", KeyClass: "rate_limited",
			KeyStatus: 429.0, KeyRequestID: "req-1", KeyAttempt: 1.0, KeyWait: float64(2 * time.Second), KeyErr: "attempt failed: rate_limited"}
		for k, v := range want {
			if first[k] != v {
				t.Errorf("first line %s = %v, want %v", k, first[k], v)
			}
		}
		if _, ok := second[KeyRequestID]; ok || second[KeyAttempt] != 2.0 || second[KeyStatus] != 0.0 {
			t.Errorf("second line %v: want attempt 2, status 0 and no request id", second)
		}
		if KeyErr != "err" {
			t.Errorf("KeyErr = %q; the project spells the error key err", KeyErr)
		}
	})
}
