package snowsim

import (
	"strings"
	"time"
)

// view is how one request wants records rendered.
type view struct {
	display      string // "false", "true" or "all"
	excludeLinks bool
	fields       []string // nil means every column
	base         string   // scheme://host of the instance, for links
	version      string   // "", "v1" or "v2": the request's API version, kept in links
	user         *User
	loc          *time.Location
}

// render turns a record into the JSON object the Table API returns. All
// values are strings; references are {link,value} objects unless links are
// excluded; empty references are ""; journal fields read back as "".
func (s *Server) render(t *table, r *record, v view) map[string]any {
	out := make(map[string]any, len(t.schema.cols))
	put := func(col column) {
		if s.hiddenFields[t.name+"."+col.name] && !v.user.Admin {
			return // field-level read ACL: the field is simply absent
		}
		out[col.name] = s.renderValue(t, col, r, v)
	}
	if v.fields == nil {
		for _, col := range t.schema.cols {
			put(col)
		}
		return out
	}
	for _, name := range v.fields {
		if col, ok := t.schema.col(name); ok {
			put(col)
			continue
		}
		s.putDotWalked(out, t, r, name, v)
	}
	return out
}

// putDotWalked adds a dot-walked field of sysparm_fields (opened_by.name)
// under exactly that key, rendered like the referenced column; a column
// behind an empty reference reads as empty. Names that do not resolve are
// left out, like unknown columns.
func (s *Server) putDotWalked(out map[string]any, t *table, r *record, name string, v view) {
	walk, last, col, ok := s.resolvePath(t, name)
	if !ok || len(walk) == 0 {
		return
	}
	if s.hiddenFields[t.name+"."+walk[0].col] && !v.user.Admin {
		return
	}
	if s.hiddenFields[last.name+"."+col.name] && !v.user.Admin {
		return
	}
	rr := follow(walk, r)
	if rr == nil {
		rr = &record{f: map[string]string{}}
	}
	out[name] = s.renderValue(last, col, rr, v)
}

func (s *Server) renderValue(t *table, col column, r *record, v view) any {
	raw := r.f[col.name]
	if col.kind == kJournal || col.kind == kJournalList {
		raw = ""
	}
	link := ""
	if col.kind == kReference && raw != "" && !v.excludeLinks {
		link = v.base + "/api/now/" + v.version
		if v.version != "" {
			link += "/"
		}
		link += "table/" + col.ref + "/" + raw
	}
	if v.display == "false" {
		if link != "" {
			return map[string]any{"link": link, "value": raw}
		}
		return raw
	}
	var dv any = s.displayValue(t, col, r, v)
	if col.kind == kChoice && raw == "" {
		dv = nil // an empty choice has no label: null, not ""
	}
	if v.display == "true" {
		if link != "" {
			return map[string]any{"display_value": dv, "link": link}
		}
		return dv
	}
	m := map[string]any{"display_value": dv, "value": raw}
	if link != "" {
		m["link"] = link
	}
	return m
}

func (s *Server) displayValue(t *table, col column, r *record, v view) string {
	raw := r.f[col.name]
	switch col.kind {
	case kChoice:
		if t.name == "incident" {
			return choiceLabel(col.name, raw)
		}
	case kReference:
		return s.refDisplay(col.ref, raw)
	case kDateTime:
		return formatUserTime(raw, v)
	case kDueDate:
		if raw == "" {
			return "UNKNOWN"
		}
		return formatUserTime(raw, v)
	case kJournal, kJournalList:
		if t.name == "incident" {
			return s.history(r.f["sys_id"], col.name, v)
		}
	}
	return raw
}

func (s *Server) refDisplay(tbl, id string) string {
	if id == "" {
		return ""
	}
	switch tbl {
	case "sys_user":
		if u := s.usersByID[id]; u != nil {
			return u.Name
		}
	case "sys_user_group":
		if r := s.tables["sys_user_group"].rows[id]; r != nil {
			return r.f["name"]
		}
	case "incident":
		if r := s.tables["incident"].rows[id]; r != nil {
			return r.f["number"]
		}
	}
	return id
}

// history renders journal entries the way the display value of a journal
// field reads: newest first, "<date> - <name> (Additional comments)\n<text>\n\n".
func (s *Server) history(incidentID, field string, v view) string {
	var b strings.Builder
	rows := s.journalBy[incidentID]
	for i := len(rows) - 1; i >= 0; i-- {
		j := rows[i].f
		el := j["element"]
		if field != "comments_and_work_notes" && el != field {
			continue
		}
		label := "Work notes"
		if el == "comments" {
			label = "Additional comments"
		}
		name := j["sys_created_by"]
		if u := s.users[name]; u != nil {
			name = u.Name
		}
		b.WriteString(formatUserTime(j["sys_created_on"], v) + " - " + name + " (" + label + ")\n" + j["value"] + "\n\n")
	}
	return b.String()
}

// formatUserTime converts an internal UTC value into the user's time zone
// and date format.
func formatUserTime(raw string, v view) string {
	if raw == "" {
		return ""
	}
	t, err := time.ParseInLocation(internalLayout, raw, time.UTC)
	if err != nil {
		return raw
	}
	return t.In(v.loc).Format(goDateLayout(v.user.DateFormat) + " 15:04:05")
}

// goDateLayout converts a ServiceNow (Java-style) date format to Go's.
func goDateLayout(f string) string {
	if f == "" {
		f = "yyyy-MM-dd"
	}
	return strings.NewReplacer("yyyy", "2006", "MM", "01", "dd", "02").Replace(f)
}

// userLocation returns the user's time zone, UTC when unset or unknown.
func userLocation(u *User) *time.Location {
	if u == nil || u.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(u.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}
