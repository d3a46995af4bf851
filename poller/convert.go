package poller

import (
	"maps"
	"slices"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/clients/servicenow"
	"github.com/snowduty/snowduty/diff"
)

// snowView turns a ServiceNow record and the journal entries read for it
// into diff's view.
func snowView(in *servicenow.Incident, journal []servicenow.JournalEntry) *diff.SnowView {
	if in == nil {
		return nil
	}
	v := &diff.SnowView{
		SysID:              in.SysID,
		Number:             in.Number,
		ShortDescription:   in.ShortDescription,
		Description:        in.Description,
		State:              in.State,
		HoldReason:         in.HoldReason,
		Urgency:            in.Urgency,
		Impact:             in.Impact,
		CloseCode:          in.CloseCode,
		CloseNotes:         in.CloseNotes,
		CorrelationID:      in.CorrelationID,
		CorrelationDisplay: in.CorrelationDisplay,
		SysModCount:        int64(in.SysModCount),
		SysUpdatedOn:       in.SysUpdatedOn,
		SysUpdatedBy:       in.SysUpdatedBy,
		Columns:            in.Columns,
	}
	for _, e := range journal {
		v.Journal = append(v.Journal, diff.SnowJournalEntry{
			SysID: e.SysID, Element: e.Element, Value: e.Value, CreatedBy: e.CreatedBy, CreatedOn: e.CreatedOn,
		})
	}
	return v
}

// pairSnowView is the pair's ServiceNow side as diff sees it, with what
// the pass learned of its journal.
func pairSnowView(c *pair) *diff.SnowView {
	v := snowView(c.snow, c.journal)
	if v != nil && c.journalUnreadable {
		v.JournalUnreadable, v.History, v.HistoryRead = true, c.history, c.historyRead
	}
	return v
}

// fdView turns a Flashduty incident and the comment items of its feed into
// diff's view. names resolves person ids to names for attribution.
func fdView(in *flashduty.Incident, feed []flashduty.FeedItem, names map[int64]string) *diff.FDView {
	if in == nil {
		return nil
	}
	v := &diff.FDView{
		IncidentID:    in.ID,
		Num:           in.Num,
		Title:         in.Title,
		Description:   in.Description,
		Severity:      diff.Severity(in.Severity),
		Progress:      in.Progress,
		SnoozedBefore: in.SnoozedBefore,
		UpdatedAt:     in.UpdatedAt,
		CloseTime:     in.CloseTime,
		Labels:        in.Labels,
		Fields:        in.Fields,
		ChannelID:     in.ChannelID,
		CloserID:      in.CloserID,
		CloserName:    names[in.CloserID],
		Resolution:    in.Resolution,
	}
	v.History, v.HistoryRead = fdHistory(feed)
	for _, it := range feed {
		if it.Type != flashduty.FeedComment {
			continue
		}
		v.Comments = append(v.Comments, diff.FDComment{
			ID:          diff.FDCommentID(it.CreatedAt, it.CreatorID, it.Comment),
			CreatorID:   it.CreatorID,
			CreatorName: names[it.CreatorID],
			Text:        it.Comment,
			CreatedAt:   it.CreatedAt,
		})
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
