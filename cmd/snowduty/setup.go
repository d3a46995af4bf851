package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/sethvargo/go-envconfig"
)

// setup reads and validates the configuration from the environment and
// builds the logger. On a problem it prints every issue to stderr and
// returns exitUsage.
func setup(ctx context.Context, stderr io.Writer, needRemote bool) (*Config, *slog.Logger, int) {
	return setupFrom(ctx, envconfig.OsLookuper(), os.Environ(), stderr, needRemote)
}

func setupFrom(ctx context.Context, l envconfig.Lookuper, environ []string, stderr io.Writer, needRemote bool) (*Config, *slog.Logger, int) {
	c, err := loadConfig(ctx, l)
	if err != nil {
		fmt.Fprintf(stderr, "snowduty: %v\n", err)
		return nil, nil, exitUsage
	}
	unknown := unknownEnv(environ)
	for _, u := range unknown {
		fmt.Fprintf(stderr, "snowduty: %s\n", u)
	}
	if err := c.readSecretFiles(); err != nil {
		fmt.Fprintf(stderr, "snowduty: %v\n", err)
		return nil, nil, exitUsage
	}
	if err := c.Validate(needRemote); err != nil {
		fmt.Fprintf(stderr, "snowduty: the configuration has problems:\n%v\n", indent(err.Error()))
		return nil, nil, exitUsage
	}
	if len(unknown) > 0 {
		fmt.Fprintln(stderr, "snowduty: remove or correct the unknown SNOWDUTY_* variables above")
		return nil, nil, exitUsage
	}
	return c, newLogger(stderr, c.LogFormat, c.LogLevel), exitOK
}

// indent prefixes every line with two spaces.
func indent(s string) string {
	out := "  "
	for _, r := range s {
		out += string(r)
		if r == '\n' {
			out += "  "
		}
	}
	return out
}
