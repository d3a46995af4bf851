package poller

import (
	"log/slog"

	"github.com/robfig/cron/v3"
)

// cronLogger adapts *slog.Logger to cron.Logger, so the scheduler's own
// messages (panics it recovered, skipped overlapping runs) reach our log.
type cronLogger struct{ l *slog.Logger }

var _ cron.Logger = cronLogger{}

// Info logs routine scheduler messages at debug level: cron reports every
// wake-up, which would drown the useful lines.
func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug(msg, kv...) }

// Error logs scheduler errors, such as a recovered panic.
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error(msg, append([]any{slog.String(keyError, err.Error())}, kv...)...)
}
