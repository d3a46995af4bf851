package snowsim

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"time"
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

// authenticate checks Basic or Bearer credentials. The caller holds s.mu.
func (s *Server) authenticate(r *http.Request) (*User, bool) {
	if name, pw, ok := r.BasicAuth(); ok {
		u := s.users[name]
		if u == nil || u.Password == "" || !eq(u.Password, pw) {
			return nil, false
		}
		return u, true
	}
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		g, found := s.tokens[tok]
		if !found || !s.now().Before(g.expires) {
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

// serveToken is /oauth_token.do: password, refresh_token and
// client_credentials grants. Every failure is the same generic 401.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		writeTokenError(w)
		return
	}
	f := r.PostForm
	s.mu.Lock()
	defer s.mu.Unlock()
	if !eq(f.Get("client_id"), s.opts.ClientID) || !eq(f.Get("client_secret"), s.opts.ClientSecret) {
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
