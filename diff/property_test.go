package diff

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// bytesSource turns fuzz input into choices; exhausted input gives zeros.
type bytesSource struct{ b []byte }

func (s *bytesSource) n(k int) int {
	if len(s.b) == 0 || k <= 1 {
		return 0
	}
	v := int(s.b[0]) % k
	s.b = s.b[1:]
	return v
}

func (s *bytesSource) pick(xs ...string) string { return xs[s.n(len(xs))] }

var (
	titles = []string{"Disk full", "CPU high on web-01", "VPN down", "DB slow", "Checkout errors", "Payment API 500s"}
	descs  = []string{"The data disk is full.", "Load is 40.", "Nobody can connect.", "p99 above 2s", "See the runbook."}
	bodies = []string{"looking", "rolled back", "caller on leave", "need a vendor", "fixed?", "ok"}
)

// checkSync runs one random story and checks the properties after every
// pass: idempotence, no echo, convergence (two_way), exactly-once comments.
func checkSync(t *testing.T, data []byte) {
	src := &bytesSource{b: data}
	dir := []Direction{TwoWay, ToServiceNow, FromServiceNow}[src.n(3)]
	pol := []ConflictPolicy{ConflictNewest, ConflictServiceNow, ConflictFlashduty}[src.n(3)]
	p := testPolicy(dir, pol)
	p.Mapping.FieldsToServiceNow = []FieldToServiceNow{{Source: SourceLabel, Name: "service", Column: "u_service"}}
	p.Mapping.FieldsToFlashduty = []FieldToFlashduty{{Column: "u_bs", Field: "bs"}}
	if src.n(2) == 1 {
		p.Mapping.CommentJournals = []string{JournalComments, JournalWorkNotes}
	}
	if src.n(3) == 0 {
		p.Mapping.MirroredComments = 1 + src.n(3)
	}
	w := newWorld(t, p)
	newSnow := func() {
		w.snow = &SnowView{SysID: "s0", Number: "INC0000100", ShortDescription: src.pick(titles...), Description: src.pick(descs...),
			State: src.pick("1", "2", "3", "6"), Urgency: src.pick("1", "2", "3"), Impact: src.pick("1", "2", "3"),
			SysUpdatedOn: w.now, SysUpdatedBy: "jsmith", Columns: map[string]string{"u_bs": src.pick("", "Payments")}}
		if w.snow.State == "3" {
			w.snow.HoldReason = "1"
		}
	}
	newFD := func() {
		w.fd = &FDView{IncidentID: "f0", Title: src.pick(titles...), Description: src.pick(descs...),
			Severity: Severity(src.pick("Critical", "Warning", "Info")), Progress: src.pick("Triggered", "Processing", "Closed"),
			UpdatedAt: w.now.Unix(), Labels: map[string]string{"service": src.pick("", "web")}, Fields: map[string]any{}}
	}
	switch start := src.n(3); {
	case start == 0 && dir != ToServiceNow:
		newSnow()
	case start == 1 && dir != FromServiceNow:
		newFD()
	default:
		newSnow()
		newFD()
	}
	windowed := src.n(2) == 1
	var lastSync time.Time
	humanSnow, humanFD := 0, 0

	for round := 0; round < 8; round++ {
		before := snapshotCanon(w, w.now)
		w.advance(time.Duration(src.n(200)) * time.Minute)
		if round > 0 {
			for e := src.n(5); e > 0; e-- {
				edit(w, src, &humanSnow, &humanFD)
			}
		}
		if src.n(12) == 0 {
			w.base = nil // state lost
		}
		w.window = 0
		if windowed && !lastSync.IsZero() {
			w.window = w.now.Sub(lastSync) + time.Second
		}
		if src.n(6) == 0 {
			// A failed pass: only one side's writes succeed and no base is
			// stored; the next pass must still converge without duplicates.
			failed := w.plan()
			if src.n(2) == 0 {
				w.applySnow(failed.ServiceNow)
			} else {
				w.applyFD(failed.Flashduty)
			}
			before = snapshotCanon(w, w.now)
		}
		hadBase := w.base != nil
		pre := snapshotCanon(w, w.now)
		cs, cf := func() (bool, bool) {
			pol := w.policy
			pol.Now = w.now
			s, f := w.views()
			return Changed(w.loadBase(), s, f, pol)
		}()
		plan := w.sync()
		if fieldWrites := plan.Writes() - len(plan.ServiceNow.Comments) - len(plan.Flashduty.Comments); !cs && !cf && fieldWrites > 0 {
			t.Fatalf("round %d: Changed said nothing moved but the plan writes fields: %s", round, js(plan))
		}
		lastSync = w.now

		for _, c := range plan.Conflicts {
			want := map[ConflictPolicy]Side{ConflictServiceNow: ServiceNow, ConflictFlashduty: Flashduty}[pol]
			if dir == ToServiceNow {
				want = Flashduty
			} else if dir == FromServiceNow {
				want = ServiceNow
			}
			if want != "" && c.Winner != want {
				t.Fatalf("round %d: conflict %s won by %s, want %s", round, c.Field, c.Winner, want)
			}
		}
		if dir == ToServiceNow && (plan.Flashduty.Create != nil || plan.Flashduty.Reset != nil || len(plan.Flashduty.Actions)+len(plan.Flashduty.Fields)+len(plan.Flashduty.Comments) > 0) {
			t.Fatalf("round %d: to_servicenow wrote to flashduty: %s", round, js(plan))
		}
		if dir == FromServiceNow && (plan.ServiceNow.Create != nil || len(plan.ServiceNow.Update)+len(plan.ServiceNow.Comments) > 0) {
			t.Fatalf("round %d: from_servicenow wrote to servicenow: %s", round, js(plan))
		}
		if hadBase && before != nil && pre != nil {
			checkNoEcho(t, round, before, pre, plan)
		}
		if again := w.plan(); again.Writes() != 0 {
			t.Fatalf("round %d: not idempotent, second plan: %s\nfirst: %s", round, js(again), js(plan))
		}
		if w.snow == nil || w.fd == nil {
			continue
		}
		if dir == TwoWay {
			checkConverged(t, round, w)
		}
		checkComments(t, round, w, dir)
	}
}

