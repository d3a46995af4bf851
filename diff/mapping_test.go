package diff

import (
	"maps"
	"reflect"
	"strings"
	"testing"
)

func TestDefaultsAreValid(t *testing.T) {
	if err := DefaultMapping().Validate(); err != nil {
		t.Fatal(err)
	}
	if err := testPolicy(TwoWay, "").Validate(); err != nil {
		t.Fatal(err)
	}
	m := DefaultMapping()
	m.CommentTarget = JournalWorkNotes
	m.FieldsToServiceNow = []FieldToServiceNow{{Source: SourceLabel, Name: "a", Column: "u_b"}}
	m.FieldsToFlashduty = []FieldToFlashduty{{Column: "u_b", Field: "c"}, {Column: "u_a", Field: "d"}}
	if got := m.JournalElements(); !reflect.DeepEqual(got, []string{"comments", "work_notes"}) {
		t.Fatalf("JournalElements = %v", got)
	}
	if got := m.Columns(); !reflect.DeepEqual(got, []string{"u_a", "u_b"}) {
		t.Fatalf("Columns = %v", got)
	}
}

// TestValidate starts from a valid policy and breaks one setting per row;
// the error must name it.
func TestValidate(t *testing.T) {
	rows := []struct {
		name   string
		break_ func(p *Policy)
		want   string
	}{
		{"no direction", func(p *Policy) { p.Direction = "" }, "Direction: is required"},
		{"bad direction", func(p *Policy) { p.Direction = "both" }, `Direction: "both"`},
		{"bad conflict", func(p *Policy) { p.Conflict = "oldest" }, `Conflict: "oldest"`},
		{"no snow user", func(p *Policy) { p.Origin.ServiceNowUser = "" }, "Origin.ServiceNowUser"},
		{"no member", func(p *Policy) { p.Origin.FlashdutyMemberID = 0 }, "Origin.FlashdutyMemberID"},
		{"empty state map", func(p *Policy) { p.Mapping.StateToStatus = nil }, "StateToStatus: is empty"},
		{"bad status", func(p *Policy) { p.Mapping.StateToStatus["9"] = "Done" }, `StateToStatus: "9"="Done"`},
		{"missing target", func(p *Policy) { delete(p.Mapping.StatusToState, StatusSnoozed) }, "StatusToState: has no ServiceNow state for Snoozed"},
		{"target not mapped back", func(p *Policy) { p.Mapping.StatusToState[StatusClosed] = "7x" }, "StatusToState: Closed=\"7x\""},
		{"unknown target status", func(p *Policy) { p.Mapping.StatusToState["Done"] = "6" }, `unknown status "Done"`},
		{"no reopen", func(p *Policy) { p.Mapping.ReopenState = "" }, "ReopenState: is empty"},
		{"bad reopen", func(p *Policy) { p.Mapping.ReopenState = "6" }, `ReopenState: "6"`},
		{"bad urgency", func(p *Policy) { p.Mapping.UrgencyToSeverity["4"] = "High" }, `UrgencyToSeverity: "4"="High"`},
		{"missing pair", func(p *Policy) { delete(p.Mapping.SeverityToServiceNow, SeverityInfo) }, "no impact/urgency pair for Info"},
		{"pair not mapped back", func(p *Policy) { p.Mapping.SeverityToServiceNow[SeverityInfo] = ImpactUrgency{"3", "2"} }, "Info writes urgency \"2\""},
		{"unknown pair severity", func(p *Policy) { p.Mapping.SeverityToServiceNow["Ok"] = ImpactUrgency{"1", "1"} }, `unknown severity "Ok"`},
		{"no close code", func(p *Policy) { p.Mapping.CloseCode = "" }, "CloseCode: is empty"},
		{"no close notes", func(p *Policy) { p.Mapping.CloseNotesTemplate = " " }, "CloseNotesTemplate: is empty"},
		{"snooze zero", func(p *Policy) { p.Mapping.SnoozeMinutes = 0 }, "SnoozeMinutes: 0 is out of range"},
		{"snooze long", func(p *Policy) { p.Mapping.SnoozeMinutes = 1441 }, "SnoozeMinutes: 1441"},
		{"bad journal", func(p *Policy) { p.Mapping.CommentJournals = []string{"notes"} }, `CommentJournals: "notes"`},
		{"bad target", func(p *Policy) { p.Mapping.CommentTarget = "" }, `CommentTarget: ""`},
		{"title max", func(p *Policy) { p.Mapping.ServiceNowTitleMax = 2 }, "ServiceNowTitleMax: 2"},
		{"description max", func(p *Policy) { p.Mapping.ServiceNowDescriptionMax = 0 }, "ServiceNowDescriptionMax: 0"},
		{"comment max", func(p *Policy) { p.Mapping.ServiceNowCommentMax = 10 }, "ServiceNowCommentMax: 10"},
		{"ledger", func(p *Policy) { p.Mapping.MirroredComments = 0 }, "MirroredComments: 0"},
		{"bad source", func(p *Policy) {
			p.Mapping.FieldsToServiceNow = []FieldToServiceNow{{Source: "tag", Name: "a", Column: "u_a"}}
		}, "source must be label or field"},
		{"empty name", func(p *Policy) {
			p.Mapping.FieldsToServiceNow = []FieldToServiceNow{{Source: SourceLabel, Column: "u_a"}}
		}, "with an empty name"},
		{"core column", func(p *Policy) {
			p.Mapping.FieldsToServiceNow = []FieldToServiceNow{{Source: SourceLabel, Name: "a", Column: "state"}}
		}, `target column "state"`},
		{"sys column", func(p *Policy) {
			p.Mapping.FieldsToServiceNow = []FieldToServiceNow{{Source: SourceLabel, Name: "a", Column: "sys_id"}}
		}, `target column "sys_id"`},
		{"two to one column", func(p *Policy) {
			p.Mapping.FieldsToServiceNow = []FieldToServiceNow{{Source: SourceLabel, Name: "a", Column: "u_a"}, {Source: SourceField, Name: "b", Column: "u_a"}}
		}, `column "u_a" is the target of two mappings`},
		{"bad source column", func(p *Policy) { p.Mapping.FieldsToFlashduty = []FieldToFlashduty{{Column: "U A", Field: "a"}} }, `source column "U A"`},
		{"bad field", func(p *Policy) { p.Mapping.FieldsToFlashduty = []FieldToFlashduty{{Column: "u_a", Field: "9a"}} }, `target field "9a"`},
		{"two to one field", func(p *Policy) {
			p.Mapping.FieldsToFlashduty = []FieldToFlashduty{{Column: "u_a", Field: "f"}, {Column: "u_b", Field: "f"}}
		}, `field "f" is the target of two mappings`},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			p := testPolicy(TwoWay, ConflictNewest)
			p.Mapping = DefaultMapping()
			r.break_(&p)
			err := p.Validate()
			if err == nil || !strings.Contains(err.Error(), r.want) {
				t.Fatalf("want an error containing %q, got %v", r.want, err)
			}
		})
	}
}

