package httpx

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Backoff computes jittered exponential delays between attempts of one call.
type Backoff struct {
	// Base is the delay before the first retry (before jitter).
	Base time.Duration
	// Max caps any single delay.
	Max time.Duration
}

// Delay returns the wait before retry number attempt (1-based): a random
// value in [d/2, d] where d = Base·2^(attempt−1), capped at Max ("equal
// jitter", so concurrent clients spread out but never retry instantly).
func (b Backoff) Delay(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	d := b.Base
	for i := 1; i < attempt && d < b.Max; i++ {
		d *= 2
	}
	if b.Max > 0 && d > b.Max {
		d = b.Max
	}
	if d <= 0 {
		return 0
	}
	half := d / 2
	return half + rand.N(half+1)
}

// ParseRetryAfter reads a Retry-After header: delta-seconds or an HTTP date.
// It reports false when the header is absent or unreadable.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s < 0 {
			return 0, false
		}
		return time.Duration(s * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// Sleep waits for d or until ctx is done, whichever comes first.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// MaxBody is the most of a response body the clients read.
const MaxBody = 32 << 20

// ReadBody reads at most limit bytes of r and then drains and closes it so
// the connection can be reused.
func ReadBody(body io.ReadCloser, limit int64) ([]byte, error) {
	defer DrainClose(body)
	return io.ReadAll(io.LimitReader(body, limit))
}

// DrainClose discards up to 64 KiB of what is left of body and closes it.
func DrainClose(body io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, body, 64<<10)
	_ = body.Close()
}
