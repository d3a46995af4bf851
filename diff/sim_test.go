package diff

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Test fixtures shared by the tests.
const (
	testSnowUser = "snowduty.integration"
	testMember   = int64(2476444212131)
)

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

func testPolicy(dir Direction, conflict ConflictPolicy) Policy {
	return Policy{
		Direction: dir,
		Conflict:  conflict,
		Mapping:   DefaultMapping(),
		Origin:    Origin{ServiceNowUser: testSnowUser, FlashdutyMemberID: testMember},
		Now:       t0,
	}
}

// world simulates both systems faithfully enough for the merge: it applies
// plans the way the real APIs would and rejects writes they would reject.
type world struct {
	t      testing.TB
	now    time.Time
	policy Policy
	snow   *SnowView
	fd     *FDView
	base   []byte // stored snapshot, encoded
	seq    int
	// window, when > 0, passes only comments newer than now-window.
	window time.Duration
}

func newWorld(t testing.TB, p Policy) *world {
	return &world{t: t, now: t0, policy: p}
}

func (w *world) next() int { w.seq++; return w.seq }

// advance moves the clock; an expired snooze returns the incident to
// Triggered as Flashduty does.
func (w *world) advance(d time.Duration) {
	w.now = w.now.Add(d)
	if w.fd != nil && w.fd.SnoozedBefore != 0 && w.fd.SnoozedBefore <= w.now.Unix() {
		w.fd.SnoozedBefore = 0
		if w.fd.Progress != "Closed" {
			w.fd.Progress = "Triggered"
		}
		w.fd.UpdatedAt = w.now.Unix()
	}
}

// humanSnow marks a human ServiceNow update.
func (w *world) humanSnow(user string) {
	w.snow.SysModCount++
	w.snow.SysUpdatedOn = w.now
	w.snow.SysUpdatedBy = user
}

func (w *world) snowComment(element, user, text string) {
	w.snow.Journal = append(w.snow.Journal, SnowJournalEntry{
		SysID: fmt.Sprintf("j%031d", w.next()), Element: element, Value: text, CreatedBy: user, CreatedOn: w.now,
	})
	w.humanSnow(user)
}

func (w *world) fdComment(creator int64, name, text string) {
	w.fd.Comments = append(w.fd.Comments, FDComment{
		ID: fmt.Sprintf("c%d", w.next()), CreatorID: creator, CreatorName: name, Text: strings.TrimSpace(text), CreatedAt: w.now.Add(time.Duration(w.seq) * time.Millisecond),
	})
}

// views returns copies of both sides as the poller would pass them.
func (w *world) views() (*SnowView, *FDView) {
	var s *SnowView
	var f *FDView
	cut := time.Time{}
	if w.window > 0 {
		cut = w.now.Add(-w.window)
	}
	if w.snow != nil {
		c := *w.snow
		c.Columns = cloneMap(w.snow.Columns)
		c.Journal = nil
		for _, e := range w.snow.Journal {
			if !e.CreatedOn.Before(cut) {
				c.Journal = append(c.Journal, e)
			}
		}
		s = &c
	}
	if w.fd != nil {
		c := *w.fd
		c.Labels = cloneMap(w.fd.Labels)
		c.Fields = map[string]any{}
		for k, v := range w.fd.Fields {
			c.Fields[k] = v
		}
		c.Comments = nil
		for _, e := range w.fd.Comments {
			if !e.CreatedAt.Before(cut) {
				c.Comments = append(c.Comments, e)
			}
		}
		f = &c
	}
	return s, f
}

func cloneMap[V any](m map[string]V) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// loadBase decodes the stored base.
func (w *world) loadBase() *Snapshot {
	if w.base == nil {
		return nil
	}
	var s Snapshot
	if err := s.UnmarshalBinary(w.base); err != nil {
		w.t.Fatalf("decode stored base: %v", err)
	}
	return &s
}

// plan computes the plan for the current state without applying it.
func (w *world) plan() Plan {
	p := w.policy
	p.Now = w.now
	s, f := w.views()
	return Compute(w.loadBase(), s, f, p)
}

// sync computes, applies and stores, like one poller pass.
func (w *world) sync() Plan {
	w.t.Helper()
	plan := w.plan()
	w.apply(plan)
	if plan.NewBase != nil {
		b, err := plan.NewBase.MarshalBinary()
		if err != nil {
			w.t.Fatalf("encode new base: %v", err)
		}
		w.base = b
	}
	return plan
}

func (w *world) apply(p Plan) {
	w.t.Helper()
	w.applySnow(p.ServiceNow)
	w.applyFD(p.Flashduty)
}

func (w *world) applySnow(p SnowPlan) {
	w.t.Helper()
	if p.Create != nil {
		n := w.next()
		w.snow = &SnowView{SysID: fmt.Sprintf("%032x", n), Number: fmt.Sprintf("INC%07d", n), State: "1", Urgency: "3", Impact: "3", Columns: map[string]string{}}
		w.patchSnow(p.Create)
		w.snow.SysModCount = 0
	}
	if len(p.Update) > 0 {
		w.patchSnow(p.Update)
	}
	for _, c := range p.Comments {
		if c.Element != JournalComments && c.Element != JournalWorkNotes {
			w.t.Fatalf("servicenow comment to unknown journal %q", c.Element)
		}
		if runes(c.Text) > w.policy.Mapping.ServiceNowCommentMax {
			w.t.Fatalf("servicenow comment longer than %d: %d", w.policy.Mapping.ServiceNowCommentMax, runes(c.Text))
		}
		w.snowComment(c.Element, testSnowUser, c.Text)
	}
}