// canonPair is both sides' canonical values at one moment.
type canonPair struct{ snow, fd canon }

func snapshotCanon(w *world, now time.Time) *canonPair {
	if w.snow == nil || w.fd == nil {
		return nil
	}
	p := w.policy
	p.Now = now
	c := &computer{p: p}
	s, _ := c.snowCanon(w.snow)
	f, _ := c.fdCanon(w.fd)
	return &canonPair{s, f}
}

// checkNoEcho: a field that changed on one side only since the last pass is
// never written back to that side (unless a conflict with an older pending
// change is listed).
func checkNoEcho(t *testing.T, round int, before, pre *canonPair, plan Plan) {
	conflict := func(k string) bool { return hasConflict(plan, k, ServiceNow) || hasConflict(plan, k, Flashduty) }
	r := plan.Flashduty.Reset
	fdWrites := map[string]bool{
		KeyTitle: r != nil && r.Title != nil, KeyDescription: r != nil && r.Description != nil,
		KeySeverity: r != nil && r.Severity != nil, KeyStatus: len(plan.Flashduty.Actions) > 0,
	}
	u := plan.ServiceNow.Update
	snowWrites := map[string]bool{
		KeyTitle: u["short_description"] != "", KeyDescription: u["description"] != "",
		KeySeverity: u["urgency"] != "", KeyStatus: u["state"] != "",
	}
	for k, wrote := range fdWrites {
		if wrote && before.fd[k] != pre.fd[k] && before.snow[k] == pre.snow[k] && !conflict(k) {
			t.Fatalf("round %d: echo: %s changed in flashduty (%q → %q) and was written back to it: %s", round, k, before.fd[k], pre.fd[k], js(plan))
		}
	}
	for k, wrote := range snowWrites {
		if wrote && before.snow[k] != pre.snow[k] && before.fd[k] == pre.fd[k] && !conflict(k) {
			t.Fatalf("round %d: echo: %s changed in servicenow (%q → %q) and was written back to it: %s", round, k, before.snow[k], pre.snow[k], js(plan))
		}
	}
}

func checkConverged(t *testing.T, round int, w *world) {
	c := snapshotCanon(w, w.now)
	for _, k := range []string{KeyTitle, KeyDescription, KeySeverity} {
		if c.snow[k] != c.fd[k] {
			t.Fatalf("round %d: %s differs: servicenow %q, flashduty %q\n%s\n%s", round, k, c.snow[k], c.fd[k], js(w.snow), js(w.fd))
		}
	}
	if s, f := c.snow[KeyStatus], c.fd[KeyStatus]; s != f && (f != string(StatusTriggered) || s != string(StatusProcessing)) {
		t.Fatalf("round %d: status differs: servicenow %q (state %s), flashduty %q\n%s", round, s, w.snow.State, f, js(w.fd))
	}
	if l := w.fd.Labels["service"]; l != "" && w.snow.Columns["u_service"] != l {
		t.Fatalf("round %d: label service %q not in u_service %q", round, l, w.snow.Columns["u_service"])
	}
	if b := w.snow.Columns["u_bs"]; b != "" && fieldString(w.fd.Fields["bs"]) != b {
		t.Fatalf("round %d: u_bs %q not in field bs %q", round, b, fieldString(w.fd.Fields["bs"]))
	}
}

