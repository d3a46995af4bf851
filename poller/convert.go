package poller

import (
	"maps"
	"slices"

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

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
