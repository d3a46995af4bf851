package diff

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// A comment mirrored in parts whose posting stopped part-way (no base was
// stored for the attempt) is completed on the next attempt: only the parts
// the target lacks are posted, whichever part failed.
func TestCommentPartsAreCompleted(t *testing.T) {
	for _, landed := range [][]int{{0}, {0, 2}, {1}, {}} {
		w := linked(t, testPolicy(TwoWay, ""))
		w.snowComment(JournalComments, "jsmith", strings.Repeat("Stack trace line from the payment worker. ", 55))
		first := w.plan()
		parts := first.Flashduty.Comments
		if len(parts) != 3 {
			t.Fatalf("a %d-character comment went over in %d parts, want 3", 55*42, len(parts))
		}
		for _, i := range landed {
			w.fdComment(testMember, "ServiceNow Sync", parts[i])
		}
		w.advance(time.Minute)
		retry := w.sync()
		var want []string
		for i, p := range parts {
			if !slices.Contains(landed, i) {
				want = append(want, p)
			}
		}
		if strings.Join(retry.Flashduty.Comments, "\x00") != strings.Join(want, "\x00") {
			t.Fatalf("parts %v had landed: the retry posts %d parts, want the %d missing ones in order:\n%s", landed, len(retry.Flashduty.Comments), len(want), js(retry.Flashduty.Comments))
		}
		w.advance(time.Minute)
		if p := w.plan(); p.Writes() != 0 {
			t.Fatalf("parts %v had landed: still writing after the completion: %s", landed, js(p))
		}
		for _, p := range parts {
			n := 0
			for _, c := range w.fd.Comments {
				if c.Text == strings.TrimSpace(p) {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("parts %v had landed: a part is on flashduty %d times, want once", landed, n)
			}
		}
	}
}
