package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/clients/servicenow"
	"github.com/snowduty/snowduty/diff"
	"github.com/snowduty/snowduty/poller"
	"github.com/snowduty/snowduty/state"
)

// userAgent identifies snowduty to both APIs.
func userAgent() string { return "snowduty/" + Version() }

// mapping builds the diff mapping from the defaults and the overrides.
func (c *Config) mapping() (diff.Mapping, error) {
	m := diff.DefaultMapping()
	var errs []error
	note := func(name string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s%s: %w", envPrefix, name, err))
		}
	}
	var err error
	if c.StateMap != "" {
		m.StateToStatus, err = diff.ParseStateMap(c.StateMap)
		note("STATE_MAP", err)
	}
	if c.ProgressMap != "" {
		over, err := diff.ParseStatusMap(c.ProgressMap)
		note("PROGRESS_MAP", err)
		maps.Copy(m.StatusToState, over)
	}
	if c.SeverityMap != "" {
		m.UrgencyToSeverity, err = diff.ParseUrgencyMap(c.SeverityMap)
		note("SEVERITY_MAP", err)
	}
	if c.ImpactUrgencyMap != "" {
		over, err := diff.ParseSeverityMap(c.ImpactUrgencyMap)
		note("IMPACT_URGENCY_MAP", err)
		maps.Copy(m.SeverityToServiceNow, over)
	}
	m.FieldsToServiceNow, err = diff.ParseFieldMap(c.FieldMap)
	note("FIELD_MAP", err)
	m.FieldsToFlashduty, err = diff.ParseServiceNowFieldMap(c.ServiceNowFieldMap)
	note("SERVICENOW_FIELD_MAP", err)
	m.CommentJournals, err = diff.ParseJournals(c.Comments)
	note("COMMENTS", err)
	if len(m.CommentJournals) == 1 && m.CommentJournals[0] == diff.JournalWorkNotes {
		m.CommentTarget = diff.JournalWorkNotes
	}
	m.HoldReason, m.CloseCode, m.CloseNotesTemplate, m.SnoozeMinutes = c.HoldReason, c.CloseCode, c.CloseNotes, c.SnoozeMinutes
	if err := errors.Join(errs...); err != nil {
		return m, err
	}
	if err := m.Validate(); err != nil {
		return m, errors.New(mappingVars.Replace(err.Error()))
	}
	return m, nil
}

// mappingVars names the variable behind each diff.Mapping setting in its
// validation errors.
var mappingVars = strings.NewReplacer(
	"mapping StateToStatus", envPrefix+"STATE_MAP",
	"mapping StatusToState", envPrefix+"PROGRESS_MAP",
	"mapping UrgencyToSeverity", envPrefix+"SEVERITY_MAP",
	"mapping SeverityToServiceNow", envPrefix+"IMPACT_URGENCY_MAP",
	"mapping HoldReason", envPrefix+"HOLD_REASON",
	"mapping CloseCode", envPrefix+"CLOSE_CODE",
	"mapping CloseNotesTemplate", envPrefix+"CLOSE_NOTES",
	"mapping SnoozeMinutes", envPrefix+"SNOOZE_MINUTES",
	"mapping CommentJournals", envPrefix+"COMMENTS",
	"mapping CommentTarget", envPrefix+"COMMENTS",
	"mapping FieldsToServiceNow", envPrefix+"FIELD_MAP",
	"mapping FieldsToFlashduty", envPrefix+"SERVICENOW_FIELD_MAP",
)

// trigger builds the poller's trigger settings.
func (c *Config) trigger() (poller.Trigger, error) {
	t := poller.Trigger{Manual: c.Trigger == "manual", Severities: c.TriggerSeverities, ManualField: c.ManualField}
	for _, s := range t.Severities {
		if s != "Critical" && s != "Warning" && s != "Info" {
			return t, fmt.Errorf("%sTRIGGER_SEVERITIES: %q is not Critical, Warning or Info", envPrefix, s)
		}
	}
	if c.TriggerLabels != "" {
		t.Labels = map[string]string{}
		for item := range strings.SplitSeq(c.TriggerLabels, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(item), "=")
			if !ok || k == "" {
				return t, fmt.Errorf("%sTRIGGER_LABELS: %q is not key=value (e.g. service=payments,env=prod)", envPrefix, item)
			}
			t.Labels[k] = v
		}
	}
	if c.ManualLabel != "" {
		k, v, ok := strings.Cut(c.ManualLabel, "=")
		if !ok || k == "" || v == "" {
			return t, fmt.Errorf("%sMANUAL_LABEL: %q is not key=value (e.g. servicenow=yes)", envPrefix, c.ManualLabel)
		}
		t.ManualLabel = [2]string{k, v}
	}
	return t, nil
}

// deps are the pieces a running snowduty is made of.
type deps struct {
	sn     *servicenow.Client
	fd     *flashduty.Client
	store  *state.Store
	poller *poller.Poller
	reg    *prometheus.Registry
}

