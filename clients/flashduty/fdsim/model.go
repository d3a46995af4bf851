package fdsim

import (
	"encoding/json"
	"slices"
)

// Incident is an incident as the Open API returns it (the IncidentInfo
// shape of reference §2, with the fields a sync needs). Values returned by
// the Server's Go methods are copies: changing them changes nothing.
type Incident struct {
	IncidentID    string            `json:"incident_id"`
	Num           string            `json:"num"`
	AccountID     int64             `json:"account_id"`
	ChannelID     int64             `json:"channel_id"`
	ChannelName   string            `json:"channel_name"`
	ChannelStatus string            `json:"channel_status"`
	Title         string            `json:"title"`
	Description   string            `json:"description"`
	Impact        string            `json:"impact"`
	RootCause     string            `json:"root_cause"`
	Resolution    string            `json:"resolution"`
	Severity      string            `json:"incident_severity"`
	Status        string            `json:"incident_status"`
	Progress      string            `json:"progress"`
	StartTime     int64             `json:"start_time"`
	CreatedAt     int64             `json:"created_at"`
	UpdatedAt     int64             `json:"updated_at"`
	LastTime      int64             `json:"last_time"`
	EndTime       int64             `json:"end_time"`
	AckTime       int64             `json:"ack_time"`
	CloseTime     int64             `json:"close_time"`
	SnoozedBefore int64             `json:"snoozed_before"`
	CreatorID     int64             `json:"creator_id"`
	CloserID      int64             `json:"closer_id"`
	OwnerID       int64             `json:"owner_id"`
	Labels        map[string]string `json:"labels"`
	Fields        map[string]any    `json:"fields"`
	Responders    []Responder       `json:"responders"`
	// AssignedTo is the current assignment; nil (JSON null) until the
	// incident is assigned (on create or by /incident/assign).
	AssignedTo      *Assignment `json:"assigned_to"`
	AlertCnt        int64       `json:"alert_cnt"`
	ActiveAlertCnt  int64       `json:"active_alert_cnt"`
	AlertEventCnt   int64       `json:"alert_event_cnt"`
	GroupMethod     string      `json:"group_method"`
	Frequency       string      `json:"frequency"`
	EverMuted       bool        `json:"ever_muted"`
	ManualOverrides []string    `json:"manual_overrides"`
	DetailURL       string      `json:"detail_url"`

	// The remaining keys of the spec's IncidentInfo.required (vendor-clients
	// fact 7). The simulator has no integrations, AI summaries, images or
	// post-mortems: those carry their empty values.
	AISummary        string   `json:"ai_summary"`
	AccountName      string   `json:"account_name"`
	AccountLocale    string   `json:"account_locale"`
	AccountTimeZone  string   `json:"account_time_zone"`
	DedupKey         string   `json:"dedup_key"`
	EqualsMD5        string   `json:"equals_md5"`
	Images           []string `json:"images"`
	IntegrationID    int64    `json:"integration_id"`
	IntegrationIDs   []int64  `json:"integration_ids"`
	IntegrationType  string   `json:"integration_type"`
	IntegrationTypes []string `json:"integration_types"`
	PostMortemID     string   `json:"post_mortem_id"`
	SilenceURL       string   `json:"silence_url"`
}

// Assignment is an incident's assigned_to (reference §2): who it was
// assigned to, how (Type: assign, reassign, escalate, reopen) and when.
type Assignment struct {
	PersonIDs        []int64 `json:"person_ids"`
	EscalateRuleID   string  `json:"escalate_rule_id"`
	EscalateRuleName string  `json:"escalate_rule_name"`
	LayerIdx         int     `json:"layer_idx"`
	Type             string  `json:"type"`
	AssignedAt       int64   `json:"assigned_at"`
	ID               string  `json:"id"`
}

// Alert is one alert of an incident as /incident/alert/list returns it. An
// incident created by the system (an alert, creator_id 0) has one; one
// created by a person has none.
type Alert struct {
	AlertID       string            `json:"alert_id"`
	AccountID     int64             `json:"account_id"`
	ChannelID     int64             `json:"channel_id"`
	IncidentID    string            `json:"incident_id"`
	Title         string            `json:"title"`
	Description   string            `json:"description"`
	AlertSeverity string            `json:"alert_severity"`
	AlertStatus   string            `json:"alert_status"`
	Progress      string            `json:"progress"`
	StartTime     int64             `json:"start_time"`
	LastTime      int64             `json:"last_time"`
	EndTime       int64             `json:"end_time"`
	CreatedAt     int64             `json:"created_at"`
	UpdatedAt     int64             `json:"updated_at"`
	EventCnt      int64             `json:"event_cnt"`
	Labels        map[string]string `json:"labels"`
}

