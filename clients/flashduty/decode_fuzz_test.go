package flashduty_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/clients/httpx"
)

// bodyRT answers every request with one status and body.
type bodyRT struct {
	status int
	body   []byte
}

func (b bodyRT) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: b.status, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(b.body)), Request: r}, nil
}

// FuzzDecodeResponses feeds arbitrary bodies (wrong types, huge numbers,
// deep nesting, invalid UTF-8, error envelopes) to the readers: they must
// return an error or values, never panic or hang.
func FuzzDecodeResponses(f *testing.F) {
	files, _ := filepath.Glob("testdata/fixtures/*.response.json")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(200, b)
		}
	}
	for _, s := range []string{
		`{"request_id":"x","data":{"items":[{"incident_id":1,"title":{"a":1},"start_time":"1e400","updated_at":1e400,"fields":{"x":[[[]]]}}],"has_next_page":"yes"}}`,
		`{"data":{"items":[{"incident_id":"6b0878020620ae96ebaff6e4","start_time":99999999999999999999999}],"total":-1,"has_next_page":true,"search_after_ctx":""}}`,
		`{"data":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`,
		"{\"data\":{\"items\":[{\"title\":\"\xff\xfe\"}]}}",
		`{"error":{"code":"InternalError","message":"x"}}`, `{"data":null}`, `null`, `[]`, ``,
	} {
		f.Add(200, []byte(s))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 599 {
			return
		}
		c, err := flashduty.New(flashduty.Options{BaseURL: "https://fuzz.flashcat.cloud", AppKey: "k", Transport: bodyRT{status, body},
			Logger: slog.New(slog.DiscardHandler), MaxAttempts: 1, Backoff: httpx.Backoff{Base: time.Millisecond, Max: time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = c.ListByIDs(ctx, []string{"6b0878020620ae96ebaff6e4"})
		_, _ = c.Info(ctx, "6b0878020620ae96ebaff6e4")
		// Feed pages for as long as the server says has_next_page with new
		// items (it stops on a repeated page, and after 1,000 pages); a
		// short deadline keeps each fuzz input fast.
		fctx, fcancel := context.WithTimeout(ctx, 200*time.Millisecond)
		_, _ = c.Feed(fctx, flashduty.FeedQuery{IncidentID: "6b0878020620ae96ebaff6e4"})
		fcancel()
		_, _ = c.MemberInfo(ctx)
		pages := 0
		_ = c.List(ctx, flashduty.ListQuery{Since: time.Unix(1_700_000_000, 0), Until: time.Unix(1_700_003_600, 0)}, func([]flashduty.Incident) error {
			pages++
			if pages > 1000 {
				t.Fatal("List kept paging over a fixed answer")
			}
			return nil
		})
		if ctx.Err() != nil {
			t.Fatal("a reader hung on a fixed answer")
		}
	})
}
