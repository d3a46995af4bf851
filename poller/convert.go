package poller

import (
	"maps"
	"slices"
	"time"

	"github.com/snowduty/snowduty/diff"
	"github.com/snowduty/snowduty/poller/snowside"
)

// pairSnowView is the pair's ServiceNow side as diff sees it, with what
// the pass learned of its journal.
func pairSnowView(c *pair) *diff.SnowView {
	v := snowside.View(c.snow, c.journal)
	if v != nil && c.journalUnreadable {
		v.JournalUnreadable, v.History, v.HistoryRead = true, c.history, c.historyRead
	}
	return v
}

// snowClosed reports whether a ServiceNow state is Resolved, Closed or
// Canceled.
func snowClosed(state string) bool { return state == "6" || state == "7" || state == "8" }

// unix converts seconds to a time, zero for 0.
func unix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
