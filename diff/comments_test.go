package diff

import (
	"strings"
	"testing"
	"time"
)

func TestComments(t *testing.T) {
	t.Run("servicenow comment mirrored once with attribution", func(t *testing.T) {
		w := linked(t, testPolicy(TwoWay, ""))
		w.snowComment(JournalComments, "jsmith", "Caller says it is slow.")
		p := w.sync()
		want := "[ServiceNow comment by jsmith, 2026-11-26 09:02:00 UTC]\nCaller says it is slow."
		if len(p.Flashduty.Comments) != 1 || p.Flashduty.Comments[0] != want {
			t.Fatalf("want %q, got %s", want, js(p))
		}
		if again := w.plan(); again.Writes() != 0 {
			t.Fatalf("comment mirrored twice: %s", js(again))
		}
	})
	t.Run("own comments are never mirrored back", func(t *testing.T) {
		w := linked(t, testPolicy(TwoWay, ""))
		w.snowComment(JournalComments, testSnowUser, "written by snowduty")
		w.fdComment(testMember, "ServiceNow Sync", "written by snowduty too")
		if p := w.plan(); p.Writes() != 0 {
			t.Fatalf("echo: %s", js(p))
		}
	})
	t.Run("account principal comments are own when configured", func(t *testing.T) {
		p := testPolicy(TwoWay, "")
		p.Origin.FlashdutyAccountID = 42
		w := linked(t, p)
		w.fdComment(42, "Owner", "by the key owner")
		if p := w.plan(); p.Writes() != 0 {
			t.Fatalf("echo: %s", js(p))
		}
	})
	t.Run("flashduty comment to the configured journal", func(t *testing.T) {
		p := testPolicy(TwoWay, "")
		p.Mapping.CommentTarget = JournalWorkNotes
		w := linked(t, p)
		w.fdComment(7, "Jane Doe", "Rolling back.")
		w.fdComment(0, "", "Alert storm detected.")
		got := w.sync().ServiceNow.Comments
		if len(got) != 2 || got[0].Element != JournalWorkNotes ||
			!strings.HasPrefix(got[0].Text, "[Flashduty comment by Jane Doe, ") || !strings.HasSuffix(got[0].Text, "]\nRolling back.") ||
			!strings.HasPrefix(got[1].Text, "[Flashduty comment by Flashduty, ") {
			t.Fatalf("got %s", js(got))
		}
	})
	t.Run("work notes only when configured", func(t *testing.T) {
		w := linked(t, testPolicy(TwoWay, ""))
		w.snowComment(JournalWorkNotes, "jsmith", "internal")
		if p := w.plan(); p.Writes() != 0 {
			t.Fatalf("work note mirrored by default: %s", js(p))
		}
		w.policy.Mapping.CommentJournals = []string{JournalComments, JournalWorkNotes}
		p := w.plan()
		if len(p.Flashduty.Comments) != 1 || !strings.HasPrefix(p.Flashduty.Comments[0], "[ServiceNow work note by jsmith") {
			t.Fatalf("got %s", js(p))
		}
	})
	t.Run("long comments are split to the limit", func(t *testing.T) {
		w := linked(t, testPolicy(TwoWay, ""))
		body := strings.Repeat("0123456789", 250)
		w.snowComment(JournalComments, "jsmith", body)
		p := w.sync()
		if len(p.Flashduty.Comments) != 3 {
			t.Fatalf("want 3 parts, got %d", len(p.Flashduty.Comments))
		}
		var joined string
		for i, c := range p.Flashduty.Comments {
			if runes(c) > FDCommentMax {
				t.Fatalf("part %d has %d runes", i, runes(c))
			}
			head, rest, _ := strings.Cut(c, "\n")
			if !strings.HasSuffix(head, " ("+itoa(int64(i+1))+"/3)]") {
				t.Fatalf("part %d header %q", i, head)
			}
			joined += rest
		}
		if joined != body {
			t.Fatal("parts do not add up to the comment")
		}
	})
	t.Run("already mirrored copy is matched after state loss", func(t *testing.T) {
		w := linked(t, testPolicy(TwoWay, ""))
		w.snowComment(JournalComments, "jsmith", "first")
		w.advance(time.Second)
		w.fdComment(7, "Jane Doe", "second")
		w.sync()
		w.base = nil
		p := w.plan()
		if len(p.Flashduty.Comments)+len(p.ServiceNow.Comments) != 0 {
			t.Fatalf("comments posted twice after state loss: %s", js(p))
		}
		if len(p.NewBase.Comments) != 2 {
			t.Fatalf("matched comments are not recorded: %s", js(p.NewBase))
		}
	})
	t.Run("blocked comments are reported and kept", func(t *testing.T) {
		w := linked(t, testPolicy(ToServiceNow, ""))
		w.snowComment(JournalComments, "jsmith", "stays in servicenow")
		p := w.sync()
		if p.Writes() != 0 || !hasSkip(p, Flashduty, KeyComments) {
			t.Fatalf("want a skip, got %s", js(p))
		}
		w.policy.Direction = TwoWay
		if p := w.plan(); len(p.Flashduty.Comments) != 1 {
			t.Fatalf("a blocked comment was marked handled: %s", js(p))
		}
	})
	t.Run("blank and duplicate rows are ignored", func(t *testing.T) {
		w := linked(t, testPolicy(TwoWay, ""))
		w.snowComment(JournalComments, "jsmith", "  \n ")
		w.snowComment(JournalComments, "jsmith", "once")
		w.snow.Journal = append(w.snow.Journal, w.snow.Journal[len(w.snow.Journal)-1])
		w.fd.Comments = append(w.fd.Comments, FDComment{CreatorID: 7, Text: "no id", CreatedAt: w.now})
		p := w.plan()
		if len(p.Flashduty.Comments) != 1 || len(p.ServiceNow.Comments) != 1 || !strings.Contains(p.ServiceNow.Comments[0].Text, "by member 7") {
			t.Fatalf("got %s", js(p))
		}
	})
	t.Run("ledger is bounded with a high-water time", func(t *testing.T) {
		w := linked(t, testPolicy(TwoWay, ""))
		w.policy.Mapping.MirroredComments = 5
		for i := range 12 {
			w.advance(time.Second)
			w.snowComment(JournalComments, "jsmith", "storm "+itoa(int64(i)))
		}
		p := w.sync()
		if len(p.Flashduty.Comments) != 12 {
			t.Fatalf("want 12 comments, got %d", len(p.Flashduty.Comments))
		}
		if len(p.NewBase.Comments) != 5 || p.NewBase.SnowCommentHighWater == 0 {
			t.Fatalf("ledger not bounded: %s", js(p.NewBase))
		}
		// Without the copies in view (the feed page did not include them),
		// only the ledger and its high-water time prevent a re-post.
		s, f := w.views()
		f.Comments = nil
		pol := w.policy
		pol.Now = w.now
		if again := Compute(w.loadBase(), s, f, pol); again.Writes() != 0 {
			t.Fatalf("evicted comments mirrored again: %s", js(again))
		}
	})
}

