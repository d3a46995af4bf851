package servicenow

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// timeLayout is ServiceNow's internal date-time format, always UTC.
const timeLayout = "2006-01-02 15:04:05"

// FormatTime writes t as a ServiceNow UTC literal ("2006-01-02 15:04:05").
func FormatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// ParseTime reads a ServiceNow internal (UTC) date-time; "" is the zero time.
func ParseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation(timeLayout, s, time.UTC)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse time %q: want yyyy-MM-dd HH:mm:ss in UTC: %w", s, err)
	}
	return t, nil
}

// Incident is an incident record with raw values.
type Incident struct {
	SysID              string
	Number             string
	ShortDescription   string
	Description        string
	State              string
	HoldReason         string
	Urgency            string
	Impact             string
	Priority           string
	CloseCode          string
	CloseNotes         string
	CorrelationID      string
	CorrelationDisplay string
	SysCreatedBy       string
	SysUpdatedBy       string
	SysModCount        int
	SysCreatedOn       time.Time
	SysUpdatedOn       time.Time
	// Columns holds every other column the answer carried, raw.
	Columns map[string]string
}

// Cursor returns the incident's position in the change feed.
func (i Incident) Cursor() Cursor { return Cursor{UpdatedOn: i.SysUpdatedOn, SysID: i.SysID} }

// DefaultColumns are the columns every incident read asks for.
var DefaultColumns = []string{
	"sys_id", "number", "short_description", "description", "state", "hold_reason", "urgency", "impact",
	"priority", "close_code", "close_notes", "correlation_id", "correlation_display", "sys_created_by",
	"sys_updated_by", "sys_mod_count", "sys_created_on", "sys_updated_on",
}

var coreColumn = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range DefaultColumns {
		m[c] = true
	}
	return m
}()

// str reads a value that should be a string; a reference object (when
// links were not excluded) yields its value.
func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if s, ok := x["value"].(string); ok {
			return s
		}
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// parseIncident reads one raw record.
func parseIncident(m map[string]any) (Incident, error) {
	g := func(k string) string { return str(m[k]) }
	inc := Incident{
		SysID: g("sys_id"), Number: g("number"), ShortDescription: g("short_description"), Description: g("description"),
		State: g("state"), HoldReason: g("hold_reason"), Urgency: g("urgency"), Impact: g("impact"), Priority: g("priority"),
		CloseCode: g("close_code"), CloseNotes: g("close_notes"), CorrelationID: g("correlation_id"),
		CorrelationDisplay: g("correlation_display"), SysCreatedBy: g("sys_created_by"), SysUpdatedBy: g("sys_updated_by"),
	}
	var err error
	if mc := g("sys_mod_count"); mc != "" {
		if inc.SysModCount, err = strconv.Atoi(mc); err != nil {
			return Incident{}, fmt.Errorf("parse incident %s: sys_mod_count %q is not a number", inc.SysID, mc)
		}
	}
	if inc.SysCreatedOn, err = ParseTime(g("sys_created_on")); err != nil {
		return Incident{}, fmt.Errorf("parse incident %s: sys_created_on: %w", inc.SysID, err)
	}
	if inc.SysUpdatedOn, err = ParseTime(g("sys_updated_on")); err != nil {
		return Incident{}, fmt.Errorf("parse incident %s: sys_updated_on: %w", inc.SysID, err)
	}
	for k, v := range m {
		if !coreColumn[k] {
			if inc.Columns == nil {
				inc.Columns = map[string]string{}
			}
			inc.Columns[k] = str(v)
		}
	}
	return inc, nil
}

// decodeRows reads a list result.
func decodeRows(raw json.RawMessage) ([]map[string]any, error) {
	var rows []map[string]any
	if err := json.Unmarshal(raw, &rows); err != nil {
		return nil, fmt.Errorf("decode result list: %w", err)
	}
	return rows, nil
}

func parseIncidents(rows []map[string]any) ([]Incident, error) {
	out := make([]Incident, 0, len(rows))
	for _, r := range rows {
		inc, err := parseIncident(r)
		if err != nil {
			return nil, err
		}
		out = append(out, inc)
	}
	return out, nil
}
