package diff

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// ImpactUrgency is the pair written to ServiceNow for one severity
// (ServiceNow derives priority from it; diff never writes priority).
type ImpactUrgency struct {
	Impact  string `json:"impact"`
	Urgency string `json:"urgency"`
}

// FieldSource names where a Flashduty value comes from.
type FieldSource string

// The Flashduty value sources of a FieldToServiceNow.
const (
	SourceLabel FieldSource = "label"
	SourceField FieldSource = "field"
)

// FieldToServiceNow copies a Flashduty label or custom field into a
// ServiceNow text column.
type FieldToServiceNow struct {
	Source FieldSource `json:"source"`
	Name   string      `json:"name"`
	Column string      `json:"column"`
}

// FieldToFlashduty copies a ServiceNow column into a Flashduty custom field.
type FieldToFlashduty struct {
	Column string `json:"column"`
	Field  string `json:"field"`
}

// Journal element names.
const (
	JournalComments  = "comments"
	JournalWorkNotes = "work_notes"
)

// CloserPlaceholder is replaced in Mapping.CloseNotesTemplate by the name of
// whoever closed the Flashduty incident.
const CloserPlaceholder = "{closer}"

// Mapping holds every vocabulary mapping between the two systems.
// DefaultMapping returns the vendor's defaults; Validate checks a mapping.
type Mapping struct {
	// StateToStatus maps a ServiceNow state to a canonical status.
	StateToStatus map[string]Status `json:"state_to_status"`
	// StatusToState maps a canonical status to the ServiceNow state written.
	StatusToState map[Status]string `json:"status_to_state"`
	// ReopenState is written instead of StatusToState[Triggered] when the
	// ServiceNow incident is past New (it was worked): default "2".
	ReopenState string `json:"reopen_state"`
	// UrgencyToSeverity maps a ServiceNow urgency to a severity.
	UrgencyToSeverity map[string]Severity `json:"urgency_to_severity"`
	// SeverityToServiceNow maps a severity to the impact/urgency pair written.
	SeverityToServiceNow map[Severity]ImpactUrgency `json:"severity_to_servicenow"`
	// HoldReason is written with the On Hold state (empty: not written).
	HoldReason string `json:"hold_reason"`
	// CloseCode is written with the resolved state.
	CloseCode string `json:"close_code"`
	// CloseNotesTemplate gives close_notes when the Flashduty incident has no
	// resolution; CloserPlaceholder is replaced by the closer's name.
	CloseNotesTemplate string `json:"close_notes_template"`
	// SnoozeMinutes is the Flashduty snooze for ServiceNow On Hold (1–1440).
	SnoozeMinutes int `json:"snooze_minutes"`
	// CommentJournals are the ServiceNow journals mirrored to Flashduty.
	CommentJournals []string `json:"comment_journals"`
	// CommentTarget is the ServiceNow journal Flashduty comments go to.
	CommentTarget string `json:"comment_target"`
	// FieldsToServiceNow copies Flashduty labels/fields into ServiceNow columns.
	FieldsToServiceNow []FieldToServiceNow `json:"fields_to_servicenow,omitempty"`
	// FieldsToFlashduty copies ServiceNow columns into Flashduty fields.
	FieldsToFlashduty []FieldToFlashduty `json:"fields_to_flashduty,omitempty"`
	// ServiceNowTitleMax is short_description's max_length (base: 160).
	ServiceNowTitleMax int `json:"servicenow_title_max"`
	// ServiceNowDescriptionMax is description's max_length (base: 4000);
	// longer Flashduty descriptions are truncated with TruncationMarker
	// rather than cut silently by ServiceNow.
	ServiceNowDescriptionMax int `json:"servicenow_description_max"`
	// ServiceNowCommentMax is the longest journal entry written (base: 4000).
	ServiceNowCommentMax int `json:"servicenow_comment_max"`
	// MirroredComments is how many handled comment ids the snapshot keeps
	// per side (older ones are covered by a high-water time).
	MirroredComments int `json:"mirrored_comments"`
}

// Flashduty length limits (reference/flashduty-open-api.md §6, §12).
const (
	FDTitleMin             = 3
	FDTitleResetMax        = 200
	FDTitleCreateMax       = 512
	FDDescriptionMax       = 6144
	FDDescriptionCreateMax = 1024
	FDCommentMax           = 1024
	FDResolutionMax        = 1024
	FDTextFieldMax         = 3000
	FDSnoozeMaxMinutes     = 1440
)

