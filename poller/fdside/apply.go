package fdside

import (
	"context"
	"errors"
	"fmt"

	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/diff"
)

// Client is the part of the Flashduty client Apply uses.
type Client interface {
	Reset(ctx context.Context, r flashduty.ResetRequest) error
	ResetField(ctx context.Context, id, name string, value any) error
	Ack(ctx context.Context, id string) error
	Unack(ctx context.Context, id string) error
	Resolve(ctx context.Context, id, rootCause, resolution string) error
	Reopen(ctx context.Context, id string) error
	Snooze(ctx context.Context, id string, minutes int) error
	Wake(ctx context.Context, id string) error
	Comment(ctx context.Context, id, text string) error
}

// Landed is what of a plan reached Flashduty.
type Landed struct {
	// Reset: /incident/reset (title, description, severity) landed.
	Reset bool
	// TooShort is set when Flashduty kept a text of the reset because it
	// was too short to send (diff normally never sends one); the other
	// fields of the reset were written.
	TooShort error
	// Actions counts the state calls made, in order; State is set once
	// every one of them landed (also when there was none).
	Actions int
	State   bool
	// Fields are the custom fields written, by name.
	Fields map[string]bool
	// Comments counts the plan's comments posted, in order.
	Comments int
}

// Apply makes the calls of plan p on incident id in the plan's order:
// reset, state actions, custom fields, comments. It stops at the first
// failure and returns it; l says what landed before.
func Apply(ctx context.Context, c Client, id string, p diff.FDPlan, l *Landed) error {
	if r := p.Reset; r != nil {
		req := flashduty.ResetRequest{IncidentID: id, Title: r.Title, Description: r.Description}
		if r.Severity != nil {
			s := string(*r.Severity)
			req.Severity = &s
		}
		switch err := c.Reset(ctx, req); {
		case errors.Is(err, flashduty.ErrTooShort):
			l.TooShort = err
		case err != nil:
			return err
		}
		l.Reset = true
	}
	for _, a := range p.Actions {
		if err := action(ctx, c, id, a); err != nil {
			return err
		}
		l.Actions++
	}
	l.State = true
	for _, f := range p.Fields {
		if err := c.ResetField(ctx, id, f.Name, f.Value); err != nil {
			return err
		}
		if l.Fields == nil {
			l.Fields = map[string]bool{}
		}
		l.Fields[f.Name] = true
	}
	for _, text := range p.Comments {
		if err := c.Comment(ctx, id, text); err != nil {
			return err
		}
		l.Comments++
	}
	return nil
}

// action makes one Flashduty state call.
func action(ctx context.Context, c Client, id string, a diff.FDAction) error {
	switch a.Kind {
	case diff.ActionAck:
		return c.Ack(ctx, id)
	case diff.ActionUnack:
		return c.Unack(ctx, id)
	case diff.ActionSnooze:
		return c.Snooze(ctx, id, a.Minutes)
	case diff.ActionWake:
		return c.Wake(ctx, id)
	case diff.ActionResolve:
		return c.Resolve(ctx, id, "", a.Resolution)
	case diff.ActionReopen:
		return c.Reopen(ctx, id)
	}
	return fmt.Errorf("apply flashduty action: unknown action %q", a.Kind)
}
