package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/snowduty/snowduty/clients/httpx"
	"github.com/snowduty/snowduty/clients/servicenow"
	"github.com/snowduty/snowduty/poller"
)

// Validate checks every setting and returns all problems at once, each
// naming its variable and saying what to write instead. needRemote is false
// for the demo, which brings its own simulators and Redis.
func (c *Config) Validate(needRemote bool) error {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s%s: %s", envPrefix, name, fmt.Sprintf(format, args...)))
	}
	oneOf := func(name, v string, allowed ...string) {
		if !slices.Contains(allowed, v) {
			bad(name, "%q is not one of %s", v, strings.Join(allowed, ", "))
		}
	}

	if c.SyncDirection == "" {
		bad("SYNC_DIRECTION", "is required: set two_way, to_servicenow or from_servicenow (there is no default, on purpose)")
	} else {
		oneOf("SYNC_DIRECTION", c.SyncDirection, "two_way", "to_servicenow", "from_servicenow")
	}
	oneOf("TRIGGER", c.Trigger, "auto", "manual")
	oneOf("CONFLICT_POLICY", c.ConflictPolicy, "newest", "servicenow", "flashduty")
	oneOf("LOG_LEVEL", strings.ToLower(c.LogLevel), "debug", "info", "warn", "error")
	oneOf("LOG_FORMAT", c.LogFormat, "text", "json", "pretty")
	oneOf("SERVICENOW_OAUTH_CLIENT_AUTH", c.ServiceNow.OAuthClientAuth, "auto", "basic", "post")
	for j := range strings.SplitSeq(c.Comments, ",") {
		oneOf("COMMENTS", strings.TrimSpace(j), "comments", "work_notes")
	}

	for _, s := range []struct{ name, spec string }{
		{"SCHEDULE_SERVICENOW", c.ScheduleServiceNow},
		{"SCHEDULE_FLASHDUTY", c.ScheduleFlashduty},
		{"SCHEDULE_RESYNC", c.ScheduleResync},
		{"SCHEDULE_RETRY", c.ScheduleRetry},
		{"SCHEDULE_PRUNE", c.SchedulePrune},
	} {
		if _, err := poller.ParseSchedule(s.spec); err != nil {
			bad(s.name, "%q is not a cron spec (%v); examples: \"@every 30s\", \"*/2 8-18 * * MON-FRI\"", s.spec, err)
		}
	}

	for _, d := range []struct {
		name     string
		v        time.Duration
		min, max time.Duration
	}{
		{"RUN_TIMEOUT", c.RunTimeout, time.Second, 24 * time.Hour},
		{"LOOKBACK", c.Lookback, time.Minute, 366 * 24 * time.Hour},
		{"LEASE_TTL", c.LeaseTTL, 2 * time.Second, time.Hour},
		{"LEASE_RENEW", c.LeaseRenew, 500 * time.Millisecond, time.Hour},
		{"SHUTDOWN_TIMEOUT", c.Shutdown, time.Second, 10 * time.Minute},
		{"RETRY_MAX_DELAY", c.RetryCap, 10 * time.Second, 7 * 24 * time.Hour},
		{"SERVICENOW_OVERLAP", c.ServiceNow.Overlap, 0, time.Hour},
		{"SERVICENOW_LAG", c.ServiceNow.Lag, 0, 10 * time.Minute},
		{"SERVICENOW_TIMEOUT", c.ServiceNow.Timeout, time.Second, 10 * time.Minute},
		{"FLASHDUTY_TIMEOUT", c.Flashduty.Timeout, time.Second, 10 * time.Minute},
	} {
		if d.v < d.min || d.v > d.max {
			bad(d.name, "%v is out of range; use a duration between %v and %v", d.v, d.min, d.max)
		}
	}
	if c.LeaseRenew >= c.LeaseTTL {
		bad("LEASE_RENEW", "%v must be shorter than SNOWDUTY_LEASE_TTL (%v), or the lease lapses between renewals", c.LeaseRenew, c.LeaseTTL)
	}

	for _, n := range []struct {
		name     string
		v        int
		min, max int
	}{
		{"CONCURRENCY", c.Concurrency, 1, 256},
		{"RETRY_MAX_ATTEMPTS", c.RetryMax, 1, 100},
		{"SNOOZE_MINUTES", c.SnoozeMinutes, 1, 1440},
		{"SERVICENOW_PAGE_SIZE", c.ServiceNow.PageSize, 1, 10000},
		{"FLASHDUTY_RATE_PER_SECOND", c.Flashduty.PerSecond, 1, 50},
		{"FLASHDUTY_RATE_PER_MINUTE", c.Flashduty.PerMinute, 1, 1000},
		{"FLASHDUTY_FEED_BUDGET", c.Flashduty.FeedBudget, 0, 1000},
	} {
		if n.v < n.min || n.v > n.max {
			bad(n.name, "%d is out of range; use a whole number from %d to %d", n.v, n.min, n.max)
		}
	}
	if err := servicenow.CheckScope(c.ServiceNow.Query); c.ServiceNow.Query != "" && err != nil {
		bad("SERVICENOW_QUERY", "%v; write one AND-ed encoded query such as active=true^assignment_group=<sys_id>", err)
	}
	if c.StatePrefix == "" || strings.ContainsAny(c.StatePrefix, " \t\n{}") {
		bad("STATE_PREFIX", "%q must be non-empty, without spaces or braces; e.g. snowduty:prod:", c.StatePrefix)
	}
	for _, ch := range c.Flashduty.ChannelIDs {
		if ch <= 0 {
			bad("FLASHDUTY_CHANNEL_IDS", "%d is not a channel id; list positive ids, e.g. 2451002751131,2451002751132", ch)
		}
	}
	if c.Flashduty.ChannelID < 0 {
		bad("FLASHDUTY_CHANNEL_ID", "%d is not a channel id", c.Flashduty.ChannelID)
	}
	if _, err := c.mapping(); err != nil {
		errs = append(errs, err)
	}
	if _, err := c.trigger(); err != nil {
		errs = append(errs, err)
	}
	if needRemote {
		errs = append(errs, c.validateRemote()...)
	}
	return errors.Join(errs...)
}

