package diff

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestPartialBase: ServiceNow changed the title (pushed to Flashduty) while
// Flashduty changed the severity (pushed to ServiceNow). When only one
// side's write lands, the partial base moves that field alone and keeps the
// old update and comment marks.
func TestPartialBase(t *testing.T) {
	w := linked(t, testPolicy(TwoWay, ConflictNewest))
	old := w.loadBase()
	w.snow.ShortDescription = "Disk full on db-01 and db-02"
	w.snow.SysUpdatedOn = w.now
	w.fd.Severity = SeverityCritical
	w.fd.UpdatedAt = w.now.Add(time.Second).Unix()
	p := w.plan()
	if got := p.Pushed(); got[KeyTitle] != Flashduty || got[KeySeverity] != ServiceNow || len(got) != 2 {
		t.Fatalf("pushed = %v, want title to flashduty and severity to servicenow", got)
	}
	fp := func(s string) uint64 { return fingerprint(s) }
	for _, tt := range []struct {
		name         string
		landed       Side
		titleBase    uint64 // ServiceNow-side fingerprint of the title in the partial base
		severityBase uint64 // Flashduty-side fingerprint of the severity
		wantUrgency  string
	}{
		{"servicenow landed, flashduty failed", ServiceNow, fp("Disk full on db-01"), fp(string(SeverityCritical)), "1"},
		{"flashduty landed, servicenow failed", Flashduty, fp("Disk full on db-01 and db-02"), fp(string(SeverityWarning)), old.Urgency},
	} {
		t.Run(tt.name, func(t *testing.T) {
			nb := p.PartialBase(old, func(_ string, to Side) bool { return to == tt.landed }, noPosts)
			title, _ := nb.field(KeyTitle)
			sev, _ := nb.field(KeySeverity)
			if title.ServiceNow != tt.titleBase {
				t.Errorf("title base moved wrongly: %x, want %x", title.ServiceNow, tt.titleBase)
			}
			if sev.Flashduty != tt.severityBase {
				t.Errorf("severity base moved wrongly: %x, want %x", sev.Flashduty, tt.severityBase)
			}
			if nb.Urgency != tt.wantUrgency {
				t.Errorf("urgency base %q, want %q", nb.Urgency, tt.wantUrgency)
			}
			if nb.SnowModCount != old.SnowModCount || nb.FDUpdatedAt != old.FDUpdatedAt || len(nb.Comments) != len(old.Comments) {
				t.Errorf("update marks moved: %s, old %s", js(nb), js(old))
			}
			for i := 1; i < len(nb.Fields); i++ {
				if nb.Fields[i-1].Key >= nb.Fields[i].Key {
					t.Fatalf("fields not sorted: %s", js(nb.Fields))
				}
			}
		})
	}
	if nb := (Plan{}).PartialBase(old, func(string, Side) bool { return false }, noPosts); nb != nil {
		t.Errorf("a plan without a new base gave %s", js(nb))
	}
	// With no old base, a field whose write failed has no base at all.
	nb := p.PartialBase(nil, func(_ string, to Side) bool { return to == ServiceNow }, noPosts)
	if _, ok := nb.field(KeyTitle); ok {
		t.Errorf("title kept a base although its write failed and there was none: %s", js(nb))
	}
	if _, ok := nb.field(KeySeverity); !ok {
		t.Errorf("severity lost its base although its write landed: %s", js(nb))
	}
}

// noPosts: no comment post landed.
func noPosts(Side) int { return 0 }

// The comments whose posts landed before the failure are marked handled
// in the partial base, and of a comment split into parts, the parts that
// landed: the next attempt posts the rest even where it cannot see the
// target's comments (an unreadable ServiceNow journal, no history).
func TestPartialBaseMarksPostedComments(t *testing.T) {
	w := linked(t, testPolicy(TwoWay, ""))
	w.fdComment(7, "Jane", "first, short")
	w.fdComment(8, "Joe", strings.Repeat("a long stack trace line ", 400))
	w.fdComment(9, "Ann", "third, short")
	p := w.plan()
	if n := len(p.ServiceNow.Comments); n != 5 {
		t.Fatalf("want 5 posts (1 + 3 parts + 1), got %d", n)
	}
	old := w.loadBase()
	// Posts 1..3 landed: the first comment and parts 1-2 of the second.
	w.applySnow(SnowPlan{Comments: p.ServiceNow.Comments[:3]})
	nb := p.PartialBase(old, func(string, Side) bool { return false }, func(s Side) int {
		if s == ServiceNow {
			return 3
		}
		return 0
	})
	b, err := nb.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	w.base = b
	// The retry can read neither the journal nor the comments history:
	// what landed is known from the base alone; the rest waits.
	w.snow.JournalUnreadable = true
	w.advance(time.Minute)
	retry := w.plan()
	if len(retry.ServiceNow.Comments) != 0 || !slices.ContainsFunc(retry.Skipped, func(s Skip) bool { return strings.Contains(s.Reason, "2 flashduty comments held back") }) {
		t.Fatalf("want the 2 comments not wholly posted held back, the first known done: %s", js(retry))
	}
	// With the history readable, exactly the posts that had not landed go.
	w.snow.HistoryRead = true
	for _, c := range w.snow.Journal {
		w.snow.History = c.Value + "\n\n" + w.snow.History
	}
	retry = w.plan()
	var got []string
	for _, c := range retry.ServiceNow.Comments {
		got = append(got, c.Text)
	}
	want := []string{p.ServiceNow.Comments[3].Text, p.ServiceNow.Comments[4].Text}
	if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
		t.Fatalf("the retry posts %d comments, want the 2 that had not landed (part 3/3 and the third):\n%s", len(got), js(got))
	}
}

// Where the journal is unreadable but the comments history is, copies
// already in ServiceNow are recognised there; with neither, the comments
// the base does not mark wait instead of being posted twice.
func TestUnreadableJournalUsesTheHistory(t *testing.T) {
	w := linked(t, testPolicy(TwoWay, ""))
	w.fdComment(7, "Jane", "restarting the consumer")
	w.base = nil // Redis lost: only the target can tell what was copied
	p := w.plan()
	if len(p.ServiceNow.Comments) != 1 {
		t.Fatalf("want the comment planned, got %s", js(p.ServiceNow))
	}
	copyText := p.ServiceNow.Comments[0].Text
	w.snow.JournalUnreadable = true
	w.snow.HistoryRead = true
	w.snow.History = "2026-11-26 09:05:00 - snowduty (Additional comments)\n" + copyText + "\n\n"
	if got := w.plan(); len(got.ServiceNow.Comments) != 0 {
		t.Fatalf("the copy in the history was not recognised: %s", js(got.ServiceNow))
	}
	w.snow.History = ""
	if got := w.plan(); len(got.ServiceNow.Comments) != 1 {
		t.Fatalf("a comment missing from a readable history is not posted: %s", js(got.ServiceNow))
	}
	w.snow.HistoryRead = false
	got := w.plan()
	if len(got.ServiceNow.Comments) != 0 || !hasSkip(got, ServiceNow, KeyComments) {
		t.Fatalf("with nothing readable the comment must wait, with a reason: %s", js(got))
	}
	if !hasSkip(got, Flashduty, KeyComments) {
		t.Fatalf("the plan does not say comments from servicenow are not mirrored: %s", js(got.Skipped))
	}
}
