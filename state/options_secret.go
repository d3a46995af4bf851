package state

import (
	"fmt"
	"log/slog"
	"net/url"
)

// redacted replaces secrets in printed Options.
const redacted = "[REDACTED]"

// String prints the options with the password (also one inside URL)
// masked, so logging Options never leaks it.
func (o Options) String() string {
	pw := ""
	if o.Password != "" {
		pw = redacted
	}
	return fmt.Sprintf("state.Options{URL:%q SentinelMaster:%q SentinelAddrs:%v ClusterAddrs:%v Username:%q Password:%q TLS:%v CAFile:%q Prefix:%q}",
		maskURL(o.URL), o.SentinelMaster, o.SentinelAddrs, o.ClusterAddrs, o.Username, pw, o.TLS, o.CAFile, o.Prefix)
}

// GoString masks like String, for %#v.
func (o Options) GoString() string { return o.String() }

// LogValue masks like String, for slog.
func (o Options) LogValue() slog.Value { return slog.StringValue(o.String()) }

// maskURL hides the password of a redis URL; an unparsable URL is hidden
// entirely, since it may hold one.
func maskURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return redacted
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
		return u.String()
	}
	return raw
}
