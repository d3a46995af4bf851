package poller

import (
	"context"

	"github.com/snowduty/snowduty/diff"
	"github.com/snowduty/snowduty/poller/fdside"
)

// feedPending reads the feeds of pairs the feed budget picked although
// their Flashduty values did not move (one /incident/feed call each, the
// query reconcile would make, the feed checks recorded) and returns the
// pairs to reconcile: those whose feed holds a comment the base does not
// count as handled and snowduty did not write (diff.Snapshot.PendingFD).
// The others cost nothing more: in particular no ServiceNow read. Returned
// pairs keep the feed read, so reconcile does not read it again. A pair
// whose feed could not be read is returned with its failure, which
// reconcile records (queued for retry) as it would have had it read the
// feed itself.
func (p *Poller) feedPending(ctx context.Context, check []*pair, pol diff.Policy) ([]*pair, error) {
	if len(check) == 0 {
		return nil, nil
	}
	// The pairs carry no ServiceNow record yet, so readComments reads
	// their feeds only; with feedDue set it reads every one of them.
	if err := p.readComments(ctx, check, nil, p.mode()); err != nil {
		return nil, err
	}
	var out []*pair
	for _, c := range check {
		switch {
		case c.failed != nil:
			// The pair fails with this error whatever reconcile reads
			// next: do not call the feed a second time.
			c.feedRead = true
			out = append(out, c)
		case !c.feedRead:
			out = append(out, c) // not read: let reconcile decide, as before
		case c.base.PendingFD(fdside.View(c.fd, c.feed, nil).Comments, pol):
			out = append(out, c)
		}
	}
	return out, nil
}
