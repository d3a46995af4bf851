package diff

import (
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestCreateFromServiceNow(t *testing.T) {
	p := testPolicy(TwoWay, "")
	p.Mapping.FieldsToFlashduty = []FieldToFlashduty{{Column: "u_business_service", Field: "business_service"}}
	w := newWorld(t, p)
	w.snow = &SnowView{SysID: "s1", Number: "INC0010002", ShortDescription: "VPN down", Description: "No one can connect.",
		State: "3", HoldReason: "1", Urgency: "1", Impact: "2", SysUpdatedOn: w.now,
		Columns: map[string]string{"u_business_service": "VPN"},
		Journal: []SnowJournalEntry{{SysID: "j1", Element: JournalComments, Value: "Caller on leave", CreatedBy: "jsmith", CreatedOn: w.now}}}
	plan := w.sync()
	c := plan.Flashduty.Create
	if c == nil || c.Title != "VPN down" || c.Severity != SeverityCritical ||
		c.Description != "No one can connect.\n\n[ServiceNow: INC0010002]" || c.Fields["business_service"] != "VPN" {
		t.Fatalf("bad create: %s", js(plan))
	}
	if actions(plan) != "ack,snooze:120" || len(plan.Flashduty.Comments) != 1 || plan.Writes() != 4 {
		t.Fatalf("bad follow-up writes: %s", js(plan))
	}
	if plan.NewBase == nil || !plan.HasChanges() {
		t.Fatal("no new base after create")
	}
	if again := w.sync(); again.Writes() != 0 {
		t.Fatalf("create echo: %s", js(again))
	}
}

func TestCreateFromServiceNowEdges(t *testing.T) {
	w := newWorld(t, testPolicy(TwoWay, ""))
	w.snow = &SnowView{SysID: "s1", Number: "INC0010003", ShortDescription: "x", Description: strings.Repeat("d", 2000), State: "42", Urgency: "9"}
	plan := w.sync()
	c := plan.Flashduty.Create
	if c.Title != "ServiceNow incident INC0010003" || c.Severity != SeverityWarning || runes(c.Description) > FDDescriptionCreateMax ||
		!strings.HasSuffix(c.Description, "…[truncated]\n\n[ServiceNow: INC0010003]") {
		t.Fatalf("bad create: %s", js(plan))
	}
	for _, f := range []string{KeyTitle, KeySeverity, KeyStatus} {
		if !hasSkip(plan, Flashduty, f) {
			t.Fatalf("want skip for %s: %s", f, js(plan))
		}
	}
	if again := w.sync(); again.Writes() != 0 {
		t.Fatalf("create echo: %s", js(again))
	}
	w.snow = &SnowView{SysID: "s2", ShortDescription: "no number", Description: "", State: "1", Urgency: "3"}
	w.fd, w.base = nil, nil
	if c := w.sync().Flashduty.Create; c.Description != "" {
		t.Fatalf("description without a number: %q", c.Description)
	}
}

func TestCreateFromFlashduty(t *testing.T) {
	p := testPolicy(TwoWay, "")
	p.Mapping.FieldsToServiceNow = []FieldToServiceNow{{Source: SourceLabel, Name: "service", Column: "u_service"}, {Source: SourceField, Name: "env", Column: "u_env"}}
	p.Mapping.FieldsToFlashduty = []FieldToFlashduty{{Column: "u_service", Field: "service_name"}}
	w := newWorld(t, p)
	w.fd = &FDView{IncidentID: "69da451ef77b1b51f40e83ee", Title: "CPU high on web-01", Description: "load 40", Severity: SeverityWarning,
		Progress: "Closed", Resolution: "Scaled out", CloserID: 7, UpdatedAt: w.now.Unix(),
		Labels: map[string]string{"service": "web"}, Fields: map[string]any{"env": "prod"},
		Comments: []FDComment{{ID: "c1", CreatorID: 7, CreatorName: "Jane", Text: "looking", CreatedAt: w.now}}}
	plan := w.sync()
	want := map[string]string{
		"short_description": "CPU high on web-01", "description": "load 40", "impact": "2", "urgency": "2",
		"state": "6", "close_code": "Solution provided", "close_notes": "Scaled out",
		"correlation_id": "69da451ef77b1b51f40e83ee", "correlation_display": "Flashduty",
		"sys_id": ServiceNowSysID("69da451ef77b1b51f40e83ee"), "u_service": "web", "u_env": "prod",
	}
	if !maps.Equal(plan.ServiceNow.Create, want) || len(plan.ServiceNow.Update) != 0 || len(plan.ServiceNow.Comments) != 1 {
		t.Fatalf("bad create: %s", js(plan))
	}
	w.advance(time.Minute)
	if again := w.sync(); again.Writes() != 0 {
		t.Fatalf("create echo: %s", js(again))
	}
}

func TestCreateBlocked(t *testing.T) {
	w := newWorld(t, testPolicy(ToServiceNow, ""))
	w.snow = &SnowView{SysID: "s1", Number: "INC1", ShortDescription: "abc", State: "1", Urgency: "1"}
	p := w.plan()
	if p.Writes() != 0 || p.NewBase != nil || !hasSkip(p, Flashduty, KeyIncident) || p.HasChanges() {
		t.Fatalf("want a blocked create: %s", js(p))
	}
	w = newWorld(t, testPolicy(FromServiceNow, ""))
	w.fd = &FDView{IncidentID: "f1", Title: "abc", Progress: "Triggered", Severity: SeverityInfo}
	if p := w.plan(); p.Writes() != 0 || !hasSkip(p, ServiceNow, KeyIncident) {
		t.Fatalf("want a blocked create: %s", js(p))
	}
	w = newWorld(t, testPolicy(TwoWay, ""))
	w.fd = &FDView{IncidentID: "f1", Title: "abc", Progress: "Weird", Severity: "Ok"}
	p = w.plan()
	if _, ok := p.ServiceNow.Create["state"]; ok || !hasSkip(p, ServiceNow, KeyStatus) || !hasSkip(p, ServiceNow, KeySeverity) {
		t.Fatalf("unknown values must be left to servicenow defaults: %s", js(p))
	}
	if p := Compute(nil, nil, nil, testPolicy(TwoWay, "")); p.HasChanges() || p.NewBase != nil {
		t.Fatalf("nothing from nothing: %s", js(p))
	}
}

func TestMissingLinkedSide(t *testing.T) {
	w := linked(t, testPolicy(TwoWay, ""))
	base := w.loadBase()
	s, f := w.views()
	if p := Compute(base, nil, f, w.policy); p.Writes() != 0 || !hasSkip(p, ServiceNow, KeyIncident) {
		t.Fatalf("a missing linked incident must not be re-created: %s", js(p))
	}
	if p := Compute(base, s, nil, w.policy); p.Writes() != 0 || !hasSkip(p, Flashduty, KeyIncident) {
		t.Fatalf("a missing linked incident must not be re-created: %s", js(p))
	}
}

func TestAdoption(t *testing.T) {
	for _, tc := range []struct {
		policy ConflictPolicy
		winner Side
	}{{"", Flashduty}, {ConflictServiceNow, ServiceNow}, {ConflictFlashduty, Flashduty}} {
		t.Run(string(tc.winner)+"/"+string(tc.policy), func(t *testing.T) {
			w := linked(t, testPolicy(TwoWay, tc.policy))
			w.base = nil // state lost
			w.snow.ShortDescription = "snow says"
			w.fd.Title, w.fd.UpdatedAt = "flashduty says", w.now.Add(time.Hour).Unix()
			p := w.sync()
			if len(p.Conflicts) != 1 || !hasConflict(p, KeyTitle, tc.winner) || !strings.Contains(p.Conflicts[0].Reason, "adopted") {
				t.Fatalf("want one title conflict won by %s, got %s", tc.winner, js(p))
			}
			if again := w.plan(); again.Writes() != 0 {
				t.Fatalf("adoption does not converge: %s", js(again))
			}
		})
	}
}

func TestCustomFields(t *testing.T) {
	p := testPolicy(TwoWay, "")
	p.Mapping.FieldsToServiceNow = []FieldToServiceNow{{Source: SourceLabel, Name: "service", Column: "u_service"}, {Source: SourceField, Name: "env", Column: "u_env"}}
	p.Mapping.FieldsToFlashduty = []FieldToFlashduty{{Column: "u_business_service", Field: "business_service"}}
	w := linked(t, p)

	w.fd.Labels = map[string]string{"service": "payments"}
	w.fd.Fields = map[string]any{"env": []any{"prod", "eu"}}
	w.snow.Columns["u_business_service"] = "Payments"
	w.humanSnow("jsmith")
	plan := w.sync()
	if !maps.Equal(plan.ServiceNow.Update, map[string]string{"u_service": "payments", "u_env": "prod, eu"}) ||
		len(plan.Flashduty.Fields) != 1 || plan.Flashduty.Fields[0] != (FDField{Name: "business_service", Value: "Payments"}) {
		t.Fatalf("custom fields: %s", js(plan))
	}
	if again := w.plan(); again.Writes() != 0 {
		t.Fatalf("custom field echo: %s", js(again))
	}

	w.snow.Columns["u_service"] = "edited by hand"
	w.humanSnow("jsmith")
	if p := w.plan(); p.Writes() != 0 {
		t.Fatalf("a target-only edit must be left alone: %s", js(p))
	}

	w.fd.Labels = map[string]string{}
	p2 := w.sync()
	if p2.Writes() != 0 || !hasSkip(p2, ServiceNow, "sn:u_service") {
		t.Fatalf("an empty source must not overwrite: %s", js(p2))
	}
	if again := w.plan(); hasSkip(again, ServiceNow, "sn:u_service") {
		t.Fatalf("empty source reported twice: %s", js(again))
	}

	w.policy.Direction = FromServiceNow
	w.fd.Fields["env"] = true
	if p := w.plan(); p.Writes() != 0 || !hasSkip(p, ServiceNow, "sn:u_env") {
		t.Fatalf("direction must block custom fields: %s", js(p))
	}
}

func TestFieldString(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want string
	}{{nil, ""}, {"a", "a"}, {true, "true"}, {1.5, "1.5"}, {3, "3"}, {int64(4), "4"}, {[]string{"a", "b"}, "a, b"}, {[]any{"x", false}, "x, false"}, {struct{}{}, "{}"}} {
		if got := fieldString(tc.in); got != tc.want {
			t.Errorf("fieldString(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCanonicalIncidents(t *testing.T) {
	p := testPolicy(TwoWay, "")
	p.Mapping.FieldsToServiceNow = []FieldToServiceNow{{Source: SourceLabel, Name: "service", Column: "u_service"}}
	p.Mapping.FieldsToFlashduty = []FieldToFlashduty{{Column: "u_bs", Field: "bs"}}
	sn := p.ServiceNowIncident(&SnowView{ShortDescription: " t \r\n", State: "3", Urgency: "1", Columns: map[string]string{"u_service": "web", "u_bs": "Pay"}})
	want := Incident{Title: "t", Status: StatusSnoozed, Severity: SeverityCritical, Fields: map[string]string{"sn:u_service": "web", "fd:bs": "Pay"}}
	if !reflect.DeepEqual(sn, want) {
		t.Fatalf("servicenow incident = %+v", sn)
	}
	fd := p.FlashdutyIncident(&FDView{Title: "t", Description: "d\n\n[ServiceNow: INC1]", Progress: "Processing", SnoozedBefore: t0.Unix() + 60, Severity: "Ok",
		Labels: map[string]string{"service": "web"}, Fields: map[string]any{"bs": "Pay"}})
	want = Incident{Title: "t", Description: "d", Status: StatusSnoozed, Fields: map[string]string{"sn:u_service": "web", "fd:bs": "Pay"}}
	if !reflect.DeepEqual(fd, want) {
		t.Fatalf("flashduty incident = %+v", fd)
	}
}
