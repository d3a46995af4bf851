// Package flashduty is a client for the subset of the Flashduty Open API
// that snowduty needs (reference/flashduty-open-api.md): discovery of
// incidents over start-time windows, re-reading by id, timelines, writes,
// custom fields, channels and people.
//
// Every call is a JSON POST with the app key as the app_key query
// parameter, added below the http.Client so that it never appears in a URL
// the client reports, a log line or an error. Answers are envelopes, checked
// for an error even on HTTP 200. Failures are *Error values with an
// httpx.Class; retryable ones are retried with jittered backoff (honouring
// Retry-After), except that a create or comment whose outcome is uncertain
// is never re-sent: it fails with class httpx.UnknownOutcome. All calls share
// one client-side rate limiter.
package flashduty

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/snowduty/snowduty/clients/httpx"
)

// DefaultBaseURL is Flashduty's public API endpoint.
const DefaultBaseURL = "https://api.flashcat.cloud"

// Options configures New.
type Options struct {
	// BaseURL of the Open API; empty means DefaultBaseURL. Private
	// deployments use their own domain.
	BaseURL string
	// AppKey authenticates every call. Required.
	AppKey string
	// CAFile is an optional PEM bundle added to the system roots.
	CAFile string
	// Timeout bounds one HTTP request; 0 means 30s.
	Timeout time.Duration
	// MaxAttempts bounds the tries of one call; 0 means 4 (the vendor's
	// "maximum of 3 retries").
	MaxAttempts int
	// PerSecond and PerMinute cap the request rate of this client; 0 means
	// the documented account limits, 50 and 1000.
	PerSecond, PerMinute int
	// Backoff between retries; zero means 1s doubling up to 30s, jittered.
	Backoff httpx.Backoff
	// AllowHTTP permits plain http:// to a non-loopback host.
	AllowHTTP bool
	// UserAgent is sent on every request; empty means "snowduty".
	UserAgent string
	// Logger receives debug lines per call and warnings per retry; nil
	// discards them.
	Logger *slog.Logger
	// Observer is told about every HTTP request made.
	Observer httpx.Observer
	// Transport replaces the network transport (tests use the simulator's
	// in-process one); nil means httpx.NewClient's.
	Transport http.RoundTripper
	// Now is the clock used for default windows; nil means time.Now.
	Now func() time.Time
}

// Client calls the Flashduty Open API. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	appKey    string
	hc        *http.Client
	retry     httpx.RetryPolicy
	userAgent string
	log       *slog.Logger
	observe   httpx.Observer
	limit     *limiter
	now       func() time.Time
}

// Log attribute keys of this client; the others are httpx's.
const (
	keyEndpoint = "endpoint"
	keyDuration = "duration"
)

// New checks o and returns a Client.
func New(o Options) (*Client, error) {
	if o.AppKey == "" {
		return nil, errors.New("new flashduty client: the app key is empty; set it (Console → Account Settings → APP Key)")
	}
	if o.BaseURL == "" {
		o.BaseURL = DefaultBaseURL
	}
	base, err := httpx.CheckBaseURL("the Flashduty base URL", o.BaseURL, o.AllowHTTP)
	if err != nil {
		return nil, fmt.Errorf("new flashduty client: %w", err)
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"MaxAttempts", o.MaxAttempts}, {"PerSecond", o.PerSecond}, {"PerMinute", o.PerMinute}} {
		if f.v < 0 {
			return nil, fmt.Errorf("new flashduty client: %s is %d; it must not be negative", f.name, f.v)
		}
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = 4
	}
	if o.PerSecond == 0 {
		o.PerSecond = 50
	}
	if o.PerMinute == 0 {
		o.PerMinute = 1000
	}
	if o.PerSecond > 50 || o.PerMinute > 1000 {
		return nil, fmt.Errorf("new flashduty client: rate %d/s, %d/min is above Flashduty's limits of 50/s and 1000/min; lower it", o.PerSecond, o.PerMinute)
	}
	if o.Backoff == (httpx.Backoff{}) {
		o.Backoff = httpx.Backoff{Base: time.Second, Max: 30 * time.Second}
	}
	if o.UserAgent == "" {
		o.UserAgent = "snowduty"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	hc, err := httpx.NewClient(httpx.TransportOptions{Timeout: o.Timeout, CAFile: o.CAFile})
	if err != nil {
		return nil, fmt.Errorf("new flashduty client: %w", err)
	}
	if o.Transport != nil {
		hc.Transport = o.Transport
	}
	hc.Transport = &keyTransport{base: hc.Transport, key: o.AppKey}
	// A redirect would carry the key to wherever Location points.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	log := o.Logger.With("component", "flashduty")
	return &Client{
		base: base, appKey: o.AppKey, hc: hc, userAgent: o.UserAgent, log: log, observe: o.Observer,
		// Every retryable class is retried, Retry-After uncapped.
		retry: httpx.RetryPolicy{MaxAttempts: o.MaxAttempts, Backoff: o.Backoff, Log: log, API: "flashduty"},
		limit: newLimiter(o.PerSecond, o.PerMinute), now: o.Now,
	}, nil
}

// keyTransport adds app_key to each outgoing request. Because it works on a
// clone below the http.Client, the URL in a *url.Error never carries it.
type keyTransport struct {
	base http.RoundTripper
	key  string
}

// RoundTrip sends a copy of req with app_key set.
func (t *keyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	q := r.URL.Query()
	q.Set("app_key", t.key)
	r.URL.RawQuery = q.Encode()
	return t.base.RoundTrip(r)
}
