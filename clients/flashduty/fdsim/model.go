package fdsim

import "encoding/json"

// Incident is an incident as the Open API returns it (the IncidentInfo
// shape of reference §2, with the fields a sync needs). Values returned by
// the Server's Go methods are copies: changing them changes nothing.
type Incident struct {
	IncidentID      string            `json:"incident_id"`
	Num             string            `json:"num"`
	AccountID       int64             `json:"account_id"`
	ChannelID       int64             `json:"channel_id"`
	ChannelName     string            `json:"channel_name"`
	ChannelStatus   string            `json:"channel_status"`
	Title           string            `json:"title"`
	Description     string            `json:"description"`
	Impact          string            `json:"impact"`
	RootCause       string            `json:"root_cause"`
	Resolution      string            `json:"resolution"`
	Severity        string            `json:"incident_severity"`
	Status          string            `json:"incident_status"`
	Progress        string            `json:"progress"`
	StartTime       int64             `json:"start_time"`
	CreatedAt       int64             `json:"created_at"`
	UpdatedAt       int64             `json:"updated_at"`
	LastTime        int64             `json:"last_time"`
	EndTime         int64             `json:"end_time"`
	AckTime         int64             `json:"ack_time"`
	CloseTime       int64             `json:"close_time"`
	SnoozedBefore   int64             `json:"snoozed_before"`
	CreatorID       int64             `json:"creator_id"`
	CloserID        int64             `json:"closer_id"`
	OwnerID         int64             `json:"owner_id"`
	Labels          map[string]string `json:"labels"`
	Fields          map[string]any    `json:"fields"`
	Responders      []Responder       `json:"responders"`
	AlertCnt        int64             `json:"alert_cnt"`
	ActiveAlertCnt  int64             `json:"active_alert_cnt"`
	GroupMethod     string            `json:"group_method"`
	Frequency       string            `json:"frequency"`
	EverMuted       bool              `json:"ever_muted"`
	ManualOverrides []string          `json:"manual_overrides"`
	DetailURL       string            `json:"detail_url"`
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
	c.ManualOverrides = append([]string(nil), inc.ManualOverrides...)
	return c
}
