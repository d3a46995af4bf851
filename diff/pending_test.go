package diff

import (
	"strings"
	"testing"
	"time"
)

// pendingNow asks the stored base about the Flashduty comments a poller
// would read now.
func (w *world) pendingNow() bool {
	_, f := w.views()
	p := w.policy
	p.Now = w.now
	return w.loadBase().PendingFD(f.Comments, p)
}

// fdMarksAdded reports whether the plan's new base counts a Flashduty
// comment the stored base did not.
func fdMarksAdded(w *world, p Plan) bool {
	if p.NewBase == nil {
		return false
	}
	old := map[uint64]bool{}
	if b := w.loadBase(); b != nil {
		for _, m := range b.Comments {
			old[m.ID] = true
		}
	}
	for _, m := range p.NewBase.Comments {
		if m.Side == Flashduty && !old[m.ID] {
			return true
		}
	}
	return false
}

func TestPendingFD(t *testing.T) {
	t.Run("settled pair has nothing pending", func(t *testing.T) {
		w := linked(t, testPolicy(TwoWay, ""))
		if w.pendingNow() {
			t.Fatal("pending without any comment")
		}
	})
	t.Run("human comment pending until mirrored", func(t *testing.T) {
		w := linked(t, testPolicy(TwoWay, ""))
		w.fdComment(7, "Jane Doe", "Rolling back.")
		if !w.pendingNow() {
			t.Fatal("a new human comment is not pending")
		}
		p := w.sync()
		if len(p.ServiceNow.Comments) != 1 || !strings.HasSuffix(p.ServiceNow.Comments[0].Text, "Rolling back.") {
			t.Fatalf("Compute disagrees: %s", js(p))
		}
		w.advance(time.Minute)
		if w.pendingNow() {
			t.Fatal("still pending after it was mirrored")
		}
		if p := w.plan(); p.Writes() != 0 || fdMarksAdded(w, p) {
			t.Fatalf("Compute still acts on it: %s", js(p))
		}
	})
	t.Run("comment without id uses Compute's fallback id", func(t *testing.T) {
		w := linked(t, testPolicy(TwoWay, ""))
		w.fdComment(7, "Jane Doe", "No id here.")
		w.fd.Comments[len(w.fd.Comments)-1].ID = ""
		if !w.pendingNow() {
			t.Fatal("not pending")
		}
		w.sync()
		if w.pendingNow() {
			t.Fatal("the fallback id does not match Compute's mark")
		}
	})
	t.Run("own and empty comments are not pending", func(t *testing.T) {
		p := testPolicy(TwoWay, "")
		p.Origin.FlashdutyAccountID = 42
		w := linked(t, p)
		w.fdComment(testMember, "ServiceNow Sync", "written by snowduty")
		w.fdComment(42, "Owner", "by the key owner")
		w.fdComment(7, "Jane Doe", "   ")
		if w.pendingNow() {
			t.Fatal("own or empty comment pending")
		}
		if pl := w.plan(); pl.Writes() != 0 || fdMarksAdded(w, pl) {
			t.Fatalf("Compute acts on them: %s", js(pl))
		}
		// A system comment (creator 0) is a human-side comment.
		w.fdComment(0, "", "Alert storm detected.")
		if !w.pendingNow() {
			t.Fatal("system comment not pending")
		}
	})
	t.Run("copy already in servicenow is pending, to be marked", func(t *testing.T) {
		w := linked(t, testPolicy(TwoWay, ""))
		w.fdComment(7, "Jane Doe", "Mirrored before the marks were lost.")
		w.sync()
		lost := w.loadBase()
		lost.Comments, lost.FDCommentHighWater = nil, 0
		b, err := lost.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		w.base = b
		if !w.pendingNow() {
			t.Fatal("unmarked comment not pending")
		}
		p := w.plan()
		if p.Writes() != 0 || !fdMarksAdded(w, p) {
			t.Fatalf("want the copy found and marked, got %s", js(p))
		}
	})
	t.Run("high water counts older comments handled", func(t *testing.T) {
		at := t0.Add(time.Hour)
		c := []FDComment{{ID: "x", CreatorID: 7, Text: "old", CreatedAt: at}}
		p := testPolicy(TwoWay, "")
		if !(&Snapshot{FDCommentHighWater: at.UnixMilli() - 1}).PendingFD(c, p) {
			t.Fatal("comment after the high water not pending")
		}
		if (&Snapshot{FDCommentHighWater: at.UnixMilli()}).PendingFD(c, p) {
			t.Fatal("comment at the high water pending")
		}
		// The other side's high water does not count.
		if !(&Snapshot{SnowCommentHighWater: at.UnixMilli()}).PendingFD(c, p) {
			t.Fatal("servicenow high water hid a flashduty comment")
		}
	})
	t.Run("nil base has handled nothing", func(t *testing.T) {
		var s *Snapshot
		c := []FDComment{{ID: "x", CreatorID: 7, Text: "hello", CreatedAt: t0}}
		if !s.PendingFD(c, testPolicy(TwoWay, "")) {
			t.Fatal("not pending against a nil base")
		}
		if s.PendingFD(nil, testPolicy(TwoWay, "")) {
			t.Fatal("pending without comments")
		}
	})
	t.Run("direction not writing to servicenow", func(t *testing.T) {
		w := linked(t, testPolicy(FromServiceNow, ""))
		w.fdComment(7, "Jane Doe", "Nobody will read this in servicenow.")
		if w.pendingNow() {
			t.Fatal("pending although the direction blocks it")
		}
		if p := w.plan(); p.Writes() != 0 || fdMarksAdded(w, p) || !hasSkip(p, ServiceNow, KeyComments) {
			t.Fatalf("Compute acts on it: %s", js(p))
		}
		w.policy.Direction = ToServiceNow
		if !w.pendingNow() {
			t.Fatal("not pending once the direction allows it")
		}
	})
}
