package servicenow

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/snowduty/snowduty/clients/httpx"
)

// authenticator puts credentials on a request.
type authenticator interface {
	apply(ctx context.Context, r *http.Request) *Error
	// invalidate drops cached credentials after a 401 and reports whether
	// trying again with fresh ones can help.
	invalidate() bool
	// accepted records that a request carrying the credentials succeeded.
	accepted()
	// explain401 sets the hint of a Table API 401 that ends a call. (The
	// token endpoint's refusals come from apply with their own hint.)
	explain401(e *Error)
	// secrets are the values to scrub from errors.
	secrets() []string
}

// newAuthenticator returns the authenticator c's options configure: OAuth
// with a client id, else Basic auth.
func newAuthenticator(c *Client) authenticator {
	if c.opts.ClientID != "" {
		return &oauth{c: c}
	}
	return basicAuth{user: c.opts.Username, password: c.opts.Password, worked: new(atomic.Bool)}
}

// Hints for a Table API 401 whose credentials are known to be valid: REST
// API access policies (System Web Services > API Access Policies) answer
// 401 to an authentication profile they do not allow, which looks exactly
// like wrong credentials (reference/vendor-clients.md).
const (
	hintPolicyOAuth401 = "the credentials are valid (the OAuth token grant succeeded) but the Table API refused the token: " +
		"a REST API access policy denies this API or table to OAuth; check System Web Services > API Access Policies > " +
		"REST API Access Policies: the policy covering now/table (e.g. \"Table GET API Access Policy\") must include the " +
		"OAuth inbound authentication profile"
	hintPolicyBasic401 = "the credentials worked on an earlier call, so unless the password was changed or the account " +
		"locked since, a REST API access policy denies this API or table to Basic auth; check System Web Services > " +
		"API Access Policies > REST API Access Policies: the policy covering now/table must include the Basic auth " +
		"inbound authentication profile"
)

// AccessPolicyDenied reports whether err is a Table API 401 to credentials
// known to be valid (a token was granted for them, or they worked on an
// earlier call): a REST API access policy, not a wrong password. Its class
// is still httpx.Unauthorized.
func AccessPolicyDenied(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Class == httpx.Unauthorized && (e.Hint == hintPolicyOAuth401 || e.Hint == hintPolicyBasic401)
}

type basicAuth struct {
	user, password string
	// worked is set once a request with these credentials succeeded; nil
	// means it is not tracked.
	worked *atomic.Bool
}

func (b basicAuth) apply(_ context.Context, r *http.Request) *Error {
	r.SetBasicAuth(b.user, b.password)
	return nil
}

func (basicAuth) invalidate() bool { return false }

func (b basicAuth) accepted() {
	if b.worked != nil {
		b.worked.Store(true)
	}
}

// explain401: a Basic 401 is a wrong password, unless the same credentials
// worked before (on another table, or before an access policy came).
func (b basicAuth) explain401(e *Error) {
	e.Hint = hintBasic401
	if b.worked != nil && b.worked.Load() {
		e.Hint = hintPolicyBasic401
	}
}

// secrets includes the Authorization header value, which carries the
// password base64-encoded.
func (b basicAuth) secrets() []string {
	return []string{base64.StdEncoding.EncodeToString([]byte(b.user + ":" + b.password))}
}

// refreshBefore is how long before expiry a token is renewed.
const refreshBefore = 60 * time.Second

// oauth caches an access token from /oauth_token.do, renews it before it
// expires (refresh_token grant, falling back to the original grant) and
// drops it after a 401. The client id and secret go to the token endpoint
// as Options.OAuthClientAuth says; in auto mode the way that worked is
// remembered.
type oauth struct {
	c       *Client
	mu      sync.Mutex
	access  string
	refresh string
	expires time.Time
	// way is how the client id and secret are sent (OAuthClientAuthBasic
	// or OAuthClientAuthPost): the configured way, or in auto mode the one
	// that last worked (the form body until one did). Empty before the
	// first grant.
	way string
	// granted is set once a grant succeeded.
	granted bool
}

