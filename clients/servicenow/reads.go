package servicenow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/snowduty/snowduty/clients/httpx"
)

// batchSize bounds the ids in one IN query, keeping URLs short.
const batchSize = 100

var sysIDRE = regexp.MustCompile(`^[0-9A-Za-z]{32}$`)

func checkSysID(id string) error {
	if !sysIDRE.MatchString(id) {
		return fmt.Errorf("sys_id %q is not 32 letters or digits", id)
	}
	return nil
}

// Get reads one incident with every column (extra columns land in
// Incident.Columns). A missing or hidden incident is an *Error of class
// httpx.NotFound.
func (c *Client) Get(ctx context.Context, sysID string) (Incident, error) {
	const op = "get incident"
	if err := checkSysID(sysID); err != nil {
		return Incident{}, fmt.Errorf("%s: %w", op, err)
	}
	resp, err := c.do(ctx, request{op: op, method: http.MethodGet, path: "/api/now/table/incident/" + sysID,
		endpoint: "/api/now/table/incident/{sys_id}", query: readParams()})
	if err != nil {
		return Incident{}, err
	}
	return decodeOne(op, resp.result)
}

func decodeOne(op string, raw json.RawMessage) (Incident, error) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return Incident{}, fmt.Errorf("%s: decode record: %w", op, err)
	}
	inc, err := parseIncident(m)
	if err != nil {
		return Incident{}, fmt.Errorf("%s: %w", op, err)
	}
	return inc, nil
}

