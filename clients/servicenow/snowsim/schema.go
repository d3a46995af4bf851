package snowsim

import "strings"

// kind is how a column's value is stored and displayed.
type kind int

const (
	kString kind = iota
	kChoice
	kReference
	kDateTime
	kDueDate // a date-time shown as "UNKNOWN" when empty in display mode
	kJournal // journal_input: write-only, reads back as ""
	kJournalList
	kBoolean
	kInteger
	kGUID
)

// internalType is the sys_dictionary internal_type of a kind.
func (k kind) internalType() string {
	switch k {
	case kChoice:
		return "choice"
	case kReference:
		return "reference"
	case kDateTime, kDueDate:
		return "glide_date_time"
	case kJournal:
		return "journal_input"
	case kJournalList:
		return "journal_list"
	case kBoolean:
		return "boolean"
	case kInteger:
		return "integer"
	case kGUID:
		return "GUID"
	}
	return "string"
}

// column is one column of a simulated table.
type column struct {
	name   string
	label  string
	kind   kind
	ref    string // referenced table, for kReference
	maxLen int
	owner  string // the table that defines it ("task" for inherited incident columns)
}

// Column describes an extra (custom) column added to the incident table,
// such as u_flashduty_url.
type Column struct {
	// Name is the column name; custom columns start with u_.
	Name string
	// Label is the column label; empty means derived from Name.
	Label string
	// MaxLength is the maximum length; zero means 255.
	MaxLength int
}

// schema is the ordered column list of a table plus an index by name.
type schema struct {
	cols  []column
	byKey map[string]int
}

func newSchema(cols []column) *schema {
	s := &schema{cols: cols, byKey: make(map[string]int, len(cols))}
	for i, c := range cols {
		s.byKey[c.name] = i
	}
	return s
}

func (s *schema) col(name string) (column, bool) {
	i, ok := s.byKey[name]
	if !ok {
		return column{}, false
	}
	return s.cols[i], true
}

// labelOf turns a column name into a ServiceNow-style label.
func labelOf(name string) string {
	n := strings.TrimPrefix(name, "u_")
	n = strings.ReplaceAll(n, "_", " ")
	if n == "" {
		return name
	}
	return strings.ToUpper(n[:1]) + n[1:]
}

func c(name string, k kind, owner string, extra ...string) column {
	col := column{name: name, label: labelOf(name), kind: k, owner: owner, maxLen: 40}
	switch k {
	case kString:
		col.maxLen = 255
	case kJournal, kJournalList:
		col.maxLen = 4000
	case kReference, kGUID:
		col.maxLen = 32
	}
	for i := 0; i+1 < len(extra); i += 2 {
		switch extra[i] {
		case "ref":
			col.ref = extra[i+1]
		case "label":
			col.label = extra[i+1]
		case "len":
			n := 0
			for _, r := range extra[i+1] {
				n = n*10 + int(r-'0')
			}
			col.maxLen = n
		}
	}
	return col
}

