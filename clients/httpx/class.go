package httpx

import "time"

// Class is the kind of failure a client call ended in, shared by both API
// clients so that the poller can count, retry and report them uniformly.
type Class string

// The failure classes. OK is a success.
const (
	OK             Class = "ok"
	Unauthorized   Class = "unauthorized"    // 401: credentials wrong, expired or not allowed for web services
	Forbidden      Class = "forbidden"       // 403 ACL / AccessDenied: the account lacks a role or permission
	DataPolicy     Class = "data_policy"     // ServiceNow 403 Data Policy Exception: mandatory fields missing
	NotFound       Class = "not_found"       // the record is gone (404, Flashduty ResourceNotFound)
	BadRequest     Class = "bad_request"     // 400 / InvalidParameter: permanent, the request must change
	RateLimited    Class = "rate_limited"    // 429: wait for Retry-After
	Server         Class = "server"          // 5xx, ServiceNow 202-empty, error envelopes that mean "try later"
	Hibernating    Class = "hibernating"     // a ServiceNow developer instance is asleep (HTML on HTTP 200)
	Timeout        Class = "timeout"         // the call ran past its deadline
	Transport      Class = "transport"       // connection refused, DNS, TLS, reset
	BadResponse    Class = "bad_response"    // a body we cannot read: wrong content type, bad JSON, partial result
	UnknownOutcome Class = "unknown_outcome" // a non-idempotent write whose result we could not see: reconcile before retrying
)

// Retryable reports whether a call that failed with c may succeed if made
// again later without changing it.
func (c Class) Retryable() bool {
	switch c {
	case RateLimited, Server, Hibernating, Timeout, Transport:
		return true
	}
	return false
}

// Call describes one HTTP request a client made, for metrics.
type Call struct {
	API      string // "servicenow" or "flashduty"
	Endpoint string // a low-cardinality name: "/api/now/table/incident", "/incident/list"
	Method   string
	Status   int // 0 when no response arrived
	Class    Class
	Duration time.Duration
}

// Observer receives every call a client makes. It must be safe for
// concurrent use and fast; nil means nobody is listening.
type Observer func(Call)
