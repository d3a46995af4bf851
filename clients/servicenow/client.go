// Package servicenow is snowduty's client for the ServiceNow REST Table API
// (reference/servicenow-table-api.md): a keyset change feed over incidents,
// batched reads of incidents and journal entries, dictionary and choice
// lookups, and writes that return the whole updated record. It always reads
// raw values (sysparm_display_value=false, sysparm_exclude_reference_link=
// true), classifies every failure at the edge (httpx.Class), retries what
// may succeed with jittered backoff inside a call, never retries a write
// whose outcome it could not see, and never puts a password, token or
// client secret into a log line or an error.
package servicenow

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/snowduty/snowduty/clients/httpx"
)

// keyOp is the log attribute naming the operation of a call; the other keys
// are httpx's.
const keyOp = "op"

// apiName is httpx.Call.API for this client.
const apiName = "servicenow"

// Client talks to one ServiceNow instance. It is safe for concurrent use.
type Client struct {
	opts  Options
	base  *url.URL
	http  *http.Client
	log   *slog.Logger
	auth  authenticator
	retry httpx.RetryPolicy
}

// New validates o and returns a Client. It makes no request.
func New(o Options) (*Client, error) {
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("configure servicenow client: %w", err)
	}
	base, err := httpx.CheckBaseURL("SNOWDUTY_SERVICENOW_URL", o.BaseURL, o.AllowHTTP)
	if err != nil {
		return nil, fmt.Errorf("configure servicenow client: %w", err)
	}
	hc, err := httpx.NewClient(httpx.TransportOptions{Timeout: o.Timeout, CAFile: o.CAFile})
	if err != nil {
		return nil, fmt.Errorf("configure servicenow client: %w", err)
	}
	if o.Transport != nil {
		hc.Transport = o.Transport
	}
	c := &Client{opts: o, base: base, http: hc, log: o.Logger.With(slog.String("component", "servicenow"))}
	// A 429 whose Retry-After is above MaxRetryWait is returned at once.
	c.retry = httpx.RetryPolicy{MaxAttempts: o.MaxAttempts, Backoff: o.Backoff, Retries: retryable,
		MaxRetryAfter: o.MaxRetryWait, Log: c.log, API: apiName}
	c.auth = newAuthenticator(c)
	return c, nil
}

// request is one logical call.
type request struct {
	op       string
	method   string
	path     string // e.g. /api/now/table/incident/<sys_id>
	endpoint string // low-cardinality path for metrics and errors
	query    url.Values
	body     any
	// unsafe marks a write that must not be repeated after an ambiguous
	// failure (POST, or a PATCH that appends a journal entry).
	unsafe bool
}

// response is a successful answer.
type response struct {
	status int
	header http.Header
	result json.RawMessage
}

// total returns X-Total-Count, or -1 when absent.
func (r *response) total() int {
	n, err := strconv.Atoi(r.header.Get("X-Total-Count"))
	if err != nil {
		return -1
	}
	return n
}

