package diff

import (
	"testing"
	"time"
)

// TestPartialBase: ServiceNow changed the title (pushed to Flashduty) while
// Flashduty changed the severity (pushed to ServiceNow). When only one
// side's write lands, the partial base moves that field alone and keeps the
// old update and comment marks.
func TestPartialBase(t *testing.T) {
	w := linked(t, testPolicy(TwoWay, ConflictNewest))
	old := w.loadBase()
	w.snow.ShortDescription = "Disk full on db-01 and db-02"
	w.snow.SysUpdatedOn = w.now
	w.fd.Severity = SeverityCritical
	w.fd.UpdatedAt = w.now.Add(time.Second).Unix()
	p := w.plan()
	if got := p.Pushed(); got[KeyTitle] != Flashduty || got[KeySeverity] != ServiceNow || len(got) != 2 {
		t.Fatalf("pushed = %v, want title to flashduty and severity to servicenow", got)
	}
	fp := func(s string) uint64 { return fingerprint(s) }
	for _, tt := range []struct {
		name         string
		landed       Side
		titleBase    uint64 // ServiceNow-side fingerprint of the title in the partial base
		severityBase uint64 // Flashduty-side fingerprint of the severity
		wantUrgency  string
	}{
		{"servicenow landed, flashduty failed", ServiceNow, fp("Disk full on db-01"), fp(string(SeverityCritical)), "1"},
		{"flashduty landed, servicenow failed", Flashduty, fp("Disk full on db-01 and db-02"), fp(string(SeverityWarning)), old.Urgency},
	} {
		t.Run(tt.name, func(t *testing.T) {
			nb := p.PartialBase(old, func(_ string, to Side) bool { return to == tt.landed })
			title, _ := nb.field(KeyTitle)
			sev, _ := nb.field(KeySeverity)
			if title.ServiceNow != tt.titleBase {
				t.Errorf("title base moved wrongly: %x, want %x", title.ServiceNow, tt.titleBase)
			}
			if sev.Flashduty != tt.severityBase {
				t.Errorf("severity base moved wrongly: %x, want %x", sev.Flashduty, tt.severityBase)
			}
			if nb.Urgency != tt.wantUrgency {
				t.Errorf("urgency base %q, want %q", nb.Urgency, tt.wantUrgency)
			}
			if nb.SnowModCount != old.SnowModCount || nb.FDUpdatedAt != old.FDUpdatedAt || len(nb.Comments) != len(old.Comments) {
				t.Errorf("update marks moved: %s, old %s", js(nb), js(old))
			}
			for i := 1; i < len(nb.Fields); i++ {
				if nb.Fields[i-1].Key >= nb.Fields[i].Key {
					t.Fatalf("fields not sorted: %s", js(nb.Fields))
				}
			}
		})
	}
	if nb := (Plan{}).PartialBase(old, func(string, Side) bool { return false }); nb != nil {
		t.Errorf("a plan without a new base gave %s", js(nb))
	}
	// With no old base, a field whose write failed has no base at all.
	nb := p.PartialBase(nil, func(_ string, to Side) bool { return to == ServiceNow })
	if _, ok := nb.field(KeyTitle); ok {
		t.Errorf("title kept a base although its write failed and there was none: %s", js(nb))
	}
	if _, ok := nb.field(KeySeverity); !ok {
		t.Errorf("severity lost its base although its write landed: %s", js(nb))
	}
}
