package simkit

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
)

// ErrHangup is the transport error of a request whose handler dropped the
// connection (panicked with http.ErrAbortHandler), as a real client sees a
// connection closed without an answer.
var ErrHangup = errors.New("connection closed by the simulator")

// Transport returns an http.RoundTripper that serves requests with h in
// process, without a socket. With it, a client under testing/synctest sees
// the fake clock for timeouts, backoff and slow answers.
//
// The handler runs in its own goroutine: when the request's context ends
// first, RoundTrip returns the context's error at once (as it does when the
// handler returns after the context ended). Header names are canonicalized
// on the way back, as a real connection does.
func Transport(h http.Handler) http.RoundTripper { return inProcess{h} }

type inProcess struct{ h http.Handler }

// RoundTrip serves req with the handler and returns its recorded answer.
func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	sreq := req.Clone(ctx)
	sreq.RequestURI = req.URL.RequestURI()
	sreq.RemoteAddr = "127.0.0.1:1"
	if sreq.Host == "" {
		sreq.Host = req.URL.Host
	}
	if sreq.Body == nil {
		sreq.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	hungUp := false
	go func() {
		defer close(done)
		defer func() { _ = sreq.Body.Close() }()
		defer func() {
			if p := recover(); p != nil {
				if p != http.ErrAbortHandler { //nolint:errorlint // the sentinel is compared as net/http does
					panic(p)
				}
				hungUp = true
			}
		}()
		t.h.ServeHTTP(rec, sreq)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if hungUp {
		return nil, fmt.Errorf("%w: %w", ErrHangup, io.ErrUnexpectedEOF)
	}
	resp := rec.Result()
	resp.Request = req
	h := make(http.Header, len(resp.Header))
	for k, vs := range resp.Header {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	resp.Header = h
	return resp, nil
}
