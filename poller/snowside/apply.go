package snowside

import (
	"context"
	"maps"

	"github.com/snowduty/snowduty/clients/servicenow"
	"github.com/snowduty/snowduty/diff"
)

// Client is the part of the ServiceNow client Apply uses.
type Client interface {
	Update(ctx context.Context, sysID string, fields map[string]string) (servicenow.Incident, error)
}

// Landed is what of a plan reached ServiceNow.
type Landed struct {
	// Patch: the PATCH carrying the fields (and the first comment) landed.
	Patch bool
	// Comments counts the plan's comments posted, in order.
	Comments int
	// Last is the record as the last PATCH returned it; Bodies is how many
	// PATCHes were sent (all of them, when Apply returns nil).
	Last   servicenow.Incident
	Bodies int
}

// Apply writes plan p to incident sysID: one PATCH with every field and
// the first comment, then one PATCH per further comment. It stops at the
// first failure and returns it; l says what landed before.
func Apply(ctx context.Context, c Client, sysID string, p diff.SnowPlan, l *Landed) error {
	if len(p.Update) == 0 && len(p.Comments) == 0 {
		return nil
	}
	for i, body := range Bodies(p) {
		inc, err := c.Update(ctx, sysID, body)
		if err != nil {
			return err
		}
		l.Patch, l.Last, l.Bodies = true, inc, i+1
		if len(p.Comments) > 0 {
			l.Comments = i + 1 // body i carries comment i
		}
	}
	return nil
}

// Bodies returns the PATCH bodies of a ServiceNow plan: the fields with the
// first comment, then one body per further comment.
func Bodies(p diff.SnowPlan) []map[string]string {
	first := maps.Clone(p.Update)
	if first == nil {
		first = map[string]string{}
	}
	comments := p.Comments
	if len(comments) > 0 {
		first[comments[0].Element] = comments[0].Text
		comments = comments[1:]
	}
	out := []map[string]string{first}
	for _, cm := range comments {
		out = append(out, map[string]string{cm.Element: cm.Text})
	}
	return out
}
