package flashduty

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Length limits of the write endpoints (reference §12.5), in characters.
const (
	MaxCreateTitle       = 512
	MaxCreateDescription = 1024
	MinResetText         = 3
	MaxResetTitle        = 200
	MaxResetDescription  = 6144
	MaxResolveText       = 1024
	MaxComment           = 1024
	MaxSnoozeMinutes     = 1440
)

// truncate shortens s to at most n characters, ending with "…" when it cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// splitComment trims text and cuts it into parts of at most MaxComment
// characters each; when it needs more than one, each part starts with
// "(i/n) ". Cuts prefer whitespace near the end of a part.
func splitComment(text string) []string {
	text = strings.TrimSpace(text)
	if utf8.RuneCountInString(text) <= MaxComment {
		return []string{text}
	}
	r := []rune(text)
	for n := 2; ; n++ {
		budget := MaxComment - len(fmt.Sprintf("(%d/%d) ", n, n))
		chunks := chunk(r, budget)
		if len(chunks) <= n {
			out := make([]string, len(chunks))
			for i, c := range chunks {
				out[i] = fmt.Sprintf("(%d/%d) %s", i+1, len(chunks), c)
			}
			return out
		}
	}
}

// chunk cuts r into trimmed, non-empty pieces of at most size runes.
func chunk(r []rune, size int) []string {
	var out []string
	for len(r) > 0 {
		cut := min(size, len(r))
		if cut < len(r) {
			for i := cut; i > cut*9/10; i-- {
				if unicode.IsSpace(r[i]) {
					cut = i
					break
				}
			}
		}
		if p := strings.TrimSpace(string(r[:cut])); p != "" {
			out = append(out, p)
		}
		r = r[cut:]
	}
	return out
}
