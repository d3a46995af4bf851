package main

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sethvargo/go-envconfig"
)

// validEnv is a complete, valid production configuration; tests break one
// variable at a time.
func validEnv() map[string]string {
	return map[string]string{
		"SNOWDUTY_SYNC_DIRECTION":       "two_way",
		"SNOWDUTY_SERVICENOW_URL":       "https://acme.service-now.com",
		"SNOWDUTY_SERVICENOW_USERNAME":  "flashduty",
		"SNOWDUTY_SERVICENOW_PASSWORD":  "sn-pass-Sekr1t",
		"SNOWDUTY_FLASHDUTY_APP_KEY":    "fd-key-Sekr1t",
		"SNOWDUTY_FLASHDUTY_CHANNEL_ID": "2451002751131",
		"SNOWDUTY_REDIS_URL":            "redis://127.0.0.1:6390/0",
	}
}

func load(t *testing.T, env map[string]string) *Config {
	t.Helper()
	c, err := loadConfig(t.Context(), envconfig.MapLookuper(env))
	if err != nil {
		t.Fatalf("loadConfig: %v", err)
	}
	return c
}

func TestConfigDefaults(t *testing.T) {
	c := load(t, validEnv())
	if err := c.Validate(true); err != nil {
		t.Fatalf("valid config rejected: %v", err)
	}
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"flashduty url", c.Flashduty.URL, "https://api.flashcat.cloud"},
		{"schedule", c.ScheduleServiceNow, "@every 30s"},
		{"resync", c.ScheduleResync, "@every 1h"},
		{"lookback", c.Lookback.String(), "24h0m0s"},
		{"prefix", c.StatePrefix, "snowduty:"},
		{"http addr", c.HTTPAddr, ":8080"},
		{"policy", c.ConflictPolicy, "newest"},
		{"page size", c.ServiceNow.PageSize, 100},
		{"rate", c.Flashduty.PerMinute, 1000},
		{"channel", c.Flashduty.ChannelID, int64(2451002751131)},
		{"password", c.ServiceNow.Password.Reveal(), "sn-pass-Sekr1t"},
	}
	for _, ck := range checks {
		if fmt.Sprint(ck.got) != fmt.Sprint(ck.want) {
			t.Errorf("%s = %v, want %v", ck.name, ck.got, ck.want)
		}
	}
}

func TestConfigValidateNamesTheVariable(t *testing.T) {
	tests := []struct {
		reason string
		set    map[string]string
		unset  []string
		want   string
	}{
		{"direction has no default", nil, []string{"SNOWDUTY_SYNC_DIRECTION"}, "SNOWDUTY_SYNC_DIRECTION: is required"},
		{"direction typo", map[string]string{"SNOWDUTY_SYNC_DIRECTION": "both"}, nil, `SNOWDUTY_SYNC_DIRECTION: "both" is not one of`},
		{"bad cron", map[string]string{"SNOWDUTY_SCHEDULE_FLASHDUTY": "every 30s"}, nil, "SNOWDUTY_SCHEDULE_FLASHDUTY: \"every 30s\" is not a cron spec"},
		{"bad policy", map[string]string{"SNOWDUTY_CONFLICT_POLICY": "latest"}, nil, "SNOWDUTY_CONFLICT_POLICY"},
		{"bad log format", map[string]string{"SNOWDUTY_LOG_FORMAT": "xml"}, nil, "SNOWDUTY_LOG_FORMAT"},
		{"bad comments", map[string]string{"SNOWDUTY_COMMENTS": "comments,notes"}, nil, `SNOWDUTY_COMMENTS: "notes"`},
		{"rate over documented limit", map[string]string{"SNOWDUTY_FLASHDUTY_RATE_PER_MINUTE": "5000"}, nil, "SNOWDUTY_FLASHDUTY_RATE_PER_MINUTE: 5000 is out of range"},
		{"snooze over a day", map[string]string{"SNOWDUTY_SNOOZE_MINUTES": "2000"}, nil, "SNOWDUTY_SNOOZE_MINUTES"},
		{"renew not shorter than ttl", map[string]string{"SNOWDUTY_LEASE_RENEW": "20s"}, nil, "SNOWDUTY_LEASE_RENEW"},
		{"no servicenow url", nil, []string{"SNOWDUTY_SERVICENOW_URL"}, "SNOWDUTY_SERVICENOW_URL: is required"},
		{"plain http to a remote host", map[string]string{"SNOWDUTY_SERVICENOW_URL": "http://acme.service-now.com"}, nil, "only allowed for loopback"},
		{"no password", nil, []string{"SNOWDUTY_SERVICENOW_PASSWORD"}, "SNOWDUTY_SERVICENOW_USERNAME: and SNOWDUTY_SERVICENOW_PASSWORD"},
		{"oauth without secret", map[string]string{"SNOWDUTY_SERVICENOW_CLIENT_ID": "abc"}, nil, "SNOWDUTY_SERVICENOW_CLIENT_SECRET: is required"},
		{"no app key", nil, []string{"SNOWDUTY_FLASHDUTY_APP_KEY"}, "SNOWDUTY_FLASHDUTY_APP_KEY: is required"},
		{"no create channel", nil, []string{"SNOWDUTY_FLASHDUTY_CHANNEL_ID"}, "SNOWDUTY_FLASHDUTY_CHANNEL_ID: is required"},
		{"no redis", nil, []string{"SNOWDUTY_REDIS_URL"}, "SNOWDUTY_REDIS_URL: is required"},
		{"two redis modes", map[string]string{"SNOWDUTY_REDIS_CLUSTER_ADDRS": "a:1,b:2"}, nil, "set only one of"},
		{"query that widens the scope", map[string]string{"SNOWDUTY_SERVICENOW_QUERY": "active=true^NQactive=false"}, nil, "SNOWDUTY_SERVICENOW_QUERY"},
		{"state map leaves states unmapped", map[string]string{"SNOWDUTY_STATE_MAP": "1=Closed,2=Bogus"}, nil, "SNOWDUTY_STATE_MAP"},
		{"field map without a source kind", map[string]string{"SNOWDUTY_FIELD_MAP": "service=u_service"}, nil, "SNOWDUTY_FIELD_MAP"},
		{"trigger label not key=value", map[string]string{"SNOWDUTY_TRIGGER_LABELS": "payments"}, nil, "SNOWDUTY_TRIGGER_LABELS"},
		{"bad prefix", map[string]string{"SNOWDUTY_STATE_PREFIX": "a b"}, nil, "SNOWDUTY_STATE_PREFIX"},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			env := validEnv()
			for k, v := range tt.set {
				env[k] = v
			}
			for _, k := range tt.unset {
				delete(env, k)
			}
			err := load(t, env).Validate(true)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want an error containing %q", err, tt.want)
			}
			for _, s := range []string{"sn-pass-Sekr1t", "fd-key-Sekr1t"} {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("error leaks a secret: %v", err)
				}
			}
		})
	}
}

