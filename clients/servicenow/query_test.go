package servicenow

import (
	"reflect"
	"testing"
	"time"

	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
)

// FuzzScopeCannotWiden checks, with the simulator's parser of ServiceNow's
// encoded-query language, that whatever scope CheckScope accepts, the
// feed's queries stay one AND group (no ^NQ), keep their own ordering and
// keep the cursor conditions as terms of their own, so the scope can only
// narrow the feed. It also checks that what the client emits round-trips
// through the parser.
func FuzzScopeCannotWiden(f *testing.F) {
	for _, s := range []string{
		"", "active=true", "priority=1^ORpriority=2", "assignment_group=287ebd7da9fe198100f92cc8d1d2154e^stateNOT IN6,7,8",
		"active=true^NQactive=false", "NQx=1", "ORx=1", "x=1^ORDERBYnumber", "x=1^EQ", "x=1^^y=2", "x=1^", "^x=1",
		"x=1^ORDERBYDESCsys_updated_on", "x=javascript:gs.getUserID()", "short_descriptionLIKE^NQ", "x=1^GROUPBYstate",
		"caller_id.name=Fred^ORcaller_id.nameISEMPTY", "x=1\n^NQy=2", "x=1^RLQUERYfoo,>=1^ENDRLQUERY",
	} {
		f.Add(s, "0123456789abcdef0123456789abcdef")
	}
	f.Fuzz(func(t *testing.T, scope, sysID string) {
		if CheckScope(scope) != nil || checkSysID(sysID) != nil {
			return
		}
		at := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
		ks := keyset{timeCol: "sys_updated_on", base: scope, before: at.Add(time.Hour)}
		same, later := ks.queries(Cursor{UpdatedOn: at, SysID: sysID})
		scopeQ := snowsim.ParseQuery(scope)
		for _, tc := range []struct {
			q      string
			conds  []snowsim.Cond
			orders []snowsim.Order
		}{
			{same, []snowsim.Cond{{Field: "sys_updated_on", Op: "=", Value: "2026-01-15 12:00:00"}, {Field: "sys_id", Op: ">", Value: sysID}, {Field: "sys_updated_on", Op: "<", Value: "2026-01-15 13:00:00"}},
				[]snowsim.Order{{Field: "sys_id"}}},
			{later, []snowsim.Cond{{Field: "sys_updated_on", Op: ">", Value: "2026-01-15 12:00:00"}, {Field: "sys_updated_on", Op: "<", Value: "2026-01-15 13:00:00"}},
				[]snowsim.Order{{Field: "sys_updated_on"}, {Field: "sys_id"}}},
		} {
			q := snowsim.ParseQuery(tc.q)
			if len(q.Groups) != 1 {
				t.Fatalf("scope %q: query %q has %d OR'ed groups", scope, tc.q, len(q.Groups))
			}
			if !reflect.DeepEqual(q.Orders, append(scopeQ.Orders, tc.orders...)) || len(scopeQ.Orders) > 0 {
				t.Fatalf("scope %q: query %q orders by %v", scope, tc.q, q.Orders)
			}
			g := q.Groups[0]
			if len(g) < len(tc.conds) {
				t.Fatalf("scope %q: query %q lost its cursor conditions", scope, tc.q)
			}
			tail := g[len(g)-len(tc.conds):]
			for i, c := range tc.conds {
				if len(tail[i]) != 1 || tail[i][0] != c {
					t.Fatalf("scope %q: query %q: cursor term %d is %v, want %v alone", scope, tc.q, i, tail[i], c)
				}
			}
			if len(scopeQ.Groups) == 1 && !reflect.DeepEqual(g[:len(g)-len(tc.conds)], scopeQ.Groups[0]) {
				t.Fatalf("scope %q: query %q does not keep the scope's terms", scope, tc.q)
			}
			if again := snowsim.ParseQuery(q.String()); !reflect.DeepEqual(again.Groups, q.Groups) {
				t.Fatalf("round trip of %q failed", tc.q)
			}
		}
	})
}