func TestSplit(t *testing.T) {
	if got := split("[h", "abc", 100); len(got) != 1 || got[0] != "[h]\nabc" {
		t.Fatalf("got %q", got)
	}
	long := strings.Repeat("é", 95)
	got := split("[header", long, 30)
	var joined string
	for _, c := range got {
		if runes(c) > 30 {
			t.Fatalf("chunk %q is %d runes", c, runes(c))
		}
		_, rest, _ := strings.Cut(c, "\n")
		joined += rest
	}
	if joined != long {
		t.Fatalf("chunks lose text: %q", got)
	}
	// A header longer than the limit is cut rather than looping forever.
	for _, c := range split("["+strings.Repeat("h", 50), "body text", 40) {
		if runes(c) > 40 {
			t.Fatalf("chunk %q over the limit", c)
		}
	}
}

// A Flashduty comment read twice has the same identity, and two comments
// by one person in the same millisecond do not.
func TestFDCommentID(t *testing.T) {
	at := time.Date(2026, 11, 26, 9, 0, 0, 123e6, time.UTC)
	a, b := FDCommentID(at, 7, "first"), FDCommentID(at, 7, "second")
	if a != FDCommentID(at, 7, "first") || a == b || a == FDCommentID(at, 8, "first") || a == FDCommentID(at.Add(time.Millisecond), 7, "first") {
		t.Fatalf("ids %q %q are not stable and distinct", a, b)
	}
	if !strings.HasPrefix(a, "1795683600123/7/") {
		t.Fatalf("id %q does not start with the time in ms and the author", a)
	}
}
