package state

import (
	"strings"
	"testing"

	"github.com/snowduty/snowduty/state/redistest"
)

func TestOpenTLS(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, redistest.WithTLS())
	if !strings.HasPrefix(srv.URL(), "rediss://") {
		t.Fatalf("URL = %s", srv.URL())
	}
	s := openStore(t, srv, newClock(), func(o *Options) { o.CAFile = srv.CAFile() })
	if err := s.PutLink(t.Context(), Link{SysID: "s", IncidentID: "i", Origin: OriginAdopted}); err != nil {
		t.Fatalf("write over TLS: %v", err)
	}
	// Without the CA the server's certificate is not trusted.
	_, err := Open(t.Context(), Options{URL: srv.URL(), Logger: discardLogger()})
	if err == nil || !strings.Contains(err.Error(), "TLS handshake failed") {
		t.Fatalf("Open without the CA: %v", err)
	}
	// A missing CA file is named.
	_, err = Open(t.Context(), Options{URL: srv.URL(), Logger: discardLogger(), CAFile: "/nonexistent/ca.pem"})
	if err == nil || !strings.Contains(err.Error(), "read redis CA bundle /nonexistent/ca.pem") {
		t.Fatalf("Open with a missing CA file: %v", err)
	}
}
