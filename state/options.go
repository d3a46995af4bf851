package state

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Options configures Open. Exactly one of URL, SentinelMaster (with
// SentinelAddrs) or ClusterAddrs selects how to reach Redis.
type Options struct {
	// URL is a redis:// (plain) or rediss:// (TLS) URL of a standalone Redis,
	// e.g. redis://redis:6379/0.
	URL string
	// SentinelMaster and SentinelAddrs select a Sentinel-managed Redis.
	SentinelMaster string
	SentinelAddrs  []string
	// ClusterAddrs are seed nodes of a Redis Cluster.
	ClusterAddrs []string
	// Username and Password authenticate (ACL user or requirepass). They
	// override any in URL. The caller resolves a password file.
	Username string
	Password string
	// TLS turns TLS on for Sentinel and Cluster (rediss:// does it for URL).
	TLS bool
	// CAFile is an optional PEM bundle added to the system roots for TLS.
	CAFile string

	// ReadOnly refuses every write before it reaches Redis (each fails with
	// ErrReadOnly) and makes Open and CheckIdentity only compare, never
	// record: what a dry run needs to leave the state exactly as it was.
	ReadOnly bool

	// Prefix starts every key, so several integrations can share a Redis.
	// Default "snowduty:". No spaces or braces.
	Prefix string
	// Logger is required.
	Logger *slog.Logger
	// Clock is the time source of Schedule and Replay (retry due times),
	// of Status's count of due retries and of audit events written without
	// a Time; default time.Now. BeginCreate, ExpiredIntents, MarkClosed,
	// Prune and Due take their time from the caller. When Clock is nil,
	// lease deadlines follow the Redis server's clock (TIME), one clock for
	// every replica, so clock skew between replicas cannot split
	// leadership; a set Clock is used for leases too (tests).
	Clock func() time.Time

	// LeaseTTL is how long a leader lease lasts without renewal (default
	// 30s). LeaseRenew is how often the holder means to renew it (default
	// 10s): the Store never renews by itself (see RenewLease), it only
	// refuses a LeaseRenew above half of LeaseTTL.
	LeaseTTL   time.Duration
	LeaseRenew time.Duration
	// RetryBase is the first retry delay (default and minimum 10s); each
	// further attempt doubles it up to RetryMax (default 1h).
	RetryBase time.Duration
	RetryMax  time.Duration
	// MaxAttempts is how many tries an operation gets, the first one
	// included; the failure of the last one dead-letters the pair (default 8).
	MaxAttempts int
	// IntentTTL is how long a create intent may stay unresolved before
	// IntentExpired (and so ExpiredIntents) reports it expired (default 2m).
	IntentTTL time.Duration
	// ClosedGrace is how long a pair closed on both sides (MarkClosed)
	// stays active before Prune removes it (default 24h).
	ClosedGrace time.Duration
	// AuditMaxLen caps the audit stream (approximately; default 50000).
	AuditMaxLen int64
}

// Defaults for Options fields left zero.
const (
	DefaultPrefix      = "snowduty:"
	DefaultLeaseTTL    = 30 * time.Second
	DefaultLeaseRenew  = 10 * time.Second
	DefaultRetryBase   = 10 * time.Second
	DefaultRetryMax    = time.Hour
	DefaultMaxAttempts = 8
	DefaultIntentTTL   = 2 * time.Minute
	DefaultClosedGrace = 24 * time.Hour
	DefaultAuditMaxLen = 50000
)

// MinRetryBase is the shortest first retry delay accepted.
const MinRetryBase = 10 * time.Second

// withDefaults fills zero fields.
func (o Options) withDefaults() Options {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	setDur := func(d *time.Duration, def time.Duration) {
		if *d == 0 {
			*d = def
		}
	}
	setDur(&o.LeaseTTL, DefaultLeaseTTL)
	setDur(&o.LeaseRenew, DefaultLeaseRenew)
	setDur(&o.RetryBase, DefaultRetryBase)
	setDur(&o.RetryMax, DefaultRetryMax)
	setDur(&o.IntentTTL, DefaultIntentTTL)
	setDur(&o.ClosedGrace, DefaultClosedGrace)
	if o.MaxAttempts == 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.AuditMaxLen == 0 {
		o.AuditMaxLen = DefaultAuditMaxLen
	}
	return o
}

// validate reports every problem with o (after defaults), naming the field.
func (o Options) validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("state: Options.%s %s", field, fmt.Sprintf(format, args...)))
	}
	modes := 0
	for _, set := range []bool{o.URL != "", o.SentinelMaster != "" || len(o.SentinelAddrs) > 0, len(o.ClusterAddrs) > 0} {
		if set {
			modes++
		}
	}
	switch {
	case modes == 0:
		bad("URL", "is required (redis://host:6379/0), or set SentinelMaster+SentinelAddrs, or ClusterAddrs")
	case modes > 1:
		bad("URL", "set only one of URL, SentinelMaster+SentinelAddrs, ClusterAddrs")
	}
	if (o.SentinelMaster == "") != (len(o.SentinelAddrs) == 0) {
		bad("SentinelMaster", "and SentinelAddrs go together")
	}
	if o.Logger == nil {
		bad("Logger", "is required")
	}
	if strings.ContainsAny(o.Prefix, " \t\r\n{}") {
		bad("Prefix", "%q must not contain spaces or braces; e.g. snowduty:prod:", o.Prefix)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"LeaseTTL", o.LeaseTTL}, {"LeaseRenew", o.LeaseRenew}, {"RetryBase", o.RetryBase},
		{"RetryMax", o.RetryMax}, {"IntentTTL", o.IntentTTL}, {"ClosedGrace", o.ClosedGrace},
	} {
		if d.v < 0 {
			bad(d.name, "must be positive, got %s", d.v)
		}
	}
	if o.LeaseTTL > 0 && o.LeaseTTL < time.Second {
		bad("LeaseTTL", "must be at least 1s, got %s", o.LeaseTTL)
	}
	if o.LeaseRenew > o.LeaseTTL/2 {
		bad("LeaseRenew", "(%s) must be at most half of LeaseTTL (%s)", o.LeaseRenew, o.LeaseTTL)
	}
	if o.RetryBase < MinRetryBase {
		bad("RetryBase", "must be at least %s (first retry no sooner than that), got %s", MinRetryBase, o.RetryBase)
	}
	if o.RetryMax < o.RetryBase {
		bad("RetryMax", "(%s) must not be below RetryBase (%s)", o.RetryMax, o.RetryBase)
	}
	if o.MaxAttempts < 1 || o.MaxAttempts > 100 {
		bad("MaxAttempts", "must be from 1 to 100, got %d", o.MaxAttempts)
	}
	if o.AuditMaxLen < 100 {
		bad("AuditMaxLen", "must be at least 100, got %d", o.AuditMaxLen)
	}
	return errors.Join(errs...)
}
