package poller_test

import (
	"strings"
	"testing"
	"testing/synctest"

	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
	"github.com/snowduty/snowduty/state/redistest"
)

// accountKeyWorld is a world whose Flashduty client uses an account-level
// app key: /member/info answers it with HTTP 400, and its writes carry the
// account id as creator_id.
func accountKeyWorld(t *testing.T, redis *redistest.Server) *world {
	t.Helper()
	w := newWorld(redis)
	key, err := w.fd.MintAccountKey("")
	if err != nil {
		t.Fatal(err)
	}
	w.fdOpts = func(o *flashduty.Options) { o.AppKey = key }
	return w
}

const accountKeyWarning = "the flashduty app key is account-level"

// With an account-level key the daemon starts (it learns its identity from
// /account/info instead of dying on /member/info's 400), syncs pairs both
// ways, and recognises its own writes by the account id: the copy of a
// ServiceNow comment it wrote to Flashduty is never mirrored back, and a
// Flashduty comment is mirrored once. It says once, at WARN, that an
// account-level key is in use and why a member key is better.
func TestAccountLevelKey(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		w := accountKeyWorld(t, redis)
		e := w.newEnv(t)
		account := e.fd.AccountID()

		// Flashduty → ServiceNow.
		fdID, fdSys := e.linkedPair("Database connection timeout")
		if got := e.snowOf(fdSys)["short_description"]; !contains(got, "Database connection timeout") {
			t.Fatalf("servicenow copy has short_description %q", got)
		}
		// ServiceNow → Flashduty: the copy is created as the account.
		snSys := e.newSN(map[string]string{"short_description": "VPN down in Berlin", "description": "No tunnel", "urgency": "2", "impact": "2"})
		e.settle(5)
		snID := e.linkOfSN(snSys).IncidentID
		if inc := e.fdOf(snID); inc.CreatorID != account || inc.Title == "" {
			t.Fatalf("flashduty copy created by %d (%q), want the account id %d", inc.CreatorID, inc.Title, account)
		}

		// Comments both ways on both pairs.
		e.after(func() {
			e.must(e.sn.AddComment(snowsim.Alice, fdSys, "from snow on the alert"))
			e.must(e.sn.AddComment(snowsim.Alice, snSys, "from snow on the ticket"))
			e.must(e.fd.Comment(fdsim.Alice, fdID, "from flashduty on the alert"))
			e.must(e.fd.Comment(fdsim.Bob, snID, "from flashduty on the ticket"))
		})
		for _, c := range []struct{ id, sysID, fromSnow, fromFD string }{
			{fdID, fdSys, "from snow on the alert", "from flashduty on the alert"},
			{snID, snSys, "from snow on the ticket", "from flashduty on the ticket"},
		} {
			// The ServiceNow comment reached Flashduty once, written as the
			// account principal ...
			feed, _ := e.fd.Feed(c.id)
			copies := 0
			for _, it := range feed {
				if it.Type == "i_comm" && contains(feedComment(it), c.fromSnow) {
					copies++
					if it.CreatorID != account {
						t.Errorf("copy of %q written by %d, want the account id %d", c.fromSnow, it.CreatorID, account)
					}
				}
			}
			if copies != 1 {
				t.Fatalf("%q in flashduty %d times, want 1", c.fromSnow, copies)
			}
			// ... and was not mirrored back: recognised as snowduty's own
			// write by the account id.
			if n := countJournal(e.sn.Journal(c.sysID), c.fromSnow); n != 1 {
				t.Fatalf("%q in servicenow %d times, want 1 (its flashduty copy was mirrored back)", c.fromSnow, n)
			}
			// People's Flashduty comments are mirrored once and not echoed.
			if n := countJournal(e.sn.Journal(c.sysID), c.fromFD); n != 1 {
				t.Fatalf("%q in servicenow %d times, want 1", c.fromFD, n)
			}
			if n := e.fdComments(c.id, c.fromFD); n != 1 {
				t.Fatalf("%q in flashduty %d times, want 1", c.fromFD, n)
			}
		}

		// A field change both ways, then nothing more to do.
		e.after(func() {
			e.editSN(fdSys, map[string]string{"short_description": "Database connection timeout (primary)"})
			e.must(e.fd.EditIncident(fdsim.Alice, snID, fdsim.Edit{Title: ptr("VPN down in Berlin and Munich")}))
		})
		if got := e.fdOf(fdID).Title; !contains(got, "(primary)") {
			t.Errorf("flashduty title %q, want the servicenow edit", got)
		}
		if got := e.snowOf(snSys)["short_description"]; !contains(got, "Munich") {
			t.Errorf("servicenow short_description %q, want the flashduty edit", got)
		}
		e.steady(3)

		if n := e.fd.Count("POST", "/member/info"); n != 1 {
			t.Errorf("/member/info called %d times, want 1", n)
		}
		if n := e.fd.Count("POST", "/account/info"); n != 1 {
			t.Errorf("/account/info called %d times, want 1", n)
		}
		logs := e.logs.String()
		if n := strings.Count(logs, accountKeyWarning); n != 1 {
			t.Fatalf("the account-level key warning was logged %d times, want once:\n%s", n, logs)
		}
		for _, line := range strings.Split(logs, "\n") {
			if contains(line, accountKeyWarning) && (!contains(line, "level=WARN") || !contains(line, "account_id=2451002751131") || !contains(line, "dedicated Flashduty member")) {
				t.Errorf("warning line %q: want WARN with the account id and the advice", line)
			}
		}
		if contains(logs, "fdsim-account-key-1") {
			t.Errorf("the app key reached the logs")
		}

		// A restarted daemon with the same key finds nothing to do.
		again := w.newEnv(t)
		// Prepare first: steady counts its /account/info read as a write.
		again.must(again.p.Prepare(t.Context()))
		again.steady(2)
		if n := strings.Count(again.logs.String(), accountKeyWarning); n != 1 {
			t.Errorf("the restarted daemon logged the warning %d times, want once", n)
		}
	})
}

// A member-level key is unchanged: no /account/info call, no warning.
func TestMemberLevelKeyNoAccountFallback(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t)
		e.linkedPair("Member key")
		if n := e.fd.Count("POST", "/account/info"); n != 0 {
			t.Errorf("/account/info called %d times with a member key", n)
		}
		if contains(e.logs.String(), accountKeyWarning) {
			t.Errorf("the account-level warning was logged for a member key")
		}
	})
}