func (w *world) patchSnow(f map[string]string) {
	w.t.Helper()
	if _, ok := f["priority"]; ok {
		w.t.Fatalf("plan writes priority: %v", f)
	}
	if st, ok := f["state"]; ok {
		switch st {
		case "6", "7":
			if f["close_code"] == "" || f["close_notes"] == "" {
				w.t.Fatalf("resolve without close_code and close_notes in the same PATCH: %v", f)
			}
		case "3":
			if f["hold_reason"] == "" {
				w.t.Fatalf("on hold without hold_reason: %v", f)
			}
		}
	}
	_, hasI := f["impact"]
	_, hasU := f["urgency"]
	if hasI != hasU {
		w.t.Fatalf("impact and urgency must be written together: %v", f)
	}
	for k, v := range f {
		switch k {
		case "short_description":
			w.snow.ShortDescription = v
		case "description":
			w.snow.Description = v
		case "state":
			w.snow.State = v
		case "hold_reason":
			w.snow.HoldReason = v
		case "urgency":
			w.snow.Urgency = v
		case "impact":
			w.snow.Impact = v
		case "close_code":
			w.snow.CloseCode = v
		case "close_notes":
			w.snow.CloseNotes = v
		case "correlation_id":
			w.snow.CorrelationID = v
		case "correlation_display":
			w.snow.CorrelationDisplay = v
		default:
			w.snow.Columns[k] = v
		}
	}
	w.humanSnow(testSnowUser)
}

func (w *world) applyFD(p FDPlan) {
	w.t.Helper()
	if p.Create != nil {
		c := p.Create
		if n := runes(c.Title); n < 1 || n > FDTitleCreateMax {
			w.t.Fatalf("create title length %d", n)
		}
		if runes(c.Description) > FDDescriptionCreateMax {
			w.t.Fatalf("create description length %d", runes(c.Description))
		}
		if !c.Severity.valid() {
			w.t.Fatalf("create severity %q", c.Severity)
		}
		n := w.next()
		w.fd = &FDView{IncidentID: fmt.Sprintf("%024x", n), Num: fmt.Sprintf("%06X", n), Title: c.Title, Description: c.Description,
			Severity: c.Severity, Progress: "Triggered", Fields: map[string]any{}, Labels: map[string]string{}}
		for k, v := range c.Fields {
			w.fd.Fields[k] = v
		}
		w.fd.UpdatedAt = w.now.Unix()
		if w.snow != nil {
			// The poller names the new partner in ServiceNow right after
			// the create, in the same pass.
			w.snow.CorrelationID, w.snow.CorrelationDisplay = w.fd.IncidentID, CorrelationDisplay
			w.humanSnow(testSnowUser)
		}
	}
	if r := p.Reset; r != nil {
		if r.Title == nil && r.Description == nil && r.Severity == nil {
			w.t.Fatalf("empty reset")
		}
		if r.Title != nil {
			if n := runes(*r.Title); n < 3 || n > FDTitleResetMax {
				w.t.Fatalf("reset title length %d", n)
			}
			w.fd.Title = *r.Title
		}
		if r.Description != nil {
			if n := runes(*r.Description); n < 3 || n > FDDescriptionMax {
				w.t.Fatalf("reset description length %d", n)
			}
			w.fd.Description = *r.Description
		}
		if r.Severity != nil {
			if !r.Severity.valid() {
				w.t.Fatalf("reset severity %q", *r.Severity)
			}
			w.fd.Severity = *r.Severity
		}
		w.fd.UpdatedAt = w.now.Unix()
	}
	for _, a := range p.Actions {
		switch a.Kind {
		case ActionAck:
			w.fd.Progress = "Processing"
		case ActionUnack:
			w.fd.Progress = "Triggered"
		case ActionSnooze:
			if a.Minutes < 1 || a.Minutes > FDSnoozeMaxMinutes {
				w.t.Fatalf("snooze minutes %d", a.Minutes)
			}
			w.fd.SnoozedBefore = w.now.Unix() + int64(a.Minutes)*60
		case ActionWake:
			w.fd.SnoozedBefore = 0
		case ActionResolve:
			if runes(a.Resolution) > FDResolutionMax {
				w.t.Fatalf("resolution length %d", runes(a.Resolution))
			}
			w.fd.Progress, w.fd.SnoozedBefore, w.fd.CloserID = "Closed", 0, testMember
			w.fd.CloseTime = w.now.Unix()
			if a.Resolution != "" {
				w.fd.Resolution = a.Resolution
			}
		case ActionReopen:
			w.fd.Progress, w.fd.SnoozedBefore, w.fd.CloseTime = "Triggered", 0, 0
		default:
			w.t.Fatalf("unknown action %q", a.Kind)
		}
		w.fd.UpdatedAt = w.now.Unix()
	}
	for _, f := range p.Fields {
		w.fd.Fields[f.Name] = f.Value
		w.fd.UpdatedAt = w.now.Unix()
	}
	for _, c := range p.Comments {
		if n := runes(strings.TrimSpace(c)); n < 1 || n > FDCommentMax {
			w.t.Fatalf("flashduty comment length %d", n)
		}
		w.fdComment(testMember, "ServiceNow Sync", c)
	}
}
