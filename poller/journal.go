package poller

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/snowduty/snowduty/clients/httpx"
	"github.com/snowduty/snowduty/clients/servicenow"
	"github.com/snowduty/snowduty/diff"
	"github.com/snowduty/snowduty/state"
)

// JournalHint is what to do when the integration user cannot read the
// ServiceNow journal.
const JournalHint = "grant the integration user the audit_viewer role, or a read ACL on sys_journal_field (table and rows)"

// Reasons the journal counts as unreadable.
const (
	journalForbidden = "reading sys_journal_field was refused (403)"
	journalHidden    = "sys_journal_field returned no rows for incidents whose comments field shows history (rows hidden by a read ACL)"
)

// journalRefused reports whether a journal read failed because the user may
// not read it, which retrying cannot fix: the sync then goes on without
// ServiceNow's comments instead of stopping.
func journalRefused(err error) bool { return classOf(err) == httpx.Forbidden }

// readJournal reads the journal entries of the batch's pairs (one query per
// 100) created since since (zero: all); record says whether what it finds
// of the journal's readability may be written to the state. When the journal cannot be read (a
// 403, or rows hidden by an ACL), the sync goes on without ServiceNow's
// comments: each pair gets its incident's journal history as its comments
// field shows it, so that Flashduty comments already copied are recognised
// there and only the others are posted.
func (p *Poller) readJournal(ctx context.Context, batch []*pair, since time.Time, record bool) error {
	ids := make([]string, len(batch))
	for i, c := range batch {
		ids[i] = c.snow.SysID
	}
	entries, err := p.sn.Journal(ctx, servicenow.JournalQuery{IncidentIDs: ids, Since: since, Elements: p.o.Policy.Mapping.JournalElements()})
	reason, witness := "", ""
	switch {
	case err != nil && journalRefused(err):
		reason, witness = journalForbidden, ids[0]
	case err != nil:
		return errBatch("read servicenow journal", err)
	}
	byID := map[string][]servicenow.JournalEntry{}
	for _, e := range entries {
		byID[e.ElementID] = append(byID[e.ElementID], e)
	}
	// An empty answer is no proof that the rows are visible: where rows are
	// expected, or were hidden before, the incidents' comments fields tell.
	wasHidden := false
	if j, _ := p.journalState(ctx); j.Reason == journalHidden {
		wasHidden = true
	}
	var history map[string]string
	historyRead := false
	if reason != "" || wasHidden && len(entries) == 0 || len(hiddenSuspects(batch, byID, since.IsZero())) > 0 {
		if history, err = p.sn.JournalHistory(ctx, ids); err != nil && !journalRefused(err) {
			return errBatch("read servicenow journal history", err)
		}
		historyRead = err == nil
	}
	for _, c := range batch {
		if reason == "" && len(byID[c.snow.SysID]) == 0 && history[c.snow.SysID] != "" {
			reason, witness = journalHidden, c.snow.SysID
		}
	}
	if reason == "" && wasHidden && len(entries) == 0 {
		// Nothing shows either way: no proof the rows came back (the probe
		// of the recorded witness tells).
		reason = journalHidden
	}
	p.noteJournal(ctx, reason, witness, record)
	for _, c := range batch {
		c.journal, c.journalRead = byID[c.snow.SysID], true
		if reason != "" {
			// An unreadable journal was still "read": trying again in this
			// pass would be refused the same way.
			c.journal, c.journalUnreadable = nil, true
			c.history, c.historyRead = history[c.snow.SysID], historyRead
		}
	}
	return nil
}

// hiddenSuspects returns the pairs whose journal read in full came back
// empty although they should show entries, or may: a pair with no base (its
// copies of Flashduty comments cannot be checked otherwise), or one whose
// base has Flashduty comments mirrored to ServiceNow (journal entries
// there).
func hiddenSuspects(batch []*pair, byID map[string][]servicenow.JournalEntry, full bool) []*pair {
	if !full {
		return nil
	}
	var out []*pair
	for _, c := range batch {
		if len(byID[c.snow.SysID]) == 0 && (c.base == nil || mirroredToSnow(c.base)) {
			out = append(out, c)
		}
	}
	return out
}

