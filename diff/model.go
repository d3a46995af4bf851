package diff

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Status is the canonical progress of an incident.
type Status string

// The canonical statuses. Snoozed is Flashduty's snoozed_before > now (not a
// progress value there) and ServiceNow's On Hold.
const (
	StatusTriggered  Status = "Triggered"
	StatusProcessing Status = "Processing"
	StatusSnoozed    Status = "Snoozed"
	StatusClosed     Status = "Closed"
)

// Statuses lists every canonical status in a fixed order.
var Statuses = []Status{StatusTriggered, StatusProcessing, StatusSnoozed, StatusClosed}

func (s Status) valid() bool {
	switch s {
	case StatusTriggered, StatusProcessing, StatusSnoozed, StatusClosed:
		return true
	}
	return false
}

// Severity is the canonical (and Flashduty) severity.
type Severity string

// The severities Flashduty accepts on writes.
const (
	SeverityInfo     Severity = "Info"
	SeverityWarning  Severity = "Warning"
	SeverityCritical Severity = "Critical"
)

// Severities lists every writable severity in a fixed order.
var Severities = []Severity{SeverityCritical, SeverityWarning, SeverityInfo}

func (s Severity) valid() bool {
	switch s {
	case SeverityInfo, SeverityWarning, SeverityCritical:
		return true
	}
	return false
}

// Side names one of the two systems.
type Side string

// The two sides of a link.
const (
	ServiceNow Side = "servicenow"
	Flashduty  Side = "flashduty"
)

// SnowTimeLayout is the layout of ServiceNow date-time values read with
// sysparm_display_value=false (always UTC, second precision).
const SnowTimeLayout = "2006-01-02 15:04:05"

// ParseSnowTime parses a ServiceNow UTC date-time value such as
// "2026-11-26 17:20:05". An empty string gives the zero time.
func ParseSnowTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation(SnowTimeLayout, s, time.UTC)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse servicenow time %q: want yyyy-MM-dd HH:mm:ss UTC: %w", s, err)
	}
	return t, nil
}

// SnowView is what diff needs from one ServiceNow incident: the raw string
// values of the record (sysparm_display_value=false), its update marks and the
// journal entries the poller read in this pass (possibly only the recent ones).
type SnowView struct {
	SysID              string `json:"sys_id"`
	Number             string `json:"number"`
	ShortDescription   string `json:"short_description"`
	Description        string `json:"description"`
	State              string `json:"state"`
	HoldReason         string `json:"hold_reason"`
	Urgency            string `json:"urgency"`
	Impact             string `json:"impact"`
	CloseCode          string `json:"close_code"`
	CloseNotes         string `json:"close_notes"`
	CorrelationID      string `json:"correlation_id"`
	CorrelationDisplay string `json:"correlation_display"`
	// SysModCount is sys_mod_count (0 after insert, +1 per update).
	SysModCount int64 `json:"sys_mod_count"`
	// SysUpdatedOn is sys_updated_on (UTC, second precision).
	SysUpdatedOn time.Time `json:"sys_updated_on"`
	// SysUpdatedBy is the user_name of the last writer.
	SysUpdatedBy string `json:"sys_updated_by"`
	// Columns holds other columns by name (at least those named in the
	// custom field maps).
	Columns map[string]string `json:"columns,omitempty"`
	// Journal holds the journal entries read in this pass, any order.
	Journal []SnowJournalEntry `json:"journal,omitempty"`
	// JournalUnreadable reports that the journal could not be read (the
	// integration user may not read sys_journal_field): no ServiceNow
	// comment is seen, and earlier copies of Flashduty comments are looked
	// for in History instead; without it (HistoryRead false), Flashduty
	// comments the base does not mark handled wait (see Compute).
	JournalUnreadable bool `json:"journal_unreadable,omitempty"`
	// History is the journal as the incident's comments and work_notes
	// fields show it (display values: every entry's text), read when the
	// journal is unreadable.
	History     string `json:"history,omitempty"`
	HistoryRead bool   `json:"history_read,omitempty"`
}

