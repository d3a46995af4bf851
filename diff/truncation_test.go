package diff

import (
	"strings"
	"testing"
	"time"
)

// After the base is lost (Redis flushed), a pair whose one side holds the
// shortened copy snowduty wrote of the other's longer text must keep the
// full text: the copy is not an edit, whichever side was updated last.
func TestUnbasedMergeKeepsTheFullTextOverOurTruncatedCopy(t *testing.T) {
	long := func(word string, n int) string { return strings.TrimSpace(strings.Repeat(word+" ", n)) }
	tests := []struct {
		name string
		// seed makes the world settle with the long text on one side.
		seed  func(w *world)
		edit  func(w *world) // a later edit of another field, so the copy's side is the newer one
		check func(t *testing.T, w *world, p Plan)
	}{
		{
			name: "long flashduty title, servicenow holds its 160-character copy",
			seed: func(w *world) {
				w.fd = &FDView{IncidentID: "0000000000000000000000a1", Title: long("flashduty-title", 30), Description: "from an alert",
					Severity: SeverityWarning, Progress: "Triggered", UpdatedAt: w.now.Unix()}
			},
			edit: func(w *world) { w.snow.Description = "a person edited the description"; w.humanSnow("jsmith") },
			check: func(t *testing.T, w *world, p Plan) {
				if resetTitle(p) != "" || len(w.fd.Title) < 400 {
					t.Fatalf("the full flashduty title was overwritten by the servicenow copy: %s", js(p))
				}
				if hasConflict(p, KeyTitle, ServiceNow) || hasConflict(p, KeyTitle, Flashduty) {
					t.Fatalf("our own copy was taken for a conflicting edit: %s", js(p.Conflicts))
				}
			},
		},
		{
			name: "long flashduty description, servicenow holds its 4000-character copy",
			seed: func(w *world) {
				w.fd = &FDView{IncidentID: "0000000000000000000000a2", Title: "Checkout slow", Description: long("flashduty-description", 250),
					Severity: SeverityWarning, Progress: "Triggered", UpdatedAt: w.now.Unix()}
			},
			edit: func(w *world) { w.snow.ShortDescription = "Checkout slow (EU)"; w.humanSnow("jsmith") },
			check: func(t *testing.T, w *world, p Plan) {
				if p.Flashduty.Reset != nil && p.Flashduty.Reset.Description != nil {
					t.Fatalf("the full flashduty description was overwritten by the servicenow copy: %s", js(p.Flashduty.Reset))
				}
			},
		},
		{
			name: "long servicenow description, flashduty holds the copy it was created with",
			seed: func(w *world) {
				w.snow = &SnowView{SysID: "9d385017c611228701d22104cc95c3a3", Number: "INC0010042", ShortDescription: "Payroll batch failed",
					Description: long("servicenow-description", 150), State: "1", Urgency: "2", Impact: "2", SysUpdatedOn: w.now, SysUpdatedBy: "jsmith",
					Columns: map[string]string{}}
			},
			edit: func(w *world) { w.fd.Severity, w.fd.UpdatedAt = SeverityCritical, w.now.Unix() },
			check: func(t *testing.T, w *world, p Plan) {
				if _, ok := p.ServiceNow.Update["description"]; ok || len(w.snow.Description) < 3000 {
					t.Fatalf("the full servicenow description was overwritten by the flashduty copy: %s", js(p.ServiceNow))
				}
				if p.ServiceNow.Update["urgency"] != "1" {
					t.Fatalf("the real edit (severity) was not synced: %s", js(p.ServiceNow))
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, testPolicy(TwoWay, ""))
			tt.seed(w)
			w.sync() // creates the partner with the shortened copy
			w.advance(time.Minute)
			if p := w.sync(); p.Writes() != 0 {
				t.Fatalf("no steady state before the flush: %s", js(p))
			}
			snowBefore, fdBefore := w.snow.Description, w.fd.Description
			if w.snow.ShortDescription == w.fd.Title && snowBefore == stripRef(norm(fdBefore)) {
				t.Fatalf("the seed made no shortened copy: both sides hold the same texts")
			}
			w.base = nil // Redis lost
			w.advance(time.Minute)
			tt.edit(w)
			p := w.sync()
			tt.check(t, w, p)
			w.advance(time.Minute)
			if p := w.sync(); p.Writes() != 0 {
				t.Fatalf("no steady state after the flush: %s", js(p))
			}
		})
	}
}

// copyOf is the agreement test itself: only a cut made by one of our
// writes counts, never an unrelated text of the same start.
func TestCopyOf(t *testing.T) {
	c := &computer{p: testPolicy(TwoWay, ""), snow: &SnowView{Number: "INC0010001"}}
	full := strings.Repeat("x", 300)
	if !c.copyOf(KeyTitle, truncate(full, 160), full) {
		t.Error("a 160-character servicenow copy of a flashduty title is not recognised")
	}
	if !c.copyOf(KeyTitle, full, truncate(full, FDTitleResetMax)) {
		t.Error("a reset-length flashduty copy of a servicenow title is not recognised")
	}
	if c.copyOf(KeyTitle, full[:160], full) {
		t.Error("a prefix without the truncation marker counted as our copy")
	}
	if c.copyOf(KeyTitle, truncate(full, 150), full) {
		t.Error("a cut at another length counted as our copy")
	}
	desc := strings.Repeat("y", 2000)
	if !c.copyOf(KeyDescription, desc, truncate(desc, FDDescriptionCreateMax-runes(refLine("INC0010001"))-2)) {
		t.Error("the created flashduty description (room left for the number line) is not recognised")
	}
	if c.copyOf(KeySeverity, "Critical", "Warning") {
		t.Error("severities are never copies of each other")
	}
}
