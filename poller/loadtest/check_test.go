package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/diff"
	"github.com/snowduty/snowduty/state"
)

// verdict is what the convergence checker found.
type verdict struct {
	pairs, fdIncidents, snIncidents int
	duplicates                      []string // an incident with more than one partner, or a partner-less copy
	missing                         []string // an incident without a partner
	divergent                       []string // a synced field that differs between partners
	lostUpdates                     []string // a human's last write that did not survive
	comments                        int      // human comments checked
	commentErrors                   []string // a comment missing, duplicated or echoed
	deadLetters                     []state.DeadLetter
}

func (v verdict) ok() bool {
	return len(v.duplicates)+len(v.missing)+len(v.divergent)+len(v.lostUpdates)+len(v.commentErrors)+len(v.deadLetters) == 0
}

func (v verdict) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pairs %d (flashduty %d, servicenow %d incidents), comments %d; duplicates %d, missing %d, divergent %d, lost updates %d, comment errors %d, dead letters %d",
		v.pairs, v.fdIncidents, v.snIncidents, v.comments, len(v.duplicates), len(v.missing), len(v.divergent), len(v.lostUpdates), len(v.commentErrors), len(v.deadLetters))
	for _, l := range [][]string{v.duplicates, v.missing, v.divergent, v.lostUpdates, v.commentErrors} {
		for i, s := range l {
			if i == 10 {
				fmt.Fprintf(&b, "\n  … %d more", len(l)-10)
				break
			}
			b.WriteString("\n  " + s)
		}
	}
	for _, d := range v.deadLetters {
		fmt.Fprintf(&b, "\n  dead letter %s (%s, %d attempts): %s", d.PairID, d.Op, d.Attempts, d.Err)
	}
	return b.String()
}

// check compares both simulators under the mapping m.
func check(ctx context.Context, w *world, h *humans, m diff.Mapping, store *state.Store) verdict {
	var v verdict
	pol := diff.Policy{Direction: diff.TwoWay, Conflict: diff.ConflictNewest, Mapping: m, Now: time.Now()}
	sd := w.sn.Dump()
	fd := w.fd.Dump()
	v.fdIncidents, v.snIncidents = len(fd.Incidents), len(sd.Incidents)
	fdByID := map[string]fdsim.Incident{}
	for _, inc := range fd.Incidents {
		fdByID[inc.IncidentID] = inc
	}
	partners := map[string][]map[string]string{}
	for _, rec := range sd.Incidents {
		c := rec["correlation_id"]
		if _, ok := fdByID[c]; !ok {
			v.missing = append(v.missing, fmt.Sprintf("servicenow %s (%s) has no flashduty partner (correlation_id %q)", rec["number"], rec["short_description"], c))
			continue
		}
		partners[c] = append(partners[c], rec)
	}
	journal := map[string][]map[string]string{}
	for _, j := range sd.Journal {
		journal[j["element_id"]] = append(journal[j["element_id"]], j)
	}
	for _, inc := range fd.Incidents {
		ps := partners[inc.IncidentID]
		switch {
		case len(ps) == 0:
			v.missing = append(v.missing, fmt.Sprintf("flashduty %s (%s) has no servicenow partner", inc.IncidentID, inc.Title))
			continue
		case len(ps) > 1:
			v.duplicates = append(v.duplicates, fmt.Sprintf("flashduty %s has %d servicenow partners", inc.IncidentID, len(ps)))
		}
		v.pairs++
		rec := ps[0]
		sv, err := diff.SnowViewFromRecord(rec)
		if err != nil {
			v.divergent = append(v.divergent, err.Error())
			continue
		}
		a, b := pol.ServiceNowIncident(sv), pol.FlashdutyIncident(fdViewOf(inc))
		fields := map[string][2]string{
			"title": {a.Title, b.Title}, "description": {a.Description, b.Description},
			"status": {string(a.Status), string(b.Status)}, "severity": {string(a.Severity), string(b.Severity)},
		}
		for k, av := range a.Fields {
			fields[k] = [2]string{av, b.Fields[k]}
		}
		if a.Status == diff.StatusProcessing && b.Status == diff.StatusTriggered && rec["state"] == m.ReopenState {
			// By design: an incident re-triggered after being worked goes
			// back to the reopen state (In Progress), never to New.
			delete(fields, "status")
		}
		for _, k := range slices.Sorted(mapsKeys(fields)) {
			if f := fields[k]; f[0] != f[1] {
				v.divergent = append(v.divergent, fmt.Sprintf("pair %s/%s %s: servicenow %q, flashduty %q", rec["number"], inc.IncidentID, k, f[0], f[1]))
			}
		}
		v.lostUpdates = append(v.lostUpdates, h.lost(rec, inc, a, b)...)
	}
	v.comments, v.commentErrors = h.checkComments(sd.Journal, fd.Feeds)
	if store != nil {
		dl, err := store.DeadLetters(ctx)
		if err != nil {
			v.commentErrors = append(v.commentErrors, "read dead letters: "+err.Error())
		}
		v.deadLetters = dl
	}
	return v
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// lost lists the fields of a pair whose last human write (the newer one,
// when both sides were written) is not what both sides hold now.
func (h *humans) lost(rec map[string]string, inc fdsim.Incident, a, b diff.Incident) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	cur := map[string]string{"title": a.Title, "description": a.Description, "severity": string(a.Severity),
		"affected_service": a.Fields["sn:u_service"], "u_business_service": b.Fields["fd:environment"]}
	for field, now := range cur {
		e1, ok1 := h.lastEdit["fd/"+inc.IncidentID+"/"+field]
		e2, ok2 := h.lastEdit["sn/"+rec["sys_id"]+"/"+field]
		if !ok1 && !ok2 {
			continue
		}
		win, other := e1, e2
		if !ok1 || (ok2 && e2.at.After(e1.at)) {
			win, other = e2, e1
		}
		if now == win.value {
			continue
		}
		if ok1 && ok2 && win.concurrent && now == other.value {
			continue // a conflict: the other write may win
		}
		out = append(out, fmt.Sprintf("pair %s/%s %s: last human write %q (at %s) lost, both sides hold %q",
			rec["number"], inc.IncidentID, field, win.value, win.at.Format("15:04:05.000"), now))
	}
	return out
}