// SnowJournalEntry is one sys_journal_field row.
type SnowJournalEntry struct {
	SysID     string    `json:"sys_id"`
	Element   string    `json:"element"` // "comments" or "work_notes"
	Value     string    `json:"value"`
	CreatedBy string    `json:"sys_created_by"` // user_name
	CreatedOn time.Time `json:"sys_created_on"`
}

// SnowViewFromRecord builds a SnowView from a raw Table API record (every
// value a string). Every key is also copied into Columns, so custom columns
// are available to the field maps. Journal entries are added by the caller.
func SnowViewFromRecord(rec map[string]string) (*SnowView, error) {
	v := &SnowView{
		SysID:              rec["sys_id"],
		Number:             rec["number"],
		ShortDescription:   rec["short_description"],
		Description:        rec["description"],
		State:              rec["state"],
		HoldReason:         rec["hold_reason"],
		Urgency:            rec["urgency"],
		Impact:             rec["impact"],
		CloseCode:          rec["close_code"],
		CloseNotes:         rec["close_notes"],
		CorrelationID:      rec["correlation_id"],
		CorrelationDisplay: rec["correlation_display"],
		SysUpdatedBy:       rec["sys_updated_by"],
		Columns:            make(map[string]string, len(rec)),
	}
	for k, val := range rec {
		v.Columns[k] = val
	}
	if s := rec["sys_mod_count"]; s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("parse sys_mod_count %q of %s: %w", s, rec["sys_id"], err)
		}
		v.SysModCount = n
	}
	t, err := ParseSnowTime(rec["sys_updated_on"])
	if err != nil {
		return nil, fmt.Errorf("read record %s: %w", rec["sys_id"], err)
	}
	v.SysUpdatedOn = t
	return v, nil
}

// FDView is what diff needs from one Flashduty incident and the comment items
// of its feed read in this pass (possibly only the recent ones).
type FDView struct {
	IncidentID string `json:"incident_id"`
	Num        string `json:"num"`
	Title      string `json:"title"`
	// Description may end with the "[ServiceNow: INC…]" reference line that
	// diff adds on create; it is ignored when comparing.
	Description string   `json:"description"`
	Severity    Severity `json:"incident_severity"`
	// Progress is "Triggered", "Processing" or "Closed".
	Progress string `json:"progress"`
	// SnoozedBefore is the snooze end (unix seconds, 0 = not snoozed).
	SnoozedBefore int64 `json:"snoozed_before"`
	// UpdatedAt is updated_at (unix seconds).
	UpdatedAt int64 `json:"updated_at"`
	// CloseTime is close_time (unix seconds, 0 = open).
	CloseTime int64             `json:"close_time"`
	Labels    map[string]string `json:"labels,omitempty"`
	Fields    map[string]any    `json:"fields,omitempty"`
	ChannelID int64             `json:"channel_id"`
	// CloserID is closer_id (0 = closed automatically); CloserName is the
	// closer's name when known.
	CloserID   int64  `json:"closer_id"`
	CloserName string `json:"closer_name,omitempty"`
	// Resolution is the incident's resolution text, when known.
	Resolution string      `json:"resolution,omitempty"`
	Comments   []FDComment `json:"comments,omitempty"`
	// History lists the timeline entries that set title, description,
	// severity or status, oldest first; HistoryRead says the whole timeline was read
	// (the poller reads it for pairs with no base).
	History     []FDChange `json:"history,omitempty"`
	HistoryRead bool       `json:"history_read,omitempty"`
}

// FDComment is one i_comm feed item.
type FDComment struct {
	// ID is a stable key for the item (Flashduty returns no comment id; the
	// poller may use e.g. created_at in ms plus creator id).
	ID          string    `json:"id"`
	CreatorID   int64     `json:"creator_id"`
	CreatorName string    `json:"creator_name,omitempty"`
	Text        string    `json:"comment"`
	CreatedAt   time.Time `json:"created_at"`
}

// fieldString renders a Flashduty custom field or label value as text.
func fieldString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case []string:
		return strings.Join(x, ", ")
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, fieldString(e))
		}
		return strings.Join(parts, ", ")
	default:
		return fmt.Sprint(x)
	}
}
