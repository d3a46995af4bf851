package servicenow

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/snowduty/snowduty/clients/httpx"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
)

func TestParseScopeShapes(t *testing.T) {
	type c = ScopeCondition
	for _, tt := range []struct {
		scope string
		want  []c
	}{
		{"", nil},
		{"active=true", []c{{Text: "active=true", Field: "active", Op: "=", Value: "true"}}},
		{"assignment_group=8a4dde73c6112278017a6a4baf547aa7^active=true", []c{
			{Text: "assignment_group=8a4dde73c6112278017a6a4baf547aa7", Field: "assignment_group", Op: "=", Value: "8a4dde73c6112278017a6a4baf547aa7"},
			{Text: "active=true", Field: "active", Op: "=", Value: "true"}}},
		{"priority!=5", []c{{Text: "priority!=5", Field: "priority", Op: "!=", Value: "5"}}},
		{"stateIN1,2,3^ORstateNOT IN6,7", []c{
			{Text: "stateIN1,2,3", Field: "state", Op: "IN", Value: "1,2,3"},
			{Text: "stateNOT IN6,7", Or: true, Field: "state", Op: "NOT IN", Value: "6,7"}}},
		{"assignment_group.name=Service Desk", []c{{Text: "assignment_group.name=Service Desk", Field: "assignment_group.name", Op: "=", Value: "Service Desk"}}},
		{"assignment_group.nameSTARTSWITHService", []c{{Text: "assignment_group.nameSTARTSWITHService", Field: "assignment_group.name", Op: "STARTSWITH", Value: "Service"}}},
		{"opened_by.user_name=bob^ORcaller_id.nameLIKEfred", []c{
			{Text: "opened_by.user_name=bob", Field: "opened_by.user_name", Op: "=", Value: "bob"},
			{Text: "caller_id.nameLIKEfred", Or: true, Field: "caller_id.name", Op: "LIKE", Value: "fred"}}},
		{"short_descriptionNOT LIKEtest^descriptionENDSWITH.", []c{
			{Text: "short_descriptionNOT LIKEtest", Field: "short_description", Op: "NOT LIKE", Value: "test"},
			{Text: "descriptionENDSWITH.", Field: "description", Op: "ENDSWITH", Value: "."}}},
		{"assigned_toISEMPTY^ORassigned_toISNOTEMPTY^close_notesEMPTYSTRING^numberANYTHING", []c{
			{Text: "assigned_toISEMPTY", Field: "assigned_to", Op: "ISEMPTY"},
			{Text: "assigned_toISNOTEMPTY", Or: true, Field: "assigned_to", Op: "ISNOTEMPTY"},
			{Text: "close_notesEMPTYSTRING", Field: "close_notes", Op: "EMPTYSTRING"},
			{Text: "numberANYTHING", Field: "number", Op: "ANYTHING"}}},
		{"priority<3^priority<=3^priority>1^priority>=1", []c{
			{Text: "priority<3", Field: "priority", Op: "<", Value: "3"},
			{Text: "priority<=3", Field: "priority", Op: "<=", Value: "3"},
			{Text: "priority>1", Field: "priority", Op: ">", Value: "1"},
			{Text: "priority>=1", Field: "priority", Op: ">=", Value: "1"}}},
		{"opened_atBETWEENjavascript:gs.dateGenerate('2026-01-01','00:00:00')@javascript:gs.dateGenerate('2026-01-31','23:59:59')", []c{
			{Text: "opened_atBETWEENjavascript:gs.dateGenerate('2026-01-01','00:00:00')@javascript:gs.dateGenerate('2026-01-31','23:59:59')",
				Field: "opened_at", Op: "BETWEEN", Value: "javascript:gs.dateGenerate('2026-01-01','00:00:00')@javascript:gs.dateGenerate('2026-01-31','23:59:59')"}}},
		{"opened_atONToday@javascript:gs.beginningOfToday()@javascript:gs.endOfToday()^sys_created_onNOTONYesterday@a@b", []c{
			{Text: "opened_atONToday@javascript:gs.beginningOfToday()@javascript:gs.endOfToday()", Field: "opened_at", Op: "ON", Value: "Today@javascript:gs.beginningOfToday()@javascript:gs.endOfToday()"},
			{Text: "sys_created_onNOTONYesterday@a@b", Field: "sys_created_on", Op: "NOTON", Value: "Yesterday@a@b"}}},
		{"assigned_to=javascript:gs.getUserID()^assignment_groupDYNAMICd6435e965f510100a9ad2572f2b47744", []c{
			{Text: "assigned_to=javascript:gs.getUserID()", Field: "assigned_to", Op: "=", Value: "javascript:gs.getUserID()"},
			{Text: "assignment_groupDYNAMICd6435e965f510100a9ad2572f2b47744", Field: "assignment_group", Op: "DYNAMIC", Value: "d6435e965f510100a9ad2572f2b47744"}}},
		{"sys_updated_onRELATIVEGT@hour@ago@3^cmdb_ciINSTANCEOFcmdb_ci_server", []c{
			{Text: "sys_updated_onRELATIVEGT@hour@ago@3", Field: "sys_updated_on", Op: "RELATIVEGT", Value: "@hour@ago@3"},
			{Text: "cmdb_ciINSTANCEOFcmdb_ci_server", Field: "cmdb_ci", Op: "INSTANCEOF", Value: "cmdb_ci_server"}}},
		{"opened_bySAMEAScaller_id^resolved_atGT_FIELDopened_at", []c{
			{Text: "opened_bySAMEAScaller_id", Field: "opened_by", Op: "SAMEAS", Value: "caller_id", Other: "caller_id"},
			{Text: "resolved_atGT_FIELDopened_at", Field: "resolved_at", Op: "GT_FIELD", Value: "opened_at", Other: "opened_at"}}},
		{"u_flashduty_id=abc^parent.ref_incident.caller_id.user_name=bob", []c{
			{Text: "u_flashduty_id=abc", Field: "u_flashduty_id", Op: "=", Value: "abc"},
			{Text: "parent.ref_incident.caller_id.user_name=bob", Field: "parent.ref_incident.caller_id.user_name", Op: "=", Value: "bob"}}},
		{"short_description=a=b<c", []c{{Text: "short_description=a=b<c", Field: "short_description", Op: "=", Value: "a=b<c"}}},
		{"123TEXTQUERY321=printer^JOINincident.sys_id=problem.first_reported_by_task!active=true", []c{
			{Text: "123TEXTQUERY321=printer", Special: "keyword search"},
			{Text: "JOINincident.sys_id=problem.first_reported_by_task!active=true", Special: "JOIN"}}},
		{"GOTOnumber>INC0010000", []c{{Text: "GOTOnumber>INC0010000", Field: "number", Op: ">", Value: "INC0010000"}}},
	} {
		got, err := ParseScope(tt.scope)
		if err != nil {
			t.Errorf("ParseScope(%q): %v", tt.scope, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseScope(%q)\n got %+v\nwant %+v", tt.scope, got, tt.want)
		}
	}
}

func TestParseScopeUnreadableConditions(t *testing.T) {
	for _, tt := range []struct{ scope, want string }{
		{"active", `no operator follows "active"`},
		{"Assignment_group=x", "does not start with a column name"},
		{"state IN1,2", `" IN1,2" after "state" is not an operator`},
		{"stateFOO1", `"FOO1" after "state" is not an operator`},
		{"assignment_group..name=x", "is not a column or a dot-walk"},
		{"assignment_group.=x", "is not a column or a dot-walk"},
		{".name=x", "is not a column or a dot-walk"},
		{"=x", "does not start with a column name"},
		{"opened_bySAMEASCaller", "SAMEAS compares with another column"},
	} {
		got, err := ParseScope(tt.scope)
		if err != nil || len(got) != 1 || !strings.Contains(got[0].Err, tt.want) {
			t.Errorf("ParseScope(%q) = %+v, %v; want an unreadable condition saying %q", tt.scope, got, err, tt.want)
		}
	}
	// CheckScope's structural errors come first.
	for _, s := range []string{"active=true^NQactive=false", "active=true^ORDERBYnumber", "ORactive=true", "active=true^", "a=1^EQ"} {
		if _, err := ParseScope(s); err == nil {
			t.Errorf("ParseScope(%q) accepted a structurally bad scope", s)
		}
	}
}

// fakeSchema is an instance's schema: columns per table, the hierarchy,
// and the reads the resolver made.
type fakeSchema struct {
	cols       map[string]map[string]FieldDef
	parent     map[string]string
	colsErr    error
	parentsErr error
	ownersErr  error
	reads      []string
}

func (f *fakeSchema) columns(_ context.Context, tables []string) (map[string]map[string]FieldDef, error) {
	f.reads = append(f.reads, "columns "+strings.Join(tables, ","))
	if f.colsErr != nil && !slices.Contains(tables, "incident") {
		return nil, f.colsErr
	}
	out := map[string]map[string]FieldDef{}
	for _, t := range tables {
		if c, ok := f.cols[t]; ok {
			out[t] = c
		}
	}
	return out, nil
}

func (f *fakeSchema) parents(_ context.Context, tables []string) (map[string]string, error) {
	f.reads = append(f.reads, "parents "+strings.Join(tables, ","))
	if f.parentsErr != nil {
		return nil, f.parentsErr
	}
	out := map[string]string{}
	for _, t := range tables {
		if p, ok := f.parent[t]; ok {
			out[t] = p
		}
	}
	return out, nil
}

func (f *fakeSchema) owners(_ context.Context, elements []string) (map[string][]string, error) {
	f.reads = append(f.reads, "owners "+strings.Join(elements, ","))
	if f.ownersErr != nil {
		return nil, f.ownersErr
	}
	out := map[string][]string{}
	for _, e := range elements {
		for t, cs := range f.cols {
			if _, ok := cs[e]; ok {
				out[e] = append(out[e], t)
			}
		}
		slices.Sort(out[e])
	}
	return out, nil
}

func cols(table string, defs ...string) map[string]FieldDef {
	m := map[string]FieldDef{}
	for _, d := range defs {
		name, rest, _ := strings.Cut(d, ":")
		typ, ref, _ := strings.Cut(rest, ">")
		if typ == "" {
			typ = "string"
		}
		m[name] = FieldDef{Table: table, Element: name, Type: typ, Reference: ref}
	}
	return m
}

// newFakeSchema is a small instance: incident extends task; business
// service extends cmdb_ci, which extends cmdb.
func newFakeSchema() *fakeSchema {
	return &fakeSchema{
		cols: map[string]map[string]FieldDef{
			"task": cols("task", "sys_id:GUID", "number", "active:boolean", "short_description", "state:integer",
				"assignment_group:reference>sys_user_group", "assigned_to:reference>sys_user", "opened_by:reference>sys_user",
				"business_service:reference>cmdb_ci_service", "parent:reference>task", "opened_at:glide_date_time", "work_notes:journal_input",
				"company:reference>core_company", "document:document_id"),
			"incident":        cols("incident", "caller_id:reference>sys_user", "category", "resolved_at:glide_date_time", "u_team", "problem_id:reference>problem"),
			"sys_user":        cols("sys_user", "sys_id:GUID", "user_name", "name", "email", "manager:reference>sys_user", "department:reference>cmn_department"),
			"sys_user_group":  cols("sys_user_group", "sys_id:GUID", "name", "manager:reference>sys_user", "active:boolean"),
			"cmdb":            cols("cmdb", "sys_id:GUID", "sys_class_name:sys_class_name"),
			"cmdb_ci":         cols("cmdb_ci", "name", "operational_status:integer"),
			"cmdb_ci_service": cols("cmdb_ci_service", "service_classification"),
			"core_company":    cols("core_company"), // collection row only
			"problem":         cols("problem", "problem_state:integer"),
		},
		parent: map[string]string{"sys_user": "", "sys_user_group": "", "cmdb_ci_service": "cmdb_ci", "cmdb_ci": "cmdb", "cmdb": "", "core_company": "", "problem": "task"},
	}
}

func checkFake(t *testing.T, f *fakeSchema, scope string) ScopeReport {
	t.Helper()
	conds, err := ParseScope(scope)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := checkScopeColumns(t.Context(), f, conds)
	if err != nil {
		t.Fatalf("%q: %v", scope, err)
	}
	return rep
}

func problemTexts(r ScopeReport) []string {
	var out []string
	for _, p := range r.Problems {
		out = append(out, p.String())
	}
	return out
}

func TestScopeColumnsResolve(t *testing.T) {
	f := newFakeSchema()
	rep := checkFake(t, f, "assignment_group.name=Service Desk^ORassignment_group.manager.user_name=bob^active=true^caller_id.manager.email=x^u_teamLIKEops^business_service.name=Email^opened_bySAMEAScaller_id^parent.number=INC1^problem_id.number=PRB1")
	if len(rep.Problems) > 0 || len(rep.Unchecked) > 0 {
		t.Fatalf("problems %v, unchecked %v", problemTexts(rep), rep.Unchecked)
	}
	want := []string{"assignment_group.name", "assignment_group.manager.user_name", "active", "caller_id.manager.email", "u_team", "business_service.name", "opened_by", "caller_id", "parent.number", "problem_id.number"}
	if !reflect.DeepEqual(sortedCopy(rep.Checked), sortedCopy(want)) {
		t.Fatalf("checked %v, want %v", rep.Checked, want)
	}
	// One read for incident and task; one per level of dot-walk for the
	// tables referenced at that level; the hierarchy only where a column is
	// not defined on the referenced table itself.
	if len(f.reads) > 4 {
		t.Errorf("%d schema reads: %v", len(f.reads), f.reads)
	}
	if f.reads[0] != "columns incident,task" {
		t.Errorf("first read %q", f.reads[0])
	}

	f = newFakeSchema()
	if rep := checkFake(t, f, "active=true^stateIN1,2^caller_id=abc"); len(rep.Problems) > 0 || len(f.reads) != 1 {
		t.Fatalf("conditions on incident's own columns: %v, reads %v", problemTexts(rep), f.reads)
	}
}

func sortedCopy(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

func TestScopeColumnsUnknown(t *testing.T) {
	for _, tt := range []struct{ scope, want string }{
		{"assignement_group=8a4dde73c6112278017a6a4baf547aa7", `column "assignement_group" does not exist on incident (nor on task, which incident extends) (did you mean assignment_group?)`},
		{"active=true^asigned_toISEMPTY", `column "asigned_to" does not exist on incident (nor on task, which incident extends) (did you mean assigned_to?)`},
		{"assignment_group.nmae=Service Desk", `"assignment_group.nmae": sys_user_group (which assignment_group references) has no column "nmae" (did you mean assignment_group.name?)`},
		{"opened_by.username=bob", `"opened_by.username": sys_user (which opened_by references) has no column "username" (did you mean opened_by.user_name?)`},
		{"caller_id.manager.emial=x", `"caller_id.manager.emial": sys_user (which caller_id.manager references) has no column "emial" (did you mean caller_id.manager.email?)`},
		{"business_service.nam=Email", `"business_service.nam": cmdb_ci_service (which business_service references) has no column "nam", nor do the tables it extends (cmdb_ci, cmdb) (did you mean business_service.name?)`},
		{"short_description.name=x", `"short_description.name": short_description is a string column, not a reference, so it cannot be dot-walked`},
		{"opened_at.year=2026", `"opened_at.year": opened_at is a glide_date_time column`},
		{"xyzzy=1", `column "xyzzy" does not exist on incident (nor on task, which incident extends)`},
		{"opened_bySAMEAScaler_id", `column "caler_id" does not exist on incident (nor on task, which incident extends) (did you mean caller_id?)`},
		{"stateFOO1", `condition "stateFOO1" cannot be read, so ServiceNow ignores it`},
	} {
		rep := checkFake(t, newFakeSchema(), tt.scope)
		got := problemTexts(rep)
		if len(got) != 1 || !strings.HasPrefix(got[0], tt.want) {
			t.Errorf("%q: problems %q, want one starting %q", tt.scope, got, tt.want)
		}
		if tt.scope == "xyzzy=1" && rep.Problems[0].Suggest != "" {
			t.Errorf("xyzzy suggested %q", rep.Problems[0].Suggest)
		}
	}
	rep := checkFake(t, newFakeSchema(), "xyzzy=1^ORassignement_group.name=x^assignment_group.nmae=y^active=true")
	if len(rep.Problems) != 3 || rep.Problems[0].Suggest != "" || rep.Problems[1].Suggest != "assignment_group" || rep.Problems[2].Suggest != "assignment_group.name" || !reflect.DeepEqual(rep.Checked, []string{"active"}) {
		t.Fatalf("several problems at once: %+v", rep)
	}
	rep2 := checkFake(t, newFakeSchema(), "assignment_group.nmae=y^stateFOO^xyzzy=1^active=true^assignment_group.name=x")
	if len(rep2.Problems) != 3 || rep2.Problems[0].Path != "assignment_group.nmae" || rep2.Problems[1].Condition != "stateFOO" || rep2.Problems[2].Path != "xyzzy" ||
		!reflect.DeepEqual(rep2.Checked, []string{"active", "assignment_group.name"}) {
		t.Fatalf("not in query order: %+v", rep2)
	}
	if p := rep.Problems[2]; p.Condition != "assignment_group.nmae=y" || p.Path != "assignment_group.nmae" || p.Column != "nmae" || p.Table != "sys_user_group" {
		t.Fatalf("problem fields: %+v", p)
	}
}

func TestScopeColumnsUnverifiable(t *testing.T) {
	// A referenced table with no readable dictionary row, a reference of
	// unknown kind and a JOIN are reported as not checked, not as wrong.
	rep := checkFake(t, newFakeSchema(), "company.name=Acme^document.x=1^problem_id.nmber=1^JOINincident.sys_id=problem.first_reported_by_task!active=true^caller_id.department.name=IT")
	if len(rep.Problems) != 2 {
		t.Fatalf("problems %v", problemTexts(rep))
	}
	for _, want := range []string{`"document.x": document is of type "document_id"`, "JOIN", `"caller_id.department.name": sys_dictionary shows no column of cmn_department`} {
		if !slices.ContainsFunc(rep.Unchecked, func(s string) bool { return strings.Contains(s, want) }) {
			t.Errorf("unchecked %q lacks %q", rep.Unchecked, want)
		}
	}
	// company.name: core_company has only its collection row and extends
	// nothing, so name is unknown there; problem_id.nmber: problem extends
	// task, and neither defines it.
	got := problemTexts(rep)
	if !strings.Contains(got[0], `core_company (which company references) has no column "name"`) ||
		got[1] != `"problem_id.nmber": problem (which problem_id references) has no column "nmber", nor do the tables it extends (task) (did you mean problem_id.number?)` {
		t.Errorf("problems %q", got)
	}

	// The hierarchy unreadable: a name no table defines is still unknown;
	// a name some other table defines is not checked.
	f := newFakeSchema()
	f.parentsErr = errors.New("403 sys_db_object")
	rep = checkFake(t, f, "business_service.nmae=x^business_service.name=Email^business_service.service_classification=y")
	if got := problemTexts(rep); len(got) != 1 || !strings.Contains(got[0], `has no column "nmae"`) {
		t.Errorf("hierarchy unreadable, problems %q", got)
	}
	if len(rep.Unchecked) != 1 || !strings.Contains(rep.Unchecked[0], `"business_service.name": cmdb_ci_service does not define "name" itself; it may inherit it (cmdb_ci, sys_user, sys_user_group define it)`) || !strings.Contains(rep.Unchecked[0], "403 sys_db_object") {
		t.Errorf("hierarchy unreadable, unchecked %q", rep.Unchecked)
	}
	if !reflect.DeepEqual(rep.Checked, []string{"business_service.service_classification"}) {
		t.Errorf("checked %v", rep.Checked)
	}
	f.ownersErr = errors.New("timeout")
	rep = checkFake(t, f, "business_service.nmae=x")
	if len(rep.Problems) != 0 || len(rep.Unchecked) != 1 || !strings.Contains(rep.Unchecked[0], "timeout") {
		t.Errorf("hierarchy and owners unreadable: %+v", rep)
	}

	// A referenced table's dictionary unreadable.
	f = newFakeSchema()
	f.colsErr = errors.New("boom")
	rep = checkFake(t, f, "assignment_group.name=x^active=true")
	if len(rep.Problems) != 0 || len(rep.Unchecked) != 1 || !strings.Contains(rep.Unchecked[0], "sys_user_group could not be read: boom") {
		t.Errorf("referenced dictionary unreadable: %+v", rep)
	}

	// A hierarchy that loops ends.
	f = newFakeSchema()
	f.parent["cmdb_ci"], f.parent["cmdb"] = "cmdb", "cmdb_ci"
	rep = checkFake(t, f, "business_service.zzz=1")
	if len(rep.Problems) != 0 || len(rep.Unchecked) != 1 || !strings.Contains(rep.Unchecked[0], "loops") {
		t.Errorf("looping hierarchy: %+v", rep)
	}
}

func TestScopeColumnsIncidentDictionaryUnreadable(t *testing.T) {
	conds, _ := ParseScope("active=true")
	f := newFakeSchema()
	f.cols = map[string]map[string]FieldDef{}
	if _, err := checkScopeColumns(t.Context(), f, conds); !errors.Is(err, ErrDictionaryHidden) {
		t.Fatalf("no rows of incident or task: %v", err)
	}
	// No column, no read.
	f = newFakeSchema()
	conds, _ = ParseScope("123TEXTQUERY321=x")
	if rep, err := checkScopeColumns(t.Context(), f, conds); err != nil || len(f.reads) != 0 || len(rep.Unchecked) != 1 {
		t.Fatalf("keyword search only: %+v %v %v", rep, err, f.reads)
	}
}

// Against the simulator: what the client reads from sys_dictionary and
// sys_db_object.
func TestCheckScopeColumnsSimulator(t *testing.T) {
	e := newEnv(t, snowsim.Options{CustomColumns: []snowsim.Column{{Name: "u_team"}}})
	ctx := t.Context()
	rep, err := e.c.CheckScopeColumns(ctx, "assignement_group=287ebd7da9fe198100f92cc8d1d2154e^active=true^u_teamLIKEops")
	if err != nil {
		t.Fatal(err)
	}
	if got := problemTexts(rep); len(got) != 1 || !strings.Contains(got[0], `"assignement_group"`) || rep.Problems[0].Suggest != "assignment_group" || !reflect.DeepEqual(rep.Checked, []string{"active", "u_team"}) {
		t.Fatalf("typo: %+v", rep)
	}
	if n := e.sim.Count("GET", "/api/now/table/sys_dictionary"); n != 1 {
		t.Errorf("%d dictionary reads for incident's own columns, want 1", n)
	}

	// The simulator seeds no dictionary rows for sys_user_group: a dot-walk
	// through it is not checked, and says so.
	rep, err = e.c.CheckScopeColumns(ctx, "assignment_group.name=Service Desk")
	if err != nil || len(rep.Problems) != 0 || len(rep.Unchecked) != 1 || !strings.Contains(rep.Unchecked[0], "sys_dictionary shows no column of sys_user_group") {
		t.Fatalf("dot-walk without the referenced dictionary: %+v %v", rep, err)
	}

	e.sim.AddReferenceSchema()
	e.sim.ResetCalls()
	rep, err = e.c.CheckScopeColumns(ctx, "assignment_group.name=Service Desk^ORopened_by.user_name=bob^assignment_group.nmae=x^opened_by.username=bob^caller_id.emial=x")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`"assignment_group.nmae": sys_user_group (which assignment_group references) has no column "nmae" (did you mean assignment_group.name?)`,
		`"opened_by.username": sys_user (which opened_by references) has no column "username" (did you mean opened_by.user_name?)`,
		`"caller_id.emial": sys_user (which caller_id references) has no column "emial" (did you mean caller_id.email?)`,
	}
	if got := problemTexts(rep); !reflect.DeepEqual(got, want) || len(rep.Unchecked) != 0 || !reflect.DeepEqual(rep.Checked, []string{"assignment_group.name", "opened_by.user_name"}) {
		t.Fatalf("dot-walks:\n%q\n%+v", got, rep)
	}
	// incident and task, then sys_user_group and sys_user in one read; the
	// hierarchy of the two for the unknown columns.
	if d, o := e.sim.Count("GET", "/api/now/table/sys_dictionary"), e.sim.Count("GET", "/api/now/table/sys_db_object"); d != 2 || o > 2 {
		t.Errorf("%d dictionary and %d sys_db_object reads", d, o)
	}

	// sys_dictionary refused (no personalize_dictionary role): an error the
	// caller can name; rows hidden: ErrDictionaryHidden.
	e.sim.DenyTable("sys_dictionary", snowsim.DenyForbidden)
	if _, err := e.c.CheckScopeColumns(ctx, "active=true"); ClassOf(err) != httpx.Forbidden {
		t.Fatalf("dictionary refused: %v (class %v)", err, ClassOf(err))
	}
	e.sim.DenyTable("sys_dictionary", snowsim.DenyRows)
	if _, err := e.c.CheckScopeColumns(ctx, "active=true"); !errors.Is(err, ErrDictionaryHidden) {
		t.Fatalf("dictionary rows hidden: %v", err)
	}
	e.sim.DenyTable("sys_dictionary", snowsim.DenyNone)
	// An empty scope reads nothing.
	e.sim.ResetCalls()
	if rep, err := e.c.CheckScopeColumns(ctx, ""); err != nil || len(rep.Checked)+len(rep.Problems)+len(rep.Unchecked) != 0 || len(e.sim.Requests()) != 0 {
		t.Fatalf("empty scope: %+v %v", rep, err)
	}
}

func TestTableParentsSimulator(t *testing.T) {
	e := newEnv(t, snowsim.Options{})
	if _, err := e.c.tableParents(t.Context(), []string{"incident"}); err == nil {
		t.Fatal("the simulator has no sys_db_object until AddReferenceSchema")
	}
	e.sim.AddReferenceSchema()
	e.sim.AddReferenceSchema() // idempotent
	got, err := e.c.tableParents(t.Context(), []string{"incident", "task", "sys_user", "no_such_table"})
	if err != nil || !reflect.DeepEqual(got, map[string]string{"incident": "task", "task": "", "sys_user": ""}) {
		t.Fatalf("parents: %v %v", got, err)
	}
	owners, err := e.c.columnOwners(t.Context(), []string{"user_name", "name", "nothing_here"})
	if err != nil || !reflect.DeepEqual(owners, map[string][]string{"user_name": {"sys_user"}, "name": {"sys_user", "sys_user_group"}}) {
		t.Fatalf("owners: %v %v", owners, err)
	}
}

// FuzzParseScope: whatever CheckScope accepts, ParseScope reads every
// condition either into a column path, an operator and a value that spell
// the condition again, or into a special or unreadable condition; never
// into nothing.
func FuzzParseScope(f *testing.F) {
	for _, s := range []string{
		"active=true", "assignment_group.name=Service Desk^ORopened_by.user_name=bob", "stateNOT IN6,7^priority<=2",
		"opened_atONToday@javascript:gs.beginningOfToday()@javascript:gs.endOfToday()", "opened_bySAMEAScaller_id",
		"123TEXTQUERY321=x", "JOINa.b=c.d!e=f", "active", "Active=true", "a..b=1", "GOTOnumber>1", "x=^y",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, scope string) {
		conds, err := ParseScope(scope)
		if (err != nil) != (CheckScope(scope) != nil) {
			t.Fatalf("ParseScope(%q) error %v, CheckScope %v", scope, err, CheckScope(scope))
		}
		if err != nil {
			return
		}
		if scope != "" && len(conds) != strings.Count(scope, "^")+1 {
			t.Fatalf("ParseScope(%q): %d conditions", scope, len(conds))
		}
		for _, cd := range conds {
			switch {
			case cd.Err != "" || cd.Special != "":
			case !isColumnPath(cd.Field) || cd.Op == "" || strings.TrimPrefix(cd.Text, "GOTO") != cd.Field+cd.Op+cd.Value:
				t.Fatalf("ParseScope(%q): condition %+v does not spell its text", scope, cd)
			}
		}
	})
}