func TestParsers(t *testing.T) {
	fm, err := ParseFieldMap(" label:service=u_service, field:env = u_env ")
	if err != nil || !reflect.DeepEqual(fm, []FieldToServiceNow{{SourceLabel, "service", "u_service"}, {SourceField, "env", "u_env"}}) {
		t.Fatalf("ParseFieldMap = %v, %v", fm, err)
	}
	sm, err := ParseServiceNowFieldMap("u_business_service=business_service")
	if err != nil || !reflect.DeepEqual(sm, []FieldToFlashduty{{"u_business_service", "business_service"}}) {
		t.Fatalf("ParseServiceNowFieldMap = %v, %v", sm, err)
	}
	st, err := ParseStateMap("1=Triggered,2=Processing,3=Snoozed,6=Closed,7=Closed,8=Closed")
	if err != nil || !maps.Equal(st, DefaultMapping().StateToStatus) {
		t.Fatalf("ParseStateMap = %v, %v", st, err)
	}
	ss, err := ParseStatusMap("Triggered=1,Processing=2,Snoozed=3,Closed=6")
	if err != nil || !maps.Equal(ss, DefaultMapping().StatusToState) {
		t.Fatalf("ParseStatusMap = %v, %v", ss, err)
	}
	um, err := ParseUrgencyMap("1=Critical,2=Warning,3=Info")
	if err != nil || !maps.Equal(um, DefaultMapping().UrgencyToSeverity) {
		t.Fatalf("ParseUrgencyMap = %v, %v", um, err)
	}
	sv, err := ParseSeverityMap("Critical=1/1,Warning=2/2,Info=3/3")
	if err != nil || !maps.Equal(sv, DefaultMapping().SeverityToServiceNow) {
		t.Fatalf("ParseSeverityMap = %v, %v", sv, err)
	}
	js, err := ParseJournals("comments, work_notes,")
	if err != nil || !reflect.DeepEqual(js, []string{"comments", "work_notes"}) {
		t.Fatalf("ParseJournals = %v, %v", js, err)
	}
	if fm, err := ParseFieldMap(""); err != nil || len(fm) != 0 {
		t.Fatalf("empty field map: %v, %v", fm, err)
	}

	bad := []struct {
		name string
		fn   func() error
		want string
	}{
		{"field map no equals", func() error { _, err := ParseFieldMap("label:service"); return err }, `entry 1 "label:service": want KEY=VALUE`},
		{"field map source", func() error { _, err := ParseFieldMap("a=b,tag:x=u_x"); return err }, `entry 1 "a=b": source must be label:NAME or field:NAME`},
		{"snow map", func() error { _, err := ParseServiceNowFieldMap("u_a="); return err }, "want KEY=VALUE"},
		{"state status", func() error { _, err := ParseStateMap("1=New"); return err }, `"1=New": status must be`},
		{"state dup", func() error { _, err := ParseStateMap("1=Triggered,1=Closed"); return err }, `state "1" is listed twice`},
		{"state syntax", func() error { _, err := ParseStateMap("1"); return err }, "want KEY=VALUE"},
		{"status status", func() error { _, err := ParseStatusMap("New=1"); return err }, "status must be"},
		{"status dup", func() error { _, err := ParseStatusMap("Closed=6,Closed=7"); return err }, "listed twice"},
		{"status syntax", func() error { _, err := ParseStatusMap("=1"); return err }, "want KEY=VALUE"},
		{"urgency sev", func() error { _, err := ParseUrgencyMap("1=High"); return err }, "severity must be"},
		{"urgency dup", func() error { _, err := ParseUrgencyMap("1=Info,1=Info"); return err }, "listed twice"},
		{"urgency syntax", func() error { _, err := ParseUrgencyMap("x"); return err }, "want KEY=VALUE"},
		{"severity sev", func() error { _, err := ParseSeverityMap("High=1/1"); return err }, "severity must be"},
		{"severity pair", func() error { _, err := ParseSeverityMap("Critical=1"); return err }, "want SEVERITY=IMPACT/URGENCY"},
		{"severity dup", func() error { _, err := ParseSeverityMap("Info=3/3,Info=3/3"); return err }, "listed twice"},
		{"severity syntax", func() error { _, err := ParseSeverityMap("Info"); return err }, "want KEY=VALUE"},
		{"journals", func() error { _, err := ParseJournals("comments,notes"); return err }, `"notes" is not comments or work_notes`},
	}
	for _, b := range bad {
		if err := b.fn(); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s: want an error containing %q, got %v", b.name, b.want, err)
		}
	}
}

