package httpx

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Log attribute keys of the lines both clients write about their calls: one
// spelling of each.
const (
	KeyClass     = "class"
	KeyStatus    = "status"
	KeyRequestID = "request_id"
	KeyAttempt   = "attempt"
	KeyWait      = "wait"
	KeyErr       = "err"
)

// Failure is what RetryPolicy.Do needs to know about a failed attempt.
type Failure struct {
	// Class decides whether another attempt may succeed.
	Class Class
	// Status is the HTTP status, 0 when no response arrived.
	Status int
	// RetryAfter is the wait the server asked for (Retry-After), 0 when it
	// asked for none.
	RetryAfter time.Duration
	// RequestID is the server's id for the request, empty when it sent none.
	RequestID string
}

// Classified is an error that describes its failure. The clients' error
// types implement it; RetryPolicy.Do never repeats an error that does not.
type Classified interface {
	error
	Failure() Failure
}

// ErrRetryNow is returned by an attempt to make RetryPolicy.Do make the next
// attempt at once: no wait, no log line and no MaxAttempts check, though it
// counts as an attempt. It is for a failure the caller has already repaired,
// such as a 401 after dropping a stale token; the caller bounds how often it
// returns it.
var ErrRetryNow = errors.New("retry at once")

// RetryPolicy is how a call repeats its failed attempts.
type RetryPolicy struct {
	// MaxAttempts bounds the attempts of one call; below 1 means 1.
	MaxAttempts int
	// Backoff spaces the attempts.
	Backoff Backoff
	// Retries reports whether a failure of a class may be retried within the
	// call; nil means Class.Retryable.
	Retries func(Class) bool
	// MaxRetryAfter is the longest Retry-After the call waits out: a failure
	// that asks for longer is returned at once. Zero means no cap.
	MaxRetryAfter time.Duration
	// Log receives a warning per retry; nil logs nothing.
	Log *slog.Logger
	// API names the API in the warning: "<API> call failed; retrying".
	API string
	// Attrs identify the call in the warning (the operation, the endpoint).
	Attrs []slog.Attr
}

// Do calls attempt with n = 1, 2, … until it returns nil, and returns nil or
// the last attempt's error. After a Classified failure whose class retries,
// with attempts left and ctx not done, it logs a warning and waits the longer
// of the backoff and the failure's Retry-After, then tries again. Any other
// failure, a Retry-After above MaxRetryAfter, or ctx ending during the wait
// ends the call with that attempt's error (ErrRetryNow is never returned).
func (p RetryPolicy) Do(ctx context.Context, attempt func(ctx context.Context, n int) error) error {
	for n := 1; ; n++ {
		err := attempt(ctx, n)
		if err == nil {
			return nil
		}
		if errors.Is(err, ErrRetryNow) {
			continue
		}
		var c Classified
		if !errors.As(err, &c) {
			return err
		}
		f := c.Failure()
		wait, ok := p.wait(ctx, n, f)
		if !ok {
			return err
		}
		p.log(ctx, n, wait, f, err)
		if Sleep(ctx, wait) != nil {
			return err
		}
	}
}

// wait returns how long to wait before attempt n+1, or false when there is
// to be none.
func (p RetryPolicy) wait(ctx context.Context, n int, f Failure) (time.Duration, bool) {
	retries := p.Retries
	if retries == nil {
		retries = Class.Retryable
	}
	if !retries(f.Class) || n >= p.MaxAttempts || ctx.Err() != nil {
		return 0, false
	}
	wait := p.Backoff.Delay(n)
	if f.RetryAfter > 0 {
		if p.MaxRetryAfter > 0 && f.RetryAfter > p.MaxRetryAfter {
			return 0, false
		}
		wait = max(wait, f.RetryAfter)
	}
	return wait, true
}

// log warns that attempt n failed with err and the call goes on after wait.
func (p RetryPolicy) log(ctx context.Context, n int, wait time.Duration, f Failure, err error) {
	if p.Log == nil {
		return
	}
	attrs := make([]slog.Attr, 0, len(p.Attrs)+6)
	attrs = append(attrs, p.Attrs...)
	attrs = append(attrs, slog.String(KeyClass, string(f.Class)), slog.Int(KeyStatus, f.Status))
	if f.RequestID != "" {
		attrs = append(attrs, slog.String(KeyRequestID, f.RequestID))
	}
	attrs = append(attrs, slog.Int(KeyAttempt, n), slog.Duration(KeyWait, wait), slog.String(KeyErr, err.Error()))
	msg := "call failed; retrying"
	if p.API != "" {
		msg = p.API + " " + msg
	}
	p.Log.LogAttrs(ctx, slog.LevelWarn, msg, attrs...)
}
