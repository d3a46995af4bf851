package flashduty

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/snowduty/snowduty/clients/httpx"
)

// write says whether a call may be repeated after an uncertain outcome.
type write bool

const (
	idempotent    write = false // reads and state-setting writes
	nonIdempotent write = true  // /incident/create, /incident/comment
)

// envelope is every Open API answer.
type envelope struct {
	RequestID string          `json:"request_id"`
	Data      json.RawMessage `json:"data"`
	Error     *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// call POSTs in to endpoint and decodes the envelope's data into out (nil
// to ignore it; a *json.RawMessage receives it raw, "null" included). It
// retries retryable failures, except that a non-idempotent call whose
// outcome is uncertain fails at once with class UnknownOutcome.
func (c *Client) call(ctx context.Context, endpoint string, in, out any, mode write) error {
	if in == nil {
		in = struct{}{}
	}
	payload, err := json.Marshal(in)
	if err != nil {
		return &Error{Endpoint: endpoint, Class: httpx.BadRequest, Message: "encode request: " + err.Error()}
	}
	policy := c.retry
	policy.Attrs = []slog.Attr{slog.String(keyEndpoint, endpoint)}
	return policy.Do(ctx, func(ctx context.Context, attempt int) error {
		// The limiter fails only once ctx is done, which ends the call.
		if err := c.limit.wait(ctx); err != nil {
			return &Error{Endpoint: endpoint, Class: ctxClass(err), Attempts: attempt - 1, cause: err}
		}
		data, e := c.once(ctx, endpoint, payload)
		if e == nil {
			if err := decodeData(data, out); err != nil {
				e = &Error{Endpoint: endpoint, Class: httpx.BadResponse, Status: http.StatusOK, Message: "decode data: " + err.Error()}
			} else {
				return nil
			}
		}
		e.Attempts = attempt
		if mode == nonIdempotent && uncertain(e.Class) && !e.notSent() {
			e.Outcome, e.Class = e.Class, httpx.UnknownOutcome // never retried
		}
		return e
	})
}

func decodeData(data json.RawMessage, out any) error {
	if out == nil {
		return nil
	}
	if raw, ok := out.(*json.RawMessage); ok {
		*raw = data
		return nil
	}
	if len(data) == 0 || string(data) == "null" {
		return nil
	}
	return json.Unmarshal(data, out)
}

// once makes one HTTP request and returns the envelope's data or a
// classified error.
func (c *Client) once(ctx context.Context, endpoint string, payload []byte) (json.RawMessage, *Error) {
	start := time.Now()
	status, reqID, data, e := c.roundTrip(ctx, endpoint, payload)
	class := httpx.OK
	if e != nil {
		class = e.Class
	}
	if c.observe != nil {
		c.observe(httpx.Call{API: "flashduty", Endpoint: endpoint, Method: http.MethodPost, Status: status, Class: class, Duration: time.Since(start)})
	}
	if e == nil {
		c.log.LogAttrs(ctx, slog.LevelDebug, "flashduty call", slog.String(keyEndpoint, endpoint),
			slog.Int(httpx.KeyStatus, status), slog.String(httpx.KeyRequestID, reqID), slog.Duration(keyDuration, time.Since(start)))
	}
	return data, e
}

func (c *Client) roundTrip(ctx context.Context, endpoint string, payload []byte) (int, string, json.RawMessage, *Error) {
	u := *c.base
	u.Path += endpoint
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(payload))
	if err != nil {
		return 0, "", nil, &Error{Endpoint: endpoint, Class: httpx.BadRequest, cause: c.redact(err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, "", nil, &Error{Endpoint: endpoint, Class: transportClass(ctx, err), cause: c.redact(err)}
	}
	reqID := resp.Header.Get("Flashcat-Request-Id")
	body, err := httpx.ReadBody(resp.Body, httpx.MaxBody)
	if err != nil {
		return resp.StatusCode, reqID, nil, &Error{Endpoint: endpoint, Class: transportClass(ctx, err), Status: resp.StatusCode, RequestID: reqID, cause: c.redact(err)}
	}
	e := &Error{Endpoint: endpoint, Status: resp.StatusCode, RequestID: reqID}
	if d, ok := httpx.ParseRetryAfter(resp.Header.Get("Retry-After"), c.now()); ok {
		e.RetryAfter = d
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		e.Class = classOfStatus(resp.StatusCode)
		if resp.StatusCode/100 == 2 {
			e.Class = httpx.BadResponse
		}
		e.Message = c.redact(errors.New("the answer is not a JSON envelope: " + snippet(body))).Error()
		return resp.StatusCode, e.RequestID, nil, e
	}
	if e.RequestID == "" {
		e.RequestID = env.RequestID
	}
	if env.Error != nil && env.Error.Code != "" && env.Error.Code != "0" && env.Error.Code != "OK" {
		e.Code, e.Message = env.Error.Code, c.redact(errors.New(env.Error.Message)).Error()
		cls, known := classOfCode(e.Code)
		if !known {
			cls = classOfStatus(resp.StatusCode)
		}
		e.Class = cls
		return resp.StatusCode, e.RequestID, nil, e
	}
	if resp.StatusCode/100 != 2 {
		e.Class = classOfStatus(resp.StatusCode)
		return resp.StatusCode, e.RequestID, nil, e
	}
	return resp.StatusCode, e.RequestID, env.Data, nil
}

// redact removes the app key from an error's text, keeping it unwrappable.
func (c *Client) redact(err error) error {
	return &redacted{msg: httpx.Redact(err.Error(), c.appKey), err: err}
}

type redacted struct {
	msg string
	err error
}

func (r *redacted) Error() string { return r.msg }
func (r *redacted) Unwrap() error { return r.err }

func snippet(b []byte) string {
	const n = 120
	s := string(bytes.TrimSpace(b))
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

func transportClass(ctx context.Context, err error) httpx.Class {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return httpx.Timeout
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return httpx.Timeout
	}
	return httpx.Transport
}

func ctxClass(err error) httpx.Class {
	if errors.Is(err, context.DeadlineExceeded) {
		return httpx.Timeout
	}
	return httpx.Transport
}

// notSent reports whether the failure happened before the request could
// reach the server (no connection was made), so a write cannot have
// happened.
func (e *Error) notSent() bool {
	if e.Status != 0 || e.cause == nil {
		return false
	}
	var op *net.OpError
	if errors.As(e.cause, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(e.cause, &dns)
}