func TestSnowViewFromRecord(t *testing.T) {
	v, err := SnowViewFromRecord(map[string]string{
		"sys_id": "abc", "number": "INC1", "short_description": "t", "state": "2", "urgency": "1", "impact": "3",
		"sys_mod_count": "4", "sys_updated_on": "2026-11-26 09:00:05", "sys_updated_by": "jsmith", "u_service": "web",
	})
	if err != nil || v.SysModCount != 4 || !v.SysUpdatedOn.Equal(t0.Add(5e9)) || v.Columns["u_service"] != "web" || v.State != "2" {
		t.Fatalf("got %+v, %v", v, err)
	}
	if _, err := SnowViewFromRecord(map[string]string{"sys_mod_count": "x"}); err == nil || !strings.Contains(err.Error(), "sys_mod_count") {
		t.Fatalf("want a sys_mod_count error, got %v", err)
	}
	if _, err := SnowViewFromRecord(map[string]string{"sys_updated_on": "2026-11-26T09:00:05Z"}); err == nil || !strings.Contains(err.Error(), "yyyy-MM-dd HH:mm:ss") {
		t.Fatalf("want a time error, got %v", err)
	}
}

func TestTextHelpers(t *testing.T) {
	if got := truncate("abcdef", 4); got != "abcd" {
		t.Fatalf("short limit: %q", got)
	}
	if got := truncate("hello world, long text here", 20); runes(got) > 20 || !strings.HasSuffix(got, TruncationMarker) {
		t.Fatalf("truncate: %q", got)
	}
	for in, want := range map[string]string{
		"text\n\n[ServiceNow: INC1]": "text",
		"[ServiceNow: INC1]":         "",
		"text [ServiceNow: INC1]":    "text [ServiceNow: INC1]",
		"text\n[ServiceNow: ]":       "text\n[ServiceNow: ]",
		"text\n[ServiceNow: a b]":    "text\n[ServiceNow: a b]",
		"no ref]":                    "no ref]",
		"plain":                      "plain",
	} {
		if got := stripRef(in); got != want {
			t.Errorf("stripRef(%q) = %q, want %q", in, got, want)
		}
	}
	if fingerprint("") == 0 || fingerprint("a") == fingerprint("b") {
		t.Fatal("fingerprint")
	}
	if norm(" a\r\nb ") != "a\nb" {
		t.Fatal("norm")
	}
	if TwoWay.allows(ServiceNow) != true || Direction("x").allows(ServiceNow) {
		t.Fatal("allows")
	}
}
