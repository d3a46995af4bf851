package poller

import (
	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/clients/servicenow"
	"github.com/snowduty/snowduty/diff"
	"github.com/snowduty/snowduty/state"
)

// pair is one candidate of a pass: a linked pair, or an incident that may
// become one. A source fills in what it read; reconcile fills in the rest.
type pair struct {
	id   string      // state pair id; "" until known
	link *state.Link // nil while unlinked

	snow *servicenow.Incident
	fd   *flashduty.Incident

	base        *diff.Snapshot
	baseVersion int64
	baseLoaded  bool

	journal     []servicenow.JournalEntry
	journalRead bool
	// journalUnreadable: the journal read was refused (see readJournal);
	// history is then the incident's journal as its comments field shows
	// it (historyRead when that could be read).
	journalUnreadable bool
	history           string
	historyRead       bool
	feed              []flashduty.FeedItem
	feedRead          bool

	// readAll asks for both sides' comments regardless of change marks
	// (retries, resync, adoption), so that nothing is mirrored twice.
	readAll bool
	// feedDue asks for the Flashduty feed (the feed budget picked the pair).
	feedDue bool
	// forced syncs the pair whatever the trigger says (`snowduty sync`).
	forced bool
	// retrying is set for pairs taken from the retry queue; retryIDs are
	// the queue entries they came from (an unlinked pair's entry may name
	// it differently from the link it ends up with).
	retrying bool
	retryIDs []string

	plan   diff.Plan
	failed *PairFailure
	// landed tracks the writes applied to an existing pair (nil before).
	landed *landed
	// storedPartial: storeNow already stored the partial base of a pair
	// that failed part-way.
	storedPartial bool
}

// sysID returns the ServiceNow sys_id of the pair, if known.
func (p *pair) sysID() string {
	switch {
	case p.link != nil:
		return p.link.SysID
	case p.snow != nil:
		return p.snow.SysID
	}
	return ""
}

// incidentID returns the Flashduty incident id of the pair, if known.
func (p *pair) incidentID() string {
	switch {
	case p.link != nil:
		return p.link.IncidentID
	case p.fd != nil:
		return p.fd.ID
	}
	return ""
}

// key names the pair in logs and failures.
func (p *pair) key() string {
	switch {
	case p.id != "":
		return p.id
	case p.snow != nil:
		return state.PairIDForSysID(p.snow.SysID)
	case p.fd != nil:
		return state.PairIDForIncident(p.fd.ID)
	}
	return "?"
}

// fail records the pair's first failure.
func (p *pair) fail(side string, err error) {
	if p.failed != nil {
		return
	}
	p.failed = &PairFailure{Pair: p.key(), Side: side, Class: classOf(err), Err: err.Error()}
}

// mergePairs folds candidates that name the same incidents into one, so no
// pair is worked on twice in a batch.
func mergePairs(in []*pair) []*pair {
	bySN := map[string]*pair{}
	byFD := map[string]*pair{}
	var out []*pair
	for _, c := range in {
		var into *pair
		if id := c.sysID(); id != "" && bySN[id] != nil {
			into = bySN[id]
		} else if id := c.incidentID(); id != "" && byFD[id] != nil {
			into = byFD[id]
		}
		if into == nil {
			out = append(out, c)
			into = c
		} else {
			if into.snow == nil {
				into.snow = c.snow
			}
			if into.fd == nil {
				into.fd = c.fd
			}
			if into.link == nil {
				into.link = c.link
			}
			into.readAll = into.readAll || c.readAll
			into.retrying = into.retrying || c.retrying
			into.retryIDs = append(into.retryIDs, c.retryIDs...)
			into.feedDue = into.feedDue || c.feedDue
		}
		if id := into.sysID(); id != "" {
			bySN[id] = into
		}
		if id := into.incidentID(); id != "" {
			byFD[id] = into
		}
	}
	return out
}

// staleRetries returns the retry entries the pair came from that are not
// named by its current key.
func (p *pair) staleRetries() []string {
	var out []string
	for _, id := range p.retryIDs {
		if id != p.key() {
			out = append(out, id)
		}
	}
	return out
}

// names returns every pair id the candidate may be queued under: its key,
// and the ids of its incidents before they were linked.
func (p *pair) names() []string {
	out := []string{p.key()}
	if p.snow != nil {
		out = append(out, state.PairIDForSysID(p.snow.SysID))
	}
	if p.fd != nil {
		out = append(out, state.PairIDForIncident(p.fd.ID))
	}
	return out
}
