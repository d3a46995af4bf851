package main

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
)

// envNames lists every variable Config reads, with the SNOWDUTY_ prefix,
// in declaration order. The README and the chart are checked against it.
func envNames() []string {
	var out []string
	walkEnv(reflect.TypeOf(Config{}), "", envPrefix, func(_, name, _ string) { out = append(out, name) })
	return out
}

// envErrorText rewrites go-envconfig's "Group: Field: problem" into
// "SNOWDUTY_GROUP_FIELD: problem", so the user sees the variable to fix.
func envErrorText(err error) string {
	msg := err.Error()
	best, bestName := "", ""
	walkEnv(reflect.TypeOf(Config{}), "", envPrefix, func(path, name, _ string) {
		if strings.HasPrefix(msg, path+": ") && len(path) > len(best) {
			best, bestName = path, name
		}
	})
	if best == "" {
		return msg
	}
	return bestName + strings.TrimPrefix(msg, best)
}

// walkEnv calls fn with the Go field path ("ServiceNow: PageSize"), the
// variable name and the env tag of every leaf field of t.
func walkEnv(t reflect.Type, path, prefix string, fn func(path, name, tag string)) {
	for f := range t.Fields() {
		tag := f.Tag.Get("env")
		if tag == "" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		p := f.Name
		if path != "" {
			p = path + ": " + f.Name
		}
		if f.Type.Kind() == reflect.Struct {
			_, pre, _ := strings.Cut(opts, "prefix=")
			walkEnv(f.Type, p, prefix+strings.TrimSpace(pre), fn)
			continue
		}
		fn(p, prefix+strings.TrimSpace(name), tag)
	}
}

// unknownEnv returns the SNOWDUTY_* variables in environ that snowduty does
// not read, each with the closest known name, so that a typo is reported
// rather than silently ignored.
func unknownEnv(environ []string) []string {
	known := envNames()
	var out []string
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, envPrefix) || slices.Contains(known, k) {
			continue
		}
		msg := fmt.Sprintf("%s is not a snowduty setting", k)
		if near := closest(k, known); near != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", near)
		}
		out = append(out, msg)
	}
	slices.Sort(out)
	return out
}

// closest returns the known name nearest to k by edit distance, if it is
// near enough to be a likely typo.
func closest(k string, known []string) string {
	best, bestD := "", len(k)/3+1
	for _, n := range known {
		if d := editDistance(k, n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// readSecretFiles fills each secret from its *_FILE variable when set. Both
// set at once is an error, since it is unclear which one the user meant.
func (c *Config) readSecretFiles() error {
	pairs := []struct {
		name string
		dst  *Secret
		file string
	}{
		{"SNOWDUTY_SERVICENOW_PASSWORD", &c.ServiceNow.Password, c.ServiceNow.PasswordFile},
		{"SNOWDUTY_SERVICENOW_CLIENT_SECRET", &c.ServiceNow.ClientSecret, c.ServiceNow.ClientSecretFile},
		{"SNOWDUTY_FLASHDUTY_APP_KEY", &c.Flashduty.AppKey, c.Flashduty.AppKeyFile},
		{"SNOWDUTY_REDIS_PASSWORD", &c.Redis.Password, c.Redis.PasswordFile},
	}
	for _, p := range pairs {
		if p.file == "" {
			continue
		}
		if *p.dst != "" {
			return fmt.Errorf("read %s_FILE: both %s and %s_FILE are set; keep one", p.name, p.name, p.name)
		}
		b, err := os.ReadFile(p.file)
		if err != nil {
			return fmt.Errorf("read %s_FILE: %w", p.name, err)
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			return fmt.Errorf("read %s_FILE: %s is empty", p.name, p.file)
		}
		*p.dst = Secret(v)
	}
	return nil
}