type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int64  `json:"expires_in"`
	TokenType    string `json:"token_type"`
}

func (o *oauth) apply(ctx context.Context, r *http.Request) *Error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.access == "" || time.Now().After(o.expires.Add(-refreshBefore)) {
		if e := o.fetch(ctx); e != nil {
			return e
		}
	}
	r.Header.Set("Authorization", "Bearer "+o.access)
	return nil
}

func (o *oauth) invalidate() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.access = ""
	return true
}

func (*oauth) accepted() {}

// explain401: a Table API 401 ends a call only after the re-authentication
// it triggers, so a token was granted after the first 401 (a refused grant
// returns from apply with its own hint): the client id, secret and
// password are right, and what refuses the token is an access policy.
func (o *oauth) explain401(e *Error) {
	o.mu.Lock()
	granted := o.granted
	o.mu.Unlock()
	e.Hint = hintOAuth401
	if granted {
		e.Hint = hintPolicyOAuth401
	}
}

// secrets includes the Basic header of the client id and secret.
func (o *oauth) secrets() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	opts := o.c.opts
	return []string{o.access, o.refresh, base64.StdEncoding.EncodeToString([]byte(opts.ClientID + ":" + opts.ClientSecret))}
}

// fetch gets a token: refresh_token grant first when there is one, else
// password (with a username) or client_credentials. The caller holds o.mu.
func (o *oauth) fetch(ctx context.Context) *Error {
	opts := o.c.opts
	if o.refresh != "" {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {o.refresh}}
		if e := o.grant(ctx, form, false); e == nil {
			return nil
		}
		o.refresh = ""
	}
	form := url.Values{}
	if opts.Username != "" {
		form.Set("grant_type", "password")
		form.Set("username", opts.Username)
		form.Set("password", opts.Password)
	} else {
		form.Set("grant_type", "client_credentials")
	}
	return o.grant(ctx, form, true)
}

// wayText says how the client id and secret were sent.
var wayText = map[string]string{
	OAuthClientAuthPost:  "in the form body",
	OAuthClientAuthBasic: "as HTTP Basic",
}

func otherWay(way string) string {
	if way == OAuthClientAuthBasic {
		return OAuthClientAuthPost
	}
	return OAuthClientAuthBasic
}

// grant asks the token endpoint for a token. In auto mode, a refusal of a
// first grant (relearn; a refresh grant only follows a grant that worked)
// is tried once more with the client id and secret sent the other way, and
// the way that worked is kept. The caller holds o.mu.
func (o *oauth) grant(ctx context.Context, form url.Values, relearn bool) *Error {
	opts := o.c.opts
	if o.way == "" {
		o.way = opts.OAuthClientAuth
		if o.way != OAuthClientAuthBasic {
			o.way = OAuthClientAuthPost
		}
	}
	auto := opts.OAuthClientAuth == OAuthClientAuthAuto && !strings.Contains(opts.ClientID, ":")
	tried := []string{o.way}
	e, code := o.post(ctx, form, o.way)
	if e != nil && e.Class == httpx.Unauthorized && relearn && auto {
		other := otherWay(o.way)
		tried = append(tried, other)
		if e, code = o.post(ctx, form, other); e == nil {
			o.c.log.Info("servicenow OAuth token endpoint refused the client id and secret "+wayText[o.way]+" and took them "+wayText[other]+"; sending them so from now on",
				slog.String("client_auth", other))
			o.way = other
		}
	}
	if e == nil {
		o.granted = true
		return nil
	}
	if code != "" {
		code = " (" + code + ")"
	}
	switch {
	case e.Class == httpx.Unauthorized:
		ways := wayText[tried[0]]
		if len(tried) == 2 {
			ways += " and " + wayText[tried[1]]
		}
		e.Message = "the OAuth token endpoint refused the " + form.Get("grant_type") + " grant" + code + ", with the client id and secret sent " + ways
		e.Hint = hintOAuth401
		if !auto {
			e.Hint += "; or the token endpoint takes the client id and secret only " + wayText[otherWay(o.way)] + ": set SNOWDUTY_SERVICENOW_OAUTH_CLIENT_AUTH to auto"
		}
	case code != "":
		e.Message = "the OAuth token endpoint refused the " + form.Get("grant_type") + " grant" + code
	}
	return e
}

