package httpx

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// CheckBaseURL parses a configured API base URL. It accepts https, and plain
// http only for loopback hosts (where the simulators run) unless allowHTTP is
// set. name is the setting to name in the error.
func CheckBaseURL(name, raw string, allowHTTP bool) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(raw), "/"))
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", name, err)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("parse %s: %q has no host; write it as https://host", name, raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("parse %s: credentials in the URL are not allowed; use the username and password settings", name)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !allowHTTP && !IsLoopback(u.Hostname()) {
			return nil, fmt.Errorf("parse %s: plain http:// is only allowed for loopback addresses; use https:// (or allow insecure http explicitly)", name)
		}
	default:
		return nil, fmt.Errorf("parse %s: scheme %q is not supported; use https://", name, u.Scheme)
	}
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// IsLoopback reports whether host is localhost or a loopback IP
// (127.0.0.0/8, ::1).
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