// Team is a team of the simulated account, as /team/infos returns it.
type Team struct {
	TeamID   int64  `json:"team_id"`
	TeamName string `json:"team_name"`
}

// Responder is one person assigned to an incident; AcknowledgedAt is 0
// until they ack.
type Responder struct {
	PersonID       int64 `json:"person_id"`
	AssignedAt     int64 `json:"assigned_at"`
	AcknowledgedAt int64 `json:"acknowledged_at"`
}

// FeedItem is one timeline entry as /incident/feed returns it. Times are
// epoch milliseconds; CreatorID 0 means the system acted.
type FeedItem struct {
	RefID     string          `json:"ref_id"`
	Type      string          `json:"type"`
	Detail    json.RawMessage `json:"detail"`
	AccountID int64           `json:"account_id"`
	CreatorID int64           `json:"creator_id"`
	CreatedAt int64           `json:"created_at"`
	UpdatedAt int64           `json:"updated_at"`
}

// Channel is a collaboration space incidents belong to.
type Channel struct {
	ChannelID   int64  `json:"channel_id"`
	ChannelName string `json:"channel_name"`
	Status      string `json:"status"`
	TeamID      int64  `json:"team_id"`
}

// Field is a custom field definition as /field/list returns it.
type Field struct {
	FieldID      string   `json:"field_id"`
	FieldName    string   `json:"field_name"`
	DisplayName  string   `json:"display_name"`
	Description  string   `json:"description"`
	FieldType    string   `json:"field_type"` // text, single_select, multi_select, checkbox
	ValueType    string   `json:"value_type"` // string, bool
	Options      []string `json:"options"`
	DefaultValue any      `json:"default_value"`
	Status       string   `json:"status"`
}

// Member is a person of the simulated account: a human, or the owner of the
// app key.
type Member struct {
	MemberID int64  `json:"member_id"`
	Name     string `json:"member_name"`
	Email    string `json:"email"`
	// UserName names the member in control methods and the control API
	// ("alice"), as a user name does in snowsim. It is no part of the Open
	// API; a member without one cannot be acted as.
	UserName string `json:"-"`
}

// AuditDoc is one /audit/search entry: a write made by a member or key.
type AuditDoc struct {
	CreatedAt     int64  `json:"created_at"` // ms
	AccountID     int64  `json:"account_id"`
	MemberID      int64  `json:"member_id"`
	MemberName    string `json:"member_name"`
	RequestID     string `json:"request_id"`
	IP            string `json:"ip"`
	Operation     string `json:"operation"`
	OperationName string `json:"operation_name"`
	Body          string `json:"body"`
	Params        []any  `json:"params"`
	IsDangerous   bool   `json:"is_dangerous"`
	IsWrite       bool   `json:"is_write"`
}

// Severities, progress values and feed types the simulator uses.
const (
	SeverityCritical = "Critical"
	SeverityWarning  = "Warning"
	SeverityInfo     = "Info"

	ProgressTriggered  = "Triggered"
	ProgressProcessing = "Processing"
	ProgressClosed     = "Closed"
)

func validSeverity(s string) bool {
	return s == SeverityCritical || s == SeverityWarning || s == SeverityInfo
}

func (inc *Incident) clone() Incident {
	c := *inc
	c.Labels = make(map[string]string, len(inc.Labels))
	for k, v := range inc.Labels {
		c.Labels[k] = v
	}
	c.Fields = make(map[string]any, len(inc.Fields))
	for k, v := range inc.Fields {
		if l, ok := v.([]string); ok {
			v = append([]string(nil), l...)
		}
		c.Fields[k] = v
	}
	c.Responders = append([]Responder{}, inc.Responders...)
	if inc.AssignedTo != nil {
		a := *inc.AssignedTo
		a.PersonIDs = append([]int64{}, a.PersonIDs...)
		c.AssignedTo = &a
	}
	c.Images = slices.Clone(inc.Images)
	c.IntegrationIDs = append([]int64{}, inc.IntegrationIDs...)
	c.IntegrationTypes = append([]string{}, inc.IntegrationTypes...)
	c.ManualOverrides = append([]string(nil), inc.ManualOverrides...)
	return c
}
