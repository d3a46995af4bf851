package servicenow

import (
	"context"
	"fmt"
	"net/http"
)

// checkFields rejects field names that are not columns.
func checkFields(fields map[string]string) error {
	if len(fields) == 0 {
		return fmt.Errorf("no fields to write")
	}
	for k := range fields {
		if err := checkColumn("field", k); err != nil {
			return err
		}
	}
	return nil
}

// Create inserts an incident (POST, 201) and returns the whole new record.
// fields may carry a client-chosen "sys_id" (32 hex digits): the record
// then gets it, and a second insert with it fails. It is never retried
// after an ambiguous failure (5xx, 202, timeout, a dropped connection): the
// error then has class httpx.UnknownOutcome and the caller must look the
// incident up (by that sys_id, or by correlation_id) before creating it
// again.
func (c *Client) Create(ctx context.Context, fields map[string]string) (Incident, error) {
	const op = "create incident"
	if err := checkFields(fields); err != nil {
		return Incident{}, fmt.Errorf("%s: %w", op, err)
	}
	resp, err := c.do(ctx, request{op: op, method: http.MethodPost, path: "/api/now/table/incident",
		endpoint: "/api/now/table/incident", query: readParams(), body: fields, unsafe: true})
	if err != nil {
		return Incident{}, err
	}
	return decodeOne(op, resp.result)
}

// Update changes an incident (PATCH) and returns the whole updated record
// (new sys_mod_count, sys_updated_on, sys_updated_by). A PATCH that writes
// comments or work_notes appends journal entries, so like Create it is
// not retried after an ambiguous failure (class httpx.UnknownOutcome).
func (c *Client) Update(ctx context.Context, sysID string, fields map[string]string) (Incident, error) {
	const op = "update incident"
	if err := checkSysID(sysID); err != nil {
		return Incident{}, fmt.Errorf("%s: %w", op, err)
	}
	if err := checkFields(fields); err != nil {
		return Incident{}, fmt.Errorf("%s: %w", op, err)
	}
	_, hasComment := fields["comments"]
	_, hasNote := fields["work_notes"]
	resp, err := c.do(ctx, request{op: op, method: http.MethodPatch, path: "/api/now/table/incident/" + sysID,
		endpoint: "/api/now/table/incident/{sys_id}", query: readParams(), body: fields, unsafe: hasComment || hasNote})
	if err != nil {
		return Incident{}, err
	}
	return decodeOne(op, resp.result)
}
