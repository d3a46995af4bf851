package loadtest

import (
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
)

// chaos injects faults into a share of the API requests of both
// simulators and counts them by kind.
type chaos struct {
	sn   *snowsim.Server
	fd   *fdsim.Server
	rate float64 // share of requests that get a fault

	mu        sync.Mutex
	rng       *rand.Rand
	counts    map[string]int
	hibernate time.Time // ServiceNow answers the hibernation page until then
}

func newChaos(sn *snowsim.Server, fd *fdsim.Server, rate float64, seed uint64) *chaos {
	return &chaos{sn: sn, fd: fd, rate: rate, rng: rand.New(rand.NewPCG(seed, seed^7)), counts: map[string]int{}}
}

func (c *chaos) count(kind string) { c.counts[kind]++ }

// snapshot returns a copy of the counts.
func (c *chaos) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.counts))
	for k, v := range c.counts {
		out[k] = v
	}
	return out
}

// hibernateFor makes ServiceNow hibernate for d.
func (c *chaos) hibernateFor(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hibernate = time.Now().Add(d)
	c.counts["servicenow hibernation window"]++
}

// snow is the ServiceNow tap's chaos function.
func (c *chaos) snow(w http.ResponseWriter, r *http.Request, _ []byte, next http.Handler) bool {
	c.mu.Lock()
	if time.Now().Before(c.hibernate) {
		c.count("servicenow hibernating (request)")
		c.mu.Unlock()
		_ = c.sn.InjectFault(snowsim.Fault{Kind: snowsim.FaultHibernating, Method: r.Method, Path: r.URL.Path})
		return false
	}
	if c.rng.Float64() >= c.rate {
		c.mu.Unlock()
		return false
	}
	roll := c.rng.IntN(10)
	f := snowsim.Fault{Method: r.Method, Path: r.URL.Path}
	lost := false
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/now/table/incident" && roll < 5:
		lost = true
		c.count("servicenow uncertain create (applied, answer lost)")
	case roll < 3:
		f.Kind = snowsim.FaultServerError
		c.count("servicenow 500")
	case roll < 4:
		f.Kind = snowsim.FaultUnavailable
		c.count("servicenow 503")
	case roll < 6:
		f.Kind, f.Count, f.RetryAfter, f.Method, f.Path = snowsim.FaultRateLimit, 4, time.Second, "", ""
		c.count("servicenow 429 burst (4 answers, Retry-After 1)")
	case roll < 7:
		f.Kind, f.Delay = snowsim.FaultSlow, 3*time.Second
		c.count("servicenow slow answer past the 2s timeout")
	case roll < 8 && r.Method == http.MethodGet:
		f.Kind = snowsim.FaultPartialResult
		c.count("servicenow partial result on 200")
	case roll < 9:
		f.Kind = snowsim.FaultEmpty202
		c.count("servicenow empty 202")
	default:
		f.Kind = snowsim.FaultLoginPage
		c.count("servicenow login page on 200")
	}
	c.mu.Unlock()
	if lost {
		next.ServeHTTP(httptest.NewRecorder(), r) // the write happens...
		http.Error(w, "upstream connection reset", http.StatusBadGateway)
		return true // ...and the answer is lost
	}
	_ = c.sn.InjectFault(f)
	return false
}

// flashduty is the Flashduty tap's chaos function.
func (c *chaos) flashduty(_ http.ResponseWriter, r *http.Request, _ []byte, _ http.Handler) bool {
	c.mu.Lock()
	if c.rng.Float64() >= c.rate {
		c.mu.Unlock()
		return false
	}
	roll := c.rng.IntN(10)
	f := fdsim.Fault{Path: r.URL.Path}
	switch {
	case r.URL.Path == "/incident/create" && roll < 5:
		f.Status, f.AfterApply = http.StatusInternalServerError, true
		c.count("flashduty uncertain create (applied, answer 500)")
	case roll < 3:
		f.Status = http.StatusInternalServerError
		c.count("flashduty 500")
	case roll < 4:
		f.Status = http.StatusServiceUnavailable
		c.count("flashduty 503")
	case roll < 6:
		f.Status, f.Count, f.RetryAfter, f.Path = http.StatusTooManyRequests, 4, time.Second, ""
		c.count("flashduty 429 burst (4 answers, Retry-After 1)")
	case roll < 7:
		f.Delay = 3 * time.Second
		c.count("flashduty slow answer past the 2s timeout")
	case roll < 9:
		f.Status, f.Code = http.StatusOK, "InternalError"
		c.count("flashduty error envelope on 200")
	default:
		f.Hangup = true
		c.count("flashduty connection dropped")
	}
	c.mu.Unlock()
	_ = c.fd.InjectFault(f)
	return false
}