// DefaultMapping returns the vendor's default mappings
// (reference/flashduty-servicenow-sync.md, design.md "Default mappings").
func DefaultMapping() Mapping {
	return Mapping{
		StateToStatus: map[string]Status{
			"1": StatusTriggered, "2": StatusProcessing, "3": StatusSnoozed,
			"6": StatusClosed, "7": StatusClosed, "8": StatusClosed,
		},
		StatusToState: map[Status]string{
			StatusTriggered: "1", StatusProcessing: "2", StatusSnoozed: "3", StatusClosed: "6",
		},
		ReopenState: "2",
		UrgencyToSeverity: map[string]Severity{
			"1": SeverityCritical, "2": SeverityWarning, "3": SeverityInfo,
		},
		SeverityToServiceNow: map[Severity]ImpactUrgency{
			SeverityCritical: {"1", "1"}, SeverityWarning: {"2", "2"}, SeverityInfo: {"3", "3"},
		},
		HoldReason:               "1",
		CloseCode:                "Solution provided",
		CloseNotesTemplate:       "Closed in Flashduty by " + CloserPlaceholder,
		SnoozeMinutes:            120,
		CommentJournals:          []string{JournalComments},
		CommentTarget:            JournalComments,
		ServiceNowTitleMax:       160,
		ServiceNowDescriptionMax: 4000,
		ServiceNowCommentMax:     4000,
		MirroredComments:         16,
	}
}

