package flashduty

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/snowduty/snowduty/clients/httpx"
)

// CreateRequest is a new incident.
type CreateRequest struct {
	// Title is required; longer than 512 characters it is truncated.
	Title string
	// Description is optional; longer than 1024 characters it is truncated.
	Description string
	// Severity is Critical, Warning or Info.
	Severity string
	// ChannelID is the channel; 0 makes a standalone incident.
	ChannelID int64
	// Fields sets custom field values by field name.
	Fields map[string]any
}

// Create creates an incident and returns its id. Create is not idempotent:
// when its outcome is uncertain (timeout, connection lost, 5xx) it is not
// re-sent and the error has class httpx.UnknownOutcome; search for the
// incident (List with a Query on a unique token in the title or
// description) before creating again.
func (c *Client) Create(ctx context.Context, r CreateRequest) (string, error) {
	title := strings.TrimSpace(r.Title)
	if title == "" {
		return "", errors.New("create incident: the title is empty")
	}
	if !ValidSeverity(r.Severity) {
		return "", fmt.Errorf("create incident: severity %q is not Critical, Warning or Info", r.Severity)
	}
	body := map[string]any{"incident_severity": r.Severity, "title": truncate(title, MaxCreateTitle)}
	if r.Description != "" {
		body["description"] = truncate(r.Description, MaxCreateDescription)
	}
	if r.ChannelID != 0 {
		body["channel_id"] = r.ChannelID
	}
	if len(r.Fields) > 0 {
		body["fields"] = r.Fields
	}
	var out struct {
		IncidentID string `json:"incident_id"`
	}
	if err := c.call(ctx, "/incident/create", body, &out, nonIdempotent); err != nil {
		return "", fmt.Errorf("create incident: %w", err)
	}
	if out.IncidentID == "" {
		return "", fmt.Errorf("create incident: %w", &Error{Endpoint: "/incident/create", Class: httpx.UnknownOutcome,
			Outcome: httpx.BadResponse, Status: 200, Message: "the answer has no incident_id"})
	}
	return out.IncidentID, nil
}

// ResetRequest edits built-in fields; nil leaves a field unchanged.
type ResetRequest struct {
	IncidentID  string
	Title       *string // 3–200 characters; longer is truncated
	Description *string // 3–6144 characters; longer is truncated
	Severity    *string // Critical, Warning or Info
}

// Reset edits title, description and severity in one call. Flashduty
// rejects text shorter than 3 characters and cannot clear a description, so
// such a value is not sent: the other fields are written and the returned
// error wraps ErrTooShort (class httpx.BadRequest) naming the skipped field.
func (c *Client) Reset(ctx context.Context, r ResetRequest) error {
	if r.IncidentID == "" {
		return errors.New("reset incident: the incident id is empty")
	}
	body := map[string]any{"incident_id": r.IncidentID}
	var skipped []string
	for _, f := range []struct {
		name string
		v    *string
		max  int
	}{{"title", r.Title, MaxResetTitle}, {"description", r.Description, MaxResetDescription}} {
		if f.v == nil {
			continue
		}
		v := truncate(*f.v, f.max)
		if utf8.RuneCountInString(strings.TrimSpace(v)) < MinResetText {
			skipped = append(skipped, f.name)
			continue
		}
		body[f.name] = v
	}
	if r.Severity != nil {
		if !ValidSeverity(*r.Severity) {
			return fmt.Errorf("reset incident %s: severity %q is not Critical, Warning or Info", r.IncidentID, *r.Severity)
		}
		body["incident_severity"] = *r.Severity
	}
	if len(body) > 1 {
		if err := c.call(ctx, "/incident/reset", body, nil, idempotent); err != nil {
			return fmt.Errorf("reset incident %s: %w", r.IncidentID, err)
		}
	}
	if len(skipped) > 0 {
		return fmt.Errorf("reset incident %s: %s not sent: %w", r.IncidentID, strings.Join(skipped, " and "), ErrTooShort)
	}
	return nil
}

