package snowsim

import (
	"net/http"
	"net/http/httptest"
)

// Transport returns an http.RoundTripper that serves requests from s in
// process, without a socket. With it, a client under testing/synctest sees
// the fake clock for timeouts, backoff and slow faults.
func (s *Server) Transport() http.RoundTripper { return inProcess{s} }

type inProcess struct{ h http.Handler }

func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	sreq := req.Clone(req.Context())
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
	go func() {
		defer close(done)
		t.h.ServeHTTP(rec, sreq)
	}()
	select {
	case <-done:
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	resp := rec.Result()
	resp.Request = req
	// A real connection canonicalizes header names on the way in.
	h := make(http.Header, len(resp.Header))
	for k, vs := range resp.Header {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	resp.Header = h
	return resp, nil
}