// post sends one token request, the client id and secret sent way, and
// returns the failure with the OAuth error code of the answer, if any.
// The caller holds o.mu.
func (o *oauth) post(ctx context.Context, form url.Values, way string) (*Error, string) {
	opts := o.c.opts
	body := maps.Clone(form)
	if way == OAuthClientAuthPost {
		body.Set("client_id", opts.ClientID)
		body.Set("client_secret", opts.ClientSecret)
	}
	u := *o.c.base
	u.Path = strings.TrimRight(u.Path, "/") + "/oauth_token.do"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(body.Encode()))
	if err != nil {
		return &Error{Class: httpx.BadRequest, Err: err}, ""
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", opts.UserAgent)
	if way == OAuthClientAuthBasic {
		// Not form-encoded first (RFC 6749 §2.3.1 asks for it): what
		// requests-oauthlib sends, which real instances accept.
		req.SetBasicAuth(opts.ClientID, opts.ClientSecret)
	}
	start := time.Now()
	e, code := o.exchange(req)
	call := httpx.Call{API: apiName, Endpoint: "/oauth_token.do", Method: http.MethodPost, Class: httpx.OK, Status: http.StatusOK, Duration: time.Since(start)}
	if e != nil {
		call.Class, call.Status = e.Class, e.Status
	}
	o.c.observe(call)
	return e, code
}

// exchange posts the form and stores the token. A refusal returns the
// OAuth error code of the answer; 400 invalid_client (RFC 6749 §5.2) is
// Unauthorized, as a 401 is. The caller holds o.mu.
func (o *oauth) exchange(req *http.Request) (*Error, string) {
	resp, err := o.c.http.Do(req)
	if err != nil {
		return transportError(err), ""
	}
	raw, err := httpx.ReadBody(resp.Body, 1<<20)
	if err != nil {
		return transportError(err), ""
	}
	if resp.StatusCode != http.StatusOK {
		_, e := classify(resp.StatusCode, resp.Header, raw, time.Now())
		if e == nil {
			e = &Error{Class: httpx.BadResponse, Status: resp.StatusCode}
		}
		// The body is not the Table API's envelope and may echo what was
		// sent: keep only a well-formed error code.
		e.Message, e.Detail = "", ""
		code, described := tokenErrorCode(raw)
		if e.Status == http.StatusBadRequest && code == "invalid_client" {
			e.Class = httpx.Unauthorized
		}
		return e, described
	}
	var t tokenAnswer
	if err := json.Unmarshal(raw, &t); err != nil || t.AccessToken == "" {
		_, e := classify(resp.StatusCode, resp.Header, raw, time.Now())
		if e == nil {
			e = &Error{Class: httpx.BadResponse, Status: resp.StatusCode, Message: "the token answer has no access_token"}
		}
		return e, ""
	}
	o.access = t.AccessToken
	if t.RefreshToken != "" {
		o.refresh = t.RefreshToken
	}
	if t.ExpiresIn <= 0 {
		t.ExpiresIn = 1799
	}
	o.expires = time.Now().Add(time.Duration(t.ExpiresIn) * time.Second)
	return nil, ""
}

// oauthCodeRE is the shape of an OAuth error code (RFC 6749 §5.2).
var oauthCodeRE = regexp.MustCompile(`^[a-z_]{1,40}$`)

// tokenErrorCode returns the error code of a token endpoint's error answer
// and the one to show: error_description when it is a code too (ServiceNow
// answers {"error_description":"access_denied","error":"server_error"}),
// else the code.
func tokenErrorCode(raw []byte) (code, shown string) {
	var a struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(raw, &a) != nil {
		return "", ""
	}
	if oauthCodeRE.MatchString(a.Error) {
		code, shown = a.Error, a.Error
	}
	if oauthCodeRE.MatchString(a.Description) {
		shown = a.Description
	}
	return code, shown
}