// close releases what build opened.
func (d *deps) close() {
	if d.store != nil {
		_ = d.store.Close()
	}
}

// buildOptions carries what differs between run, the demo and tests.
type buildOptions struct {
	snTransport, fdTransport http.RoundTripper
}

// build turns a validated configuration into clients, a store and a
// poller. The registry collects every metric.
func build(ctx context.Context, c *Config, log *slog.Logger, bo buildOptions) (*deps, error) {
	m, err := c.mapping()
	if err != nil {
		return nil, err
	}
	trig, err := c.trigger()
	if err != nil {
		return nil, err
	}
	d := &deps{reg: prometheus.NewRegistry()}
	metrics := poller.NewMetrics(d.reg)
	d.sn, err = servicenow.New(servicenow.Options{
		BaseURL: c.ServiceNow.URL, Username: c.ServiceNow.Username, Password: c.ServiceNow.Password.Reveal(),
		ClientID: c.ServiceNow.ClientID, ClientSecret: c.ServiceNow.ClientSecret.Reveal(), OAuthClientAuth: c.ServiceNow.OAuthClientAuth,
		CAFile: c.CAFile, Timeout: c.ServiceNow.Timeout, AllowHTTP: c.AllowInsecureHTTP, UserAgent: userAgent(),
		Logger: log, Observer: metrics.ObserveCall, Transport: bo.snTransport,
	})
	if err != nil {
		return nil, fmt.Errorf("build servicenow client: %w", err)
	}
	d.fd, err = flashduty.New(flashduty.Options{
		BaseURL: c.Flashduty.URL, AppKey: c.Flashduty.AppKey.Reveal(), CAFile: c.CAFile, Timeout: c.Flashduty.Timeout,
		PerSecond: c.Flashduty.PerSecond, PerMinute: c.Flashduty.PerMinute, AllowHTTP: c.AllowInsecureHTTP, UserAgent: userAgent(),
		Logger: log, Observer: metrics.ObserveCall, Transport: bo.fdTransport,
	})
	if err != nil {
		return nil, fmt.Errorf("build flashduty client: %w", err)
	}
	d.store, err = state.Open(ctx, state.Options{
		URL: c.Redis.URL, SentinelMaster: c.Redis.SentinelMaster, SentinelAddrs: c.Redis.SentinelAddrs, ClusterAddrs: c.Redis.ClusterAddrs,
		Username: c.Redis.Username, Password: c.Redis.Password.Reveal(), CAFile: c.Redis.CAFile, Prefix: c.StatePrefix,
		Logger: log, LeaseTTL: c.LeaseTTL, LeaseRenew: c.LeaseRenew,
		RetryMax: c.RetryCap, MaxAttempts: c.RetryMax, ReadOnly: c.DryRun,
	})
	if err != nil {
		return nil, fmt.Errorf("open state: %w", err)
	}
	o := poller.DefaultOptions()
	o.Logger, o.Registry, o.Metrics = log, d.reg, metrics
	o.ServiceNow, o.Flashduty, o.Store = d.sn, d.fd, d.store
	o.Policy = diff.Policy{Direction: diff.Direction(c.SyncDirection), Conflict: diff.ConflictPolicy(c.ConflictPolicy), Mapping: m}
	o.Identity = state.Identity{ServiceNowURL: c.ServiceNow.URL}
	o.IdentityOverride = c.IdentityOverride
	o.Scope, o.ChannelIDs, o.CreateChannelID, o.Trigger = c.ServiceNow.Query, c.Flashduty.ChannelIDs, c.Flashduty.ChannelID, trig
	o.PageSize, o.Overlap, o.Lag, o.Lookback = c.ServiceNow.PageSize, c.ServiceNow.Overlap, c.ServiceNow.Lag, c.Lookback
	o.FeedBudget, o.Concurrency, o.DryRun = c.Flashduty.FeedBudget, c.Concurrency, c.DryRun
	o.Schedules = poller.Schedules{ServiceNow: c.ScheduleServiceNow, Flashduty: c.ScheduleFlashduty, Resync: c.ScheduleResync, Retry: c.ScheduleRetry, Prune: c.SchedulePrune}
	o.RunTimeout, o.ShutdownTimeout, o.LeaseRenew = c.RunTimeout, c.Shutdown, c.LeaseRenew
	o.HolderID = holderID(c.InstanceID)
	d.poller, err = poller.New(o)
	if err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

// holderID names this process in the lease: the configured instance id or
// the hostname, plus the pid and a random suffix, so two processes never
// share a lease token.
func holderID(instance string) string {
	if instance == "" {
		instance, _ = os.Hostname()
	}
	return fmt.Sprintf("%s-%d-%04x", instance, os.Getpid(), rand.Uint32()&0xffff)
}
