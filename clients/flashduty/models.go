package flashduty

import (
	"encoding/json"
	"time"
)

// Severities, as Flashduty writes them (capitalized).
const (
	SeverityCritical = "Critical"
	SeverityWarning  = "Warning"
	SeverityInfo     = "Info"
)

// Progress values of an incident. "Snoozed" is not one: see
// Incident.Snoozed.
const (
	ProgressTriggered  = "Triggered"
	ProgressProcessing = "Processing"
	ProgressClosed     = "Closed"
)

// ValidSeverity reports whether s is a severity Flashduty accepts on writes.
func ValidSeverity(s string) bool {
	return s == SeverityCritical || s == SeverityWarning || s == SeverityInfo
}

// Incident is a Flashduty incident (IncidentInfo), as /incident/list,
// /incident/list-by-ids and /incident/info return it. Times are Unix
// seconds; 0 means "not yet".
type Incident struct {
	ID              string            `json:"incident_id"` // 24-hex ObjectID, the key
	Num             string            `json:"num"`         // short display id; not unique, never a key
	AccountID       int64             `json:"account_id"`
	ChannelID       int64             `json:"channel_id"` // 0 for a standalone incident
	ChannelName     string            `json:"channel_name"`
	Title           string            `json:"title"`
	Description     string            `json:"description"`
	Impact          string            `json:"impact"`
	RootCause       string            `json:"root_cause"`
	Resolution      string            `json:"resolution"`
	Severity        string            `json:"incident_severity"` // Critical, Warning, Info
	Status          string            `json:"incident_status"`   // alert-derived, read-only; may be Ok
	Progress        string            `json:"progress"`          // Triggered, Processing, Closed
	StartTime       int64             `json:"start_time"`
	CreatedAt       int64             `json:"created_at"`
	UpdatedAt       int64             `json:"updated_at"`
	LastTime        int64             `json:"last_time"`
	EndTime         int64             `json:"end_time"`
	AckTime         int64             `json:"ack_time"`
	CloseTime       int64             `json:"close_time"`
	SnoozedBefore   int64             `json:"snoozed_before"`
	CreatorID       int64             `json:"creator_id"` // 0: created by the system (an alert)
	CloserID        int64             `json:"closer_id"`  // 0: closed automatically (when closed)
	Labels          map[string]string `json:"labels"`     // read-only, from the first alert
	Fields          map[string]any    `json:"fields"`     // custom field values by field_name
	Responders      []Responder       `json:"responders"`
	ManualOverrides []string          `json:"manual_overrides"`
	DetailURL       string            `json:"detail_url"`
	DeletedAt       int64             `json:"deleted_at"`
}

// Responder is a person assigned to an incident.
type Responder struct {
	PersonID       int64 `json:"person_id"`
	AssignedAt     int64 `json:"assigned_at"`
	AcknowledgedAt int64 `json:"acknowledged_at"` // 0 until they ack
}

// Snoozed reports whether the incident is snoozed at now
// (snoozed_before > now).
func (i *Incident) Snoozed(now time.Time) bool { return i.SnoozedBefore > now.Unix() }

// Closed reports whether the incident's progress is Closed.
func (i *Incident) Closed() bool { return i.Progress == ProgressClosed }

// Feed entry types the sync reads.
const (
	FeedNew       = "i_new"
	FeedComment   = "i_comm"
	FeedAck       = "i_ack"
	FeedUnack     = "i_unack"
	FeedResolve   = "i_rslv"
	FeedReopen    = "i_reopen"
	FeedSnooze    = "i_snooze"
	FeedWake      = "i_wake"
	FeedTitle     = "i_r_title"
	FeedDesc      = "i_r_desc"
	FeedSeverity  = "i_r_severity"
	FeedField     = "i_r_field"
	FeedMerge     = "i_merge"
	FeedAssign    = "i_assign"
	FeedResponder = "i_a_rspd"
)

// FeedItem is one timeline entry of an incident. Feed entries carry no id
// of their own: (CreatedAt, Type, CreatorID, Comment) identifies one.
type FeedItem struct {
	IncidentID string // ref_id
	Type       string
	CreatorID  int64 // the acting member; 0 means the system
	AccountID  int64
	CreatedAt  time.Time // from epoch milliseconds
	UpdatedAt  time.Time
	// Comment and MuteReply are decoded from Detail for i_comm entries.
	Comment   string
	MuteReply bool
	// Detail is the raw detail object; its shape depends on Type.
	Detail json.RawMessage
}

type wireFeedItem struct {
	RefID     string          `json:"ref_id"`
	Type      string          `json:"type"`
	Detail    json.RawMessage `json:"detail"`
	AccountID int64           `json:"account_id"`
	CreatorID int64           `json:"creator_id"`
	CreatedAt int64           `json:"created_at"`
	UpdatedAt int64           `json:"updated_at"`
}

func (w wireFeedItem) item() FeedItem {
	it := FeedItem{IncidentID: w.RefID, Type: w.Type, CreatorID: w.CreatorID, AccountID: w.AccountID,
		CreatedAt: time.UnixMilli(w.CreatedAt).UTC(), UpdatedAt: time.UnixMilli(w.UpdatedAt).UTC(), Detail: w.Detail}
	if w.Type == FeedComment {
		var d struct {
			Comment   string `json:"comment"`
			MuteReply bool   `json:"mute_reply"`
		}
		if json.Unmarshal(w.Detail, &d) == nil {
			it.Comment, it.MuteReply = d.Comment, d.MuteReply
		}
	}
	return it
}

