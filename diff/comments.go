package diff

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"
)

// commentTime is the timestamp shown in attribution prefixes.
const commentTime = "2006-01-02 15:04:05 UTC"

// comments plans the comments to mirror both ways and returns the marks of
// the source comments handled in this pass. Each human comment is mirrored
// once: it is skipped when the base marks it handled, when the other side
// already holds its attributed copy (every part of it, for a comment split
// into parts; the parts missing are posted), or when its author is snowduty.
// When the ServiceNow journal is unreadable, no ServiceNow comment is seen,
// and copies of Flashduty comments are looked for in the incident's journal
// history (SnowView.History); where that could not be read either, the
// Flashduty comments the base does not mark handled wait, rather than risk
// a second copy.
func (c *computer) comments() []CommentMark {
	var marks []CommentMark
	seen := map[CommentMark]bool{}
	blocked := map[Side]int{}
	held := 0

	var fdTexts, snowTexts []string
	if c.fd != nil {
		for _, fc := range c.fd.Comments {
			fdTexts = append(fdTexts, norm(fc.Text))
		}
	}
	unreadable := c.snow != nil && c.snow.JournalUnreadable
	if c.snow != nil {
		for _, e := range c.snow.Journal {
			snowTexts = append(snowTexts, norm(e.Value))
		}
	}
	// Each copy on a target stands for one part only: two comments whose
	// parts read the same (same author, second and text) need two copies.
	fdHas := claim(func(p string) int { return countOf(fdTexts, p) })
	snowHas := claim(func(p string) int { return countOf(snowTexts, p) })
	if unreadable {
		history := norm(c.snow.History)
		snowHas = claim(func(p string) int { return strings.Count(history, p) })
	}
	if unreadable {
		c.skip(Flashduty, KeyComments, "the servicenow journal (sys_journal_field) is unreadable: comments from servicenow are not mirrored; grant the integration user the audit_viewer role or a read ACL on sys_journal_field")
	}

	if c.snow != nil {
		entries := slices.Clone(c.snow.Journal)
		slices.SortFunc(entries, func(a, b SnowJournalEntry) int {
			return cmp.Or(a.CreatedOn.Compare(b.CreatedOn), strings.Compare(a.SysID, b.SysID))
		})
		for _, e := range entries {
			body := norm(e.Value)
			if body == "" || e.CreatedBy == c.p.Origin.ServiceNowUser || !slices.Contains(c.p.Mapping.CommentJournals, e.Element) {
				continue
			}
			mark := CommentMark{Side: ServiceNow, ID: fingerprint("sn:" + e.SysID), At: e.CreatedOn.UnixMilli()}
			if seen[mark] {
				continue
			}
			seen[mark] = true
			kind := "comment"
			if e.Element == JournalWorkNotes {
				kind = "work note"
			}
			header := fmt.Sprintf("[ServiceNow %s by %s, %s", kind, e.CreatedBy, e.CreatedOn.UTC().Format(commentTime))
			parts := split(header, body, FDCommentMax)
			if c.base.handled(ServiceNow, mark.ID, mark.At) {
				claimAll(fdHas, parts) // its copies are its own, not a later comment's
				continue
			}
			switch c.mirror(Flashduty, mark, parts, c.missing(mark, parts, fdHas)) {
			case mirrorBlocked:
				blocked[Flashduty]++
			case mirrorHandled:
				marks = append(marks, mark)
			}
		}
	}

	if c.fd != nil {
		items := slices.Clone(c.fd.Comments)
		slices.SortFunc(items, func(a, b FDComment) int {
			return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
		})
		for _, fc := range items {
			mark, ok := c.fdMark(fc)
			if !ok {
				continue
			}
			body := norm(fc.Text)
			if seen[mark] {
				continue
			}
			seen[mark] = true
			author := fc.CreatorName
			switch {
			case author != "":
			case fc.CreatorID == 0:
				author = "Flashduty"
			default:
				author = "member " + itoa(fc.CreatorID)
			}
			header := fmt.Sprintf("[Flashduty comment by %s, %s", author, fc.CreatedAt.UTC().Format(commentTime))
			parts := split(header, body, c.p.Mapping.ServiceNowCommentMax)
			if c.base.handled(Flashduty, mark.ID, mark.At) {
				claimAll(snowHas, parts)
				continue
			}
			missing := c.missing(mark, parts, snowHas)
			if unreadable && !c.snow.HistoryRead && c.p.Direction.allows(ServiceNow) && len(missing) > 0 {
				held++
				continue
			}
			switch c.mirror(ServiceNow, mark, parts, missing) {
			case mirrorBlocked:
				blocked[ServiceNow]++
			case mirrorHandled:
				marks = append(marks, mark)
			}
		}
	}
	if n := blocked[Flashduty]; n > 0 {
		c.skip(Flashduty, KeyComments, fmt.Sprintf("direction %s does not write to flashduty: %d servicenow comments not mirrored", c.p.Direction, n))
	}
	if n := blocked[ServiceNow]; n > 0 {
		c.skip(ServiceNow, KeyComments, fmt.Sprintf("direction %s does not write to servicenow: %d flashduty comments not mirrored", c.p.Direction, n))
	}
	if held > 0 {
		c.skip(ServiceNow, KeyComments, fmt.Sprintf("neither the servicenow journal nor the incident's comments history is readable: %d flashduty comments held back, since copies posted earlier cannot be seen; they are mirrored once the journal can be read", held))
	}
	return marks
}

