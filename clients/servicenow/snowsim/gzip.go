package snowsim

import (
	"compress/gzip"
	"net/http"
	"strings"
)

// gzipWriter compresses an answer the way a real instance does when the
// request says Accept-Encoding: gzip: Content-Encoding: gzip, no
// Content-Length (chunked). Empty bodies (204, HEAD, X-no-response-body)
// go out uncompressed.
type gzipWriter struct {
	http.ResponseWriter
	status    int
	forwarded bool
	gz        *gzip.Writer
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(strings.TrimSpace(q), " ", "") != "q=0" {
			return true
		}
	}
	return false
}

func (g *gzipWriter) WriteHeader(code int) {
	if g.status == 0 {
		g.status = code
	}
}

func (g *gzipWriter) Write(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	if !g.forwarded {
		if g.status == 0 {
			g.status = http.StatusOK
		}
		h := g.Header()
		h.Set("Content-Encoding", "gzip")
		h.Del("Content-Length")
		h.Add("Vary", "Accept-Encoding")
		g.forwarded = true
		g.ResponseWriter.WriteHeader(g.status)
		// Flushing the header makes net/http send the body chunked, as
		// real instances do, instead of buffering it for a Content-Length.
		_ = http.NewResponseController(g.ResponseWriter).Flush()
		g.gz = gzip.NewWriter(g.ResponseWriter)
	}
	return g.gz.Write(b)
}

// finish sends the header of an empty answer or ends the gzip stream.
func (g *gzipWriter) finish() {
	if !g.forwarded {
		if g.status != 0 {
			g.ResponseWriter.WriteHeader(g.status)
		}
		return
	}
	_ = g.gz.Close()
}
