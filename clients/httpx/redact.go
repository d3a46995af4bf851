package httpx

import (
	"net/url"
	"strings"
)

// Redacted is what a secret is replaced with.
const Redacted = "[REDACTED]"

// Redact replaces every non-empty secret in s (as written, and as it appears
// URL-encoded) with Redacted.
func Redact(s string, secrets ...string) string {
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		s = strings.ReplaceAll(s, sec, Redacted)
		if q := url.QueryEscape(sec); q != sec {
			s = strings.ReplaceAll(s, q, Redacted)
		}
		if p := url.PathEscape(sec); p != sec {
			s = strings.ReplaceAll(s, p, Redacted)
		}
	}
	return s
}

// RedactURL returns u as a string with the values of the named query
// parameters and any userinfo password replaced.
func RedactURL(u *url.URL, params ...string) string {
	if u == nil {
		return ""
	}
	c := *u
	if c.User != nil {
		c.User = url.User(c.User.Username())
	}
	if len(params) > 0 && c.RawQuery != "" {
		q := c.Query()
		for _, p := range params {
			if q.Has(p) {
				q.Set(p, "REDACTED")
			}
		}
		c.RawQuery = q.Encode()
	}
	return c.String()
}
