package snowsim

import (
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseQuery(t *testing.T) {
	q := ParseQuery("active=true^stateIN1,2^ORpriority<=2^NQnumberSTARTSWITHINC^ORDERBYnumber^ORDERBYDESCsys_updated_on^bogus^EQ^state=9")
	want := Query{
		Groups: []Group{
			{{{"active", "=", "true"}}, {{"state", "IN", "1,2"}, {"priority", "<=", "2"}}},
			{{{"number", "STARTSWITH", "INC"}}},
		},
		Orders:  []Order{{"number", false}, {"sys_updated_on", true}},
		Invalid: true,
	}
	if !reflect.DeepEqual(q, want) {
		t.Fatalf("ParseQuery =\n%#v\nwant\n%#v", q, want)
	}
	if got := ParseQuery(q.String()); !reflect.DeepEqual(got.Groups, q.Groups) || !reflect.DeepEqual(got.Orders, q.Orders) {
		t.Fatalf("round trip of %q = %#v", q.String(), got)
	}
}

func TestQuerySemantics(t *testing.T) {
	s := newSim(t, Options{})
	mk := func(desc, impact, urgency, corr string) string {
		s.Advance(time.Second)
		r, err := s.CreateIncident(Alice, map[string]string{"short_description": desc, "impact": impact, "urgency": urgency, "correlation_id": corr})
		if err != nil {
			t.Fatal(err)
		}
		return r["number"]
	}
	a := mk("Disk full on db1", "1", "1", "fd-1") // priority 1, 12:00:01
	b := mk("Network flaps", "2", "2", "")        // priority 3, 12:00:02
	c := mk("disk slow", "3", "3", "fd-3")        // priority 5, 12:00:03
	d := mk("Printer", "1", "3", "")              // priority 3, 12:00:04
	all := a + "," + b + "," + c + "," + d
	tests := []struct{ query, want string }{
		{"", all},
		{"priority=3", b + "," + d},
		{"priority!=3", a + "," + c},
		{"priority<3", a},
		{"priority>=3^ORDERBYDESCnumber", d + "," + c + "," + b},
		{"priorityIN1,5", a + "," + c},
		{"priorityNOT IN1,5", b + "," + d},
		{"short_descriptionLIKEdisk", a + "," + c},
		{"short_descriptionNOT LIKEdisk", b + "," + d},
		{"short_descriptionSTARTSWITHdisk", a + "," + c},
		{"correlation_idISEMPTY", b + "," + d},
		{"correlation_idISNOTEMPTY", a + "," + c},
		{"priority=1^ORpriority=5^short_descriptionLIKEslow", c},
		{"priority=1^NQpriority=5^ORDERBYDESCpriority", c + "," + a},
		{"sys_created_on>2026-01-15 12:00:02", c + "," + d},
		{"sys_created_on>=2026-01-15 12:00:02^sys_created_on<2026-01-15 12:00:04", b + "," + c},
		{"sys_created_onBETWEEN2026-01-15 12:00:02@2026-01-15 12:00:03", b + "," + c},
		// gs.dateGenerate is in the user's time zone (US Pacific, UTC-8).
		{"sys_created_on>javascript:gs.dateGenerate('2026-01-15','04:00:02')", c + "," + d},
		{"no_such_column=1", all}, // unknown columns are ignored...
		{"no_such_column=1^priority=3", b + "," + d},
		{"caller_id=javascript:gs.getUserID()", ""},
		{"opened_by=javascript:gs.getUserID()", ""},
		{"sys_created_by=alice^ORDERBYDESCsys_created_on", d + "," + c + "," + b + "," + a},
	}
	for _, tt := range tests {
		a := s.call(t, "GET", "/api/now/table/incident?sysparm_fields=number&sysparm_query="+url.QueryEscape(tt.query), "")
		var got []string
		for _, r := range results(t, a) {
			got = append(got, r.(map[string]any)["number"].(string))
		}
		if strings.Join(got, ",") != tt.want {
			t.Errorf("%q = %v, want %s", tt.query, got, tt.want)
		}
	}
	// name=value pairs instead of sysparm_query; + decodes to a space.
	if got := results(t, s.call(t, "GET", "/api/now/table/incident?priority=3&short_description=Network+flaps", "")); len(got) != 1 {
		t.Fatalf("name=value pairs = %d rows", len(got))
	}
	// ...unless the instance is set to return no rows for invalid queries.
	strict := newSim(t, Options{InvalidQueryReturnsNoRows: true})
	_, _ = strict.CreateIncident(Alice, map[string]string{"short_description": "x"})
	if got := results(t, strict.call(t, "GET", "/api/now/table/incident?sysparm_query=no_such_column=1", "")); len(got) != 0 {
		t.Fatalf("strict invalid query returned %d rows", len(got))
	}
	// A query on a field hidden by a field ACL is refused; the field is omitted.
	s.HideField("incident", "correlation_id")
	if a := s.call(t, "GET", "/api/now/table/incident?sysparm_query=correlation_id=fd-1", ""); a.status != 403 || !strings.Contains(string(a.body), "Insufficient rights to query records") {
		t.Fatalf("query on hidden field = %d %s", a.status, a.body)
	}
	if r := results(t, s.call(t, "GET", "/api/now/table/incident", ""))[0].(map[string]any); r["correlation_id"] != nil {
		t.Fatal("hidden field returned")
	}
}

func TestLimitAppliesBeforeACL(t *testing.T) {
	s := newSim(t, Options{})
	ids, _ := s.CreateIncidents(Alice, 10, nil)
	for _, id := range ids[:5] {
		if err := s.Hide("incident", id); err != nil {
			t.Fatal(err)
		}
	}
	a := s.call(t, "GET", "/api/now/table/incident?sysparm_limit=5&sysparm_query=ORDERBYsys_id", "")
	// The first five by sys_id are not necessarily the hidden ones; count
	// visible rows among the first five matches instead.
	got := len(results(t, a))
	hidden := 0
	sorted := append([]string(nil), ids...)
	slices.Sort(sorted)
	for _, id := range sorted[:5] {
		for _, h := range ids[:5] {
			if id == h {
				hidden++
			}
		}
	}
	if got != 5-hidden || a.header.Get("X-Total-Count") != "10" {
		t.Fatalf("page has %d rows (want %d), total %s", got, 5-hidden, a.header.Get("X-Total-Count"))
	}
	if a := s.call(t, "GET", "/api/now/table/incident/"+ids[0], ""); a.status != 404 {
		t.Fatalf("hidden GET = %d", a.status)
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, seed := range []string{
		"", "active=true", "a=1^ORb=2^NQc=3^ORDERBYd^ORDERBYDESCe", "^NQ^OR^", "stateNOT IN1,2", "x=javascript:gs.getUserID()",
		"sys_updated_on>=2024-01-01 00:00:00^sys_id>abc^ORDERBYsys_updated_on^ORDERBYsys_id", "ORx", "NQ", "EQ", "a=1^EQ^b=2",
		"priority=1^NQactive=true^ORDERBYnumber", "é=1^ORDERBYDESC", "a BETWEEN", "aBETWEENx@y",
		"JOINincident.caller_id=sys_user.sys_id!active=true", "ORJOIN", "assignment_group.nameSTARTSWITHService",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := ParseQuery(s)
		again := ParseQuery(q.String())
		if !reflect.DeepEqual(again.Groups, q.Groups) || !reflect.DeepEqual(again.Orders, q.Orders) || again.Invalid {
			t.Fatalf("round trip of %q via %q: %#v != %#v", s, q.String(), again, q)
		}
		for _, g := range q.Groups {
			for _, term := range g {
				for _, c := range term {
					if (c.Field == "" && c.Op != "JOIN") || c.Op == "" || strings.Contains(c.Value, "^") {
						t.Fatalf("bad condition %#v from %q", c, s)
					}
				}
			}
		}
	})
}