// The outcomes of mirror.
const (
	mirrorHandled = iota // every part is on the target, or planned
	mirrorBlocked        // the direction does not write to the target
)

// mirror plans the parts of one source comment that side to lacks
// (missing, from c.missing), and records which of the plan's comments they
// are (for PartialBase).
func (c *computer) mirror(to Side, mark CommentMark, parts []string, missing []int) int {
	switch {
	case len(missing) == 0:
		return mirrorHandled
	case !c.p.Direction.allows(to):
		return mirrorBlocked
	}
	post := commentPost{to: to, mark: mark, total: len(parts)}
	for _, i := range missing {
		post.parts = append(post.parts, i)
		if to == Flashduty {
			c.plan.Flashduty.Comments = append(c.plan.Flashduty.Comments, parts[i])
		} else {
			c.plan.ServiceNow.Comments = append(c.plan.ServiceNow.Comments, SnowComment{Element: c.p.Mapping.CommentTarget, Text: parts[i]})
		}
	}
	c.plan.posts = append(c.plan.posts, post)
	return mirrorHandled
}

// missing returns the indexes of the parts of a mirrored comment that the
// target side does not hold (has reports whether it holds one, and claims
// that copy) and that the base does not mark as posted. Each part carries its own "(i/n)"
// header, so an attempt that stopped after some parts is completed with the
// rest: none is posted twice, none dropped.
func (c *computer) missing(mark CommentMark, parts []string, has func(string) bool) []int {
	var out []int
	for i, p := range parts {
		if has(p) {
			continue
		}
		if len(parts) > 1 {
			if pm := partMark(mark, i); c.base.handled(pm.Side, pm.ID, pm.At) {
				continue
			}
		}
		out = append(out, i)
	}
	return out
}

// claim returns a has function over a target whose copies of a text count
// reports: each copy satisfies one part, the first one asking.
func claim(count func(text string) int) func(part string) bool {
	used := map[string]int{}
	return func(part string) bool {
		p := norm(part)
		if count(p) > used[p] {
			used[p]++
			return true
		}
		return false
	}
}

// claimAll claims the copies of every part of a comment already handled.
func claimAll(has func(string) bool, parts []string) {
	for _, p := range parts {
		has(p)
	}
}

// countOf counts the texts equal to t.
func countOf(texts []string, t string) int {
	n := 0
	for _, x := range texts {
		if x == t {
			n++
		}
	}
	return n
}

// partMark is the mark of part i of a source comment mirrored in parts:
// stored by a partial base when that part landed but not all of them did.
func partMark(m CommentMark, i int) CommentMark {
	return CommentMark{Side: m.Side, ID: fingerprint(fmt.Sprintf("part:%d:%d", m.ID, i)), At: m.At}
}

// FDCommentID is the identity of a Flashduty comment, whose feed entry has
// no id of its own: its creation time in ms, its author and a hash of its
// text (two comments by one person in the same millisecond stay apart).
// The same comment read again has the same id; FDComment.ID holds it.
func FDCommentID(createdAt time.Time, creatorID int64, text string) string {
	h := fnv.New64a()
	h.Write([]byte(text))
	return strconv.FormatInt(createdAt.UnixMilli(), 10) + "/" + strconv.FormatInt(creatorID, 10) + "/" + strconv.FormatUint(h.Sum64(), 36)
}

// fdMark is the mark of a Flashduty comment to mirror; ok is false for an
// empty comment or one snowduty wrote.
func (c *computer) fdMark(fc FDComment) (mark CommentMark, ok bool) {
	body := norm(fc.Text)
	if body == "" || c.ownFD(fc.CreatorID) {
		return CommentMark{}, false
	}
	id := fc.ID
	if id == "" {
		id = fmt.Sprintf("%d/%d/%s", fc.CreatedAt.UnixMilli(), fc.CreatorID, body)
	}
	return CommentMark{Side: Flashduty, ID: fingerprint("fd:" + id), At: fc.CreatedAt.UnixMilli()}, true
}

// ownFD reports whether a Flashduty actor is snowduty itself.
func (c *computer) ownFD(id int64) bool {
	o := c.p.Origin
	return id != 0 && (id == o.FlashdutyMemberID || id == o.FlashdutyAccountID)
}

// split renders body under header (an unterminated "[…" prefix) in chunks of
// at most limit runes: "header]\nbody", or "header (i/n)]\nchunk" when the
// body must be split.
func split(header, body string, limit int) []string {
	one := header + "]\n" + body
	if runes(one) <= limit {
		return []string{one}
	}
	rs := []rune(body)
	n := 2
	for {
		capacity := limit - runes(fmt.Sprintf("%s (%d/%d)]\n", header, n, n))
		if capacity < 1 {
			// A header longer than the limit: cut it, keep the body whole.
			return split(truncate(header, limit/2), body, limit)
		}
		need := (len(rs) + capacity - 1) / capacity
		if need <= n {
			out := make([]string, 0, need)
			for i := 0; i < need; i++ {
				end := min((i+1)*capacity, len(rs))
				out = append(out, fmt.Sprintf("%s (%d/%d)]\n%s", header, i+1, need, string(rs[i*capacity:end])))
			}
			return out
		}
		n = need
	}
}
