package main

import (
	"strings"
	"testing"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
)

// check names the kind of Flashduty key: a member's (recommended) or an
// account-level one (works, with a warning that explains the catch).
func TestCheckSaysWhichKindOfKey(t *testing.T) {
	_, fd := simEnv(t)
	code, out, _ := runCmd(t, "check")
	if code != exitOK || !strings.Contains(out, "ok    flashduty app key") || !strings.Contains(out, "member-level key: acting as member 4000000000131") || strings.Contains(out, "account-level") {
		t.Fatalf("check with a member key: %d\n%s", code, out)
	}
	key, err := fd.MintAccountKey("")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SNOWDUTY_FLASHDUTY_APP_KEY", key)
	if code, out, errOut := runCmd(t, "once"); code != exitOK {
		t.Fatalf("once with an account key: %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = runCmd(t, "check")
	t.Logf("%s", out)
	for _, want := range []string{"ok    flashduty app key", "WARN  flashduty app key is account-level", "account principal of account 2451002751131 (Acme Corp)", "dedicated member", "ok    redis state belongs", "1 warning(s)"} {
		if !strings.Contains(out, want) {
			t.Errorf("check with an account key lacks %q", want)
		}
	}
	if code != exitOK || strings.Contains(out, "network path") || strings.Contains(out, key) {
		t.Fatalf("check with an account key: %d\n%s", code, out)
	}
	if err := fd.InjectFault(fdsim.Fault{Path: "/account/info", Status: 403, Count: 10}); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCmd(t, "check")
	t.Logf("%s", out)
	if code != exitFailed || strings.Contains(out, "FAIL  redis state") || !strings.Contains(out, "FAIL  flashduty app key") || !strings.Contains(out, "account-level") || !strings.Contains(out, "lacks a permission") {
		t.Fatalf("check with /account/info refused: %d\n%s", code, out)
	}
}
