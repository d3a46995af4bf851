package main

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestReadmeDocumentsEveryVariable keeps the README's configuration
// reference and the daemon in step: every variable the daemon reads has a
// row with a default and an example, and the README names no variable the
// daemon does not read.
func TestReadmeDocumentsEveryVariable(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	known := envNames()
	defaults := envDefaults()
	for _, name := range known {
		row := regexp.MustCompile("(?m)^\\| `" + regexp.QuoteMeta(name) + "` \\|([^|]*)\\|([^|]*)\\|([^|]*)\\|$")
		m := row.FindStringSubmatch(readme)
		if m == nil {
			t.Errorf("README has no configuration row for %s (| `NAME` | default | example | meaning |)", name)
			continue
		}
		if strings.TrimSpace(m[1]) == "" || strings.TrimSpace(m[2]) == "" || strings.TrimSpace(m[3]) == "" {
			t.Errorf("README row of %s lacks a default, an example or a meaning", name)
		}
		if def, ok := defaults[name]; ok && !strings.Contains(m[1], "`"+def+"`") {
			t.Errorf("README says the default of %s is %q; the daemon's is %q", name, strings.TrimSpace(m[1]), def)
		}
	}
	for _, name := range regexp.MustCompile(`SNOWDUTY_[A-Z_]+[A-Z]`).FindAllString(readme, -1) {
		if !slices.Contains(known, name) {
			t.Errorf("README mentions %s, which the daemon does not read", name)
		}
	}
}

// envDefaults returns the default of every variable that has one.
func envDefaults() map[string]string {
	out := map[string]string{}
	walkEnv(reflect.TypeOf(Config{}), "", envPrefix, func(_, name, tag string) {
		for opt := range strings.SplitSeq(tag, ",") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(opt), "default="); ok {
				out[name] = v
			}
		}
	})
	return out
}
