package servicenow

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkKeysetQueries builds the change feed's two encoded queries for
// one page (with a scope), as every poll does.
func BenchmarkKeysetQueries(b *testing.B) {
	at := time.Date(2026, 11, 26, 18, 0, 0, 0, time.UTC)
	ks := keyset{timeCol: "sys_updated_on", base: "assignment_group=287ebd7da9fe198100f92cc8d1d2154e^stateNOT IN6,7,8", before: at.Add(time.Hour)}
	cur := Cursor{UpdatedOn: at, SysID: "0123456789abcdef0123456789abcdef"}
	b.ReportAllocs()
	for b.Loop() {
		same, later := ks.queries(cur)
		if same == "" || later == "" {
			b.Fatal("empty query")
		}
	}
}

// BenchmarkInList builds a checked 100-value IN list (one batch of
// correlation ids), as reading partners does.
func BenchmarkInList(b *testing.B) {
	ids := make([]string, 100)
	for i := range ids {
		ids[i] = fmt.Sprintf("6b0878020620ae96ebaf%04x", i)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := inList("correlation_id", ids); err != nil {
			b.Fatal(err)
		}
	}
}
