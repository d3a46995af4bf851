package servicenow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/snowduty/snowduty/clients/httpx"
)

// Error is a failed ServiceNow call, classified at the edge.
type Error struct {
	// Op is what the client was doing ("list incident changes").
	Op string
	// Method and Endpoint name the last request (Endpoint has no sys_id).
	Method   string
	Endpoint string
	// Class is the kind of failure; it decides retries.
	Class httpx.Class
	// Status is the HTTP status, 0 when no response arrived.
	Status int
	// Message and Detail come from ServiceNow's error envelope
	// ({"error":{"message","detail"}}); Detail may be empty.
	Message string
	Detail  string
	// RetryAfter is the server's Retry-After, when it sent one.
	RetryAfter time.Duration
	// RateLimitLimit, RateLimitReset and RateLimitRule are the
	// X-RateLimit-* headers of a 429 (limit per hour, next window, rule
	// sys_id), when sent.
	RateLimitLimit int
	RateLimitReset time.Time
	RateLimitRule  string
	// MandatoryFields are the field labels a Data Policy Exception names.
	MandatoryFields []string
	// Attempts is how many requests the call made.
	Attempts int
	// Hint says what to do about it.
	Hint string
	// TooLong marks a request refused for its length: by the client before
	// sending (its URL over MaxURLLength) or by the web tier (414, or an
	// HTML page answering an over-long URL). A batch read splits and tries
	// again; a single item that is too long is a bad request.
	TooLong bool
	// Err is the underlying transport error, if any.
	Err error
}

// Error says what happened and what to do.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op + ": servicenow " + e.Method + " " + e.Endpoint)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Detail != "" {
		b.WriteString(": " + strings.Join(strings.Fields(e.Detail), " "))
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	if e.Hint != "" {
		b.WriteString("; " + e.Hint)
	}
	return b.String()
}

// Unwrap returns the underlying transport error.
func (e *Error) Unwrap() error { return e.Err }

// Failure describes e to httpx.RetryPolicy: its class, status and
// Retry-After.
func (e *Error) Failure() httpx.Failure {
	return httpx.Failure{Class: e.Class, Status: e.Status, RetryAfter: e.RetryAfter}
}

// ClassOf returns the failure class of err: httpx.OK for nil, the Class of
// an *Error, Timeout for deadline errors and Transport otherwise.
func ClassOf(err error) httpx.Class {
	if err == nil {
		return httpx.OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return httpx.Timeout
	}
	return httpx.Transport
}

// hints per class; Unauthorized depends on the auth mode.
var hints = map[httpx.Class]string{
	httpx.Forbidden:      "an ACL denies the integration user: it needs the itil role (closing may need itil_admin), and read access to sys_journal_field, sys_dictionary and sys_choice",
	httpx.DataPolicy:     "a data policy requires more fields: send them in the same request (resolving or closing needs close_code and close_notes, On Hold needs hold_reason)",
	httpx.NotFound:       "the record does not exist or an ACL hides it from the integration user",
	httpx.BadRequest:     "ServiceNow refused the request as malformed; check the configured query and field names",
	httpx.RateLimited:    "a rate-limit rule on the instance was hit; the call is retried after Retry-After, or ask the admin to raise the limit for the integration user",
	httpx.Server:         "the instance failed or is overloaded; it is retried with backoff",
	httpx.Hibernating:    "the developer instance is hibernating (asleep): wake it at developer.servicenow.com, then snowduty carries on",
	httpx.BadResponse:    "the answer was not the Table API's JSON: check the URL and any proxy or SSO page in front of the instance",
	httpx.Timeout:        "the call took longer than the timeout; the instance is slow or unreachable",
	httpx.Transport:      "the instance could not be reached: check the URL, DNS, HTTPS_PROXY/NO_PROXY and the CA bundle",
	httpx.UnknownOutcome: "the write may or may not have happened: look the record up (by correlation_id) before writing again",
}

const (
	hintBasic401 = "check the username and password, that \"Password needs reset\" is unchecked on the user, that the account is not locked, and that it may use web services (mark it \"Web service access only\")"
	hintOAuth401 = "check the OAuth client id and secret, the username and password (\"Password needs reset\" unchecked, web service access allowed) and that the grant type is enabled on the instance (client_credentials needs glide.oauth.inbound.client.credential.grant_type.enabled)"
)

var mandatoryRE = regexp.MustCompile(`(?s)The following fields are mandatory:\s*(.*)$`)
var singleMandatoryRE = regexp.MustCompile(`Data Policy Exception:\s*(.+?) is mandatory`)

