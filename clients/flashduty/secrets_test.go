package flashduty_test

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/clients/httpx/httpxtest"
)

// secret is an app key with characters that URL encoding changes.
const secret = "Sk3y+secret/with=chars"

func leaks(s string) bool {
	return strings.Contains(s, secret) || strings.Contains(s, url.QueryEscape(secret)) || strings.Contains(s, "Sk3y")
}

// TestAppKeyNeverLeaks drives every failure path that can carry a URL or a
// server message, and checks errors and debug logs for the key.
func TestAppKeyNeverLeaks(t *testing.T) {
	logs := &httpxtest.SyncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var errs []error

	// 1. Transport failures over a real socket: the server is gone.
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close()
	c, err := flashduty.New(flashduty.Options{BaseURL: base, AppKey: secret, Logger: logger, MaxAttempts: 2, Backoff: fastBackoff})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Ack(t.Context(), "69da451ef77b1b51f40e83ee")
	errs = append(errs, err)
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Fatalf("want a *url.Error in the chain, got %v", err)
	}
	if leaks(ue.URL) || leaks(ue.Error()) {
		t.Errorf("url.Error carries the key: %q", ue.Error())
	}
	var op *net.OpError
	if !errors.As(err, &op) {
		t.Errorf("the transport cause is not unwrappable: %v", err)
	}

	// 2. A server that echoes the request URL, key included, in its message.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"request_id":"r","error":{"code":"InvalidParameter","message":"bad request %s"}}`, r.URL.String())
	}))
	defer echo.Close()
	c2, _ := flashduty.New(flashduty.Options{BaseURL: echo.URL, AppKey: secret, Logger: logger})
	err = c2.Comment(t.Context(), "69da451ef77b1b51f40e83ee", "x")
	errs = append(errs, err)
	if !strings.Contains(err.Error(), "app_key=") {
		t.Fatalf("the echo server did not echo: %v", err)
	}
	// 3. The same with a non-JSON answer (a proxy error page).
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprintf(w, `<html>upstream failed for %s</html>`, r.URL.RawQuery)
	}))
	defer html.Close()
	c3, _ := flashduty.New(flashduty.Options{BaseURL: html.URL, AppKey: secret, Logger: logger, MaxAttempts: 2, Backoff: fastBackoff})
	_, err = c3.Fields(t.Context())
	errs = append(errs, err)

	// 4. Wrong key, retries and success against the simulator, with
	// debug logging on.
	synctest.Test(t, func(t *testing.T) {
		sim := fdsim.New(fdsim.Options{Start: t0, AppKey: secret})
		c4, _ := flashduty.New(flashduty.Options{BaseURL: "http://127.0.0.1:9", AppKey: secret, Logger: logger, Transport: sim.Transport()})
		if err := sim.InjectFault(fdsim.Fault{Status: 500, Count: 2}); err != nil {
			t.Fatal(err)
		}
		if err := sim.InjectFault(fdsim.Fault{Hangup: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := c4.MemberInfo(t.Context()); err != nil {
			t.Fatal(err)
		}
		bad, _ := flashduty.New(flashduty.Options{BaseURL: "http://127.0.0.1:9", AppKey: secret + "x", Logger: logger, Transport: sim.Transport()})
		_, err := bad.MemberInfo(t.Context())
		errs = append(errs, err)
		if err := sim.InjectFault(fdsim.Fault{Delay: time.Hour}); err != nil {
			t.Fatal(err)
		}
		c5, _ := flashduty.New(flashduty.Options{BaseURL: "http://127.0.0.1:9", AppKey: secret, Logger: logger, Transport: sim.Transport(), Timeout: time.Second, MaxAttempts: 1})
		_, err = c5.MemberInfo(t.Context())
		errs = append(errs, err)
	})

	for i, err := range errs {
		if err == nil {
			t.Errorf("case %d: no error", i+1)
			continue
		}
		if leaks(err.Error()) || leaks(fmt.Sprintf("%+v", err)) || leaks(fmt.Sprintf("%#v", err)) {
			t.Errorf("case %d: error leaks the key: %v", i+1, err)
		}
	}
	out := logs.String()
	if !strings.Contains(out, "retrying") || !strings.Contains(out, "flashduty call") {
		t.Errorf("expected retry and debug lines in the log:\n%s", out)
	}
	if leaks(out) {
		t.Errorf("log leaks the key:\n%s", out)
	}
}

var fastBackoff = httpxBackoff(time.Millisecond)