// checkComments: every human comment is on the other side exactly once
// (when the direction allows), and every copy has a human original.
func checkComments(t *testing.T, round int, w *world, dir Direction) {
	var toFD, toSnow []string
	for _, e := range w.snow.Journal {
		if e.CreatedBy != testSnowUser && containsStr(w.policy.Mapping.CommentJournals, e.Element) {
			kind := map[string]string{JournalComments: "comment", JournalWorkNotes: "work note"}[e.Element]
			toFD = append(toFD, fmt.Sprintf("[ServiceNow %s by %s, %s]\n%s", kind, e.CreatedBy, e.CreatedOn.Format(commentTime), e.Value))
		}
	}
	for _, c := range w.fd.Comments {
		if c.CreatorID != testMember {
			toSnow = append(toSnow, fmt.Sprintf("[Flashduty comment by %s, %s]\n%s", c.CreatorName, c.CreatedAt.UTC().Format(commentTime), c.Text))
		}
	}
	var fdCopies, snowCopies []string
	for _, c := range w.fd.Comments {
		if c.CreatorID == testMember {
			fdCopies = append(fdCopies, c.Text)
		}
	}
	for _, e := range w.snow.Journal {
		if e.CreatedBy == testSnowUser {
			snowCopies = append(snowCopies, e.Value)
		}
	}
	expect := func(side string, originals, copies []string, allowed bool) {
		if !allowed {
			if len(copies) != 0 {
				t.Fatalf("round %d: %d comments copied to %s against the direction", round, len(copies), side)
			}
			return
		}
		if len(originals) != len(copies) {
			t.Fatalf("round %d: %d human comments but %d copies in %s:\n%s\n---\n%s", round, len(originals), len(copies), side, strings.Join(originals, "\n"), strings.Join(copies, "\n"))
		}
		for _, o := range originals {
			if n := countStr(copies, o); n != 1 {
				t.Fatalf("round %d: comment %q copied %d times to %s", round, o, n, side)
			}
		}
	}
	expect("flashduty", toFD, fdCopies, dir.allows(Flashduty))
	expect("servicenow", toSnow, snowCopies, dir.allows(ServiceNow))
}

func containsStr(xs []string, s string) bool { return countStr(xs, s) > 0 }

func countStr(xs []string, s string) int {
	n := 0
	for _, x := range xs {
		if x == s {
			n++
		}
	}
	return n
}

// edit makes one random human edit on either side.
func edit(w *world, src *bytesSource, humanSnow, humanFD *int) {
	if w.snow != nil && (w.fd == nil || src.n(2) == 0) {
		s := w.snow
		switch src.n(7) {
		case 0:
			s.ShortDescription = src.pick(titles...)
		case 1:
			s.Description = src.pick(descs...)
		case 2:
			s.State = src.pick("1", "2", "3", "6", "7", "8")
			switch s.State {
			case "3":
				s.HoldReason = src.pick("1", "4")
			case "6", "7":
				s.CloseCode, s.CloseNotes = "Solution provided", src.pick("done", "fixed by restart")
				s.HoldReason = ""
			default:
				s.HoldReason = ""
			}
		case 3:
			s.Urgency = src.pick("1", "2", "3")
		case 4:
			s.Impact = src.pick("1", "2", "3")
		case 5:
			w.snowComment(src.pick(JournalComments, JournalWorkNotes), src.pick("jsmith", "abel.tuter"), src.pick(bodies...)+" "+itoa(int64(w.next())))
			*humanSnow++
			return
		case 6:
			s.Columns["u_bs"] = src.pick("Payments", "Identity", "")
		}
		w.humanSnow(src.pick("jsmith", "abel.tuter"))
		return
	}
	if w.fd == nil {
		return
	}
	f := w.fd
	switch src.n(7) {
	case 0:
		f.Title = src.pick(titles...)
	case 1:
		f.Description = src.pick(descs...)
	case 2:
		f.Severity = Severity(src.pick("Critical", "Warning", "Info"))
	case 3:
		switch src.n(5) {
		case 0:
			if f.Progress == "Triggered" {
				f.Progress = "Processing"
			}
		case 1:
			if f.Progress == "Processing" {
				f.Progress = "Triggered"
			}
		case 2:
			f.Progress, f.SnoozedBefore, f.CloserID, f.CloserName = "Closed", 0, 7, "Jane Doe"
			f.Resolution = src.pick("", "restarted")
		case 3:
			if f.Progress == "Closed" {
				f.Progress = "Triggered"
			}
		case 4:
			if f.Progress != "Closed" {
				f.SnoozedBefore = w.now.Unix() + int64(30+src.n(200))*60
			}
		}
	case 4:
		w.fdComment(int64(7+src.n(2)), src.pick("Jane Doe", "Li Lei"), src.pick(bodies...)+" "+itoa(int64(w.next())))
		*humanFD++
		return
	case 5:
		f.Labels["service"] = src.pick("web", "api", "")
	case 6:
		w.advance(time.Duration(src.n(60)) * time.Second)
	}
	f.UpdatedAt = w.now.Unix()
}

func FuzzSync(f *testing.F) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 64 {
		b := make([]byte, 96)
		for i := 0; i < len(b); i += 8 {
			binary.LittleEndian.PutUint64(b[i:], rng.Uint64())
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Fuzz(checkSync)
}

// TestPropertiesRandom runs many more random stories than the seed corpus,
// deterministically.
func TestPropertiesRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for i := range 1500 {
		b := make([]byte, 128)
		for j := 0; j < len(b); j += 8 {
			binary.LittleEndian.PutUint64(b[j:], rng.Uint64())
		}
		t.Run(fmt.Sprint(i), func(t *testing.T) { checkSync(t, b) })
		if t.Failed() {
			return
		}
	}
}
