package diff

import "testing"

func TestChanged(t *testing.T) {
	tests := []struct {
		reason     string
		edit       func(w *world)
		wantS, wan bool
	}{
		{"settled pair: nothing moved", func(*world) {}, false, false},
		{"servicenow title edit", func(w *world) { w.snow.ShortDescription = "Disk full on db-02" }, true, false},
		{"servicenow impact only: state and urgency unchanged, still a re-check", func(w *world) { w.snow.Impact = "1" }, false, false},
		{"servicenow urgency", func(w *world) { w.snow.Urgency = "1" }, true, false},
		{"servicenow state", func(w *world) { w.snow.State = "2" }, true, false},
		{"flashduty title edit", func(w *world) { w.fd.Title = "Disk full on db-03" }, false, true},
		{"flashduty ack", func(w *world) { w.fd.Progress = "Processing" }, false, true},
		{"flashduty snooze", func(w *world) { w.fd.SnoozedBefore = w.now.Unix() + 3600 }, false, true},
		{"flashduty comment only: comments are read separately", func(w *world) { w.fdComment(7, "Ann", "looking") }, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			w := linked(t, testPolicy(TwoWay, ConflictNewest))
			tt.edit(w)
			s, f := w.views()
			p := w.policy
			p.Now = w.now
			gotS, gotF := Changed(w.loadBase(), s, f, p)
			if gotS != tt.wantS || gotF != tt.wan {
				t.Fatalf("Changed = %v, %v; want %v, %v", gotS, gotF, tt.wantS, tt.wan)
			}
			// Changed must never hide work Compute would do on fields.
			plan := w.plan()
			fieldWrites := plan.Writes() - len(plan.ServiceNow.Comments) - len(plan.Flashduty.Comments)
			if fieldWrites > 0 && !(gotS || gotF) {
				t.Fatalf("Changed said nothing moved but Compute writes: %s", js(plan))
			}
		})
	}
	if s, f := Changed(nil, &SnowView{}, &FDView{}, testPolicy(TwoWay, ConflictNewest)); !s || !f {
		t.Fatal("no base: both sides must count as changed")
	}
	if s, f := Changed(nil, nil, nil, testPolicy(TwoWay, ConflictNewest)); s || f {
		t.Fatal("absent sides must not count as changed")
	}
}
