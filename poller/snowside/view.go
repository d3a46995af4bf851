// Package snowside is the ServiceNow side of a pair: it turns the
// ServiceNow client's records into diff's view and a diff plan into client
// calls, reporting what landed. It is the one place that knows both
// clients/servicenow and diff.
package snowside

import (
	"github.com/snowduty/snowduty/clients/servicenow"
	"github.com/snowduty/snowduty/diff"
)

// View turns a ServiceNow record and the journal entries read for it into
// diff's view.
func View(in *servicenow.Incident, journal []servicenow.JournalEntry) *diff.SnowView {
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
