package diff

import (
	"maps"
	"strings"
	"testing"
	"time"
)

// TestMergeTable covers every row of the merge table and every mapping, on
// a settled linked pair.
func TestMergeTable(t *testing.T) {
	type row struct {
		name   string
		why    string
		dir    Direction
		policy ConflictPolicy
		edit   func(w *world)
		check  func(t *testing.T, w *world, p Plan)
	}
	snowEdit := func(f func(s *SnowView)) func(w *world) {
		return func(w *world) { f(w.snow); w.humanSnow("jsmith") }
	}
	fdEdit := func(f func(v *FDView)) func(w *world) {
		return func(w *world) { f(w.fd); w.fd.UpdatedAt = w.now.Unix() }
	}
	wantSnow := func(want map[string]string) func(t *testing.T, w *world, p Plan) {
		return func(t *testing.T, w *world, p Plan) {
			if !maps.Equal(p.ServiceNow.Update, want) || p.Flashduty.Reset != nil || len(p.Flashduty.Actions) != 0 {
				t.Fatalf("want servicenow update %v only, got %s", want, js(p))
			}
		}
	}
	wantActions := func(want string) func(t *testing.T, w *world, p Plan) {
		return func(t *testing.T, w *world, p Plan) {
			if got := actions(p); got != want || len(p.ServiceNow.Update) != 0 {
				t.Fatalf("want flashduty actions %q only, got %s", want, js(p))
			}
		}
	}
	rows := []row{
		{
			name: "unchanged", why: "same on both sides: nothing to do",
			edit: func(*world) {},
			check: func(t *testing.T, w *world, p Plan) {
				if p.HasChanges() || p.Writes() != 0 {
					t.Fatalf("want no changes, got %s", js(p))
				}
			},
		},
		{
			name: "servicenow changed", why: "one-sided change is pushed to the other side",
			edit: snowEdit(func(s *SnowView) { s.ShortDescription = "Disk full on db-01 and db-02" }),
			check: func(t *testing.T, w *world, p Plan) {
				if resetTitle(p) != "Disk full on db-01 and db-02" || len(p.ServiceNow.Update) != 0 {
					t.Fatalf("want title reset only, got %s", js(p))
				}
			},
		},
		{
			name: "flashduty changed", why: "one-sided change is pushed to the other side",
			edit:  fdEdit(func(v *FDView) { v.Title = "DB disk full" }),
			check: wantSnow(map[string]string{"short_description": "DB disk full"}),
		},
		{
			name: "both changed equal", why: "same new value on both sides: new base only",
			edit: func(w *world) {
				snowEdit(func(s *SnowView) { s.Description = "Both agree." })(w)
				fdEdit(func(v *FDView) { v.Description = "Both agree." })(w)
			},
			check: func(t *testing.T, w *world, p Plan) {
				if p.Writes() != 0 || len(p.Conflicts) != 0 || !p.BaseChanged() || !p.HasChanges() {
					t.Fatalf("want base-only change, got %s", js(p))
				}
			},
		},
		{
			name: "conflict newest flashduty", why: "newest: flashduty updated later wins",
			edit: func(w *world) {
				snowEdit(func(s *SnowView) { s.ShortDescription = "snow title" })(w)
				w.advance(time.Second)
				fdEdit(func(v *FDView) { v.Title = "fd title" })(w)
			},
			check: func(t *testing.T, w *world, p Plan) {
				if !hasConflict(p, KeyTitle, Flashduty) || p.ServiceNow.Update["short_description"] != "fd title" || resetTitle(p) != "" {
					t.Fatalf("want flashduty to win, got %s", js(p))
				}
			},
		},
		{
			name: "conflict newest servicenow", why: "newest: servicenow updated later wins",
			edit: func(w *world) {
				fdEdit(func(v *FDView) { v.Title = "fd title" })(w)
				w.advance(time.Second)
				snowEdit(func(s *SnowView) { s.ShortDescription = "snow title" })(w)
			},
			check: func(t *testing.T, w *world, p Plan) {
				if !hasConflict(p, KeyTitle, ServiceNow) || resetTitle(p) != "snow title" || len(p.ServiceNow.Update) != 0 {
					t.Fatalf("want servicenow to win, got %s", js(p))
				}
			},
		},
		{
			name: "conflict newest tie", why: "equal update times go to servicenow",
			edit: func(w *world) {
				fdEdit(func(v *FDView) { v.Title = "fd title" })(w)
				snowEdit(func(s *SnowView) { s.ShortDescription = "snow title" })(w)
			},
			check: func(t *testing.T, w *world, p Plan) {
				if !hasConflict(p, KeyTitle, ServiceNow) {
					t.Fatalf("want servicenow to win a tie, got %s", js(p))
				}
			},
		},
		{
			name: "conflict policy servicenow", why: "policy servicenow wins although flashduty is newer",
			policy: ConflictServiceNow,
			edit: func(w *world) {
				snowEdit(func(s *SnowView) { s.ShortDescription = "snow title" })(w)
				w.advance(time.Hour)
				fdEdit(func(v *FDView) { v.Title = "fd title" })(w)
			},
			check: func(t *testing.T, w *world, p Plan) {
				if !hasConflict(p, KeyTitle, ServiceNow) || resetTitle(p) != "snow title" {
					t.Fatalf("want servicenow to win, got %s", js(p))
				}
			},
		},
		{
			name: "conflict policy flashduty", why: "policy flashduty wins although servicenow is newer",
			policy: ConflictFlashduty,
			edit: func(w *world) {
				fdEdit(func(v *FDView) { v.Title = "fd title" })(w)
				w.advance(time.Hour)
				snowEdit(func(s *SnowView) { s.ShortDescription = "snow title" })(w)
			},
			check: func(t *testing.T, w *world, p Plan) {
				if !hasConflict(p, KeyTitle, Flashduty) || p.ServiceNow.Update["short_description"] != "fd title" {
					t.Fatalf("want flashduty to win, got %s", js(p))
				}
			},
		},
		{
			name: "direction to_servicenow blocks", why: "a servicenow change is not pushed under to_servicenow and the base stays",
			dir:  ToServiceNow,
			edit: snowEdit(func(s *SnowView) { s.ShortDescription = "snow only" }),
			check: func(t *testing.T, w *world, p Plan) {
				if p.Writes() != 0 || !hasSkip(p, Flashduty, KeyTitle) {
					t.Fatalf("want a skip and no write, got %s", js(p))
				}
				w.apply(p)
				b, _ := p.NewBase.MarshalBinary()
				w.base = b
				if again := w.plan(); !hasSkip(again, Flashduty, KeyTitle) {
					t.Fatalf("the base moved for a blocked push: %s", js(again))
				}
			},
		},
		{
			name: "direction from_servicenow blocks", why: "a flashduty change is not pushed under from_servicenow",
			dir:  FromServiceNow,
			edit: fdEdit(func(v *FDView) { v.Title = "fd only" }),
			check: func(t *testing.T, w *world, p Plan) {
				if p.Writes() != 0 || !hasSkip(p, ServiceNow, KeyTitle) {
					t.Fatalf("want a skip and no write, got %s", js(p))
				}
			},
		},
		{
			name: "direction decides conflicts", why: "under to_servicenow flashduty (the source) wins a conflict",
			dir: ToServiceNow, policy: ConflictServiceNow,
			edit: func(w *world) {
				snowEdit(func(s *SnowView) { s.ShortDescription = "snow title" })(w)
				fdEdit(func(v *FDView) { v.Title = "fd title" })(w)
			},
			check: func(t *testing.T, w *world, p Plan) {
				if !hasConflict(p, KeyTitle, Flashduty) || p.ServiceNow.Update["short_description"] != "fd title" {
					t.Fatalf("want flashduty to win by direction, got %s", js(p))
				}
			},
		},
		{
			name: "impact only", why: "vendor rule: an impact-only change does not move severity",
			edit: snowEdit(func(s *SnowView) { s.Impact = "1" }),
			check: func(t *testing.T, w *world, p Plan) {
				if p.Writes() != 0 {
					t.Fatalf("want no writes, got %s", js(p))
				}
			},
		},
		{
			name: "urgency changed", why: "urgency 1 maps to Critical",
			edit: snowEdit(func(s *SnowView) { s.Urgency = "1" }),
			check: func(t *testing.T, w *world, p Plan) {
				if r := p.Flashduty.Reset; r == nil || r.Severity == nil || *r.Severity != SeverityCritical || r.Title != nil {
					t.Fatalf("want severity reset to Critical, got %s", js(p))
				}
			},
		},
		{
			name: "severity to servicenow", why: "Info writes impact 3 and urgency 3, never priority",
			edit:  fdEdit(func(v *FDView) { v.Severity = SeverityInfo }),
			check: wantSnow(map[string]string{"impact": "3", "urgency": "3"}),
		},
		{
			name: "snow in progress", why: "state 2 acks",
			edit:  snowEdit(func(s *SnowView) { s.State = "2" }),
			check: wantActions("ack"),
		},
		{
			name: "snow on hold", why: "state 3 acks then snoozes the configured 120 minutes",
			edit:  snowEdit(func(s *SnowView) { s.State, s.HoldReason = "3", "4" }),
			check: wantActions("ack,snooze:120"),
		},
		{
			name: "snow resolved", why: "state 6 resolves with close_notes as resolution",
			edit: snowEdit(func(s *SnowView) { s.State, s.CloseCode, s.CloseNotes = "6", "Solution provided", "Freed 40 GB" }),
			check: func(t *testing.T, w *world, p Plan) {
				if actions(p) != "resolve" || p.Flashduty.Actions[0].Resolution != "Freed 40 GB" {
					t.Fatalf("want resolve with resolution, got %s", js(p))
				}
			},
		},
		{
			name: "snow canceled", why: "state 8 closes",
			edit:  snowEdit(func(s *SnowView) { s.State = "8" }),
			check: wantActions("resolve"),
		},
		{
			name: "snow closed", why: "state 7 closes",
			edit:  snowEdit(func(s *SnowView) { s.State = "7" }),
			check: wantActions("resolve"),
		},
		{
			name: "fd ack", why: "Processing writes state 2",
			edit:  fdEdit(func(v *FDView) { v.Progress = "Processing" }),
			check: wantSnow(map[string]string{"state": "2"}),
		},
		{
			name: "fd snoozed", why: "snoozed writes state 3 with the configured hold_reason",
			edit:  fdEdit(func(v *FDView) { v.Progress, v.SnoozedBefore = "Processing", v.UpdatedAt+3600 }),
			check: wantSnow(map[string]string{"state": "3", "hold_reason": "1"}),
		},
		{
			name: "fd closed with resolution", why: "Closed writes state 6, close_code and the resolution as close_notes in one change",
			edit:  fdEdit(func(v *FDView) { v.Progress, v.Resolution, v.CloserID = "Closed", "Rolled back", 7 }),
			check: wantSnow(map[string]string{"state": "6", "close_code": "Solution provided", "close_notes": "Rolled back"}),
		},
		{
			name: "fd closed by a person", why: "no resolution: close_notes name who closed it",
			edit:  fdEdit(func(v *FDView) { v.Progress, v.CloserID, v.CloserName = "Closed", 7, "Jane Doe" }),
			check: wantSnow(map[string]string{"state": "6", "close_code": "Solution provided", "close_notes": "Closed in Flashduty by Jane Doe"}),
		},
		{
			name: "fd closed automatically", why: "closer 0 is an automatic close",
			edit:  fdEdit(func(v *FDView) { v.Progress = "Closed" }),
			check: wantSnow(map[string]string{"state": "6", "close_code": "Solution provided", "close_notes": "Closed in Flashduty by Flashduty (automatic close)"}),
		},
		{
			name: "snow title too short", why: "never push a string under 3 characters to flashduty",
			edit: snowEdit(func(s *SnowView) { s.ShortDescription = "ab" }),
			check: func(t *testing.T, w *world, p Plan) {
				if p.Writes() != 0 || !hasSkip(p, Flashduty, KeyTitle) {
					t.Fatalf("want skip, got %s", js(p))
				}
			},
		},
		{
			name: "snow description emptied", why: "an empty description cannot be sent to flashduty",
			edit: snowEdit(func(s *SnowView) { s.Description = "" }),
			check: func(t *testing.T, w *world, p Plan) {
				if p.Writes() != 0 || !hasSkip(p, Flashduty, KeyDescription) {
					t.Fatalf("want skip, got %s", js(p))
				}
			},
		},
		{
			name: "long snow title", why: "truncated to flashduty's reset limit with a visible marker",
			edit: snowEdit(func(s *SnowView) { s.ShortDescription = strings.Repeat("x", 300) }),
			check: func(t *testing.T, w *world, p Plan) {
				got := resetTitle(p)
				if runes(got) != FDTitleResetMax || !strings.HasSuffix(got, TruncationMarker) {
					t.Fatalf("want a %d-rune truncated title, got %q", FDTitleResetMax, got)
				}
			},
		},
		{
			name: "long fd title", why: "truncated to servicenow's short_description max_length",
			edit: fdEdit(func(v *FDView) { v.Title = strings.Repeat("é", 180) }),
			check: func(t *testing.T, w *world, p Plan) {
				got := p.ServiceNow.Update["short_description"]
				if runes(got) != 160 || !strings.HasSuffix(got, TruncationMarker) {
					t.Fatalf("want a 160-rune truncated title, got %q", got)
				}
			},
		},
		{
			name: "long fd description", why: "truncated to servicenow's description max_length",
			edit: fdEdit(func(v *FDView) { v.Description = strings.Repeat("d", 5000) }),
			check: func(t *testing.T, w *world, p Plan) {
				got := p.ServiceNow.Update["description"]
				if runes(got) != 4000 || !strings.HasSuffix(got, TruncationMarker) {
					t.Fatalf("want a 4000-rune truncated description, got %d runes", runes(got))
				}
			},
		},
		{
			name: "unmapped state", why: "a state without a mapping is skipped, not guessed",
			edit: snowEdit(func(s *SnowView) { s.State = "9" }),
			check: func(t *testing.T, w *world, p Plan) {
				if p.Writes() != 0 || !hasSkip(p, Flashduty, KeyStatus) {
					t.Fatalf("want skip, got %s", js(p))
				}
			},
		},
		{
			name: "unknown fd severity", why: "a severity flashduty does not accept on writes is skipped",
			edit: fdEdit(func(v *FDView) { v.Severity = "Ok" }),
			check: func(t *testing.T, w *world, p Plan) {
				if p.Writes() != 0 || !hasSkip(p, ServiceNow, KeySeverity) {
					t.Fatalf("want skip, got %s", js(p))
				}
			},
		},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			dir := r.dir
			if dir == "" {
				dir = TwoWay
			}
			w := linked(t, testPolicy(dir, r.policy))
			r.edit(w)
			p := w.plan()
			r.check(t, w, p)
			if t.Failed() {
				t.Logf("reason: %s", r.why)
			}
		})
	}
}