// incidentColumns is the incident table (task columns plus incident's own),
// after the field set of the documented POST response.
func incidentColumns(custom []Column) []column {
	const t, i = "task", "incident"
	cols := []column{
		c("sys_id", kGUID, t, "label", "Sys ID"),
		c("number", kString, t, "len", "40"),
		c("short_description", kString, t, "len", "160"),
		c("description", kString, t, "len", "4000"),
		c("state", kChoice, t),
		c("incident_state", kChoice, i, "label", "Incident state"),
		c("hold_reason", kChoice, i, "label", "On hold reason"),
		c("impact", kChoice, t),
		c("urgency", kChoice, t),
		c("priority", kChoice, t),
		c("severity", kChoice, i),
		c("category", kChoice, i),
		c("subcategory", kString, i),
		c("close_code", kChoice, i, "label", "Resolution code"),
		c("close_notes", kString, t, "len", "4000", "label", "Close notes"),
		c("correlation_id", kString, t, "len", "100", "label", "Correlation ID"),
		c("correlation_display", kString, t, "len", "100"),
		c("caller_id", kReference, i, "ref", "sys_user", "label", "Caller"),
		c("assigned_to", kReference, t, "ref", "sys_user"),
		c("assignment_group", kReference, t, "ref", "sys_user_group"),
		c("opened_by", kReference, t, "ref", "sys_user"),
		c("resolved_by", kReference, i, "ref", "sys_user"),
		c("closed_by", kReference, t, "ref", "sys_user"),
		c("opened_at", kDateTime, t),
		c("resolved_at", kDateTime, i),
		c("closed_at", kDateTime, t),
		c("active", kBoolean, t),
		c("comments", kJournal, t, "label", "Additional comments"),
		c("work_notes", kJournal, t),
		c("comments_and_work_notes", kJournalList, t),
		c("work_notes_list", kString, t),
		c("additional_assignee_list", kString, t),
		c("approval", kChoice, t),
		c("approval_history", kJournal, t),
		c("approval_set", kDateTime, t),
		c("business_duration", kString, t),
		c("business_service", kReference, t, "ref", "cmdb_ci_service"),
		c("business_stc", kInteger, i),
		c("calendar_duration", kString, t),
		c("calendar_stc", kInteger, i),
		c("caused_by", kReference, i, "ref", "change_request"),
		c("child_incidents", kInteger, i),
		c("cmdb_ci", kReference, t, "ref", "cmdb_ci"),
		c("company", kReference, t, "ref", "core_company"),
		c("contact_type", kChoice, t),
		c("delivery_plan", kReference, t, "ref", "sc_cat_item_delivery_plan"),
		c("delivery_task", kReference, t, "ref", "sc_cat_item_delivery_task"),
		c("due_date", kDateTime, t),
		c("escalation", kChoice, t),
		c("expected_start", kDateTime, t),
		c("follow_up", kDateTime, t),
		c("group_list", kString, t),
		c("knowledge", kBoolean, t),
		c("location", kReference, t, "ref", "cmn_location"),
		c("made_sla", kBoolean, t),
		c("notify", kChoice, i),
		c("order", kInteger, t),
		c("parent", kReference, t, "ref", "task"),
		c("parent_incident", kReference, i, "ref", "incident"),
		c("problem_id", kReference, i, "ref", "problem"),
		c("reassignment_count", kInteger, t),
		c("rejection_goto", kReference, t, "ref", "task"),
		c("reopen_count", kInteger, i),
		c("rfc", kReference, i, "ref", "change_request"),
		c("activity_due", kDueDate, t),
		c("sla_due", kDueDate, t),
		c("time_worked", kString, t),
		c("upon_approval", kChoice, t),
		c("upon_reject", kChoice, t),
		c("user_input", kString, t),
		c("watch_list", kString, t),
		c("wf_activity", kReference, t, "ref", "wf_activity"),
		c("work_end", kDateTime, t),
		c("work_start", kDateTime, t),
		c("sys_class_name", kString, t, "len", "80", "label", "Task type"),
		c("sys_domain", kReference, t, "ref", "sys_user_group", "label", "Domain"),
		c("sys_domain_path", kString, t, "label", "Domain path"),
		c("sys_tags", kString, t, "label", "Tags"),
		c("sys_created_on", kDateTime, t, "label", "Created"),
		c("sys_created_by", kString, t, "label", "Created by"),
		c("sys_updated_on", kDateTime, t, "label", "Updated"),
		c("sys_updated_by", kString, t, "label", "Updated by"),
		c("sys_mod_count", kInteger, t, "label", "Updates"),
	}
	for _, cc := range custom {
		col := column{name: cc.Name, label: cc.Label, kind: kString, owner: i, maxLen: cc.MaxLength}
		if col.label == "" {
			col.label = labelOf(cc.Name)
		}
		if col.maxLen <= 0 {
			col.maxLen = 255
		}
		cols = append(cols, col)
	}
	return cols
}

func sysColumns(owner string) []column {
	return []column{
		c("sys_id", kGUID, owner, "label", "Sys ID"),
		c("sys_created_on", kDateTime, owner, "label", "Created"),
		c("sys_created_by", kString, owner, "label", "Created by"),
		c("sys_updated_on", kDateTime, owner, "label", "Updated"),
		c("sys_updated_by", kString, owner, "label", "Updated by"),
		c("sys_mod_count", kInteger, owner, "label", "Updates"),
	}
}

func journalColumns() []column {
	const o = "sys_journal_field"
	return []column{
		c("sys_id", kGUID, o, "label", "Sys ID"),
		c("element", kString, o),
		c("element_id", kString, o, "label", "Element ID"),
		c("name", kString, o, "label", "Table"),
		c("value", kString, o, "len", "4000"),
		c("sys_created_on", kDateTime, o, "label", "Created"),
		c("sys_created_by", kString, o, "label", "Created by"),
		c("sys_tags", kString, o, "label", "Tags"),
	}
}

