// Package fdside is the Flashduty side of a pair: it turns the Flashduty
// client's records into diff's view and a diff plan into client calls,
// reporting what landed. It is the one place that knows both
// clients/flashduty and diff.
package fdside

import (
	"encoding/json"

	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/diff"
)

// View turns a Flashduty incident and the items of its feed into diff's
// view: its comments, and its field history when the feed reaches back to
// the creation. names resolves person ids to names for attribution.
func View(in *flashduty.Incident, feed []flashduty.FeedItem, names map[int64]string) *diff.FDView {
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
	v.History, v.HistoryRead = History(feed)
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

// HistoryTypes are the timeline entries read, besides comments, for a pair
// with no base: the creation, the edits of title, description and severity,
// and the state changes, so the merge can tell which side changed a
// differing field last.
var HistoryTypes = []string{flashduty.FeedNew, flashduty.FeedTitle, flashduty.FeedDesc, flashduty.FeedSeverity,
	flashduty.FeedAck, flashduty.FeedUnack, flashduty.FeedResolve, flashduty.FeedReopen, flashduty.FeedSnooze, flashduty.FeedWake}

// statusAfter is the status a state entry leaves the incident in ("" when
// it depends: a wake returns to Triggered or Processing).
var statusAfter = map[string]diff.Status{
	flashduty.FeedAck: diff.StatusProcessing, flashduty.FeedUnack: diff.StatusTriggered, flashduty.FeedResolve: diff.StatusClosed,
	flashduty.FeedReopen: diff.StatusTriggered, flashduty.FeedSnooze: diff.StatusSnoozed, flashduty.FeedWake: "",
}

// History extracts diff's field history from feed items (oldest first).
// ok is false unless the items reach back to the creation (i_new): a
// partial timeline cannot prove a field unchanged.
func History(feed []flashduty.FeedItem) (out []diff.FDChange, ok bool) {
	for _, it := range feed {
		base := diff.FDChange{CreatorID: it.CreatorID, At: it.CreatedAt}
		switch it.Type {
		case flashduty.FeedNew:
			var d struct {
				Title    *string `json:"title"`
				Severity *string `json:"severity"`
			}
			_ = json.Unmarshal(it.Detail, &d) // a malformed detail only loses the values
			ok = true
			triggered := string(diff.StatusTriggered)
			for key, v := range map[string]*string{diff.KeyTitle: d.Title, diff.KeySeverity: d.Severity, diff.KeyDescription: nil, diff.KeyStatus: &triggered} {
				c := base
				c.Key, c.Created = key, true
				if v != nil {
					c.To, c.HasTo = *v, true
				}
				out = append(out, c)
			}
		case flashduty.FeedTitle, flashduty.FeedSeverity:
			var d struct {
				From *string `json:"from"`
				To   *string `json:"to"`
			}
			_ = json.Unmarshal(it.Detail, &d)
			c := base
			c.Key = diff.KeyTitle
			if it.Type == flashduty.FeedSeverity {
				c.Key = diff.KeySeverity
			}
			if d.From != nil {
				c.From, c.HasFrom = *d.From, true
			}
			if d.To != nil {
				c.To, c.HasTo = *d.To, true
			}
			out = append(out, c)
		case flashduty.FeedDesc:
			c := base
			c.Key = diff.KeyDescription
			out = append(out, c)
		default:
			if st, ok := statusAfter[it.Type]; ok {
				c := base
				c.Key = diff.KeyStatus
				c.To, c.HasTo = string(st), st != ""
				out = append(out, c)
			}
		}
	}
	return out, ok
}
