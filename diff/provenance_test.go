package diff

import (
	"strings"
	"testing"
	"time"
)

// TestAdoptedWinnerUsesFlashdutyTimeline: a pair with no base (Redis lost)
// where each side changed a different field since they last agreed. The
// incidents' update times alone would let the newer side overwrite both
// fields; Flashduty's timeline tells which side changed each one.
func TestAdoptedWinnerUsesFlashdutyTimeline(t *testing.T) {
	const human = int64(1001)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	created := func(creator int64) []FDChange {
		return []FDChange{
			{Key: KeyTitle, Created: true, To: "Disk full", HasTo: true, CreatorID: creator, At: at(-time.Hour)},
			{Key: KeySeverity, Created: true, To: "Warning", HasTo: true, CreatorID: creator, At: at(-time.Hour)},
			{Key: KeyDescription, Created: true, CreatorID: creator, At: at(-time.Hour)},
		}
	}
	tests := []struct {
		name       string
		snowTitle  string
		snowAt     time.Duration // ServiceNow's sys_updated_on
		fdTitle    string
		fdAt       time.Duration // Flashduty's updated_at
		history    []FDChange
		read       bool
		wantWinner Side
		wantReason string
	}{
		{
			name: "flashduty edited the title, servicenow edited something else later: flashduty's title stays",
			// ServiceNow still shows the title Flashduty had before.
			snowTitle: "Disk full", snowAt: 30 * time.Second, fdTitle: "Disk full on db-01", fdAt: 10 * time.Second,
			history: append(created(0), FDChange{Key: KeyTitle, From: "Disk full", HasFrom: true, To: "Disk full on db-01", HasTo: true, CreatorID: human, At: at(10 * time.Second)}),
			read:    true, wantWinner: Flashduty, wantReason: "servicenow holds a value flashduty had before",
		},
		{
			name:      "flashduty edited the title after servicenow's last update",
			snowTitle: "Something else", snowAt: 5 * time.Second, fdTitle: "Disk full on db-01", fdAt: 10 * time.Second,
			history: append(created(0), FDChange{Key: KeyTitle, To: "Disk full on db-01", HasTo: true, CreatorID: human, At: at(10 * time.Second)}),
			read:    true, wantWinner: Flashduty, wantReason: "after servicenow's last update",
		},
		{
			name:      "servicenow edited the title, flashduty edited something else later: servicenow's title stays",
			snowTitle: "Disk full on db-02", snowAt: 10 * time.Second, fdTitle: "Disk full", fdAt: 30 * time.Second,
			history: created(0), read: true, wantWinner: ServiceNow, wantReason: "created with",
		},
		{
			name:      "flashduty's title is snowduty's copy: servicenow changed it since",
			snowTitle: "Disk full on db-02", snowAt: 10 * time.Second, fdTitle: "Disk full on db-01", fdAt: 30 * time.Second,
			history: append(created(0), FDChange{Key: KeyTitle, To: "Disk full on db-01", HasTo: true, CreatorID: testMember, At: at(5 * time.Second)}),
			read:    true, wantWinner: ServiceNow, wantReason: "written by snowduty",
		},
		{
			name:      "servicenow holds a title flashduty never had and was updated later: servicenow wins",
			snowTitle: "Edited in servicenow", snowAt: 30 * time.Second, fdTitle: "Edited in flashduty", fdAt: 10 * time.Second,
			history: append(created(0), FDChange{Key: KeyTitle, From: "Disk full", HasFrom: true, To: "Edited in flashduty", HasTo: true, CreatorID: human, At: at(10 * time.Second)}),
			read:    true, wantWinner: ServiceNow, wantReason: "flashduty never had",
		},
		{
			name:      "without the timeline the newest incident wins",
			snowTitle: "Disk full", snowAt: 30 * time.Second, fdTitle: "Disk full on db-01", fdAt: 10 * time.Second,
			wantWinner: ServiceNow, wantReason: "policy newest",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snow := &SnowView{SysID: "a", Number: "INC0010001", ShortDescription: tt.snowTitle, Description: "Same text.", State: "1",
				Urgency: "2", Impact: "2", SysUpdatedOn: at(tt.snowAt), SysUpdatedBy: "jsmith", Columns: map[string]string{}}
			fd := &FDView{IncidentID: "b", Title: tt.fdTitle, Description: "Same text.", Severity: SeverityWarning, Progress: "Triggered",
				UpdatedAt: at(tt.fdAt).Unix(), History: tt.history, HistoryRead: tt.read}
			p := Compute(nil, snow, fd, testPolicy(TwoWay, ConflictNewest))
			if len(p.Conflicts) != 1 || p.Conflicts[0].Field != KeyTitle {
				t.Fatalf("conflicts = %s, want one on the title", js(p.Conflicts))
			}
			c := p.Conflicts[0]
			if c.Winner != tt.wantWinner || !strings.Contains(c.Reason, tt.wantReason) {
				t.Fatalf("winner %s (%s), want %s (%q)", c.Winner, c.Reason, tt.wantWinner, tt.wantReason)
			}
			if tt.wantWinner == Flashduty && p.ServiceNow.Update["short_description"] != tt.fdTitle {
				t.Errorf("servicenow update = %v, want the flashduty title", p.ServiceNow.Update)
			}
			if tt.wantWinner == ServiceNow && resetTitle(p) != tt.snowTitle {
				t.Errorf("flashduty reset title = %q, want %q", resetTitle(p), tt.snowTitle)
			}
		})
	}
}