var (
	columnRE  = regexp.MustCompile(`^[a-z][a-z0-9_]{0,79}$`)
	fdFieldRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]{0,39}$`)
	// reservedColumns are written by the core mappings and may not be
	// custom targets.
	reservedColumns = []string{
		"short_description", "description", "state", "incident_state", "hold_reason",
		"urgency", "impact", "priority", "close_code", "close_notes", "correlation_id",
		"correlation_display", "comments", "work_notes", "comments_and_work_notes", "number",
	}
)

// Validate reports every bad setting of m, each error naming the setting.
func (m Mapping) Validate() error {
	var errs []error
	bad := func(setting, format string, a ...any) {
		errs = append(errs, fmt.Errorf("mapping %s: "+format, append([]any{setting}, a...)...))
	}
	if len(m.StateToStatus) == 0 {
		bad("StateToStatus", "is empty: map ServiceNow states to Triggered, Processing, Snoozed or Closed")
	}
	for _, st := range sortedKeys(m.StateToStatus) {
		if st == "" || !m.StateToStatus[st].valid() {
			bad("StateToStatus", "%q=%q: want a non-empty state and one of Triggered, Processing, Snoozed, Closed", st, m.StateToStatus[st])
		}
	}
	for _, s := range Statuses {
		st, ok := m.StatusToState[s]
		if !ok || st == "" {
			bad("StatusToState", "has no ServiceNow state for %s", s)
			continue
		}
		if got, ok := m.StateToStatus[st]; !ok || got != s {
			bad("StatusToState", "%s=%q: StateToStatus must map %q back to %s", s, st, st, s)
		}
	}
	for k := range m.StatusToState {
		if !k.valid() {
			bad("StatusToState", "unknown status %q: want Triggered, Processing, Snoozed or Closed", k)
		}
	}
	if m.ReopenState == "" {
		bad("ReopenState", "is empty: set the state written when a worked incident is re-triggered (default 2)")
	} else if s, ok := m.StateToStatus[m.ReopenState]; !ok || (s != StatusTriggered && s != StatusProcessing) {
		bad("ReopenState", "%q must map to Triggered or Processing in StateToStatus", m.ReopenState)
	}
	for _, u := range sortedKeys(m.UrgencyToSeverity) {
		if u == "" || !m.UrgencyToSeverity[u].valid() {
			bad("UrgencyToSeverity", "%q=%q: want a non-empty urgency and Critical, Warning or Info", u, m.UrgencyToSeverity[u])
		}
	}
	for _, s := range Severities {
		p, ok := m.SeverityToServiceNow[s]
		if !ok || p.Impact == "" || p.Urgency == "" {
			bad("SeverityToServiceNow", "has no impact/urgency pair for %s", s)
			continue
		}
		if got, ok := m.UrgencyToSeverity[p.Urgency]; !ok || got != s {
			bad("SeverityToServiceNow", "%s writes urgency %q but UrgencyToSeverity maps it to %q", s, p.Urgency, got)
		}
	}
	for k := range m.SeverityToServiceNow {
		if !k.valid() {
			bad("SeverityToServiceNow", "unknown severity %q: want Critical, Warning or Info", k)
		}
	}
	if m.CloseCode == "" {
		bad("CloseCode", "is empty: ServiceNow needs close_code with close_notes to resolve (default %q)", "Solution provided")
	}
	if strings.TrimSpace(m.CloseNotesTemplate) == "" {
		bad("CloseNotesTemplate", "is empty: set e.g. %q", "Closed in Flashduty by "+CloserPlaceholder)
	}
	if m.SnoozeMinutes < 1 || m.SnoozeMinutes > FDSnoozeMaxMinutes {
		bad("SnoozeMinutes", "%d is out of range: Flashduty accepts 1..%d", m.SnoozeMinutes, FDSnoozeMaxMinutes)
	}
	for _, j := range m.CommentJournals {
		if j != JournalComments && j != JournalWorkNotes {
			bad("CommentJournals", "%q: want comments or work_notes", j)
		}
	}
	if m.CommentTarget != JournalComments && m.CommentTarget != JournalWorkNotes {
		bad("CommentTarget", "%q: want comments or work_notes", m.CommentTarget)
	}
	if m.ServiceNowTitleMax < FDTitleMin {
		bad("ServiceNowTitleMax", "%d: want at least %d", m.ServiceNowTitleMax, FDTitleMin)
	}
	if m.ServiceNowDescriptionMax < FDTitleMin {
		bad("ServiceNowDescriptionMax", "%d: want at least %d", m.ServiceNowDescriptionMax, FDTitleMin)
	}
	if m.ServiceNowCommentMax < 200 {
		bad("ServiceNowCommentMax", "%d: want at least 200", m.ServiceNowCommentMax)
	}
	if m.MirroredComments < 1 || m.MirroredComments > 1000 {
		bad("MirroredComments", "%d: want 1..1000", m.MirroredComments)
	}
	seenCol := map[string]bool{}
	for _, f := range m.FieldsToServiceNow {
		if f.Source != SourceLabel && f.Source != SourceField {
			bad("FieldsToServiceNow", "%s:%s: source must be label or field", f.Source, f.Name)
		}
		if f.Name == "" {
			bad("FieldsToServiceNow", "%s with an empty name", f.Source)
		}
		if !columnRE.MatchString(f.Column) || slices.Contains(reservedColumns, f.Column) || strings.HasPrefix(f.Column, "sys_") {
			bad("FieldsToServiceNow", "target column %q: want a custom text column such as u_service (core and sys_ columns are not allowed)", f.Column)
		}
		if seenCol[f.Column] {
			bad("FieldsToServiceNow", "column %q is the target of two mappings", f.Column)
		}
		seenCol[f.Column] = true
	}
	seenField := map[string]bool{}
	for _, f := range m.FieldsToFlashduty {
		if !columnRE.MatchString(f.Column) {
			bad("FieldsToFlashduty", "source column %q: want a ServiceNow column name such as u_business_service", f.Column)
		}
		if !fdFieldRE.MatchString(f.Field) {
			bad("FieldsToFlashduty", "target field %q: want a Flashduty field_name matching %s", f.Field, fdFieldRE)
		}
		if seenField[f.Field] {
			bad("FieldsToFlashduty", "field %q is the target of two mappings", f.Field)
		}
		seenField[f.Field] = true
	}
	return errors.Join(errs...)
}

// JournalElements lists the journals the poller must read from ServiceNow:
// the mirrored ones plus the comment target (needed to recognise comments
// already mirrored).
func (m Mapping) JournalElements() []string {
	out := slices.Clone(m.CommentJournals)
	if !slices.Contains(out, m.CommentTarget) && m.CommentTarget != "" {
		out = append(out, m.CommentTarget)
	}
	slices.Sort(out)
	return out
}

// Columns lists the ServiceNow columns the custom field maps read or write,
// sorted, so the poller can request them in sysparm_fields.
func (m Mapping) Columns() []string {
	var out []string
	for _, f := range m.FieldsToServiceNow {
		out = append(out, f.Column)
	}
	for _, f := range m.FieldsToFlashduty {
		out = append(out, f.Column)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func sortedKeys[K ~string, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
