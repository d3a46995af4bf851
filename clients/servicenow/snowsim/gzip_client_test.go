package snowsim

import (
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/snowduty/snowduty/clients/servicenow"
)

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestGoClientReadsGzip drives snowduty's own client over a socket (where
// net/http asks for gzip itself and decompresses transparently) and in
// process (where nothing asks, so nothing is compressed).
func TestGoClientReadsGzip(t *testing.T) {
	s := newSim(t, Options{})
	inc, _ := s.CreateIncident(Alice, map[string]string{"short_description": "zipped"})
	var gzipped atomic.Int32
	base := http.DefaultTransport.(*http.Transport).Clone()
	watch := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := base.RoundTrip(r)
		if err == nil && resp.Uncompressed {
			gzipped.Add(1)
		}
		return resp, err
	})
	for name, o := range map[string]servicenow.Options{
		"socket, the client's own transport": {BaseURL: s.ts.URL, AllowHTTP: true},
		"socket, watched":                    {BaseURL: s.ts.URL, AllowHTTP: true, Transport: watch},
		"in process":                         {BaseURL: "https://sim.service-now.com", Transport: s.Transport()},
	} {
		o.Username, o.Password, o.Logger = DefaultUser, DefaultPassword, slog.New(slog.DiscardHandler)
		c, err := servicenow.New(o)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Get(t.Context(), inc["sys_id"])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got.SysID != inc["sys_id"] || got.ShortDescription != "zipped" {
			t.Fatalf("%s: got %+v", name, got)
		}
	}
	if gzipped.Load() == 0 {
		t.Fatal("no answer over the socket was gzip-compressed")
	}
}