// serverTime is the instance's clock from the Date header.
func (r *response) serverTime() time.Time {
	t, err := http.ParseTime(r.header.Get("Date"))
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// do runs req with bounded, jittered retries (c.retry). A 401 that fresh
// credentials may cure is repeated once, at once.
func (c *Client) do(ctx context.Context, req request) (*response, error) {
	var body []byte
	if req.body != nil {
		var err error
		if body, err = json.Marshal(req.body); err != nil {
			return nil, fmt.Errorf("%s: encode body: %w", req.op, err)
		}
	}
	policy := c.retry
	policy.Attrs = []slog.Attr{slog.String(keyOp, req.op)}
	var resp *response
	reauthed := false
	err := policy.Do(ctx, func(ctx context.Context, attempt int) error {
		r, e := c.once(ctx, req, body)
		if e == nil {
			c.auth.accepted()
			resp = r
			return nil
		}
		e.Op, e.Method, e.Endpoint, e.Attempts = req.op, req.method, req.endpoint, attempt
		if req.unsafe && ambiguous(e) {
			e.Class = httpx.UnknownOutcome
		}
		if e.Class == httpx.Unauthorized && c.auth.invalidate() && !reauthed {
			reauthed = true
			return httpx.ErrRetryNow
		}
		c.finish(e)
		return e
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// MaxURLLength is the longest URL the client sends (what real clients keep
// under: web tiers in front of instances refuse longer ones, at a length
// that is not published). Batch reads split until each URL fits.
const MaxURLLength = 2048

// retryable is the in-call retry policy: a hibernating instance does not
// wake up within a call, so it is returned at once.
func retryable(c httpx.Class) bool {
	return c.Retryable() && c != httpx.Hibernating
}

// ambiguous reports whether a failed write may have been applied.
func ambiguous(e *Error) bool {
	switch e.Class {
	case httpx.Server, httpx.Timeout:
		return true
	case httpx.Transport:
		return !notSent(e.Err)
	case httpx.BadResponse:
		return e.Status >= 200 && e.Status < 300 && !strings.Contains(e.Message, "Hibernating")
	}
	return false
}

// finish adds the hint and scrubs secrets.
func (c *Client) finish(e *Error) {
	if e.Hint == "" {
		e.Hint = hints[e.Class]
		if e.Class == httpx.Unauthorized {
			c.auth.explain401(e)
		}
	}
	e.Message, e.Detail = c.redact(e.Message), c.redact(e.Detail)
	if e.Err != nil {
		e.Err = redactedError{msg: c.redact(e.Err.Error()), err: e.Err}
	}
}

// redactedError keeps the chain (errors.Is) but prints a scrubbed message.
type redactedError struct {
	msg string
	err error
}

func (r redactedError) Error() string { return r.msg }
func (r redactedError) Unwrap() error { return r.err }

func (c *Client) redact(s string) string {
	return httpx.Redact(s, append([]string{c.opts.Password, c.opts.ClientSecret}, c.auth.secrets()...)...)
}

// once makes one HTTP request and reports it to the Observer.
func (c *Client) once(ctx context.Context, req request, body []byte) (*response, *Error) {
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + req.path
	u.RawQuery = req.query.Encode()
	if n := len(u.String()); n > MaxURLLength {
		// Real web tiers refuse over-long URLs with an HTML page or a 414,
		// at a length nobody publishes: never send one.
		return nil, &Error{Class: httpx.BadRequest, TooLong: true,
			Message: fmt.Sprintf("request too long: its URL has %d characters, over the %d the client keeps every URL under", n, MaxURLLength)}
	}
	var rd *bytes.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	var hreq *http.Request
	var err error
	if rd != nil {
		hreq, err = http.NewRequestWithContext(ctx, req.method, u.String(), rd)
	} else {
		hreq, err = http.NewRequestWithContext(ctx, req.method, u.String(), nil)
	}
	if err != nil {
		return nil, &Error{Class: httpx.BadRequest, Err: err}
	}
	hreq.Header.Set("Accept", "application/json")
	hreq.Header.Set("User-Agent", c.opts.UserAgent)
	if body != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}
	if e := c.auth.apply(ctx, hreq); e != nil {
		return nil, e
	}
	start := time.Now()
	resp, e := c.send(hreq)
	call := httpx.Call{API: apiName, Endpoint: req.endpoint, Method: req.method, Class: httpx.OK, Duration: time.Since(start)}
	if resp != nil {
		call.Status = resp.status
	}
	if e != nil {
		call.Class, call.Status = e.Class, e.Status
	}
	c.observe(call)
	return resp, e
}

// send performs the round trip and classifies the answer.
func (c *Client) send(hreq *http.Request) (*response, *Error) {
	hresp, err := c.http.Do(hreq)
	if err != nil {
		return nil, transportError(err)
	}
	raw, err := httpx.ReadBody(hresp.Body, httpx.MaxBody)
	if err != nil {
		e := transportError(err)
		e.Status = hresp.StatusCode
		return nil, e
	}
	result, e := classify(hresp.StatusCode, hresp.Header, raw, time.Now())
	if e != nil {
		return nil, e
	}
	return &response{status: hresp.StatusCode, header: hresp.Header, result: result}, nil
}

func (c *Client) observe(call httpx.Call) {
	if c.opts.Observer != nil {
		c.opts.Observer(call)
	}
}

// readParams are the parameters of every read: raw values only.
func readParams() url.Values {
	return url.Values{
		"sysparm_display_value":          {"false"},
		"sysparm_exclude_reference_link": {"true"},
	}
}
