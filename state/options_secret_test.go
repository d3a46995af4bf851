package state

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestOptionsNeverPrintSecrets(t *testing.T) {
	t.Parallel()
	const pw, urlPw = "p4ss-word-77", "url-secret-88"
	o := Options{URL: "redis://user:" + urlPw + "@redis:6379/0", Password: pw, Prefix: "x:"}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("opening", "options", o)
	for _, out := range []string{o.String(), fmt.Sprintf("%v %+v %#v %s", o, o, o, o), logs.String()} {
		if strings.Contains(out, pw) || strings.Contains(out, urlPw) {
			t.Fatalf("secret printed: %s", out)
		}
		if !strings.Contains(out, "REDACTED") || !strings.Contains(out, "redis:6379") {
			t.Fatalf("masked output lost its shape: %s", out)
		}
	}
	if got := maskURL("redis://:" + pw + "@h:bad"); strings.Contains(got, pw) {
		t.Fatalf("unparsable URL printed: %s", got)
	}
}