func TestConfigDemoNeedsNoRemote(t *testing.T) {
	c := load(t, map[string]string{"SNOWDUTY_SYNC_DIRECTION": "two_way"})
	if err := c.Validate(false); err != nil {
		t.Fatalf("demo config rejected: %v", err)
	}
}

func TestConfigBadTypeIsReported(t *testing.T) {
	env := validEnv()
	env["SNOWDUTY_SERVICENOW_PAGE_SIZE"] = "eight"
	_, err := loadConfig(t.Context(), envconfig.MapLookuper(env))
	if err == nil || !strings.Contains(err.Error(), "SNOWDUTY_SERVICENOW_PAGE_SIZE: strconv") {
		t.Fatalf("loadConfig = %v, want an error naming SNOWDUTY_SERVICENOW_PAGE_SIZE", err)
	}
}

func TestUnknownEnvIsReportedWithSuggestion(t *testing.T) {
	got := unknownEnv([]string{"SNOWDUTY_SYNC_DIRECTON=two_way", "SNOWDUTY_REDIS_URL=x", "HOME=/root", "SNOWDUTY_BANANA=1"})
	if len(got) != 2 {
		t.Fatalf("unknownEnv = %q, want 2 entries", got)
	}
	if !strings.Contains(got[1], "SNOWDUTY_SYNC_DIRECTON") || !strings.Contains(got[1], "did you mean SNOWDUTY_SYNC_DIRECTION") {
		t.Fatalf("typo not explained: %q", got)
	}
	if strings.Contains(got[0], "did you mean") {
		t.Fatalf("no suggestion expected for SNOWDUTY_BANANA: %q", got[0])
	}
}

func TestEnvNamesCoverNestedGroups(t *testing.T) {
	names := strings.Join(envNames(), " ")
	for _, want := range []string{"SNOWDUTY_SERVICENOW_PASSWORD_FILE", "SNOWDUTY_FLASHDUTY_CHANNEL_IDS", "SNOWDUTY_REDIS_SENTINEL_MASTER", "SNOWDUTY_SYNC_DIRECTION"} {
		if !strings.Contains(names, want) {
			t.Errorf("envNames lacks %s", want)
		}
	}
}

func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("from-file-Sekr1t\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := validEnv()
	delete(env, "SNOWDUTY_SERVICENOW_PASSWORD")
	env["SNOWDUTY_SERVICENOW_PASSWORD_FILE"] = pw
	c := load(t, env)
	if err := c.readSecretFiles(); err != nil {
		t.Fatal(err)
	}
	if c.ServiceNow.Password.Reveal() != "from-file-Sekr1t" {
		t.Fatalf("password from file = %q", c.ServiceNow.Password.Reveal())
	}

	env["SNOWDUTY_SERVICENOW_PASSWORD"] = "also-set"
	if err := load(t, env).readSecretFiles(); err == nil || !strings.Contains(err.Error(), "keep one") {
		t.Fatalf("both set: %v", err)
	}
	delete(env, "SNOWDUTY_SERVICENOW_PASSWORD")
	env["SNOWDUTY_SERVICENOW_PASSWORD_FILE"] = filepath.Join(dir, "missing")
	if err := load(t, env).readSecretFiles(); err == nil || !strings.Contains(err.Error(), "SNOWDUTY_SERVICENOW_PASSWORD_FILE") {
		t.Fatalf("missing file: %v", err)
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	c := load(t, validEnv())
	var buf bytes.Buffer
	for _, format := range []string{"text", "json", "pretty"} {
		newLogger(&buf, format, "info").Info("config", slog.Any("config", c), slog.Any("password", c.ServiceNow.Password))
	}
	fmt.Fprintf(&buf, "%v %+v %#v %s", c, c, c, c.Flashduty.AppKey)
	out := buf.String()
	for _, s := range []string{"sn-pass-Sekr1t", "fd-key-Sekr1t"} {
		if strings.Contains(out, s) {
			t.Fatalf("secret %q printed:\n%s", s, out)
		}
	}
	if !strings.Contains(out, "[REDACTED]") {
		t.Fatalf("expected the mask in output:\n%s", out)
	}
}
