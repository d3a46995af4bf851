package servicenow

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/snowduty/snowduty/clients/httpx"
)

// Defaults of Options.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultMaxAttempts  = 4
	DefaultMaxRetryWait = time.Minute
	DefaultUserAgent    = "snowduty"
	DefaultPageSize     = 100
	// DefaultOAuthClientAuth is the default of Options.OAuthClientAuth.
	DefaultOAuthClientAuth = OAuthClientAuthAuto
	// MaxPageSize is ServiceNow's default sysparm_limit, the most rows
	// one request asks for.
	MaxPageSize = 10000
)

// How the OAuth client's id and secret reach the token endpoint
// (Options.OAuthClientAuth; RFC 6749 §2.3.1).
const (
	// OAuthClientAuthAuto sends them in the form body first and, when the
	// token endpoint refuses that (401, or 400 invalid_client), as HTTP
	// Basic once; whichever worked is used from then on.
	OAuthClientAuthAuto = "auto"
	// OAuthClientAuthBasic sends them as an HTTP Basic header
	// (client_secret_basic), as requests-oauthlib (PySNC, pysnow) does.
	OAuthClientAuthBasic = "basic"
	// OAuthClientAuthPost sends them as client_id and client_secret in the
	// form body (client_secret_post), as ServiceNow's documentation shows.
	OAuthClientAuthPost = "post"
)

// Options configures a Client.
type Options struct {
	// BaseURL is the instance, e.g. https://dev12345.service-now.com.
	BaseURL string
	// Username and Password authenticate with Basic auth, or with the OAuth
	// password grant when ClientID is set too.
	Username string
	Password string
	// ClientID and ClientSecret enable OAuth 2 through /oauth_token.do:
	// the password grant with Username/Password, otherwise the
	// client_credentials grant.
	ClientID     string
	ClientSecret string
	// OAuthClientAuth is how the client id and secret reach the token
	// endpoint: OAuthClientAuthAuto, OAuthClientAuthBasic or
	// OAuthClientAuthPost; empty means DefaultOAuthClientAuth.
	OAuthClientAuth string
	// CAFile is an optional PEM bundle for TLS-inspecting proxies.
	CAFile string
	// Timeout bounds one HTTP request; zero means DefaultTimeout.
	Timeout time.Duration
	// MaxAttempts bounds the attempts of one call; zero means
	// DefaultMaxAttempts.
	MaxAttempts int
	// AllowHTTP permits plain http:// to non-loopback hosts.
	AllowHTTP bool
	// UserAgent is sent on every request; empty means DefaultUserAgent.
	UserAgent string
	// Logger receives retry warnings; nil discards them.
	Logger *slog.Logger
	// Observer receives every HTTP request the client makes.
	Observer httpx.Observer
	// Backoff spaces retries inside a call; zero means 500ms doubling to 10s.
	Backoff httpx.Backoff
	// MaxRetryWait is the longest Retry-After a call waits out before
	// giving up and returning the 429; zero means DefaultMaxRetryWait.
	MaxRetryWait time.Duration
	// Transport replaces the network transport (tests, in-process
	// simulators); nil means httpx.NewClient's.
	Transport http.RoundTripper
}

// validate checks o and fills in defaults.
func (o *Options) validate() error {
	var errs []error
	if o.Username == "" && o.Password != "" {
		errs = append(errs, errors.New("servicenow username is empty but a password is set: set SNOWDUTY_SERVICENOW_USERNAME"))
	}
	if o.Username != "" && o.Password == "" {
		errs = append(errs, errors.New("servicenow password is empty: set SNOWDUTY_SERVICENOW_PASSWORD (or _FILE)"))
	}
	if strings.Contains(o.Username, ":") {
		errs = append(errs, errors.New("servicenow username must not contain ':'"))
	}
	if (o.ClientID == "") != (o.ClientSecret == "") {
		errs = append(errs, errors.New("servicenow OAuth needs both SNOWDUTY_SERVICENOW_CLIENT_ID and SNOWDUTY_SERVICENOW_CLIENT_SECRET"))
	}
	switch o.OAuthClientAuth {
	case "", OAuthClientAuthAuto, OAuthClientAuthPost:
	case OAuthClientAuthBasic:
		if strings.Contains(o.ClientID, ":") {
			errs = append(errs, errors.New("servicenow OAuth client id contains ':', so it cannot be sent as HTTP Basic: set SNOWDUTY_SERVICENOW_OAUTH_CLIENT_AUTH to post"))
		}
	default:
		errs = append(errs, fmt.Errorf("servicenow OAuth client authentication %q is not one of auto, basic, post: set SNOWDUTY_SERVICENOW_OAUTH_CLIENT_AUTH to one of them", o.OAuthClientAuth))
	}
	if o.Username == "" && o.ClientID == "" {
		errs = append(errs, errors.New("servicenow credentials missing: set a username and password (Basic auth) or an OAuth client id and secret"))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"timeout", o.Timeout}, {"max retry wait", o.MaxRetryWait}, {"backoff base", o.Backoff.Base}, {"backoff max", o.Backoff.Max}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("servicenow %s must not be negative, got %v", d.name, d.v))
		}
	}
	if o.MaxAttempts < 0 {
		errs = append(errs, fmt.Errorf("servicenow max attempts must not be negative, got %d", o.MaxAttempts))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.MaxRetryWait == 0 {
		o.MaxRetryWait = DefaultMaxRetryWait
	}
	if o.Backoff == (httpx.Backoff{}) {
		o.Backoff = httpx.Backoff{Base: 500 * time.Millisecond, Max: 10 * time.Second}
	}
	if o.OAuthClientAuth == "" {
		o.OAuthClientAuth = DefaultOAuthClientAuth
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}
