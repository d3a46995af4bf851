package servicenow

import (
	"context"
	"fmt"
	"net/url"
	"strings"
)

// JournalHistory returns, for each incident found, the display values of its
// comments and work_notes: every journal entry's text, newest first, under
// "<date> - <name> (Additional comments)" lines. That value goes through the
// incident's field ACLs, not sys_journal_field's: it shows the history
// where the journal's rows are hidden from the integration user (and so
// gives them away). 100 incidents per request.
func (c *Client) JournalHistory(ctx context.Context, sysIDs []string) (map[string]string, error) {
	const op = "read journal history"
	ids := uniq(sysIDs)
	for _, id := range ids {
		if err := checkSysID(id); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	params := url.Values{"sysparm_display_value": {"true"}, "sysparm_exclude_reference_link": {"true"}}
	rows, err := inBatches(ids, func(chunk []string) ([]map[string]any, error) {
		cond, err := inList("sys_id", chunk)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		rows, err := c.listAllWith(ctx, op, "incident", cond, []string{"sys_id", "comments", "work_notes"}, params)
		if err != nil {
			return nil, err
		}
		return exactRows(rows, "sys_id", chunk), nil
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[str(r["sys_id"])] = strings.TrimSpace(displayText(r["comments"]) + "\n\n" + displayText(r["work_notes"]))
	}
	return out, nil
}

// displayText reads a value returned with sysparm_display_value=true: a
// string, or {"display_value": …} with display_value=all.
func displayText(v any) string {
	if m, ok := v.(map[string]any); ok {
		s, _ := m["display_value"].(string)
		return s
	}
	s, _ := v.(string)
	return s
}
