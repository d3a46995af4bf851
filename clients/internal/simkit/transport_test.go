package simkit

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestTransport(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/hangup":
			panic(http.ErrAbortHandler)
		case "/slow":
			if !Sleep(r.Context(), time.Hour) {
				return
			}
		}
		b, _ := io.ReadAll(r.Body)
		w.Header()["x-lower"] = []string{"kept"} // not canonical
		_, _ = w.Write([]byte(r.Method + " " + r.RequestURI + " " + r.Host + " " + string(b)))
	})
	rt := Transport(h)
	synctest.Test(t, func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, "http://sim.example/a?b=c", strings.NewReader("body"))
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		if string(b) != "POST /a?b=c sim.example body" || resp.Header.Get("X-Lower") != "kept" || resp.Request != req {
			t.Errorf("answer %q, header %v", b, resp.Header)
		}

		req, _ = http.NewRequest(http.MethodGet, "http://sim.example/hangup", nil)
		if _, err := rt.RoundTrip(req); !errors.Is(err, ErrHangup) || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("hangup = %v", err)
		}

		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		req, _ = http.NewRequestWithContext(ctx, http.MethodGet, "http://sim.example/slow", nil)
		start := time.Now()
		if _, err := rt.RoundTrip(req); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != time.Second {
			t.Errorf("slow = %v after %v", err, time.Since(start))
		}
	})
}

func TestCallLog(t *testing.T) {
	l := NewCallLog(2)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/teapot":
			w.WriteHeader(http.StatusTeapot)
		case "/hangup":
			panic(http.ErrAbortHandler)
		case "/ok":
			_, _ = w.Write([]byte("ok"))
		}
	})
	serve := func(method, path string) int {
		r, _ := http.NewRequest(method, "http://sim"+path, nil)
		return l.Serve(discard{}, r, strings.TrimSuffix(path, "?q=1"), h)
	}
	if s := serve("GET", "/teapot"); s != http.StatusTeapot {
		t.Errorf("status = %d", s)
	}
	if s := serve("GET", "/ok?q=1"); s != http.StatusOK {
		t.Errorf("status = %d", s)
	}
	func() {
		defer func() { _ = recover() }()
		serve("POST", "/hangup")
	}()
	serve("GET", "/nothing")
	if l.Count("GET", "/ok") != 1 || l.Count("POST", "/hangup") != 1 || len(l.Calls()) != 4 {
		t.Errorf("calls = %v", l.Calls())
	}
	got := l.Requests() // the last two
	if len(got) != 2 || got[0] != (Request{Method: "POST", Path: "/hangup"}) || got[1].Path != "/nothing" || got[1].Status != 0 {
		t.Errorf("requests = %+v", got)
	}
	l.Reset()
	if len(l.Calls()) != 0 || len(l.Requests()) != 0 {
		t.Error("Reset kept something")
	}
}

type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}