// TestAdoptedWinnerDescriptionFallsBackToNewest: a description's timeline
// entries carry no value, so when Flashduty changed it before ServiceNow's
// last update either side may hold the newer text: the policy decides.
func TestAdoptedWinnerDescriptionFallsBackToNewest(t *testing.T) {
	snow := &SnowView{SysID: "a", ShortDescription: "Disk full", Description: "Original text.", State: "1", Urgency: "2", Impact: "2",
		SysUpdatedOn: t0.Add(30 * time.Second), Columns: map[string]string{}}
	fd := &FDView{IncidentID: "b", Title: "Disk full", Description: "Edited in flashduty.", Severity: SeverityWarning, Progress: "Triggered",
		UpdatedAt: t0.Add(40 * time.Second).Unix(), HistoryRead: true, History: []FDChange{
			{Key: KeyDescription, Created: true, At: t0.Add(-time.Hour)},
			{Key: KeyDescription, CreatorID: 1001, At: t0.Add(10 * time.Second)},
		}}
	p := Compute(nil, snow, fd, testPolicy(TwoWay, ConflictNewest))
	if !hasConflict(p, KeyDescription, Flashduty) || !strings.Contains(p.Conflicts[0].Reason, "policy newest") {
		t.Fatalf("description conflict: %s, want the newest incident (flashduty) by policy", js(p.Conflicts))
	}
}

// TestAdoptedWinnerRespectsExplicitPolicy: the timeline refines only the
// newest policy; a configured winner or a one-way direction still decides.
func TestAdoptedWinnerRespectsExplicitPolicy(t *testing.T) {
	snow := &SnowView{SysID: "a", ShortDescription: "Disk full", State: "1", Urgency: "2", Impact: "2", SysUpdatedOn: t0, Columns: map[string]string{}}
	hist := []FDChange{{Key: KeyTitle, Created: true, To: "Disk full", HasTo: true, At: t0.Add(-time.Hour)},
		{Key: KeyTitle, From: "Disk full", HasFrom: true, To: "Disk full on db-01", HasTo: true, CreatorID: 1001, At: t0.Add(-time.Minute)}}
	fd := &FDView{IncidentID: "b", Title: "Disk full on db-01", Severity: SeverityWarning, Progress: "Triggered", UpdatedAt: t0.Unix(), History: hist, HistoryRead: true}
	if p := Compute(nil, snow, fd, testPolicy(TwoWay, ConflictServiceNow)); !hasConflict(p, KeyTitle, ServiceNow) {
		t.Errorf("policy servicenow: %s", js(p.Conflicts))
	}
	if p := Compute(nil, snow, fd, testPolicy(FromServiceNow, ConflictNewest)); !hasConflict(p, KeyTitle, ServiceNow) {
		t.Errorf("direction from_servicenow: %s", js(p.Conflicts))
	}
	if p := Compute(nil, snow, fd, testPolicy(TwoWay, ConflictNewest)); !hasConflict(p, KeyTitle, Flashduty) {
		t.Errorf("policy newest with the timeline: %s", js(p.Conflicts))
	}
}

