package snowsim

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
	"weak"
)

// Token lifespans of a default instance: access 1800 s (expires_in 1799),
// refresh 100 days.
const (
	accessTTL  = 1800 * time.Second
	refreshTTL = 8640000 * time.Second
)

// token is an OAuth grant.
type token struct {
	user    string
	expires time.Time
}

func eq(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// ClientAuth is how a token request carries the OAuth client's id and
// secret (RFC 6749 §2.3.1).
type ClientAuth string

// The client authentications the token endpoint can be limited to.
const (
	// ClientAuthAny accepts either, as real instances do (the default).
	ClientAuthAny ClientAuth = ""
	// ClientAuthBasic accepts only an HTTP Basic header of client id and
	// secret (client_secret_basic, what requests-oauthlib and PySNC send).
	ClientAuthBasic ClientAuth = "basic"
	// ClientAuthPost accepts only client_id and client_secret in the form
	// body (client_secret_post, ServiceNow's documented example).
	ClientAuthPost ClientAuth = "post"
)

// AuthMethod is how a Table API request authenticates: the inbound
// authentication profile a REST API access policy allows or not.
type AuthMethod string

// The authentication methods of Table API requests.
const (
	AuthBasic AuthMethod = "basic" // Authorization: Basic (user and password)
	AuthOAuth AuthMethod = "oauth" // Authorization: Bearer (an OAuth access token)
)

// APIAccessPolicy models a REST API access policy (System Web Services >
// API Access Policies > REST API Access Policies) on the Table API whose
// inbound authentication profiles lack some methods: a request
// authenticated that way answers 401, as to wrong credentials, although
// the credentials are valid. Basic logins on other tables and token grants
// still succeed (the token endpoint is not a REST API). The zero value is
// no policy.
type APIAccessPolicy struct {
	// Refuse are the authentication methods the policy does not allow.
	Refuse []AuthMethod `json:"refuse"`
	// Tables limits the policy to these tables (an access policy for
	// now/table/{tableName}); empty means every table.
	Tables []string `json:"tables,omitempty"`
}

func (p APIAccessPolicy) refuses(m AuthMethod, table string) bool {
	return slices.Contains(p.Refuse, m) && (len(p.Tables) == 0 || slices.Contains(p.Tables, table))
}

// authConfig is a Server's token-endpoint client authentication and REST
// API access policy. They are configuration, like Options: Reset keeps
// them. They live beside the Server, looked up by a weak pointer, rather
// than in it only because server.go was being reworked when they were
// added; they belong in Server.
type authConfig struct {
	clientAuth ClientAuth
	policy     APIAccessPolicy
}

// authConfigs maps weak.Pointer[Server] to *authConfig; an entry goes with
// its Server.
var authConfigs sync.Map

// authConfig returns s's settings (the zero value when none were made).
// The caller holds s.mu.
func (s *Server) authConfig() authConfig {
	if v, ok := authConfigs.Load(weak.Make(s)); ok {
		return *v.(*authConfig)
	}
	return authConfig{}
}

// setAuthConfig changes s's settings. The caller holds s.mu.
func (s *Server) setAuthConfig(change func(*authConfig)) {
	k := weak.Make(s)
	v, loaded := authConfigs.LoadOrStore(k, &authConfig{})
	if !loaded {
		runtime.AddCleanup(s, func(k weak.Pointer[Server]) { authConfigs.Delete(k) }, k)
	}
	change(v.(*authConfig))
}

// SetTokenClientAuth limits how /oauth_token.do accepts the OAuth client's
// id and secret: ClientAuthBasic or ClientAuthPost refuse the other way
// with the same generic 401 every token failure gets
// ({"error_description":"access_denied","error":"server_error"});
// ClientAuthAny (the default) accepts both.
func (s *Server) SetTokenClientAuth(how ClientAuth) error {
	switch how {
	case ClientAuthAny, ClientAuthBasic, ClientAuthPost:
	default:
		return fmt.Errorf("token client authentication %q is not one of %q, %q or %q", how, ClientAuthAny, ClientAuthBasic, ClientAuthPost)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setAuthConfig(func(c *authConfig) { c.clientAuth = how })
	return nil
}

// SetAPIAccessPolicy puts p in force on the Table API, replacing any
// earlier one; the zero APIAccessPolicy lifts it. Tokens already granted
// stay valid: only their use is refused.
func (s *Server) SetAPIAccessPolicy(p APIAccessPolicy) error {
	for _, m := range p.Refuse {
		if m != AuthBasic && m != AuthOAuth {
			return fmt.Errorf("API access policy: authentication method %q is not one of %q or %q", m, AuthBasic, AuthOAuth)
		}
	}
	p = APIAccessPolicy{Refuse: slices.Clone(p.Refuse), Tables: slices.Clone(p.Tables)}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setAuthConfig(func(c *authConfig) { c.policy = p })
	return nil
}

// authenticate checks Basic or Bearer credentials, and the REST API access
// policy for the request's table. The caller holds s.mu.
func (s *Server) authenticate(r *http.Request) (*User, bool) {
	_, table, _, _ := tablePath(r.URL.Path)
	policy := s.authConfig().policy
	if name, pw, ok := r.BasicAuth(); ok {
		u := s.users[name]
		if u == nil || u.Password == "" || !eq(u.Password, pw) || policy.refuses(AuthBasic, table) {
			return nil, false
		}
		return u, true
	}
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		g, found := s.tokens[tok]
		if !found || !s.now().Before(g.expires) || policy.refuses(AuthOAuth, table) {
			return nil, false
		}
		u := s.users[g.user]
		return u, u != nil
	}
	return nil, false
}

// write401 answers like a real instance refusing credentials.
func write401(w http.ResponseWriter) {
	h := w.Header()
	h["WWW-Authenticate"] = []string{`BASIC realm="Service-now"`} // exact spelling, not canonicalized
	h.Set("Cache-Control", "no-cache,no-store,must-revalidate,max-age=-1")
	h.Set("Pragma", "no-store,no-cache")
	h.Set("Expires", "0")
	h.Set("X-Content-Type-Options", "nosniff")
	writeError(w, http.StatusUnauthorized, "User Not Authenticated", "Required to provide Auth information")
}

// clientCredentials returns the OAuth client's id and secret from an HTTP
// Basic header or from the form body, and which it was. A request carrying
// a secret both ways is refused (ok false), as RFC 6749 §2.3 forbids using
// two methods.
func clientCredentials(r *http.Request) (id, secret string, how ClientAuth, ok bool) {
	f := r.PostForm
	if id, secret, found := r.BasicAuth(); found {
		if f.Has("client_secret") || (f.Has("client_id") && f.Get("client_id") != id) {
			return "", "", "", false
		}
		return id, secret, ClientAuthBasic, true
	}
	return f.Get("client_id"), f.Get("client_secret"), ClientAuthPost, true
}

// serveToken is /oauth_token.do: password, refresh_token and
// client_credentials grants, the client authenticated by an HTTP Basic
// header or in the form body. Every failure is the same generic 401.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		writeTokenError(w)
		return
	}
	f := r.PostForm
	s.mu.Lock()
	defer s.mu.Unlock()
	id, secret, how, ok := clientCredentials(r)
	if want := s.authConfig().clientAuth; !ok || (want != ClientAuthAny && want != how) ||
		!eq(id, s.opts.ClientID) || !eq(secret, s.opts.ClientSecret) {
		writeTokenError(w)
		return
	}
	var user string
	withRefresh := true
	switch f.Get("grant_type") {
	case "password":
		u := s.users[f.Get("username")]
		if u == nil || u.Password == "" || !eq(u.Password, f.Get("password")) {
			writeTokenError(w)
			return
		}
		user = u.UserName
	case "refresh_token":
		g, ok := s.refresh[f.Get("refresh_token")]
		if !ok || !s.now().Before(g.expires) {
			writeTokenError(w)
			return
		}
		user = g.user
	case "client_credentials":
		user, withRefresh = s.opts.IntegrationUser, false
	default:
		writeTokenError(w)
		return
	}
	access := s.newToken()
	s.tokens[access] = token{user: user, expires: s.now().Add(accessTTL)}
	out := map[string]any{"scope": "useraccount", "token_type": "Bearer", "expires_in": int(accessTTL/time.Second) - 1, "access_token": access}
	if withRefresh {
		rt := f.Get("refresh_token")
		if rt == "" {
			rt = s.newToken()
			s.refresh[rt] = token{user: user, expires: s.now().Add(refreshTTL)}
		}
		out["refresh_token"] = rt
	}
	writeJSON(w, http.StatusOK, out)
}

func writeTokenError(w http.ResponseWriter) {
	writeJSON(w, http.StatusUnauthorized, map[string]string{"error_description": "access_denied", "error": "server_error"})
}

// newToken returns a seeded opaque token. The caller holds s.mu.
func (s *Server) newToken() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	b := make([]byte, 86)
	for i := range b {
		b[i] = alphabet[s.rng.IntN(len(alphabet))]
	}
	return string(b)
}