// parseMandatory extracts the field labels from a Data Policy Exception.
func parseMandatory(detail string) []string {
	if m := mandatoryRE.FindStringSubmatch(detail); m != nil {
		var out []string
		for _, f := range strings.Split(m[1], ",") {
			if f = strings.TrimSpace(f); f != "" {
				out = append(out, f)
			}
		}
		return out
	}
	if m := singleMandatoryRE.FindStringSubmatch(detail); m != nil {
		return []string{strings.TrimSpace(m[1])}
	}
	return nil
}

// envelope is the Table API's answer shape.
type envelope struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string          `json:"message"`
		Detail  json.RawMessage `json:"detail"`
	} `json:"error"`
}

func rawString(r json.RawMessage) string {
	var s string
	if json.Unmarshal(r, &s) == nil {
		return s
	}
	if len(r) == 0 || string(r) == "null" {
		return ""
	}
	return string(r)
}

// classify turns an HTTP answer into its result or an *Error (without Op,
// Method, Endpoint and Hint, which the caller fills in).
func classify(status int, h http.Header, body []byte, now time.Time) (json.RawMessage, *Error) {
	ct := strings.ToLower(h.Get("Content-Type"))
	trimmed := strings.TrimSpace(string(body))
	isHTML := strings.Contains(ct, "html") || strings.HasPrefix(trimmed, "<")
	e := &Error{Status: status}
	var env envelope
	jsonOK := strings.Contains(ct, "json") && json.Unmarshal(body, &env) == nil
	if jsonOK && env.Error != nil {
		e.Message, e.Detail = env.Error.Message, rawString(env.Error.Detail)
	}
	switch {
	case status == http.StatusAccepted && len(trimmed) == 0:
		e.Class, e.Message = httpx.Server, "202 Accepted with no body (too many requests queued on one session)"
	case status >= 200 && status < 300:
		switch {
		case isHTML && strings.Contains(trimmed, "Instance Hibernating page"):
			e.Class, e.Message = httpx.Hibernating, "the instance answered with its \"Instance Hibernating page\""
		case isHTML:
			e.Class, e.Message = httpx.BadResponse, "HTML instead of JSON (a login page or proxy in front of the instance?)"
		case !strings.Contains(ct, "json"):
			e.Class, e.Message = httpx.BadResponse, fmt.Sprintf("unexpected content type %q", h.Get("Content-Type"))
		case !jsonOK:
			e.Class, e.Message = httpx.BadResponse, "the JSON body could not be decoded (truncated?)"
		case env.Error != nil:
			e.Class = httpx.BadResponse
			e.Hint = "ServiceNow returned a partial result with an error (REST transaction quota?): lower SNOWDUTY_SERVICENOW_PAGE_SIZE"
		case env.Result == nil:
			e.Class, e.Message = httpx.BadResponse, "the answer has no result"
		default:
			return env.Result, nil
		}
	case status == http.StatusRequestURITooLong:
		e.Class, e.TooLong = httpx.BadRequest, true
		e.Message = "request too long: the web tier refused the URL (414)"
		e.Hint = "report it: snowduty keeps every URL under " + strconv.Itoa(MaxURLLength) + " characters"
	case status == http.StatusUnauthorized:
		e.Class = httpx.Unauthorized
	case status == http.StatusForbidden && strings.Contains(e.Detail, "Data Policy Exception"):
		e.Class, e.MandatoryFields = httpx.DataPolicy, parseMandatory(e.Detail)
	case status == http.StatusForbidden:
		e.Class = httpx.Forbidden
	case status == http.StatusNotFound:
		e.Class = httpx.NotFound
	case status == http.StatusTooManyRequests:
		e.Class = httpx.RateLimited
		e.RetryAfter, _ = httpx.ParseRetryAfter(h.Get("Retry-After"), now)
		e.RateLimitLimit, _ = strconv.Atoi(h.Get("X-RateLimit-Limit"))
		if sec, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			e.RateLimitReset = time.Unix(sec, 0).UTC()
		}
		e.RateLimitRule = h.Get("X-RateLimit-Rule")
	case status >= 500:
		e.Class = httpx.Server
		if isHTML && e.Message == "" {
			e.Message = "an HTML error page (load balancer or maintenance)"
		}
	default:
		e.Class = httpx.BadRequest
	}
	return nil, e
}

// transportError classifies a failed round trip.
func transportError(err error) *Error {
	e := &Error{Class: httpx.Transport, Err: err}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		e.Class = httpx.Timeout
	} else if errors.Is(err, context.Canceled) {
		e.Class = httpx.Timeout
	}
	return e
}

// notSent reports whether a transport error happened before the request
// left (a refused connection), so even a POST may be retried.
func notSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