// ResetField sets one custom field: a string for text and single_select,
// []string for multi_select, a bool for checkbox. A nil value clears it.
func (c *Client) ResetField(ctx context.Context, id, name string, value any) error {
	if id == "" || name == "" {
		return errors.New("reset incident field: the incident id and the field name are required")
	}
	body := map[string]any{"incident_id": id, "field_name": name}
	if value != nil {
		body["field_value"] = value
	}
	if err := c.call(ctx, "/incident/field/reset", body, nil, idempotent); err != nil {
		return fmt.Errorf("reset field %s of incident %s: %w", name, id, err)
	}
	return nil
}

// state sends a state-setting write for one incident. These are safe to
// repeat, so they are retried like reads.
func (c *Client) state(ctx context.Context, verb, endpoint, id string, extra map[string]any) error {
	if id == "" {
		return fmt.Errorf("%s incident: the incident id is empty", verb)
	}
	body := map[string]any{"incident_ids": []string{id}}
	for k, v := range extra {
		body[k] = v
	}
	if err := c.call(ctx, endpoint, body, nil, idempotent); err != nil {
		return fmt.Errorf("%s incident %s: %w", verb, id, err)
	}
	return nil
}

// Ack acknowledges the incident (Triggered → Processing).
func (c *Client) Ack(ctx context.Context, id string) error {
	return c.state(ctx, "acknowledge", "/incident/ack", id, nil)
}

// Unack withdraws the key owner's acknowledgement; the incident returns to
// Triggered when no acknowledger remains.
func (c *Client) Unack(ctx context.Context, id string) error {
	return c.state(ctx, "unacknowledge", "/incident/unack", id, nil)
}

// Resolve closes the incident; root cause and resolution are optional and
// truncated to 1024 characters.
func (c *Client) Resolve(ctx context.Context, id, rootCause, resolution string) error {
	extra := map[string]any{}
	if rootCause != "" {
		extra["root_cause"] = truncate(rootCause, MaxResolveText)
	}
	if resolution != "" {
		extra["resolution"] = truncate(resolution, MaxResolveText)
	}
	return c.state(ctx, "resolve", "/incident/resolve", id, extra)
}

// Reopen moves a closed incident back to Triggered (Flashduty notifies the
// responders again).
func (c *Client) Reopen(ctx context.Context, id string) error {
	return c.state(ctx, "reopen", "/incident/reopen", id, nil)
}

// Snooze silences the incident for 1–1440 minutes.
func (c *Client) Snooze(ctx context.Context, id string, minutes int) error {
	if minutes < 1 || minutes > MaxSnoozeMinutes {
		return fmt.Errorf("snooze incident %s: %d minutes is out of range; use 1 to %d", id, minutes, MaxSnoozeMinutes)
	}
	return c.state(ctx, "snooze", "/incident/snooze", id, map[string]any{"minutes": minutes})
}

// Wake ends a snooze.
func (c *Client) Wake(ctx context.Context, id string) error {
	return c.state(ctx, "wake", "/incident/wake", id, nil)
}

// Comment adds a comment with mute_reply set (so Flashduty integrations do
// not echo it). Text is trimmed; text longer than 1024 characters is sent
// as numbered parts "(1/3) …". Comment is not idempotent: after an
// uncertain outcome it is not re-sent (class httpx.UnknownOutcome; read
// the feed for the text before sending again), and the parts before the
// failed one stay posted; the error says which part failed.
func (c *Client) Comment(ctx context.Context, id, text string) error {
	if id == "" {
		return errors.New("comment on incident: the incident id is empty")
	}
	parts := splitComment(text)
	if parts[0] == "" {
		return fmt.Errorf("comment on incident %s: the comment is empty after trimming", id)
	}
	for i, p := range parts {
		body := map[string]any{"incident_ids": []string{id}, "comment": p, "mute_reply": true}
		if err := c.call(ctx, "/incident/comment", body, nil, nonIdempotent); err != nil {
			if len(parts) > 1 {
				return fmt.Errorf("comment on incident %s: part %d of %d (%d posted): %w", id, i+1, len(parts), i, err)
			}
			return fmt.Errorf("comment on incident %s: %w", id, err)
		}
	}
	return nil
}
