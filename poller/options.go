package poller

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/snowduty/snowduty/diff"
	"github.com/snowduty/snowduty/state"
)

// Schedules are the cron specs of the jobs.
type Schedules struct {
	ServiceNow string // poll ServiceNow changes
	Flashduty  string // poll Flashduty: discovery, change detection, comments
	Resync     string // full re-check of every active pair
	Retry      string // work the retry queue
	Prune      string // drop long-closed pairs, expire stale intents
}

// Trigger decides which unlinked incidents are synced.
type Trigger struct {
	// Manual: only incidents a person marked are synced (Flashduty: the
	// ManualField checkbox or ManualLabel; ServiceNow: correlation_display
	// set to "Flashduty"), or those named to `snowduty sync`.
	Manual bool
	// Severities restricts auto-synced Flashduty incidents (empty: all).
	Severities []string
	// Labels must all match on auto-synced Flashduty incidents.
	Labels map[string]string
	// ManualField is a Flashduty checkbox custom field that marks an
	// incident for sync.
	ManualField string
	// ManualLabel is a Flashduty label key=value that marks an incident.
	ManualLabel [2]string
}

// Options configures a Poller. Logger, ServiceNow, Flashduty, Store and
// Policy (Direction and Mapping) are required.
type Options struct {
	Logger   *slog.Logger
	Registry prometheus.Registerer
	// Metrics, when set, is used instead of registering new series on
	// Registry (the clients' observers report to it too).
	Metrics    *Metrics
	ServiceNow ServiceNow
	Flashduty  Flashduty
	Store      *state.Store
	// Policy is the merge policy; its Origin and Now are filled in by the
	// poller (from /member/info, sys_user and the clock).
	Policy diff.Policy
	// Identity binds the state to these systems (see state.CheckIdentity).
	Identity         state.Identity
	IdentityOverride bool

	Scope           string  // ServiceNow encoded query of in-scope incidents
	ChannelIDs      []int64 // Flashduty channels in scope (empty: all)
	CreateChannelID int64   // Flashduty channel for incidents created from ServiceNow
	Trigger         Trigger

	PageSize    int           // ServiceNow change-feed page size
	Overlap     time.Duration // ServiceNow re-read window behind the cursor
	Lag         time.Duration // the cursor stays this far behind ServiceNow's clock
	Lookback    time.Duration // how far back the first pass looks
	FDOverlap   time.Duration // Flashduty discovery re-read window
	FeedBudget  int           // feed reads per pass for unchanged pairs
	Concurrency int           // pairs worked on at once
	BatchSize   int           // pairs per batch (state round trip, list-by-ids)
	// DryRun plans and logs without writing anything to either side or to
	// the state; Store must then be read-only (state.Options.ReadOnly).
	DryRun bool

	Schedules       Schedules
	RunTimeout      time.Duration
	ShutdownTimeout time.Duration
	HolderID        string        // this replica's name in the lease
	LeaseRenew      time.Duration // how often the leader renews
	HealthGrace     time.Duration // how late a pass may start before /livez fails

	// Clock is the time source (tests inject one); nil means time.Now.
	Clock func() time.Time
}

// DefaultOptions returns the defaults of every tunable.
func DefaultOptions() Options {
	return Options{
		PageSize:        100,
		Overlap:         5 * time.Second,
		Lag:             2 * time.Second,
		Lookback:        24 * time.Hour,
		FDOverlap:       10 * time.Minute,
		FeedBudget:      20,
		Concurrency:     8,
		BatchSize:       100,
		Schedules:       Schedules{ServiceNow: "@every 30s", Flashduty: "@every 30s", Resync: "@every 1h", Retry: "@every 10s", Prune: "@every 1h"},
		RunTimeout:      5 * time.Minute,
		ShutdownTimeout: 20 * time.Second,
		HolderID:        "snowduty",
		LeaseRenew:      5 * time.Second,
		HealthGrace:     time.Minute,
	}
}

func (o *Options) validate() error {
	var errs []error
	if o.Logger == nil {
		errs = append(errs, errors.New("poller options: Logger is required"))
	}
	if o.ServiceNow == nil || o.Flashduty == nil || o.Store == nil {
		errs = append(errs, errors.New("poller options: ServiceNow, Flashduty and Store are required"))
	}
	if err := o.Policy.Mapping.Validate(); err != nil {
		errs = append(errs, err)
	}
	for _, n := range []struct {
		name string
		v    int
		min  int
	}{{"PageSize", o.PageSize, 1}, {"Concurrency", o.Concurrency, 1}, {"BatchSize", o.BatchSize, 1}, {"FeedBudget", o.FeedBudget, 0}} {
		if n.v < n.min {
			errs = append(errs, fmt.Errorf("%s: %d is below %d", n.name, n.v, n.min))
		}
	}
	if o.DryRun && o.Store != nil && !o.Store.ReadOnly() {
		errs = append(errs, errors.New("poller options: DryRun needs a store opened read-only (state.Options.ReadOnly), so that a dry run writes nothing"))
	}
	if o.BatchSize > 100 {
		errs = append(errs, fmt.Errorf("poller options: BatchSize %d is above 100 (Flashduty's list-by-ids batch)", o.BatchSize))
	}
	for _, s := range []struct{ name, spec string }{
		{"ServiceNow", o.Schedules.ServiceNow}, {"Flashduty", o.Schedules.Flashduty}, {"Resync", o.Schedules.Resync},
		{"Retry", o.Schedules.Retry}, {"Prune", o.Schedules.Prune},
	} {
		if _, err := ParseSchedule(s.spec); err != nil {
			errs = append(errs, fmt.Errorf("schedule %s: %q: %w", s.name, s.spec, err))
		}
	}
	if o.RunTimeout <= 0 || o.LeaseRenew <= 0 {
		errs = append(errs, errors.New("poller options: RunTimeout and LeaseRenew must be positive"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("check poller options: %w", err)
	}
	return nil
}
