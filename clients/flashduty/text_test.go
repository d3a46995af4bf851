package flashduty

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTruncate(t *testing.T) {
	if got := truncate("short", 10); got != "short" {
		t.Errorf("truncate kept %q", got)
	}
	got := truncate(strings.Repeat("é", 300), 200)
	if utf8.RuneCountInString(got) != 200 || !strings.HasSuffix(got, "…") || !utf8.ValidString(got) {
		t.Errorf("truncate = %d runes, valid %v", utf8.RuneCountInString(got), utf8.ValidString(got))
	}
}

func TestSplitComment(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		parts int
	}{
		{"short", "  hello  ", 1},
		{"exactly 1024", strings.Repeat("x", 1024), 1},
		{"1025 without spaces", strings.Repeat("x", 1025), 2},
		{"words", strings.Repeat("lorem ipsum ", 400), 5},
		{"multibyte", strings.Repeat("故障", 1500), 3},
		{"ten parts or more", strings.Repeat("y", 10500), 11},
	}
	for _, tt := range tests {
		parts := splitComment(tt.text)
		if len(parts) != tt.parts {
			t.Errorf("%s: %d parts, want %d", tt.name, len(parts), tt.parts)
		}
		var body strings.Builder
		for i, p := range parts {
			if n := utf8.RuneCountInString(p); n > MaxComment || p != strings.TrimSpace(p) || p == "" {
				t.Errorf("%s: part %d has %d characters or untrimmed ends", tt.name, i+1, n)
			}
			if len(parts) > 1 {
				prefix := "(" + strconv.Itoa(i+1) + "/" + strconv.Itoa(len(parts)) + ") "
				if !strings.HasPrefix(p, prefix) {
					t.Errorf("%s: part %d lacks %q", tt.name, i+1, prefix)
				}
				p = strings.TrimPrefix(p, prefix)
			}
			body.WriteString(p)
		}
		if strings.ReplaceAll(body.String(), " ", "") != strings.ReplaceAll(tt.text, " ", "") {
			t.Errorf("%s: parts lose text", tt.name)
		}
	}
}
