package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
)

// story plays the demo's scripted steps against the simulators, as humans
// would, and waits for each change to arrive on the other side.
type story struct {
	ctx     context.Context
	sn      *snowsim.Server
	fd      *fdsim.Server
	out     io.Writer
	timeout time.Duration
	results []stepResult
	// conflicts reads the daemon's conflicts_total.
	conflicts func() float64

	fdID, sysID   string // the pair born in Flashduty
	sysID2, fdID2 string // the pair born in ServiceNow
}

type stepResult struct {
	name, detail string
	ok           bool
	took         time.Duration
}

// play runs every step and reports whether all synced.
func (s *story) play() bool {
	steps := []struct {
		name string
		run  func() (string, error)
	}{
		{"Flashduty incident → ServiceNow incident", s.fdIncidentToSnow},
		{"ServiceNow comment → Flashduty comment", s.snowCommentToFD},
		{"ServiceNow urgency 1→2 → Flashduty severity Warning", s.urgencyToSeverity},
		{"Flashduty comment → ServiceNow comment", s.fdCommentToSnow},
		{"ServiceNow On Hold → Flashduty snoozed", s.onHoldToSnooze},
		{"ServiceNow incident → Flashduty incident", s.snowIncidentToFD},
		{"Conflicting title edits → newest wins on both", s.conflict},
		{"Flashduty close → ServiceNow Resolved with close code", s.fdCloseToSnow},
		{"ServiceNow Resolved → Flashduty Closed", s.snowResolveToFD},
		{"Quiet period → no write calls (no echoes)", s.noEchoes},
	}
	all := true
	for i, st := range steps {
		start := time.Now()
		detail, err := st.run()
		r := stepResult{name: st.name, detail: detail, ok: err == nil, took: time.Since(start)}
		if err != nil {
			r.detail = err.Error()
			all = false
		}
		s.results = append(s.results, r)
		mark := "✓"
		if !r.ok {
			mark = "✗"
		}
		fmt.Fprintf(s.out, "%2d %s %-55s %6.1fs  %s\n", i+1, mark, r.name, r.took.Seconds(), r.detail)
		if !r.ok && i < 6 {
			break // later steps build on the earlier pairs
		}
	}
	return all && len(s.results) == len(steps)
}

// summary prints the outcome.
func (s *story) summary() {
	passed := 0
	for _, r := range s.results {
		if r.ok {
			passed++
		}
	}
	w := tabwriter.NewWriter(s.out, 0, 2, 2, ' ', 0)
	fmt.Fprintf(w, "\nsummary\t%d of 10 steps synced\n", passed)
	snCalls, fdCalls := 0, 0
	for _, n := range s.sn.Calls() {
		snCalls += n
	}
	for _, n := range s.fd.Calls() {
		fdCalls += n
	}
	fmt.Fprintf(w, "api calls\tServiceNow %d, Flashduty %d\n", snCalls, fdCalls)
	fmt.Fprintf(w, "incidents\tServiceNow %d, Flashduty %d (no duplicates: one partner each)\n", s.sn.IncidentCount(), len(s.fd.IncidentIDs()))
	_ = w.Flush()
}