// GetMany reads incidents by sys_id, 100 per request (sys_idIN…).
// Incidents that do not exist or are hidden are simply absent.
func (c *Client) GetMany(ctx context.Context, sysIDs []string, cols []string) ([]Incident, error) {
	const op = "get incidents"
	ids := uniq(sysIDs)
	for _, id := range ids {
		if err := checkSysID(id); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	return c.incidentsIn(ctx, op, "sys_id", ids, cols)
}

// FindByCorrelationIDs returns the incidents whose correlation_id is one
// of ids (the Flashduty incident ids), 100 ids per request.
func (c *Client) FindByCorrelationIDs(ctx context.Context, ids []string) ([]Incident, error) {
	return c.incidentsIn(ctx, "find incidents by correlation_id", "correlation_id", uniq(ids), nil)
}

func (c *Client) incidentsIn(ctx context.Context, op, column string, ids, cols []string) ([]Incident, error) {
	fields, err := columns(cols)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return inBatches(ids, func(chunk []string) ([]Incident, error) {
		cond, err := inList(column, chunk)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		rows, err := c.listAll(ctx, op, "incident", cond, fields)
		if err != nil {
			return nil, err
		}
		incs, err := parseIncidents(exactRows(rows, column, chunk))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		return incs, nil
	})
}

// inBatches reads ids in batches of at most batchSize, smaller where a
// batch's request would be too long (see MaxURLLength: the client refuses
// it before sending, so finding the size costs no request), and returns
// every batch's results in order.
func inBatches[T any](ids []string, read func(chunk []string) ([]T, error)) ([]T, error) {
	var out []T
	size := batchSize
	for len(ids) > 0 {
		n := min(size, len(ids))
		got, err := read(ids[:n])
		var e *Error
		if errors.As(err, &e) && e.TooLong && n > 1 {
			size = min(n*9/10, n-1) // a tenth shorter, and at least one fewer
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
		ids = ids[n:]
	}
	return out, nil
}

// exactRows keeps the rows whose column holds one of values exactly. An
// instance ignores a condition on a column it does not know, and a
// field-level ACL leaves the column out of the row: either way the answer
// may hold rows the lookup did not ask for, and a lookup must only ever
// return exact matches (a row without a sys_id is never one).
func exactRows(rows []map[string]any, column string, values []string) []map[string]any {
	want := make(map[string]bool, len(values))
	for _, v := range values {
		want[v] = true
	}
	return slices.DeleteFunc(rows, func(r map[string]any) bool {
		v := str(r[column])
		return v == "" || !want[v] || str(r["sys_id"]) == ""
	})
}

// listAll reads every row of a small, stable result with offset paging
// ordered by sys_id, stopping on X-Total-Count rather than on a short page
// (the limit applies before ACLs).
func (c *Client) listAll(ctx context.Context, op, table, query string, fields []string) ([]map[string]any, error) {
	return c.listAllWith(ctx, op, table, query, fields, readParams())
}

// listAllWith is listAll with other base parameters (display values).
func (c *Client) listAllWith(ctx context.Context, op, table, query string, fields []string, base url.Values) ([]map[string]any, error) {
	const page = 1000
	var out []map[string]any
	for offset := 0; ; offset += page {
		params := maps.Clone(base)
		params.Set("sysparm_query", joinQuery(query, "ORDERBYsys_id"))
		params.Set("sysparm_fields", strings.Join(fields, ","))
		params.Set("sysparm_limit", strconv.Itoa(page))
		params.Set("sysparm_offset", strconv.Itoa(offset))
		params.Set("sysparm_suppress_pagination_header", "true")
		resp, err := c.do(ctx, request{op: op, method: http.MethodGet, path: "/api/now/table/" + table, endpoint: "/api/now/table/" + table, query: params})
		if err != nil {
			return nil, err
		}
		rows, err := decodeRows(resp.result)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		out = append(out, rows...)
		total := resp.total()
		if total < 0 && len(rows) < page || total >= 0 && offset+page >= total {
			return out, nil
		}
	}
}

// JournalQuery asks for journal entries of many incidents at once.
type JournalQuery struct {
	// IncidentIDs are incident sys_ids; 100 go into one request.
	IncidentIDs []string
	// Since, when set, keeps entries created at or after it.
	Since time.Time
	// Elements are "comments" and/or "work_notes"; empty means comments.
	Elements []string
}

// JournalEntry is one comment or work note (a sys_journal_field row).
type JournalEntry struct {
	SysID     string
	ElementID string // the incident's sys_id
	Element   string // comments or work_notes
	Value     string
	CreatedBy string // the author's user_name
	CreatedOn time.Time
}

var journalFields = []string{"sys_id", "element", "element_id", "name", "value", "sys_created_on", "sys_created_by"}

// Journal reads the journal entries of many incidents from
// sys_journal_field, ordered by (sys_created_on, sys_id).
func (c *Client) Journal(ctx context.Context, q JournalQuery) ([]JournalEntry, error) {
	const op = "list journal entries"
	els := uniq(q.Elements)
	if len(els) == 0 {
		els = []string{"comments"}
	}
	for _, e := range els {
		if e != "comments" && e != "work_notes" {
			return nil, fmt.Errorf("%s: element %q is not comments or work_notes", op, e)
		}
	}
	ids := uniq(q.IncidentIDs)
	for _, id := range ids {
		if err := checkSysID(id); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	out, err := inBatches(ids, func(chunk []string) ([]JournalEntry, error) {
		idCond, _ := inList("element_id", chunk)
		elCond, _ := inList("element", els)
		ks := keyset{op: op, table: "sys_journal_field", timeCol: "sys_created_on", base: joinQuery(idCond, "name=incident", elCond), fields: journalFields}
		cur := Cursor{UpdatedOn: q.Since}
		var got []JournalEntry
		for {
			kp, err := c.keysetRead(ctx, ks, cur, MaxPageSize/10)
			if err != nil {
				return nil, err
			}
			for _, r := range kp.rows {
				e, err := parseJournal(r)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", op, err)
				}
				got = append(got, e)
				cur = Cursor{UpdatedOn: e.CreatedOn, SysID: e.SysID}
			}
			if !kp.more {
				return got, nil
			}
		}
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b JournalEntry) int {
		if c := a.CreatedOn.Compare(b.CreatedOn); c != 0 {
			return c
		}
		return strings.Compare(a.SysID, b.SysID)
	})
	return out, nil
}

func parseJournal(m map[string]any) (JournalEntry, error) {
	e := JournalEntry{SysID: str(m["sys_id"]), ElementID: str(m["element_id"]), Element: str(m["element"]), Value: str(m["value"]), CreatedBy: str(m["sys_created_by"])}
	var err error
	if e.CreatedOn, err = ParseTime(str(m["sys_created_on"])); err != nil {
		return JournalEntry{}, fmt.Errorf("parse journal entry %s: %w", e.SysID, err)
	}
	return e, nil
}

// FieldDef is a column definition from sys_dictionary.
type FieldDef struct {
	Table     string // incident or task (incident extends task)
	Element   string
	Label     string
	Type      string // internal_type: string, integer, reference, glide_date_time…
	MaxLength int
	Mandatory bool
	Reference string
}

// Dictionary returns the incident table's columns, from the sys_dictionary
// rows of incident and task (incident's own definition wins), sorted by
// column name.
func (c *Client) Dictionary(ctx context.Context) ([]FieldDef, error) {
	const op = "read dictionary"
	rows, err := c.listAll(ctx, op, "sys_dictionary", "nameINincident,task^elementISNOTEMPTY^active=true",
		[]string{"sys_id", "name", "element", "column_label", "internal_type", "max_length", "mandatory", "reference"})
	if err != nil {
		return nil, err
	}
	byName := map[string]FieldDef{}
	for _, r := range rows {
		f := FieldDef{Table: str(r["name"]), Element: str(r["element"]), Label: str(r["column_label"]), Type: str(r["internal_type"]),
			Mandatory: str(r["mandatory"]) == "true", Reference: str(r["reference"])}
		f.MaxLength, _ = strconv.Atoi(str(r["max_length"]))
		if prev, ok := byName[f.Element]; ok && prev.Table == "incident" {
			continue
		}
		byName[f.Element] = f
	}
	out := make([]FieldDef, 0, len(byName))
	for _, f := range byName {
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b FieldDef) int { return strings.Compare(a.Element, b.Element) })
	return out, nil
}

// Choice is one value of a choice list (sys_choice).
type Choice struct {
	Table    string
	Element  string
	Value    string
	Label    string
	Sequence int
}

// Choices returns the active English choices of incident (and task)
// columns; no elements means state, close_code and hold_reason. They are
// sorted by element, then sequence.
func (c *Client) Choices(ctx context.Context, elements ...string) ([]Choice, error) {
	const op = "read choices"
	if len(elements) == 0 {
		elements = []string{"state", "close_code", "hold_reason"}
	}
	for _, e := range elements {
		if err := checkColumn("choice element", e); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	cond, _ := inList("element", uniq(elements))
	rows, err := c.listAll(ctx, op, "sys_choice", joinQuery("nameINincident,task", cond, "inactive=false", "language=en"),
		[]string{"sys_id", "name", "element", "value", "label", "sequence"})
	if err != nil {
		return nil, err
	}
	out := make([]Choice, 0, len(rows))
	for _, r := range rows {
		ch := Choice{Table: str(r["name"]), Element: str(r["element"]), Value: str(r["value"]), Label: str(r["label"])}
		ch.Sequence, _ = strconv.Atoi(str(r["sequence"]))
		out = append(out, ch)
	}
	slices.SortStableFunc(out, func(a, b Choice) int {
		if c := strings.Compare(a.Element, b.Element); c != 0 {
			return c
		}
		return a.Sequence - b.Sequence
	})
	return out, nil
}

// User is the integration user's sys_user record.
type User struct {
	SysID      string
	UserName   string
	Name       string
	Email      string
	TimeZone   string // empty means the instance default
	DateFormat string
}

// CurrentUser reads the integration user's own sys_user record: its
// user_name is what journal sys_created_by and sys_updated_by show for the
// client's writes.
func (c *Client) CurrentUser(ctx context.Context) (User, error) {
	const op = "read integration user"
	cond := "sys_id=javascript:gs.getUserID()"
	if c.opts.Username != "" {
		if err := checkValue("username", c.opts.Username, false); err != nil {
			return User{}, fmt.Errorf("%s: %w", op, err)
		}
		cond = "user_name=" + c.opts.Username
	}
	rows, err := c.listAll(ctx, op, "sys_user", cond, []string{"sys_id", "user_name", "name", "email", "time_zone", "date_format"})
	if err != nil {
		return User{}, err
	}
	if len(rows) == 0 {
		return User{}, &Error{Op: op, Method: http.MethodGet, Endpoint: "/api/now/table/sys_user", Class: httpx.NotFound,
			Message: "the integration user's sys_user record is not readable", Hint: "grant the integration user read access to its own sys_user record"}
	}
	r := rows[0]
	return User{SysID: str(r["sys_id"]), UserName: str(r["user_name"]), Name: str(r["name"]), Email: str(r["email"]),
		TimeZone: str(r["time_zone"]), DateFormat: str(r["date_format"])}, nil
}

// dictionaryFields are the sys_dictionary columns a column lookup reads.
var dictionaryFields = []string{"sys_id", "name", "element", "column_label", "internal_type", "max_length", "mandatory", "reference"}

// tableColumns returns the columns each of tables defines itself (not the
// ones it inherits), from its active sys_dictionary rows, in one request.
// A table without any readable row (not a table, or rows hidden by a read
// ACL) is absent from the answer; a table with only its collection row is
// present with no columns.
func (c *Client) tableColumns(ctx context.Context, tables []string) (map[string]map[string]FieldDef, error) {
	const op = "read dictionary"
	tables = uniq(tables)
	for _, t := range tables {
		if err := checkTable(t); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	out := map[string]map[string]FieldDef{}
	if len(tables) == 0 {
		return out, nil
	}
	cond, _ := inList("name", tables)
	rows, err := c.listAll(ctx, op, "sys_dictionary", joinQuery(cond, "active=true"), dictionaryFields)
	if err != nil {
		return nil, err
	}
	for _, r := range exactRows(rows, "name", tables) {
		f := FieldDef{Table: str(r["name"]), Element: str(r["element"]), Label: str(r["column_label"]), Type: str(r["internal_type"]),
			Mandatory: str(r["mandatory"]) == "true", Reference: str(r["reference"])}
		f.MaxLength, _ = strconv.Atoi(str(r["max_length"]))
		if out[f.Table] == nil {
			out[f.Table] = map[string]FieldDef{}
		}
		if f.Element != "" {
			out[f.Table][f.Element] = f
		}
	}
	return out, nil
}

// tableParents returns the table each of tables extends (sys_db_object's
// super_class), "" for a base table. A table without a readable
// sys_db_object row is absent from the answer. Two requests: the tables'
// rows, then the rows of their super classes (a reference by sys_id).
func (c *Client) tableParents(ctx context.Context, tables []string) (map[string]string, error) {
	const op = "read table hierarchy"
	tables = uniq(tables)
	for _, t := range tables {
		if err := checkTable(t); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	out := map[string]string{}
	if len(tables) == 0 {
		return out, nil
	}
	cond, _ := inList("name", tables)
	rows, err := c.listAll(ctx, op, "sys_db_object", cond, []string{"sys_id", "name", "super_class"})
	if err != nil {
		return nil, err
	}
	superOf := map[string]string{}
	var ids []string
	for _, r := range exactRows(rows, "name", tables) {
		sup := str(r["super_class"])
		superOf[str(r["name"])] = sup
		if sup != "" {
			if err := checkSysID(sup); err != nil {
				return nil, fmt.Errorf("%s: super_class of %s: %w", op, str(r["name"]), err)
			}
			ids = append(ids, sup)
		}
	}
	names := map[string]string{}
	if ids = uniq(ids); len(ids) > 0 {
		cond, _ := inList("sys_id", ids)
		rows, err := c.listAll(ctx, op, "sys_db_object", cond, []string{"sys_id", "name"})
		if err != nil {
			return nil, err
		}
		for _, r := range exactRows(rows, "sys_id", ids) {
			names[str(r["sys_id"])] = str(r["name"])
		}
	}
	for t, sup := range superOf {
		switch {
		case sup == "":
			out[t] = ""
		case names[sup] != "":
			out[t] = names[sup]
		}
		// a super class whose row is not readable leaves t unknown
	}
	return out, nil
}

// columnOwners returns, for each of elements, the tables whose active
// sys_dictionary rows define a column of that name, in one request.
func (c *Client) columnOwners(ctx context.Context, elements []string) (map[string][]string, error) {
	const op = "read dictionary"
	elements = uniq(elements)
	for _, e := range elements {
		if err := checkTable(e); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	out := map[string][]string{}
	if len(elements) == 0 {
		return out, nil
	}
	cond, _ := inList("element", elements)
	rows, err := c.listAll(ctx, op, "sys_dictionary", joinQuery(cond, "active=true"), []string{"sys_id", "name", "element"})
	if err != nil {
		return nil, err
	}
	for _, r := range exactRows(rows, "element", elements) {
		e, t := str(r["element"]), str(r["name"])
		if t != "" && !slices.Contains(out[e], t) {
			out[e] = append(out[e], t)
		}
	}
	for _, ts := range out {
		slices.Sort(ts)
	}
	return out, nil
}

var tableRE = regexp.MustCompile(`^[a-z0-9_]+$`)

// checkTable rejects anything but a table or column name (no dot-walk).
func checkTable(name string) error {
	if !tableRE.MatchString(name) {
		return fmt.Errorf("%q is not a table or column name", name)
	}
	return nil
}