// FieldDef is a custom field definition from /field/list.
type FieldDef struct {
	ID           string   `json:"field_id"`
	Name         string   `json:"field_name"` // the key in Incident.Fields
	DisplayName  string   `json:"display_name"`
	Description  string   `json:"description"`
	Type         string   `json:"field_type"` // text, single_select, multi_select, checkbox
	ValueType    string   `json:"value_type"` // string, bool, float
	Options      []string `json:"options"`
	DefaultValue any      `json:"default_value"`
	Status       string   `json:"status"` // enabled, disabled, deleted
}

// Custom field types.
const (
	FieldText         = "text"
	FieldSingleSelect = "single_select"
	FieldMultiSelect  = "multi_select"
	FieldCheckbox     = "checkbox"
)

// Channel is a Flashduty channel (collaboration space).
type Channel struct {
	ID     int64  `json:"channel_id"`
	Name   string `json:"channel_name"`
	Status string `json:"status"` // enabled, disabled, deleted
	TeamID int64  `json:"team_id"`
}

// Member is the profile of the app key's owner, from /member/info.
type Member struct {
	MemberID        int64  `json:"member_id"`
	MemberName      string `json:"member_name"`
	Email           string `json:"email"`
	AccountID       int64  `json:"account_id"`
	AccountName     string `json:"account_name"`
	AccountTimeZone string `json:"account_time_zone"`
	TimeZone        string `json:"time_zone"`
}

// IsSelf reports whether actor (a feed creator_id or closer_id) is the key's
// owner: its member id, or the account id when the account principal acts.
func (m Member) IsSelf(actor int64) bool {
	return actor != 0 && (actor == m.MemberID || actor == m.AccountID)
}

// Account is the profile of the key's account, from /account/info (spec
// AccountInfo). It is the identity of an account-level app key: the account
// principal acts with AccountID as its person id.
type Account struct {
	AccountID    int64    `json:"account_id"`
	AccountName  string   `json:"account_name"`
	Email        string   `json:"email"`
	Domain       string   `json:"domain"` // the login subdomain
	ExtraDomains []string `json:"extra_domains"`
	Locale       string   `json:"locale"`
	TimeZone     string   `json:"time_zone"` // the account's default (IANA)
	Avatar       string   `json:"avatar"`
	CountryCode  string   `json:"country_code"`
	Phone        string   `json:"phone"`      // masked
	CreatedAt    int64    `json:"created_at"` // Unix seconds
	// MpAccountID and MpPlat are set for cloud-marketplace accounts only.
	MpAccountID string `json:"mp_account_id"`
	MpPlat      string `json:"mp_plat"`
}

// IsSelf reports whether actor (a feed creator_id or closer_id) is the
// account principal.
func (a Account) IsSelf(actor int64) bool { return actor != 0 && actor == a.AccountID }

// Identity is who an app key acts as (Client.Identity).
type Identity struct {
	// AccountLevel is set for an account-level key, which acts as the
	// account principal; otherwise the key is a member's.
	AccountLevel bool
	// PersonID is the id the key's writes carry (feed creator_id, audit
	// member_id): the member id, or the account id for an account-level
	// key. Name is the member's name, or the account's.
	PersonID int64
	Name     string
	// AccountID and AccountName are the key's account; TimeZone is the
	// account's default time zone.
	AccountID   int64
	AccountName string
	TimeZone    string
}

// IsSelf reports whether actor (a feed creator_id or closer_id) is the key
// itself.
func (i Identity) IsSelf(actor int64) bool { return actor != 0 && actor == i.PersonID }

// Person is a member or account principal from /person/infos.
type Person struct {
	PersonID   int64  `json:"person_id"`
	PersonName string `json:"person_name"`
	Email      string `json:"email"`
	As         string `json:"as"` // account or member
	Status     string `json:"status"`
}

// AuditDoc is one /audit/search entry: a write made by a member or key.
type AuditDoc struct {
	CreatedAt  time.Time // from epoch milliseconds
	MemberID   int64
	MemberName string
	RequestID  string
	Operation  string // e.g. incident:write:acknowledge
	Body       string // the request's JSON body, possibly truncated at 10 KB
	IsWrite    bool
}

type wireAuditDoc struct {
	CreatedAt  int64  `json:"created_at"`
	MemberID   int64  `json:"member_id"`
	MemberName string `json:"member_name"`
	RequestID  string `json:"request_id"`
	Operation  string `json:"operation"`
	Body       string `json:"body"`
	IsWrite    bool   `json:"is_write"`
}

func (w wireAuditDoc) doc() AuditDoc {
	return AuditDoc{CreatedAt: time.UnixMilli(w.CreatedAt).UTC(), MemberID: w.MemberID, MemberName: w.MemberName,
		RequestID: w.RequestID, Operation: w.Operation, Body: w.Body, IsWrite: w.IsWrite}
}
