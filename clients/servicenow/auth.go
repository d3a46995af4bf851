package servicenow

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/snowduty/snowduty/clients/httpx"
)

// authenticator puts credentials on a request.
type authenticator interface {
	apply(ctx context.Context, r *http.Request) *Error
	// invalidate drops cached credentials after a 401 and reports whether
	// trying again with fresh ones can help.
	invalidate() bool
	// secrets are the values to scrub from errors.
	secrets() []string
}

type basicAuth struct{ user, password string }

func (b basicAuth) apply(_ context.Context, r *http.Request) *Error {
	r.SetBasicAuth(b.user, b.password)
	return nil
}

func (basicAuth) invalidate() bool { return false }

// secrets includes the Authorization header value, which carries the
// password base64-encoded.
func (b basicAuth) secrets() []string {
	return []string{base64.StdEncoding.EncodeToString([]byte(b.user + ":" + b.password))}
}

// refreshBefore is how long before expiry a token is renewed.
const refreshBefore = 60 * time.Second

// oauth caches an access token from /oauth_token.do, renews it before it
// expires (refresh_token grant, falling back to the original grant) and
// drops it after a 401.
type oauth struct {
	c       *Client
	mu      sync.Mutex
	access  string
	refresh string
	expires time.Time
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

func (o *oauth) secrets() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return []string{o.access, o.refresh}
}

// fetch gets a token: refresh_token grant first when there is one, else
// password (with a username) or client_credentials. The caller holds o.mu.
func (o *oauth) fetch(ctx context.Context) *Error {
	opts := o.c.opts
	if o.refresh != "" {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {o.refresh}, "client_id": {opts.ClientID}, "client_secret": {opts.ClientSecret}}
		if e := o.grant(ctx, form); e == nil {
			return nil
		}
		o.refresh = ""
	}
	form := url.Values{"client_id": {opts.ClientID}, "client_secret": {opts.ClientSecret}}
	if opts.Username != "" {
		form.Set("grant_type", "password")
		form.Set("username", opts.Username)
		form.Set("password", opts.Password)
	} else {
		form.Set("grant_type", "client_credentials")
	}
	return o.grant(ctx, form)
}

func (o *oauth) grant(ctx context.Context, form url.Values) *Error {
	u := *o.c.base
	u.Path = strings.TrimRight(u.Path, "/") + "/oauth_token.do"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return &Error{Class: httpx.BadRequest, Err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", o.c.opts.UserAgent)
	start := time.Now()
	e := o.exchange(req)
	call := httpx.Call{API: apiName, Endpoint: "/oauth_token.do", Method: http.MethodPost, Class: httpx.OK, Status: http.StatusOK, Duration: time.Since(start)}
	if e != nil {
		call.Class, call.Status = e.Class, e.Status
		if e.Class == httpx.Unauthorized {
			e.Message = "the OAuth token endpoint refused the " + form.Get("grant_type") + " grant (access_denied)"
			e.Hint = hintOAuth401
		}
	}
	o.c.observe(call)
	return e
}

// exchange posts the form and stores the token. The caller holds o.mu.
func (o *oauth) exchange(req *http.Request) *Error {
	resp, err := o.c.http.Do(req)
	if err != nil {
		return transportError(err)
	}
	raw, err := httpx.ReadBody(resp.Body, 1<<20)
	if err != nil {
		return transportError(err)
	}
	if resp.StatusCode != http.StatusOK {
		_, e := classify(resp.StatusCode, resp.Header, raw, time.Now())
		if e == nil {
			e = &Error{Class: httpx.BadResponse, Status: resp.StatusCode}
		}
		e.Message, e.Detail = "", ""
		return e
	}
	var t tokenAnswer
	if err := json.Unmarshal(raw, &t); err != nil || t.AccessToken == "" {
		_, e := classify(resp.StatusCode, resp.Header, raw, time.Now())
		if e == nil {
			e = &Error{Class: httpx.BadResponse, Status: resp.StatusCode, Message: "the token answer has no access_token"}
		}
		return e
	}
	o.access = t.AccessToken
	if t.RefreshToken != "" {
		o.refresh = t.RefreshToken
	}
	if t.ExpiresIn <= 0 {
		t.ExpiresIn = 1799
	}
	o.expires = time.Now().Add(time.Duration(t.ExpiresIn) * time.Second)
	return nil
}
