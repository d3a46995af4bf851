package diff

import (
	"slices"
	"strings"
)

// Pushed reports the side each field's value was planned to be written to
// (title, description, severity, status and custom field keys), for
// PartialBase.
func (p Plan) Pushed() map[string]Side {
	out := make(map[string]Side, len(p.pushes))
	for k, s := range p.pushes {
		out[k] = s
	}
	return out
}

// PartialBase is the base to store when applying the plan stopped at a
// failure: fields whose write landed (landed(key, side) is true) take the
// new base, fields whose write did not land keep the old one (or have none,
// when old is nil), so the next pass pushes them again instead of seeing
// both sides changed and resolving a conflict. posted(side) is how many of
// the plan's comments to side landed, in order: the comments wholly posted
// are marked handled, and of a comment split into parts, the parts posted
// are, so the next attempt posts only the rest even where it cannot read
// the target's comments (an unreadable ServiceNow journal). The other
// comment marks and the update marks stay the old ones: the next pass reads
// both sides' comments again and finds anything else already mirrored by
// its attributed copy. It returns nil when the plan has no new base.
func (p Plan) PartialBase(old *Snapshot, landed func(key string, to Side) bool, posted func(to Side) int) *Snapshot {
	if p.NewBase == nil {
		return nil
	}
	nb := *p.NewBase
	nb.Fields = slices.Clone(nb.Fields)
	if old == nil {
		old = &Snapshot{} // no urgency nor state to read against: a retry sees them changed
	}
	for _, key := range sortedKeys(p.pushes) {
		to := p.pushes[key]
		if landed(key, to) {
			continue
		}
		nb.Fields = slices.DeleteFunc(nb.Fields, func(f FieldBase) bool { return f.Key == key })
		b, ok := old.field(key)
		if loser, lost := p.losers[key]; lost {
			// A conflict whose winner did not land: the loser's side takes
			// the loser's value, so the retry sees the winner alone
			// changed and pushes it again, whatever the update times say
			// by then (our own writes to the other fields move them).
			b, ok = FieldBase{Key: key, ServiceNow: b.ServiceNow, Flashduty: b.Flashduty}, true
			if to == ServiceNow {
				b.ServiceNow = loser
			} else {
				b.Flashduty = loser
			}
		}
		if ok {
			i, _ := slices.BinarySearchFunc(nb.Fields, key, func(f FieldBase, k string) int { return strings.Compare(f.Key, k) })
			nb.Fields = slices.Insert(nb.Fields, i, b)
		}
		// The ServiceNow marks severity and status are read against stay
		// the old ones, whichever way the write went: a retry must still
		// see ServiceNow's change.
		switch key {
		case KeySeverity:
			nb.Urgency = old.Urgency
		case KeyStatus:
			nb.SnowState = old.SnowState
		}
	}
	nb.SnowModCount, nb.SnowUpdatedOn, nb.FDUpdatedAt = old.SnowModCount, old.SnowUpdatedOn, old.FDUpdatedAt
	nb.Comments = slices.Clone(old.Comments)
	nb.SnowCommentHighWater, nb.FDCommentHighWater = old.SnowCommentHighWater, old.FDCommentHighWater
	if marks := p.postedMarks(posted); len(marks) > 0 {
		// No eviction here: a high water moved up could cover a comment
		// not handled yet. The next full base applies the usual limit.
		nb.addComments(marks, len(nb.Comments)+len(marks))
	}
	return &nb
}

// postedMarks returns the marks of the comments (or, of a comment split
// into parts, the parts) whose posts landed: the first posted(side) of the
// plan's comments to each side.
func (p Plan) postedMarks(posted func(to Side) int) []CommentMark {
	left := map[Side]int{ServiceNow: posted(ServiceNow), Flashduty: posted(Flashduty)}
	var out []CommentMark
	for _, cp := range p.posts {
		n := min(left[cp.to], len(cp.parts))
		left[cp.to] -= n
		if n == 0 {
			continue
		}
		if n == len(cp.parts) {
			out = append(out, cp.mark) // every part is on the target now
			continue
		}
		for _, i := range cp.parts[:n] {
			out = append(out, partMark(cp.mark, i))
		}
	}
	return out
}