// checkComments checks every human comment is exactly once on each side.
func (h *humans) checkComments(journal []map[string]string, feeds map[string][]fdsim.FeedItem) (int, []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	inSN, inFD := map[string]int{}, map[string]int{}
	for _, j := range journal {
		for _, line := range strings.Split(j["value"], "\n") {
			if i := strings.Index(line, "soak-comment-"); i >= 0 {
				inSN[commentKey(line[i:])]++
			}
		}
	}
	for _, feed := range feeds {
		for _, it := range feed {
			if it.Type != "i_comm" {
				continue
			}
			var d struct {
				Comment string `json:"comment"`
			}
			_ = json.Unmarshal(it.Detail, &d)
			for _, line := range strings.Split(d.Comment, "\n") {
				if i := strings.Index(line, "soak-comment-"); i >= 0 {
					inFD[commentKey(line[i:])]++
				}
			}
		}
	}
	var errs []string
	for text, where := range h.comments {
		k := commentKey(text)
		if inSN[k] != 1 || inFD[k] != 1 {
			errs = append(errs, fmt.Sprintf("comment %q (on %s): %d in servicenow, %d in flashduty (want 1 and 1)", text, where, inSN[k], inFD[k]))
		}
	}
	slices.Sort(errs)
	return len(h.comments), errs
}

// commentKey is "soak-comment-N" of a comment text.
func commentKey(s string) string {
	s = strings.TrimPrefix(s, "soak-comment-")
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	return s[:end]
}

// fdViewOf is the diff view of a simulated Flashduty incident.
func fdViewOf(inc fdsim.Incident) *diff.FDView {
	return &diff.FDView{IncidentID: inc.IncidentID, Num: inc.Num, Title: inc.Title, Description: inc.Description,
		Severity: diff.Severity(inc.Severity), Progress: inc.Progress, SnoozedBefore: inc.SnoozedBefore, UpdatedAt: inc.UpdatedAt,
		CloseTime: inc.CloseTime, Labels: inc.Labels, Fields: inc.Fields, ChannelID: inc.ChannelID, CloserID: inc.CloserID, Resolution: inc.Resolution}
}
