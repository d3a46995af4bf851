package httpx

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestBackoffDelayIsJitteredAndCapped(t *testing.T) {
	b := Backoff{Base: time.Second, Max: 8 * time.Second}
	for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 9: 8 * time.Second} {
		for range 200 {
			d := b.Delay(attempt)
			if d < want/2 || d > want {
				t.Fatalf("Delay(%d) = %v, want in [%v, %v]", attempt, d, want/2, want)
			}
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"7", 7 * time.Second, true},
		{"0", 0, true},
		{"-3", 0, false},
		{"soon", 0, false},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
	}
	for _, tt := range tests {
		got, ok := ParseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSleepHonoursContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		if err := Sleep(t.Context(), 5*time.Second); err != nil {
			t.Fatal(err)
		}
		if got := time.Since(start); got != 5*time.Second {
			t.Fatalf("slept %v, want 5s", got)
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if err := Sleep(ctx, time.Hour); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Sleep after cancel = %v, want deadline exceeded", err)
		}
	})
}

func TestRedact(t *testing.T) {
	s := Redact("key=s3cr+t/x and s3cr%2Bt%2Fx and s3cr+t%2Fx", "s3cr+t/x", "")
	if strings.Contains(s, "s3cr") {
		t.Fatalf("secret left in %q", s)
	}
	u, _ := url.Parse("https://u:pw@h/p?app_key=abc&x=1")
	got := RedactURL(u, "app_key")
	if strings.Contains(got, "abc") || strings.Contains(got, "pw") || !strings.Contains(got, "x=1") {
		t.Fatalf("RedactURL = %q", got)
	}
}

func TestCheckBaseURL(t *testing.T) {
	tests := []struct {
		raw       string
		allowHTTP bool
		wantErr   string
	}{
		{"https://dev1.service-now.com/", false, ""},
		{"http://127.0.0.1:8080", false, ""},
		{"http://[::1]:8080", false, ""},
		{"http://localhost:1", false, ""},
		{"http://snow.internal", false, "only allowed for loopback"},
		{"http://snow.internal", true, ""},
		{"ftp://x", false, "not supported"},
		{"dev1.service-now.com", false, "no host"},
		{"https://admin:pw@x", false, "credentials in the URL"},
	}
	for _, tt := range tests {
		_, err := CheckBaseURL("SNOWDUTY_X_URL", tt.raw, tt.allowHTTP)
		if tt.wantErr == "" && err != nil {
			t.Errorf("%s: %v", tt.raw, err)
		}
		if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "SNOWDUTY_X_URL")) {
			t.Errorf("%s: err = %v, want it to name the setting and say %q", tt.raw, err, tt.wantErr)
		}
		if err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("%s: error leaks the password: %v", tt.raw, err)
		}
	}
}

func TestNewClientCAFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.pem")
	if err := os.WriteFile(bad, []byte("not a cert"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewClient(TransportOptions{CAFile: bad}); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Fatalf("NewClient(bad CA) = %v", err)
	}
	if _, err := NewClient(TransportOptions{CAFile: filepath.Join(dir, "missing.pem")}); err == nil {
		t.Fatal("NewClient(missing CA) succeeded")
	}
	c, err := NewClient(TransportOptions{})
	if err != nil || c.Jar != nil || c.Timeout != 30*time.Second {
		t.Fatalf("NewClient() = %+v, %v; want default timeout and no cookie jar", c, err)
	}
}
