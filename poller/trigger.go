package poller

import (
	"slices"

	"github.com/snowduty/snowduty/diff"
)

// triggered decides whether an unlinked incident should get a partner.
func (p *Poller) triggered(c *pair) bool {
	dir := p.o.Policy.Direction
	switch {
	case c.snow != nil && c.fd == nil:
		if dir == diff.ToServiceNow {
			return false
		}
		if c.snow.CorrelationID != "" {
			return false // it names a partner we could not find: never guess
		}
		return c.forced || !p.o.Trigger.Manual || c.snow.CorrelationDisplay == diff.CorrelationDisplay
	case c.fd != nil && c.snow == nil:
		if dir == diff.FromServiceNow {
			return false
		}
		if refNumber(c.fd.Description) != "" {
			return false // created by snowduty from ServiceNow; its partner is being recovered
		}
		return c.forced || p.fdTriggered(c)
	}
	return false
}

// fdTriggered applies the Flashduty trigger conditions.
func (p *Poller) fdTriggered(c *pair) bool {
	t := p.o.Trigger
	fd := c.fd
	if len(p.o.ChannelIDs) > 0 && !slices.Contains(p.o.ChannelIDs, fd.ChannelID) {
		return false
	}
	marked := false
	if t.ManualField != "" {
		if v, ok := fd.Fields[t.ManualField]; ok && truthy(v) {
			marked = true
		}
	}
	if t.ManualLabel[0] != "" && fd.Labels[t.ManualLabel[0]] == t.ManualLabel[1] {
		marked = true
	}
	if t.Manual {
		return marked
	}
	if marked {
		return true
	}
	if len(t.Severities) > 0 && !slices.Contains(t.Severities, fd.Severity) {
		return false
	}
	for k, v := range t.Labels {
		if fd.Labels[k] != v {
			return false
		}
	}
	return true
}

// truthy reads a checkbox-like custom field value.
func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return x == "true" || x == "yes" || x == "1" || x == "on"
	case float64:
		return x != 0
	case []any:
		return len(x) > 0
	}
	return false
}