// waitFor polls cond until it holds or the step times out.
func (s *story) waitFor(what string, cond func() (string, bool)) (string, error) {
	deadline := time.Now().Add(s.timeout)
	for {
		if detail, ok := cond(); ok {
			return detail, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("not synced after %s: %s", s.timeout, what)
		}
		select {
		case <-s.ctx.Done():
			return "", s.ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (s *story) snowByCorrelation(id string) map[string]string {
	for _, inc := range s.sn.Dump().Incidents {
		if inc["correlation_id"] == id {
			return inc
		}
	}
	return nil
}

func (s *story) fdComments(id string) []string {
	feed, _ := s.fd.Feed(id)
	var out []string
	for _, it := range feed {
		var d struct {
			Comment string `json:"comment"`
		}
		if it.Type == "i_comm" && json.Unmarshal(it.Detail, &d) == nil {
			out = append(out, d.Comment)
		}
	}
	return out
}

func (s *story) fdIncidentToSnow() (string, error) {
	inc, err := s.fd.CreateIncident(fdsim.IncidentSpec{Title: "Payment API error rate above 5%", Description: "5xx ratio on payment-api crossed 5% for 10 minutes.", Severity: "Critical", ChannelID: fdsim.OpsChannelID})
	if err != nil {
		return "", err
	}
	s.fdID = inc.IncidentID
	return s.waitFor("no ServiceNow incident with correlation_id "+inc.IncidentID, func() (string, bool) {
		sn := s.snowByCorrelation(inc.IncidentID)
		if sn == nil || sn["urgency"] != "1" {
			return "", false
		}
		s.sysID = sn["sys_id"]
		return fmt.Sprintf("%s created, urgency %s / impact %s (priority %s)", sn["number"], sn["urgency"], sn["impact"], sn["priority"]), true
	})
}

func (s *story) snowCommentToFD() (string, error) {
	const text = "Rolled back payment-api to v1.41"
	if err := s.sn.AddComment(snowsim.Alice, s.sysID, text); err != nil {
		return "", err
	}
	return s.waitFor("comment not in the Flashduty timeline", func() (string, bool) {
		for _, c := range s.fdComments(s.fdID) {
			if strings.Contains(c, text) {
				return fmt.Sprintf("%q", firstLine(c)), true
			}
		}
		return "", false
	})
}

func (s *story) urgencyToSeverity() (string, error) {
	if _, err := s.sn.UpdateIncident(snowsim.Alice, s.sysID, map[string]string{"urgency": "2"}); err != nil {
		return "", err
	}
	return s.waitFor("Flashduty severity is not Warning", func() (string, bool) {
		inc, _ := s.fd.Incident(s.fdID)
		return "Flashduty severity " + inc.Severity, inc.Severity == "Warning"
	})
}

func (s *story) fdCommentToSnow() (string, error) {
	const text = "Error rate back under 1%"
	if err := s.fd.Comment(fdsim.Alice, s.fdID, text); err != nil {
		return "", err
	}
	return s.waitFor("comment not in the ServiceNow journal", func() (string, bool) {
		for _, j := range s.sn.Journal(s.sysID) {
			if strings.Contains(j["value"], text) {
				return fmt.Sprintf("%q", firstLine(j["value"])), true
			}
		}
		return "", false
	})
}

func (s *story) onHoldToSnooze() (string, error) {
	if _, err := s.sn.UpdateIncident(snowsim.Alice, s.sysID, map[string]string{"state": "3", "hold_reason": "1"}); err != nil {
		return "", err
	}
	return s.waitFor("Flashduty incident not snoozed", func() (string, bool) {
		inc, _ := s.fd.Incident(s.fdID)
		left := time.Until(time.Unix(inc.SnoozedBefore, 0)).Round(time.Minute)
		return fmt.Sprintf("snoozed for %s", left), inc.SnoozedBefore > time.Now().Unix()
	})
}

func (s *story) snowIncidentToFD() (string, error) {
	rec, err := s.sn.CreateIncident(snowsim.Bob, map[string]string{"short_description": "VPN gateway unreachable in FRA", "description": "Users in Frankfurt cannot connect.", "urgency": "2", "impact": "2"})
	if err != nil {
		return "", err
	}
	s.sysID2 = rec["sys_id"]
	return s.waitFor("no Flashduty incident for "+rec["number"], func() (string, bool) {
		cur, _ := s.sn.Incident(s.sysID2)
		id := cur["correlation_id"]
		inc, ok := s.fd.Incident(id)
		if id == "" || !ok {
			return "", false
		}
		s.fdID2 = id
		return fmt.Sprintf("Flashduty %s (%s), severity %s", inc.Num, id, inc.Severity), inc.Severity == "Warning"
	})
}

func (s *story) conflict() (string, error) {
	// Both edits land between two polls: a real conflict. Under the
	// default policy the newer edit wins; in one second, ServiceNow does.
	fdTitle, snTitle := "VPN gateway down (Flashduty edit)", "VPN gateway FRA-1 down (ServiceNow edit)"
	before := s.conflicts()
	if err := s.fd.EditIncident(fdsim.Bob, s.fdID2, fdsim.Edit{Title: &fdTitle}); err != nil {
		return "", err
	}
	if _, err := s.sn.UpdateIncident(snowsim.Bob, s.sysID2, map[string]string{"short_description": snTitle}); err != nil {
		return "", err
	}
	return s.waitFor("titles differ", func() (string, bool) {
		inc, _ := s.fd.Incident(s.fdID2)
		sn, _ := s.sn.Incident(s.sysID2)
		if inc.Title != sn["short_description"] {
			return "", false
		}
		return fmt.Sprintf("both say %q (%.0f conflict recorded)", inc.Title, s.conflicts()-before), true
	})
}

func (s *story) fdCloseToSnow() (string, error) {
	if err := s.fd.Close(fdsim.Alice, s.fdID, "bad release v1.42", "Rolled back to v1.41"); err != nil {
		return "", err
	}
	return s.waitFor("ServiceNow incident not Resolved", func() (string, bool) {
		sn, _ := s.sn.Incident(s.sysID)
		return fmt.Sprintf("state %s, close_code %q, close_notes %q", sn["state"], sn["close_code"], sn["close_notes"]), sn["state"] == "6" && sn["close_code"] != ""
	})
}

func (s *story) snowResolveToFD() (string, error) {
	if _, err := s.sn.UpdateIncident(snowsim.Bob, s.sysID2, map[string]string{"state": "6", "close_code": "Solution provided", "close_notes": "Gateway rebooted"}); err != nil {
		return "", err
	}
	return s.waitFor("Flashduty incident not Closed", func() (string, bool) {
		inc, _ := s.fd.Incident(s.fdID2)
		return "Flashduty progress " + inc.Progress, inc.Progress == "Closed"
	})
}

func (s *story) noEchoes() (string, error) {
	count := func() int {
		n := 0
		for k, v := range s.sn.Calls() {
			if !strings.HasPrefix(k, "GET ") {
				n += v
			}
		}
		for k, v := range s.fd.Calls() {
			if _, path, _ := strings.Cut(k, " "); isFDWrite(path) {
				n += v
			}
		}
		return n
	}
	time.Sleep(2 * time.Second) // let the last change's echo come back
	before := count()
	time.Sleep(4 * time.Second)
	if after := count(); after != before {
		return "", fmt.Errorf("%d write calls while nothing changed", after-before)
	}
	return "0 write calls in 4s of polling", nil
}

// isFDWrite reports whether a Flashduty endpoint changes anything.
func isFDWrite(endpoint string) bool {
	switch endpoint {
	case "/incident/list", "/incident/list-by-ids", "/incident/info", "/incident/feed", "/member/info", "/person/infos", "/field/list", "/channel/list", "/channel/infos", "/audit/search":
		return false
	}
	return true
}

func firstLine(s string) string {
	if i := strings.LastIndex(s, "\n"); i >= 0 {
		return s[i+1:]
	}
	return s
}