func userColumns() []column {
	const o = "sys_user"
	return append([]column{
		c("user_name", kString, o, "label", "User ID"),
		c("name", kString, o),
		c("first_name", kString, o),
		c("last_name", kString, o),
		c("email", kString, o),
		c("time_zone", kChoice, o),
		c("date_format", kChoice, o),
		c("active", kBoolean, o),
	}, sysColumns(o)...)
}

func groupColumns() []column {
	const o = "sys_user_group"
	return append([]column{c("name", kString, o), c("description", kString, o)}, sysColumns(o)...)
}

func dictionaryColumns() []column {
	const o = "sys_dictionary"
	return append([]column{
		c("name", kString, o, "label", "Table"),
		c("element", kString, o, "label", "Column name"),
		c("column_label", kString, o),
		c("internal_type", kReference, o, "ref", "sys_glide_object", "label", "Type"),
		c("max_length", kInteger, o),
		c("mandatory", kBoolean, o),
		c("reference", kReference, o, "ref", "sys_db_object"),
		c("active", kBoolean, o),
		c("read_only", kBoolean, o),
	}, sysColumns(o)...)
}

func choiceColumns() []column {
	const o = "sys_choice"
	return append([]column{
		c("name", kString, o, "label", "Table"),
		c("element", kString, o),
		c("value", kString, o),
		c("label", kString, o),
		c("sequence", kInteger, o),
		c("inactive", kBoolean, o),
		c("language", kString, o),
		c("dependent_value", kString, o),
	}, sysColumns(o)...)
}

// choiceList holds the choices of the incident table, in sequence order.
var choiceList = map[string][][2]string{
	"state":          {{"1", "New"}, {"2", "In Progress"}, {"3", "On Hold"}, {"6", "Resolved"}, {"7", "Closed"}, {"8", "Canceled"}},
	"incident_state": {{"1", "New"}, {"2", "In Progress"}, {"3", "On Hold"}, {"6", "Resolved"}, {"7", "Closed"}, {"8", "Canceled"}},
	"impact":         {{"1", "1 - High"}, {"2", "2 - Medium"}, {"3", "3 - Low"}},
	"urgency":        {{"1", "1 - High"}, {"2", "2 - Medium"}, {"3", "3 - Low"}},
	"priority":       {{"1", "1 - Critical"}, {"2", "2 - High"}, {"3", "3 - Moderate"}, {"4", "4 - Low"}, {"5", "5 - Planning"}},
	"severity":       {{"1", "1 - High"}, {"2", "2 - Medium"}, {"3", "3 - Low"}},
	"hold_reason":    {{"1", "Awaiting Caller"}, {"3", "Awaiting Problem"}, {"4", "Awaiting Vendor"}, {"5", "Awaiting Change"}},
	"close_code": {
		{"Duplicate", "Duplicate"}, {"Known error", "Known error"}, {"No resolution provided", "No resolution provided"},
		{"Resolved by caller", "Resolved by caller"}, {"Resolved by change", "Resolved by change"},
		{"Resolved by problem", "Resolved by problem"}, {"Resolved by request", "Resolved by request"},
		{"Solution provided", "Solution provided"}, {"Workaround provided", "Workaround provided"}, {"User error", "User error"},
	},
	"category":      {{"inquiry", "Inquiry / Help"}, {"software", "Software"}, {"hardware", "Hardware"}, {"network", "Network"}, {"database", "Database"}},
	"contact_type":  {{"email", "Email"}, {"phone", "Phone"}, {"self-service", "Self-service"}, {"virtual_agent", "Virtual Agent"}, {"walk-in", "Walk-in"}},
	"escalation":    {{"0", "Normal"}, {"1", "Moderate"}, {"2", "High"}, {"3", "Overdue"}},
	"notify":        {{"1", "Do Not Notify"}, {"2", "Send Email"}, {"3", "Send SMS"}},
	"approval":      {{"not requested", "Not Yet Requested"}, {"requested", "Requested"}, {"approved", "Approved"}, {"rejected", "Rejected"}},
	"upon_approval": {{"proceed", "Proceed to Next Task"}, {"do_nothing", "Wait for a User to Close this task"}},
	"upon_reject":   {{"cancel", "Cancel all future Tasks"}, {"goto", "Go to a previous Task"}},
}

// choiceLabel returns the label of value in the element's choice list, or
// value itself when there is none.
func choiceLabel(element, value string) string {
	for _, cv := range choiceList[element] {
		if cv[0] == value {
			return cv[1]
		}
	}
	return value
}