// TestAdoptedWinnerStatus: state changes are in the timeline too.
func TestAdoptedWinnerStatus(t *testing.T) {
	created := FDChange{Key: KeyStatus, Created: true, To: "Triggered", HasTo: true, At: t0.Add(-time.Hour)}
	for _, tt := range []struct {
		name    string
		ack     FDChange
		snState string
		want    Side
	}{
		// ServiceNow was updated later (another field) but still shows New,
		// the status Flashduty had before the ack.
		{"a person acked in flashduty; servicenow still new", FDChange{Key: KeyStatus, To: "Processing", HasTo: true, CreatorID: 1001, At: t0.Add(-time.Minute)}, "1", Flashduty},
		{"snowduty acked: servicenow moved on since", FDChange{Key: KeyStatus, To: "Processing", HasTo: true, CreatorID: testMember, At: t0.Add(-time.Minute)}, "6", ServiceNow},
	} {
		t.Run(tt.name, func(t *testing.T) {
			snow := &SnowView{SysID: "a", ShortDescription: "Disk full", State: tt.snState, CloseCode: "Solved (Permanently)", CloseNotes: "done",
				Urgency: "2", Impact: "2", SysUpdatedOn: t0, Columns: map[string]string{}}
			fd := &FDView{IncidentID: "b", Title: "Disk full", Severity: SeverityWarning, Progress: "Processing", UpdatedAt: tt.ack.At.Unix(),
				History: []FDChange{created, tt.ack}, HistoryRead: true}
			p := Compute(nil, snow, fd, testPolicy(TwoWay, ConflictNewest))
			if !hasConflict(p, KeyStatus, tt.want) {
				t.Fatalf("status conflict: %s, want %s to win", js(p.Conflicts), tt.want)
			}
		})
	}
}

// TestAdoptedWinnerSeverityOnlyMatchesThePreviousValue: a severity recurs,
// so only the value just before Flashduty's last change counts as stale.
func TestAdoptedWinnerSeverityOnlyMatchesThePreviousValue(t *testing.T) {
	hist := []FDChange{
		{Key: KeySeverity, Created: true, To: "Warning", HasTo: true, At: t0.Add(-time.Hour)},
		{Key: KeySeverity, From: "Warning", HasFrom: true, To: "Critical", HasTo: true, CreatorID: 1001, At: t0.Add(-30 * time.Minute)},
		{Key: KeySeverity, From: "Critical", HasFrom: true, To: "Info", HasTo: true, CreatorID: 1001, At: t0.Add(-10 * time.Minute)},
	}
	for _, tt := range []struct {
		urgency string // ServiceNow's severity, as urgency (1 Critical, 2 Warning)
		want    Side
		reason  string
	}{
		{"1", Flashduty, "flashduty had before"}, // Critical, just before Flashduty's change: stale
		{"2", ServiceNow, "policy newest"},       // Warning, used earlier only: both may have changed it
	} {
		snow := &SnowView{SysID: "a", ShortDescription: "Disk full", State: "1", Urgency: tt.urgency, Impact: tt.urgency, SysUpdatedOn: t0, Columns: map[string]string{}}
		fd := &FDView{IncidentID: "b", Title: "Disk full", Severity: SeverityInfo, Progress: "Triggered", UpdatedAt: t0.Add(-10 * time.Minute).Unix(), History: hist, HistoryRead: true}
		p := Compute(nil, snow, fd, testPolicy(TwoWay, ConflictNewest))
		if !hasConflict(p, KeySeverity, tt.want) || !strings.Contains(p.Conflicts[0].Reason, tt.reason) {
			t.Errorf("urgency %s: %s, want %s (%s)", tt.urgency, js(p.Conflicts), tt.want, tt.reason)
		}
	}
}
