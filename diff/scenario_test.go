package diff

import (
	"embed"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

//go:embed testdata/*.yaml
var scenarioFiles embed.FS

// scenario is one story: a policy and steps of human edits and syncs.
type scenario struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Policy      struct {
		Direction          Direction      `yaml:"direction"`
		Conflict           ConflictPolicy `yaml:"conflict"`
		FieldMap           string         `yaml:"field_map"`
		ServiceNowFieldMap string         `yaml:"servicenow_field_map"`
		Journals           string         `yaml:"journals"`
		CommentTarget      string         `yaml:"comment_target"`
		SnoozeMinutes      int            `yaml:"snooze_minutes"`
		HoldReason         string         `yaml:"hold_reason"`
		CloseCode          string         `yaml:"close_code"`
	} `yaml:"policy"`
	Steps []step `yaml:"steps"`
}

type step struct {
	ServiceNow  map[string]string `yaml:"servicenow"`
	SnowComment *struct {
		Text    string `yaml:"text"`
		By      string `yaml:"by"`
		Element string `yaml:"element"`
	} `yaml:"servicenow_comment"`
	Flashduty *struct {
		Title       *string           `yaml:"title"`
		Description *string           `yaml:"description"`
		Severity    *string           `yaml:"severity"`
		Progress    *string           `yaml:"progress"`
		Snooze      int               `yaml:"snooze"`
		Resolution  string            `yaml:"resolution"`
		Closer      string            `yaml:"closer"`
		Labels      map[string]string `yaml:"labels"`
		Fields      map[string]string `yaml:"fields"`
	} `yaml:"flashduty"`
	FDComment *struct {
		Text string `yaml:"text"`
		By   string `yaml:"by"`
		ID   int64  `yaml:"id"`
	} `yaml:"flashduty_comment"`
	Advance   string      `yaml:"advance"`
	LoseState bool        `yaml:"lose_state"`
	Direction Direction   `yaml:"set_direction"`
	Sync      *syncExpect `yaml:"sync"`
	Expect    *struct {
		ServiceNow        map[string]string `yaml:"servicenow"`
		Flashduty         map[string]string `yaml:"flashduty"`
		ServiceNowJournal *int              `yaml:"servicenow_journal"`
		FlashdutyComments *int              `yaml:"flashduty_comments"`
	} `yaml:"expect"`
}

// syncExpect is the exact plan of one pass: every part not listed must be
// empty.
type syncExpect struct {
	ServiceNowCreate   map[string]string `yaml:"servicenow_create"`
	ServiceNowUpdate   map[string]string `yaml:"servicenow_update"`
	ServiceNowComments []string          `yaml:"servicenow_comments"`
	FlashdutyCreate    map[string]string `yaml:"flashduty_create"`
	FlashdutyReset     map[string]string `yaml:"flashduty_reset"`
	FlashdutyActions   string            `yaml:"flashduty_actions"`
	FlashdutyFields    map[string]string `yaml:"flashduty_fields"`
	FlashdutyComments  []string          `yaml:"flashduty_comments"`
	Conflicts          []string          `yaml:"conflicts"`
	Skipped            []string          `yaml:"skipped"`
	NoBase             bool              `yaml:"no_base"`
}