// mirroredToSnow reports whether the base marks Flashduty comments handled.
func mirroredToSnow(b *diff.Snapshot) bool {
	return b.FDCommentHighWater > 0 || slices.ContainsFunc(b.Comments, func(m diff.CommentMark) bool { return m.Side == diff.Flashduty })
}

// noteJournal records whether this read of the journal worked: the metric,
// one ERROR line per pass while it does not (the first time a pass finds
// it so), and (with record) the state `snowduty status` shows, written when
// it changes.
// When the journal is readable again, a resync sweep starts: comments made
// in ServiceNow meanwhile were never seen, and the sweep reads every
// active pair's journal in full.
func (p *Poller) noteJournal(ctx context.Context, reason, witness string, record bool) {
	unreadable := reason != ""
	if unreadable {
		p.metrics.journalReadable.Set(0)
		if !p.journalLogged.Swap(true) {
			p.log.Error("servicenow journal unreadable: comments from servicenow are not mirrored; fields and comments to servicenow still sync",
				slog.String(keyReason, reason), slog.String(keyHint, JournalHint))
		}
	} else {
		p.metrics.journalReadable.Set(1)
	}
	prev, known := p.journalState(ctx)
	if known && prev.Unreadable() == unreadable && prev.Reason == reason && (witness == "" || witness == prev.Witness) {
		return
	}
	next := state.JournalAccess{}
	if unreadable {
		next = state.JournalAccess{Since: p.now(), Reason: reason, Witness: witness}
		if prev.Unreadable() {
			next.Since = prev.Since
		}
		if next.Witness == "" {
			next.Witness = prev.Witness
		}
	}
	if !record || p.o.DryRun {
		return
	}
	p.mu.Lock()
	p.journal, p.journalKnown = next, true
	p.mu.Unlock()
	f, ok := p.currentFence()
	if !ok {
		return
	}
	if prev.Unreadable() && !unreadable {
		sw := state.Sweep{Started: p.now(), Running: true}
		if err := p.st.SetSweep(ctx, f, sw); err != nil {
			p.log.Warn("start resync sweep after the journal came back", errAttr(err))
			p.mu.Lock()
			p.journalKnown = false // the record still says unreadable: try again next time
			p.mu.Unlock()
			return
		}
		p.log.Info("servicenow journal readable again: a resync sweep re-reads every pair's comments",
			slog.Time(keyStarted, prev.Since), slog.Int(keySlice, p.sweepSize()))
	}
	if err := p.st.SetJournalAccess(ctx, f, next); err != nil {
		p.log.Warn("record journal access", errAttr(err))
		p.mu.Lock()
		p.journalKnown = false // try again next time
		p.mu.Unlock()
	}
}

// journalState returns what is known of the journal's readability: this
// process's last finding, or else what the state recorded (a restart while
// the journal was unreadable must still notice it coming back).
func (p *Poller) journalState(ctx context.Context) (state.JournalAccess, bool) {
	p.mu.Lock()
	j, known := p.journal, p.journalKnown
	p.mu.Unlock()
	if known {
		return j, true
	}
	rec, err := p.st.JournalAccess(ctx)
	if err != nil {
		p.log.Debug("read journal access", errAttr(err))
		return state.JournalAccess{}, false
	}
	return rec, rec.Unreadable() // a readable record may be stale: write it
}

// probeJournal re-reads, while the journal is known to be unreadable, the
// journal of the incident that showed it (one call): the pass then tells
// whether it is readable again (which starts the sweep that catches up)
// even when no pair of the pass needs the journal, and logs once a pass
// while it is not.
func (p *Poller) probeJournal(ctx context.Context) {
	j, known := p.journalState(ctx)
	if !known || !j.Unreadable() || j.Witness == "" || len(p.o.Policy.Mapping.JournalElements()) == 0 {
		return
	}
	entries, err := p.sn.Journal(ctx, servicenow.JournalQuery{IncidentIDs: []string{j.Witness}, Elements: p.o.Policy.Mapping.JournalElements()})
	switch {
	case err != nil && journalRefused(err):
		p.noteJournal(ctx, journalForbidden, "", true)
	case err != nil:
		p.log.Debug("probe servicenow journal", errAttr(err))
	case len(entries) == 0 && j.Reason == journalHidden:
		p.noteJournal(ctx, journalHidden, "", true)
	default:
		p.noteJournal(ctx, "", "", true)
	}
}
