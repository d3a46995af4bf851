package poller

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/snowduty/snowduty/clients/httpx"
)

const ns = "snowduty"

// Metrics are the daemon's Prometheus series, registered on an injected
// registry (never the global one).
type Metrics struct {
	passes         *prometheus.CounterVec
	passDuration   *prometheus.HistogramVec
	lastAttempt    *prometheus.GaugeVec
	lastSuccess    *prometheus.GaugeVec
	pushed         *prometheus.CounterVec
	conflicts      *prometheus.CounterVec
	echoes         *prometheus.CounterVec
	pairFailures   *prometheus.CounterVec
	apiCalls       *prometheus.CounterVec
	apiRateLimited *prometheus.CounterVec
	apiDuration    *prometheus.HistogramVec
	retryDepth     prometheus.Gauge
	deadLetters    prometheus.Gauge
	cursorLag      *prometheus.GaugeVec
	activePairs    prometheus.Gauge
	leader         prometheus.Gauge
	creates        *prometheus.CounterVec
	sweepDone      prometheus.Gauge
	// journalReadable is 1 when the last read of the ServiceNow journal
	// worked, 0 when it was refused (comments from ServiceNow wait).
	journalReadable prometheus.Gauge
}

// NewMetrics registers the series on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	return &Metrics{
		passes: f.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "passes_total",
			Help: "Passes by kind (servicenow, flashduty, retry, prune; resync: the start of a sweep) and result (ok, partial, failed)."}, []string{"pass", "result"}),
		passDuration: f.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "pass_duration_seconds",
			Help: "How long a pass took, by pass kind.", Buckets: prometheus.ExponentialBuckets(0.05, 2, 14)}, []string{"pass"}),
		lastAttempt: f.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "last_attempt_timestamp_seconds",
			Help: "When a pass of this kind last started."}, []string{"pass"}),
		lastSuccess: f.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "last_success_timestamp_seconds",
			Help: "When a pass of this kind last finished with every pair synced."}, []string{"pass"}),
		pushed: f.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "changes_pushed_total",
			Help: "Field changes written, by target side and field."}, []string{"side", "field"}),
		conflicts: f.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "conflicts_total",
			Help: "Fields changed differently on both sides, by field and winning side."}, []string{"field", "winner"}),
		echoes: f.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "echoes_suppressed_total",
			Help: "Changes recognised as snowduty's own writes and not pushed back, by side they were seen on."}, []string{"side"}),
		pairFailures: f.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "pair_failures_total",
			Help: "Pairs whose sync failed in a pass, by side and failure class."}, []string{"side", "class"}),
		apiCalls: f.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "api_calls_total",
			Help: "HTTP calls to ServiceNow and Flashduty, by API, endpoint and result class (ok or the failure class)."}, []string{"api", "endpoint", "class"}),
		apiRateLimited: f.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "api_rate_limited_total",
			Help: "HTTP 429 answers received, by API."}, []string{"api"}),
		apiDuration: f.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "api_call_duration_seconds",
			Help: "HTTP call latency, by API and endpoint.", Buckets: prometheus.ExponentialBuckets(0.01, 2, 12)}, []string{"api", "endpoint"}),
		retryDepth: f.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "retry_queue_depth",
			Help: "Pairs waiting in the retry queue."}),
		deadLetters: f.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "dead_letters",
			Help: "Pairs that failed every retry and wait for an operator (snowduty dead-letters)."}),
		cursorLag: f.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "cursor_lag_seconds",
			Help: "Now minus the change cursor, by side: how far behind the sync is."}, []string{"side"}),
		activePairs: f.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "active_pairs",
			Help: "Linked pairs still open on at least one side."}),
		leader: f.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "leader",
			Help: "1 while this replica holds the lease and runs the schedules, else 0."}),
		sweepDone: f.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "resync_completed_timestamp_seconds",
			Help: "When the last resync sweep finished re-checking every active pair."}),
		journalReadable: f.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "servicenow_journal_readable",
			Help: "1 when the last read of the ServiceNow journal (sys_journal_field) worked; 0 when it was refused, so comments from ServiceNow are not mirrored."}),
		creates: f.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "creates_total",
			Help: "Incidents created, by target side and result (created, adopted, failed)."}, []string{"side", "result"}),
	}
}

// ObserveCall is an httpx.Observer: it counts every API call.
func (m *Metrics) ObserveCall(c httpx.Call) {
	class := c.Class
	if class == "" {
		class = httpx.OK
	}
	m.apiCalls.WithLabelValues(c.API, c.Endpoint, string(class)).Inc()
	m.apiDuration.WithLabelValues(c.API, c.Endpoint).Observe(c.Duration.Seconds())
	if class == httpx.RateLimited {
		m.apiRateLimited.WithLabelValues(c.API).Inc()
	}
}
