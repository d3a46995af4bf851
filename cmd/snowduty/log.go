package main

import (
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/lmittmann/tint"
	"github.com/mattn/go-isatty"
)

// newLogger builds the one logger the process uses: text, JSON, or tint's
// coloured output for terminals (colour only when w is a terminal).
func newLogger(w io.Writer, format, level string) *slog.Logger {
	var lv slog.Level
	switch strings.ToLower(level) {
	case "debug":
		lv = slog.LevelDebug
	case "warn":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	default:
		lv = slog.LevelInfo
	}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lv}))
	case "pretty":
		noColor := true
		if f, ok := w.(*os.File); ok {
			noColor = !isatty.IsTerminal(f.Fd())
		}
		return slog.New(tint.NewTextHandler(w, &tint.Options{Level: lv, NoColor: noColor, TimeFormat: "15:04:05.000"}))
	default:
		return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lv}))
	}
}