// validateRemote checks what a real run needs: endpoints, credentials and Redis.
func (c *Config) validateRemote() []error {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s%s: %s", envPrefix, name, fmt.Sprintf(format, args...)))
	}
	if c.ServiceNow.URL == "" {
		bad("SERVICENOW_URL", "is required, e.g. https://acme.service-now.com")
	} else if _, err := httpx.CheckBaseURL(envPrefix+"SERVICENOW_URL", c.ServiceNow.URL, c.AllowInsecureHTTP); err != nil {
		errs = append(errs, err)
	}
	if _, err := httpx.CheckBaseURL(envPrefix+"FLASHDUTY_URL", c.Flashduty.URL, c.AllowInsecureHTTP); err != nil {
		errs = append(errs, err)
	}
	sn := c.ServiceNow
	switch {
	case sn.ClientID != "" && sn.ClientSecret == "":
		bad("SERVICENOW_CLIENT_SECRET", "is required with SNOWDUTY_SERVICENOW_CLIENT_ID (or set SNOWDUTY_SERVICENOW_CLIENT_SECRET_FILE)")
	case sn.ClientID == "" && sn.ClientSecret != "":
		bad("SERVICENOW_CLIENT_ID", "is required with SNOWDUTY_SERVICENOW_CLIENT_SECRET")
	case sn.ClientID == "" && (sn.Username == "" || sn.Password == ""):
		bad("SERVICENOW_USERNAME", "and SNOWDUTY_SERVICENOW_PASSWORD (or _PASSWORD_FILE) are required for Basic auth; or set SNOWDUTY_SERVICENOW_CLIENT_ID and _CLIENT_SECRET for OAuth")
	case sn.ClientID != "" && (sn.Username == "") != (sn.Password == ""):
		bad("SERVICENOW_USERNAME", "and SNOWDUTY_SERVICENOW_PASSWORD go together (OAuth password grant); set both or neither (client_credentials grant)")
	}
	if sn.OAuthClientAuth == "basic" && strings.Contains(sn.ClientID, ":") {
		bad("SERVICENOW_OAUTH_CLIENT_AUTH", "is basic, but the client id contains ':', which HTTP Basic cannot carry: set post or auto")
	}
	if c.Flashduty.AppKey == "" {
		bad("FLASHDUTY_APP_KEY", "is required (or SNOWDUTY_FLASHDUTY_APP_KEY_FILE); create one under Account Settings → APP Key")
	}
	if c.SyncDirection != "to_servicenow" && c.Flashduty.ChannelID == 0 {
		bad("FLASHDUTY_CHANNEL_ID", "is required when ServiceNow incidents are synced to Flashduty: the channel new Flashduty incidents go to")
	}
	r := c.Redis
	switch n := btoi(r.URL != "") + btoi(r.SentinelMaster != "" || len(r.SentinelAddrs) > 0) + btoi(len(r.ClusterAddrs) > 0); {
	case n == 0:
		bad("REDIS_URL", "is required, e.g. redis://redis:6379/0 (or SNOWDUTY_REDIS_SENTINEL_MASTER + _SENTINEL_ADDRS, or SNOWDUTY_REDIS_CLUSTER_ADDRS)")
	case n > 1:
		bad("REDIS_URL", "set only one of SNOWDUTY_REDIS_URL, the Sentinel settings, or SNOWDUTY_REDIS_CLUSTER_ADDRS")
	}
	if (r.SentinelMaster == "") != (len(r.SentinelAddrs) == 0) {
		bad("REDIS_SENTINEL_MASTER", "and SNOWDUTY_REDIS_SENTINEL_ADDRS go together")
	}
	return errs
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
