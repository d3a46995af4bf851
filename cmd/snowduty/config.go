package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/sethvargo/go-envconfig"
)

// envPrefix starts every variable snowduty reads.
const envPrefix = "SNOWDUTY_"

// Config is the whole configuration, read from SNOWDUTY_* environment
// variables. The variable names are the public contract: the README and the
// Helm chart list the same ones, and tests keep all three in step.
type Config struct {
	SyncDirection string `env:"SYNC_DIRECTION"`

	ServiceNow ServiceNowConfig `env:", prefix=SERVICENOW_"`
	Flashduty  FlashdutyConfig  `env:", prefix=FLASHDUTY_"`
	Redis      RedisConfig      `env:", prefix=REDIS_"`

	StatePrefix      string `env:"STATE_PREFIX, default=snowduty:"`
	IdentityOverride bool   `env:"IDENTITY_OVERRIDE, default=false"`

	ScheduleServiceNow string        `env:"SCHEDULE_SERVICENOW, default=@every 30s"`
	ScheduleFlashduty  string        `env:"SCHEDULE_FLASHDUTY, default=@every 30s"`
	ScheduleResync     string        `env:"SCHEDULE_RESYNC, default=@every 1h"`
	ScheduleRetry      string        `env:"SCHEDULE_RETRY, default=@every 10s"`
	SchedulePrune      string        `env:"SCHEDULE_PRUNE, default=@every 1h"`
	RunTimeout         time.Duration `env:"RUN_TIMEOUT, default=5m"`
	Lookback           time.Duration `env:"LOOKBACK, default=24h"`

	Trigger           string   `env:"TRIGGER, default=auto"`
	TriggerSeverities []string `env:"TRIGGER_SEVERITIES"`
	TriggerLabels     string   `env:"TRIGGER_LABELS"`
	ManualField       string   `env:"MANUAL_FIELD"`
	ManualLabel       string   `env:"MANUAL_LABEL"`

	FieldMap           string `env:"FIELD_MAP"`
	ServiceNowFieldMap string `env:"SERVICENOW_FIELD_MAP"`
	StateMap           string `env:"STATE_MAP"`
	ProgressMap        string `env:"PROGRESS_MAP"`
	SeverityMap        string `env:"SEVERITY_MAP"`
	ImpactUrgencyMap   string `env:"IMPACT_URGENCY_MAP"`
	HoldReason         string `env:"HOLD_REASON, default=1"`
	CloseCode          string `env:"CLOSE_CODE, default=Solution provided"`
	CloseNotes         string `env:"CLOSE_NOTES, default=Closed in Flashduty by {closer}"`
	SnoozeMinutes      int    `env:"SNOOZE_MINUTES, default=120"`
	ConflictPolicy     string `env:"CONFLICT_POLICY, default=newest"`
	Comments           string `env:"COMMENTS, default=comments"`

	DryRun      bool          `env:"DRY_RUN, default=false"`
	LogLevel    string        `env:"LOG_LEVEL, default=info"`
	LogFormat   string        `env:"LOG_FORMAT, default=text"`
	HTTPAddr    string        `env:"HTTP_ADDR, default=:8080"`
	Shutdown    time.Duration `env:"SHUTDOWN_TIMEOUT, default=20s"`
	Concurrency int           `env:"CONCURRENCY, default=8"`
	LeaseTTL    time.Duration `env:"LEASE_TTL, default=15s"`
	LeaseRenew  time.Duration `env:"LEASE_RENEW, default=5s"`
	RetryMax    int           `env:"RETRY_MAX_ATTEMPTS, default=8"`
	RetryCap    time.Duration `env:"RETRY_MAX_DELAY, default=1h"`
	InstanceID  string        `env:"INSTANCE_ID"`

	CAFile            string `env:"CA_FILE"`
	AllowInsecureHTTP bool   `env:"ALLOW_INSECURE_HTTP, default=false"`
}

// ServiceNowConfig is the SNOWDUTY_SERVICENOW_* group.
type ServiceNowConfig struct {
	URL               string        `env:"URL"`
	Username          string        `env:"USERNAME"`
	Password          Secret        `env:"PASSWORD"`
	PasswordFile      string        `env:"PASSWORD_FILE"`
	ClientID          string        `env:"CLIENT_ID"`
	ClientSecret      Secret        `env:"CLIENT_SECRET"`
	ClientSecretFile  string        `env:"CLIENT_SECRET_FILE"`
	OAuthClientAuth   string        `env:"OAUTH_CLIENT_AUTH, default=auto"`
	Query             string        `env:"QUERY"`
	QueryAllowUnknown bool          `env:"QUERY_ALLOW_UNKNOWN, default=false"`
	PageSize          int           `env:"PAGE_SIZE, default=100"`
	Overlap           time.Duration `env:"OVERLAP, default=5s"`
	Lag               time.Duration `env:"LAG, default=2s"`
	Timeout           time.Duration `env:"TIMEOUT, default=30s"`
}

// FlashdutyConfig is the SNOWDUTY_FLASHDUTY_* group.
type FlashdutyConfig struct {
	URL        string        `env:"URL, default=https://api.flashcat.cloud"`
	AppKey     Secret        `env:"APP_KEY"`
	AppKeyFile string        `env:"APP_KEY_FILE"`
	ChannelIDs []int64       `env:"CHANNEL_IDS"`
	ChannelID  int64         `env:"CHANNEL_ID"`
	PerSecond  int           `env:"RATE_PER_SECOND, default=50"`
	PerMinute  int           `env:"RATE_PER_MINUTE, default=1000"`
	FeedBudget int           `env:"FEED_BUDGET, default=20"`
	Timeout    time.Duration `env:"TIMEOUT, default=30s"`
}

// RedisConfig is the SNOWDUTY_REDIS_* group.
type RedisConfig struct {
	URL            string   `env:"URL"`
	Username       string   `env:"USERNAME"`
	Password       Secret   `env:"PASSWORD"`
	PasswordFile   string   `env:"PASSWORD_FILE"`
	SentinelMaster string   `env:"SENTINEL_MASTER"`
	SentinelAddrs  []string `env:"SENTINEL_ADDRS"`
	ClusterAddrs   []string `env:"CLUSTER_ADDRS"`
	CAFile         string   `env:"CA_FILE"`
}

// Secret is a string that never prints: fmt, slog and JSON see a mask.
type Secret string

// String masks the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[REDACTED]"
}

// GoString masks the value for %#v.
func (s Secret) GoString() string { return `"` + s.String() + `"` }

// LogValue masks the value for slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText masks the value for encoders.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Reveal returns the secret itself, for the one place that sends it.
func (s Secret) Reveal() string { return string(s) }

// loadConfig reads the configuration through l (the process environment
// in production, a map in tests). It does not validate.
func loadConfig(ctx context.Context, l envconfig.Lookuper) (*Config, error) {
	var c Config
	err := envconfig.ProcessWith(ctx, &envconfig.Config{
		Target:   &c,
		Lookuper: envconfig.PrefixLookuper(envPrefix, l),
	})
	if err != nil {
		return nil, fmt.Errorf("read configuration: %s", envErrorText(err))
	}
	return &c, nil
}
