package poller

import (
	"context"
	"strings"

	"github.com/snowduty/snowduty/diff"
	"github.com/snowduty/snowduty/state"
)

// landed records which of a plan's write groups succeeded while applying
// it, so that a pair whose writes stopped at a failure stores a partial
// base: the fields already written are not mistaken for conflicting edits
// on the next pass.
type landed struct {
	groups   map[diff.WriteGroup]bool // the writes that succeeded
	fdFields map[string]bool          // of GroupFDField, by field name
	// snowComments and fdComments count the plan's comments posted to each
	// side, in order (a comment split into parts counts each part).
	snowComments, fdComments int
}

func newLanded() *landed {
	return &landed{groups: map[diff.WriteGroup]bool{}, fdFields: map[string]bool{}}
}

// posted reports how many of the plan's comments to side to landed.
func (l *landed) posted(to diff.Side) int {
	if to == diff.ServiceNow {
		return l.snowComments
	}
	return l.fdComments
}

// has reports whether key's write to side to landed.
func (l *landed) has(key string, to diff.Side) bool {
	if g := diff.Group(key, to); g != diff.GroupFDField {
		return l.groups[g]
	}
	name, ok := strings.CutPrefix(key, "fd:")
	return ok && l.fdFields[name]
}

// any reports whether any write landed.
func (l *landed) any() bool {
	return len(l.groups) > 0 || len(l.fdFields) > 0 || l.snowComments > 0 || l.fdComments > 0
}

// partialBase is the base to store for a pair whose writes failed part-way,
// or nil when nothing landed (the old base stays).
func (c *pair) partialBase() *diff.Snapshot {
	if c.landed == nil || !c.landed.any() {
		return nil
	}
	return c.plan.PartialBase(c.base, c.landed.has, c.landed.posted)
}

// storeNow stores an existing pair's snapshot as soon as its writes are
// done (the new base, or the partial base after a failure) instead of
// waiting for the rest of the batch: a process killed meanwhile would
// otherwise leave the old base behind, and the values just written would
// look like a person's edits next pass. record stores the final snapshot
// again (with Flashduty's refreshed update mark); when this store fails,
// record's own attempt reports it.
func (p *Poller) storeNow(ctx context.Context, c *pair) {
	if c.landed == nil || c.id == "" || p.o.DryRun {
		return
	}
	nb := c.plan.NewBase
	if c.failed != nil {
		nb = c.partialBase()
	}
	f, ok := p.currentFence()
	if nb == nil || !ok {
		return
	}
	data, err := nb.MarshalBinary()
	if err != nil {
		return
	}
	res, err := p.st.PutSnapshots(ctx, f, []state.SnapshotWrite{{PairID: c.id, Data: data, IfVersion: c.baseVersion}})
	if err != nil || len(res) != 1 || !res[0].OK {
		return
	}
	c.baseVersion = res[0].Version
	c.storedPartial = c.failed != nil
}