// TestStateRoundTrips checks transitions from non-trivial starting states.
func TestStateRoundTrips(t *testing.T) {
	t.Run("flashduty reopen writes the reopen state", func(t *testing.T) {
		w := linked(t, testPolicy(TwoWay, ""))
		w.fd.Progress, w.fd.UpdatedAt = "Closed", w.now.Unix()
		w.sync()
		w.advance(time.Minute)
		w.fd.Progress, w.fd.UpdatedAt = "Triggered", w.now.Unix()
		p := w.sync()
		if !maps.Equal(p.ServiceNow.Update, map[string]string{"state": "2"}) {
			t.Fatalf("want state 2 (reopened after being worked), got %s", js(p))
		}
		if again := w.plan(); again.Writes() != 0 {
			t.Fatalf("reopen echo: %s", js(again))
		}
	})
	t.Run("servicenow reopen reopens and acks", func(t *testing.T) {
		w := linked(t, testPolicy(TwoWay, ""))
		w.snow.State, w.snow.CloseCode, w.snow.CloseNotes = "6", "Solution provided", "done"
		w.humanSnow("jsmith")
		w.sync()
		w.advance(time.Minute)
		w.snow.State = "2"
		w.humanSnow("jsmith")
		if p := w.sync(); actions(p) != "reopen,ack" {
			t.Fatalf("want reopen,ack, got %s", js(p))
		}
	})
	t.Run("hold released wakes", func(t *testing.T) {
		w := linked(t, testPolicy(TwoWay, ""))
		w.snow.State, w.snow.HoldReason = "3", "1"
		w.humanSnow("jsmith")
		w.sync()
		w.advance(time.Minute)
		w.snow.State, w.snow.HoldReason = "2", ""
		w.humanSnow("jsmith")
		if p := w.sync(); actions(p) != "wake" {
			t.Fatalf("want wake, got %s", js(p))
		}
	})
	t.Run("snooze expiry moves servicenow off hold", func(t *testing.T) {
		w := linked(t, testPolicy(TwoWay, ""))
		w.snow.State, w.snow.HoldReason = "3", "1"
		w.humanSnow("jsmith")
		w.sync()
		w.advance(121 * time.Minute)
		p := w.sync()
		if !maps.Equal(p.ServiceNow.Update, map[string]string{"state": "2", "hold_reason": ""}) {
			t.Fatalf("want state 2 with hold_reason cleared, got %s", js(p))
		}
		if again := w.plan(); again.Writes() != 0 {
			t.Fatalf("echo after expiry: %s", js(again))
		}
	})
	t.Run("flashduty unack on a worked incident keeps in progress", func(t *testing.T) {
		w := linked(t, testPolicy(TwoWay, ""))
		w.fd.Progress, w.fd.UpdatedAt = "Processing", w.now.Unix()
		w.sync()
		w.fd.Progress, w.fd.UpdatedAt = "Triggered", w.now.Unix()
		p := w.sync()
		if p.Writes() != 0 {
			t.Fatalf("servicenow does not go back to New: %s", js(p))
		}
	})
	t.Run("closed flashduty snoozed from servicenow", func(t *testing.T) {
		w := linked(t, testPolicy(TwoWay, ""))
		w.fd.Progress, w.fd.UpdatedAt = "Closed", w.now.Unix()
		w.sync()
		w.advance(time.Minute)
		w.snow.State, w.snow.HoldReason = "3", "1"
		w.humanSnow("jsmith")
		if p := w.sync(); actions(p) != "reopen,ack,snooze:120" {
			t.Fatalf("want reopen,ack,snooze, got %s", js(p))
		}
	})
	t.Run("snoozed to closed to triggered in flashduty", func(t *testing.T) {
		w := linked(t, testPolicy(TwoWay, ""))
		w.snow.State, w.snow.HoldReason = "3", "1"
		w.humanSnow("jsmith")
		w.sync()
		w.snow.State, w.snow.HoldReason = "1", ""
		w.humanSnow("jsmith")
		if p := w.sync(); actions(p) != "wake,unack" {
			t.Fatalf("want wake,unack, got %s", js(p))
		}
	})
}