func TestScenarios(t *testing.T) {
	files, err := scenarioFiles.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, f := range files {
		data, err := scenarioFiles.ReadFile(path.Join("testdata", f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		var list []scenario
		dec := yaml.NewDecoder(strings.NewReader(string(data)))
		dec.KnownFields(true)
		if err := dec.Decode(&list); err != nil {
			t.Fatalf("%s: %v", f.Name(), err)
		}
		for _, sc := range list {
			total++
			t.Run(strings.TrimSuffix(f.Name(), ".yaml")+"/"+sc.Name, func(t *testing.T) {
				if strings.TrimSpace(sc.Description) == "" {
					t.Fatal("scenario has no description")
				}
				runScenario(t, sc)
			})
		}
	}
	if total < 20 {
		t.Fatalf("only %d scenarios found", total)
	}
}

func runScenario(t *testing.T, sc scenario) {
	p := testPolicy(sc.Policy.Direction, sc.Policy.Conflict)
	if p.Direction == "" {
		p.Direction = TwoWay
	}
	var err error
	if p.Mapping.FieldsToServiceNow, err = ParseFieldMap(sc.Policy.FieldMap); err != nil {
		t.Fatal(err)
	}
	if p.Mapping.FieldsToFlashduty, err = ParseServiceNowFieldMap(sc.Policy.ServiceNowFieldMap); err != nil {
		t.Fatal(err)
	}
	if sc.Policy.Journals != "" {
		if p.Mapping.CommentJournals, err = ParseJournals(sc.Policy.Journals); err != nil {
			t.Fatal(err)
		}
	}
	if sc.Policy.CommentTarget != "" {
		p.Mapping.CommentTarget = sc.Policy.CommentTarget
	}
	if sc.Policy.SnoozeMinutes != 0 {
		p.Mapping.SnoozeMinutes = sc.Policy.SnoozeMinutes
	}
	if sc.Policy.HoldReason != "" {
		p.Mapping.HoldReason = sc.Policy.HoldReason
	}
	if sc.Policy.CloseCode != "" {
		p.Mapping.CloseCode = sc.Policy.CloseCode
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, p)
	for i, st := range sc.Steps {
		where := fmt.Sprintf("step %d", i+1)
		switch {
		case st.ServiceNow != nil:
			snowStep(w, st.ServiceNow)
		case st.SnowComment != nil:
			c := st.SnowComment
			w.snowComment(cmpOr(c.Element, JournalComments), cmpOr(c.By, "jsmith"), c.Text)
		case st.Flashduty != nil:
			fdStep(w, st)
		case st.FDComment != nil:
			c := st.FDComment
			w.fdComment(cmpOr64(c.ID, 7), cmpOr(c.By, "Jane Doe"), c.Text)
		case st.Advance != "":
			d, err := time.ParseDuration(st.Advance)
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			w.advance(d)
		case st.LoseState:
			w.base = nil
		case st.Direction != "":
			w.policy.Direction = st.Direction
		case st.Sync != nil:
			plan := w.sync()
			checkPlan(t, where, plan, st.Sync)
			if again := w.plan(); again.Writes() != 0 {
				t.Fatalf("%s: a second pass still writes: %s", where, js(again))
			}
		case st.Expect != nil:
			for k, want := range st.Expect.ServiceNow {
				if got := snowGet(w.snow, k); got != want {
					t.Fatalf("%s: servicenow %s = %q, want %q", where, k, got, want)
				}
			}
			for k, want := range st.Expect.Flashduty {
				if got := fdGet(w, k); got != want {
					t.Fatalf("%s: flashduty %s = %q, want %q", where, k, got, want)
				}
			}
			if n := st.Expect.ServiceNowJournal; n != nil && len(w.snow.Journal) != *n {
				t.Fatalf("%s: servicenow has %d journal entries, want %d", where, len(w.snow.Journal), *n)
			}
			if n := st.Expect.FlashdutyComments; n != nil && len(w.fd.Comments) != *n {
				t.Fatalf("%s: flashduty has %d comments, want %d", where, len(w.fd.Comments), *n)
			}
		default:
			t.Fatalf("%s: empty step", where)
		}
	}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func cmpOr64(n, def int64) int64 {
	if n == 0 {
		return def
	}
	return n
}

func snowStep(w *world, f map[string]string) {
	if w.snow == nil {
		w.snow = &SnowView{SysID: "0a1b2c3d4e5f60718293a4b5c6d7e8f9", Number: "INC0010001", State: "1", Urgency: "3", Impact: "3", Columns: map[string]string{}}
	}
	by := cmpOr(f["by"], "jsmith")
	for k, v := range f {
		switch k {
		case "by":
		case "number":
			w.snow.Number = v
		default:
			setSnow(w.snow, k, v)
		}
	}
	w.humanSnow(by)
}

func setSnow(s *SnowView, k, v string) {
	switch k {
	case "short_description":
		s.ShortDescription = v
	case "description":
		s.Description = v
	case "state":
		s.State = v
	case "hold_reason":
		s.HoldReason = v
	case "urgency":
		s.Urgency = v
	case "impact":
		s.Impact = v
	case "close_code":
		s.CloseCode = v
	case "close_notes":
		s.CloseNotes = v
	default:
		s.Columns[k] = v
	}
}

func snowGet(s *SnowView, k string) string {
	switch k {
	case "short_description":
		return s.ShortDescription
	case "description":
		return s.Description
	case "state":
		return s.State
	case "hold_reason":
		return s.HoldReason
	case "urgency":
		return s.Urgency
	case "impact":
		return s.Impact
	case "close_code":
		return s.CloseCode
	case "close_notes":
		return s.CloseNotes
	case "correlation_id":
		return s.CorrelationID
	case "correlation_display":
		return s.CorrelationDisplay
	}
	return s.Columns[k]
}

func fdStep(w *world, st step) {
	e := st.Flashduty
	if w.fd == nil {
		w.fd = &FDView{IncidentID: "69da451ef77b1b51f40e83ee", Num: "0E83EE", Progress: "Triggered", Severity: SeverityWarning, Labels: map[string]string{}, Fields: map[string]any{}}
	}
	f := w.fd
	if e.Title != nil {
		f.Title = *e.Title
	}
	if e.Description != nil {
		f.Description = *e.Description
	}
	if e.Severity != nil {
		f.Severity = Severity(*e.Severity)
	}
	if e.Progress != nil {
		f.Progress = *e.Progress
		if f.Progress == "Closed" {
			f.SnoozedBefore, f.CloserID, f.CloserName, f.Resolution = 0, 0, e.Closer, e.Resolution
			if e.Closer != "" {
				f.CloserID = 7
			}
		}
	}
	if e.Snooze > 0 {
		f.SnoozedBefore = w.now.Unix() + int64(e.Snooze)*60
	}
	maps.Copy(f.Labels, e.Labels)
	for k, v := range e.Fields {
		f.Fields[k] = v
	}
	f.UpdatedAt = w.now.Unix()
}

func fdGet(w *world, k string) string {
	f := w.fd
	switch k {
	case "title":
		return f.Title
	case "description":
		return f.Description
	case "severity":
		return string(f.Severity)
	case "progress":
		return f.Progress
	case "snoozed":
		return fmt.Sprint(f.SnoozedBefore > w.now.Unix())
	case "resolution":
		return f.Resolution
	}
	if name, ok := strings.CutPrefix(k, "field:"); ok {
		return fieldString(f.Fields[name])
	}
	return "?unknown key " + k
}

func checkPlan(t *testing.T, where string, p Plan, e *syncExpect) {
	t.Helper()
	fail := func(format string, a ...any) {
		t.Fatalf("%s: "+format+"\nplan: %s", append([]any{where}, append(a, js(p))...)...)
	}
	if e.ServiceNowCreate != nil || p.ServiceNow.Create != nil {
		if !maps.Equal(p.ServiceNow.Create, e.ServiceNowCreate) {
			fail("servicenow create = %v, want %v", p.ServiceNow.Create, e.ServiceNowCreate)
		}
	}
	if !maps.Equal(p.ServiceNow.Update, e.ServiceNowUpdate) {
		fail("servicenow update = %v, want %v", p.ServiceNow.Update, e.ServiceNowUpdate)
	}
	var snowTexts []string
	for _, c := range p.ServiceNow.Comments {
		snowTexts = append(snowTexts, c.Element+": "+c.Text)
	}
	matchTexts(fail, "servicenow comments", snowTexts, e.ServiceNowComments)
	got := map[string]string(nil)
	if c := p.Flashduty.Create; c != nil {
		got = map[string]string{"title": c.Title, "description": c.Description, "severity": string(c.Severity)}
		for k, v := range c.Fields {
			got["field:"+k] = v
		}
	}
	if !maps.Equal(got, e.FlashdutyCreate) {
		fail("flashduty create = %v, want %v", got, e.FlashdutyCreate)
	}
	got = nil
	if r := p.Flashduty.Reset; r != nil {
		got = map[string]string{}
		if r.Title != nil {
			got["title"] = *r.Title
		}
		if r.Description != nil {
			got["description"] = *r.Description
		}
		if r.Severity != nil {
			got["severity"] = string(*r.Severity)
		}
	}
	if !maps.Equal(got, e.FlashdutyReset) {
		fail("flashduty reset = %v, want %v", got, e.FlashdutyReset)
	}
	if a := actions(p); a != e.FlashdutyActions {
		fail("flashduty actions = %q, want %q", a, e.FlashdutyActions)
	}
	got = nil
	for _, f := range p.Flashduty.Fields {
		if got == nil {
			got = map[string]string{}
		}
		got[f.Name] = f.Value
	}
	if !maps.Equal(got, e.FlashdutyFields) {
		fail("flashduty fields = %v, want %v", got, e.FlashdutyFields)
	}
	matchTexts(fail, "flashduty comments", p.Flashduty.Comments, e.FlashdutyComments)
	var conflicts, skipped []string
	for _, c := range p.Conflicts {
		conflicts = append(conflicts, c.Field+":"+string(c.Winner))
	}
	for _, s := range p.Skipped {
		skipped = append(skipped, string(s.Side)+":"+s.Field)
	}
	if !slices.Equal(conflicts, e.Conflicts) {
		fail("conflicts = %v, want %v", conflicts, e.Conflicts)
	}
	if !slices.Equal(skipped, e.Skipped) {
		fail("skipped = %v, want %v", skipped, e.Skipped)
	}
	if (p.NewBase == nil) != e.NoBase {
		fail("new base present = %v, want %v", p.NewBase != nil, !e.NoBase)
	}
}

// matchTexts checks that got has one text per pattern, in order, each
// containing its pattern.
func matchTexts(fail func(string, ...any), what string, got, want []string) {
	if len(got) != len(want) {
		fail("%d %s, want %d", len(got), what, len(want))
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			fail("%s[%d] = %q, want it to contain %q", what, i, got[i], want[i])
		}
	}
}
