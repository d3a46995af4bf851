package fdsim

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
)

// Transport returns an http.RoundTripper that serves requests in-process,
// without a socket, so tests can run a client against the simulator inside
// a testing/synctest bubble. A Hangup fault becomes a transport error, as a
// dropped connection would.
func (s *Server) Transport() http.RoundTripper { return roundTripper{s} }

type roundTripper struct{ s *Server }

// ErrHangup is the transport error an in-process Hangup fault produces.
var ErrHangup = errors.New("fdsim: connection closed by the simulator")

// RoundTrip serves req with the simulator and returns its recorded answer.
func (rt roundTripper) RoundTrip(req *http.Request) (resp *http.Response, err error) {
	if req.Body != nil {
		defer req.Body.Close()
	}
	rec := httptest.NewRecorder()
	defer func() {
		if p := recover(); p != nil {
			if p != http.ErrAbortHandler { //nolint:errorlint // sentinel compared as the server does
				panic(p)
			}
			resp, err = nil, fmt.Errorf("%w: %w", ErrHangup, io.ErrUnexpectedEOF)
		}
	}()
	rt.s.ServeHTTP(rec, req)
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	res := rec.Result()
	res.Request = req
	return res, nil
}