// TestBlockedSeverityKeepsUrgency: a blocked urgency change must not be
// forgotten (the urgency rule's base does not move either).
func TestBlockedSeverityKeepsUrgency(t *testing.T) {
	w := linked(t, testPolicy(ToServiceNow, ""))
	w.snow.Urgency = "1"
	w.humanSnow("jsmith")
	if p := w.sync(); p.Writes() != 0 || !hasSkip(p, Flashduty, KeySeverity) {
		t.Fatalf("want a blocked severity, got %s", js(p))
	}
	w.policy.Direction = TwoWay
	p := w.sync()
	if r := p.Flashduty.Reset; r == nil || r.Severity == nil || *r.Severity != SeverityCritical {
		t.Fatalf("the blocked urgency change was lost: %s", js(p))
	}
}

// TestPartialFailure: when one side's writes fail the caller stores no base;
// the next pass finishes the job without reverting the side that succeeded.
func TestPartialFailure(t *testing.T) {
	w := linked(t, testPolicy(TwoWay, ""))
	w.snow.ShortDescription = "renamed in servicenow"
	w.humanSnow("jsmith")
	w.fd.Progress, w.fd.UpdatedAt = "Closed", w.now.Unix()
	w.fdComment(7, "Jane", "closing")
	p := w.plan()
	w.applySnow(p.ServiceNow) // the Flashduty reset fails; nothing is stored
	w.advance(time.Minute)
	p2 := w.sync()
	if resetTitle(p2) != "renamed in servicenow" || len(p2.ServiceNow.Update) != 0 || len(p2.ServiceNow.Comments) != 0 || len(p2.Conflicts) != 0 {
		t.Fatalf("want only the failed flashduty write again, got %s", js(p2))
	}
	if w.snow.State != "6" || len(w.snow.Journal) != 1 {
		t.Fatalf("servicenow reverted or comment duplicated: %s", js(w.snow))
	}
}

func TestPlanJSONIsDeterministic(t *testing.T) {
	p := testPolicy(TwoWay, "")
	p.Mapping.FieldsToServiceNow = []FieldToServiceNow{{Source: SourceLabel, Name: "b", Column: "u_b"}, {Source: SourceLabel, Name: "a", Column: "u_a"}}
	p.Mapping.FieldsToFlashduty = []FieldToFlashduty{{Column: "u_y", Field: "y"}, {Column: "u_x", Field: "x"}}
	w := linked(t, p)
	w.fd.Labels = map[string]string{"a": "1", "b": "2"}
	w.snow.Columns["u_x"], w.snow.Columns["u_y"] = "x", "y"
	w.humanSnow("jsmith")
	first := js(w.plan())
	for range 20 {
		if got := js(w.plan()); got != first {
			t.Fatalf("plan JSON differs between runs:\n%s\n%s", first, got)
		}
	}
	plan := w.plan()
	if len(plan.Flashduty.Fields) != 2 || plan.Flashduty.Fields[0].Name != "x" {
		t.Fatalf("fields not sorted: %s", js(plan.Flashduty.Fields))
	}
}
