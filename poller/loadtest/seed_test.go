package loadtest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
	"github.com/snowduty/snowduty/poller"
	"github.com/snowduty/snowduty/state"
)

// pairRef is one linked pair as the simulators hold it.
type pairRef struct {
	incidentID string // Flashduty
	sysID      string // ServiceNow
}

var severities = []string{fdsim.SeverityCritical, fdsim.SeverityWarning, fdsim.SeverityInfo}

// seedFlashduty creates n Flashduty incidents that started two hours ago
// (outside the discovery overlap, as established incidents are).
func (w *world) seedFlashduty(t testing.TB, n int) []string {
	t.Helper()
	start := w.fd.Now().Add(-2 * time.Hour)
	ids := make([]string, 0, n)
	for i := range n {
		inc, err := w.fd.CreateIncident(fdsim.IncidentSpec{
			Title: fmt.Sprintf("Load incident %d", i), Description: fmt.Sprintf("Seeded by the load test, #%d", i),
			Severity: severities[i%3], ChannelID: fdsim.OpsChannelID, StartTime: start.Add(time.Duration(i) * time.Millisecond),
		})
		if err != nil {
			t.Fatalf("seed flashduty incident %d: %v", i, err)
		}
		ids = append(ids, inc.IncidentID)
	}
	return ids
}

// settle runs passes until one writes nothing, sleeping (on the bubble's
// clock) between them so ServiceNow's cursor lag passes, and returns the
// real (wall-clock) duration of the passes that wrote something.
func (w *world) settle(t testing.TB, ctx context.Context, p *poller.Poller, max int) (passes int, busy time.Duration) {
	t.Helper()
	for i := 1; i <= max; i++ {
		before := w.writes()
		t0 := realNow()
		if err := p.RunOnce(ctx); err != nil {
			var pe *poller.PassError
			switch {
			case errors.Is(err, state.ErrFenced):
				// RunOnce does not renew the lease: a pass longer than the
				// lease TTL is fenced part-way (reported bug); go on.
				t.Logf("pass %d: %v", i, err)
				continue
			case !errors.As(err, &pe):
				t.Fatalf("pass %d: %v", i, err)
			}
			t.Logf("pass %d: %d pair(s) failed, first: %v", i, len(pe.Failures), pe.Failures[0].Err)
		}
		if w.writes() == before {
			return i, busy
		}
		busy += realNow().Sub(t0)
		time.Sleep(3 * time.Second)
	}
	t.Fatalf("no steady state after %d passes", max)
	return max, busy
}

// realNow is the wall clock, even inside a synctest bubble (where
// time.Now is simulated).
func realNow() time.Time {
	var tv syscall.Timeval
	_ = syscall.Gettimeofday(&tv)
	return time.Unix(tv.Sec, tv.Usec*1000)
}

// writes counts write calls both simulators answered so far.
func (w *world) writes() int {
	n := 0
	for k, v := range w.sn.Calls() {
		if m, _, _ := strings.Cut(k, " "); isSnowWrite(m) {
			n += v
		}
	}
	for k, v := range w.fd.Calls() {
		if _, path, _ := strings.Cut(k, " "); isFDWrite(path) {
			n += v
		}
	}
	return n
}

// pairs returns the linked pairs by Flashduty incident id, read from
// ServiceNow's correlation_id.
func (w *world) pairs(t testing.TB, ids []string) []pairRef {
	t.Helper()
	bySN := map[string]string{}
	for _, rec := range w.sn.Dump().Incidents {
		if c := rec["correlation_id"]; c != "" {
			bySN[c] = rec["sys_id"]
		}
	}
	out := make([]pairRef, 0, len(ids))
	for _, id := range ids {
		sys, ok := bySN[id]
		if !ok {
			t.Fatalf("flashduty incident %s has no servicenow partner", id)
		}
		out = append(out, pairRef{incidentID: id, sysID: sys})
	}
	return out
}

// editKinds are the mixed edits, one per changed pair.
const (
	editFDTitle = iota
	editSNState
	editFDSeverity
	editSNComment
	editKinds
)

// mixedEdit changes pair p by kind k (round r makes values differ per round).
func (w *world) mixedEdit(p pairRef, k, r int) error {
	switch k {
	case editFDTitle:
		title := fmt.Sprintf("Edited title r%d %s", r, p.incidentID)
		return w.fd.EditIncident(fdsim.Alice, p.incidentID, fdsim.Edit{Title: &title})
	case editSNState:
		st := []string{"2", "1"}[r%2]
		_, err := w.sn.UpdateIncident(snowsim.Alice, p.sysID, map[string]string{"state": st})
		return err
	case editFDSeverity:
		inc, _ := w.fd.Incident(p.incidentID)
		sev := fdsim.SeverityCritical
		if inc.Severity == sev {
			sev = fdsim.SeverityInfo
		}
		return w.fd.EditIncident(fdsim.Alice, p.incidentID, fdsim.Edit{Severity: &sev})
	default:
		return w.sn.AddComment(snowsim.Alice, p.sysID, fmt.Sprintf("Load comment r%d on %s", r, p.sysID))
	}
}

// callSplit counts calls per side, reads and writes apart.
type callSplit struct{ snReads, snWrites, fdReads, fdWrites int }

func (w *world) calls() callSplit {
	var c callSplit
	for k, v := range w.sn.Calls() {
		if m, _, _ := strings.Cut(k, " "); isSnowWrite(m) {
			c.snWrites += v
		} else {
			c.snReads += v
		}
	}
	for k, v := range w.fd.Calls() {
		if _, path, _ := strings.Cut(k, " "); isFDWrite(path) {
			c.fdWrites += v
		} else {
			c.fdReads += v
		}
	}
	return c
}

func ceilDiv(a, b int) int { return int(math.Ceil(float64(a) / float64(b))) }

// minimumCalls is the least a sync of this workload can do (the issue's
// definition: one read covering each change, plus one write per side and
// kind of change). Changes on Flashduty are only visible by re-reading
// the active set (no change feed): ⌈active/100⌉ list-by-ids. Changes on
// ServiceNow come from the change feed (⌈n/100⌉ pages) and, for comments,
// one journal read per 100 incidents.
func minimumCalls(active int, perKind [editKinds]int) (sn, fd int) {
	snChanged := perKind[editSNState] + perKind[editSNComment]
	sn = ceilDiv(snChanged, 100) + ceilDiv(perKind[editSNComment], 100) + perKind[editFDTitle] + perKind[editFDSeverity]
	fd = ceilDiv(active, 100) + perKind[editSNState] + perKind[editSNComment]
	return sn, fd
}
