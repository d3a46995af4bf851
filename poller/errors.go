package poller

import (
	"fmt"
	"sort"
	"strings"

	"github.com/snowduty/snowduty/clients/httpx"
)

// PairFailure is one pair that did not sync in a pass.
type PairFailure struct {
	Pair  string      `json:"pair"`
	Side  string      `json:"side"`
	Class httpx.Class `json:"class"`
	Err   string      `json:"error"`
}

// PassError reports a pass that ran to the end but left some pairs unsynced
// (they are in the retry queue). Any other error from a pass means the pass
// itself could not run (a read failed, Redis is down).
type PassError struct {
	Failures []PairFailure
}

// Error lists the failed pairs.
func (e *PassError) Error() string {
	fs := append([]PairFailure(nil), e.Failures...)
	sort.Slice(fs, func(i, j int) bool { return fs[i].Pair < fs[j].Pair })
	var b strings.Builder
	fmt.Fprintf(&b, "sync pairs: %d failed", len(fs))
	for i, f := range fs {
		if i == 5 {
			fmt.Fprintf(&b, "; and %d more", len(fs)-5)
			break
		}
		fmt.Fprintf(&b, "; %s (%s, %s): %s", f.Pair, f.Side, f.Class, f.Err)
	}
	return b.String()
}
