package flashduty

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/snowduty/snowduty/clients/httpx"
)

// Error is a failed Open API call. It never contains the app key.
type Error struct {
	// Endpoint is the API path, e.g. "/incident/list".
	Endpoint string
	// Class says what kind of failure it is and whether to retry.
	Class httpx.Class
	// Code and Message come from the error envelope (empty for transport
	// failures). Branch on Code, never on Message.
	Code    string
	Message string
	// RequestID is Flashduty's request id (Flashcat-Request-Id), for
	// support tickets.
	RequestID string
	// Status is the HTTP status; 0 when no response arrived.
	Status int
	// RetryAfter is the server's Retry-After, if it sent one.
	RetryAfter time.Duration
	// Attempts is how many times the call was made.
	Attempts int
	// Outcome holds the original class when Class is UnknownOutcome.
	Outcome httpx.Class

	cause error // redacted
}

// Error describes the failure and, for the classes an operator must act on,
// what to do.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "flashduty %s: ", e.Endpoint)
	switch {
	case e.Code != "":
		b.WriteString(e.Code)
	case e.Status != 0:
		fmt.Fprintf(&b, "HTTP %d", e.Status)
	default:
		b.WriteString(string(e.Class))
	}
	if e.Status != 0 && e.Code != "" {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.cause != nil {
		fmt.Fprintf(&b, ": %v", e.cause)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " [request_id %s]", e.RequestID)
	}
	if h := hint(e); h != "" {
		b.WriteString("; ")
		b.WriteString(h)
	}
	return b.String()
}

func hint(e *Error) string {
	switch e.Class {
	case httpx.Unauthorized:
		return "the app key is wrong, expired or deleted: issue a new one (Console → Account Settings → APP Key) and update the configuration"
	case httpx.Forbidden:
		return "the app key's member lacks a permission (Incidents Read/Manage on the channel, or Audit Read): grant it in Flashduty"
	case httpx.UnknownOutcome:
		return fmt.Sprintf("the outcome is unknown (%s): the write may or may not have happened; reconcile before retrying", e.Outcome)
	}
	return ""
}

// Unwrap returns the transport error behind the failure, if any.
func (e *Error) Unwrap() error { return e.cause }

// Failure describes e to httpx.RetryPolicy: its class, status, Retry-After
// and request id.
func (e *Error) Failure() httpx.Failure {
	return httpx.Failure{Class: e.Class, Status: e.Status, RetryAfter: e.RetryAfter, RequestID: e.RequestID}
}

// ClassOf returns the class of err: OK for nil, the Class of an *Error in
// its chain, Timeout for context deadlines and Transport otherwise.
func ClassOf(err error) httpx.Class {
	if err == nil {
		return httpx.OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	if errors.Is(err, ErrTooShort) {
		return httpx.BadRequest
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return httpx.Timeout
	}
	return httpx.Transport
}

// classOfCode maps a documented error.code to a class (reference §1.4).
// ok is false for an unknown code.
func classOfCode(code string) (httpx.Class, bool) {
	switch code {
	case "Unauthorized":
		return httpx.Unauthorized, true
	case "AccessDenied":
		return httpx.Forbidden, true
	case "ResourceNotFound":
		return httpx.NotFound, true
	case "InvalidParameter", "BadRequest", "InvalidContentType", "NoLicense", "ReferenceExist",
		"RouteNotFound", "MethodNotAllowed", "EntityTooLarge", "BalanceNotEnough", "UndonedOrderExist",
		"RequestVerifyRequired", "DangerousOperation":
		return httpx.BadRequest, true
	case "RequestTooFrequently", "RequestLocked":
		return httpx.RateLimited, true
	case "InternalError", "ServiceUnavailable":
		return httpx.Server, true
	}
	return "", false
}

// classOfStatus maps an HTTP status to a class when no known code says more.
func classOfStatus(status int) httpx.Class {
	switch {
	case status == http.StatusUnauthorized:
		return httpx.Unauthorized
	case status == http.StatusForbidden:
		return httpx.Forbidden
	case status == http.StatusTooManyRequests || status == http.StatusLocked:
		return httpx.RateLimited
	case status == http.StatusRequestTimeout:
		return httpx.Timeout
	case status >= 500 || status < 400:
		return httpx.Server
	}
	return httpx.BadRequest
}

// uncertain reports whether a non-idempotent call that failed with class c
// may have been applied by the server.
func uncertain(c httpx.Class) bool {
	switch c {
	case httpx.Server, httpx.Timeout, httpx.Transport, httpx.BadResponse:
		return true
	}
	return false
}

// ErrAccountKey marks the answer /member/info gives an account-level app
// key: one that acts as the account principal, not as a member. Flashduty
// rejects such a key there with HTTP 400 (go-flashduty's MemberInfo
// documents it; reference vendor-clients.md, Flashduty fact 1). The key
// works everywhere else; its identity comes from AccountInfo, and its
// writes carry the account id as their actor (creator_id, audit member_id).
// The error of MemberInfo wraps both this and the *Error of the call.
var ErrAccountKey = errors.New("the flashduty app key is account-level (it acts as the account principal, which has no member profile)")

// accountKeyRejection reports whether err is /member/info refusing an
// account-level key: HTTP 400 with an error envelope whose code is one of
// the generic "not valid for this caller" codes. The vendor documents the
// status, not the code; the codes that mean something else (the request's
// content type, a licence, a size, a method, a route) are never taken for
// it, and neither is a 400 without a Flashduty envelope (a proxy's page) or
// an envelope error on another status.
func accountKeyRejection(err error) bool {
	var e *Error
	if !errors.As(err, &e) || e.Endpoint != "/member/info" || e.Status != http.StatusBadRequest {
		return false
	}
	switch e.Code {
	case "InvalidParameter", "BadRequest", "ResourceNotFound":
		return true
	}
	return false
}

// ErrTooShort marks text that Flashduty would reject as shorter than 3
// characters (e.g. an emptied description on /incident/reset). It is
// reported, never sent; the other fields of the same call were written.
var ErrTooShort = errors.New("text shorter than 3 characters cannot be written to Flashduty")
