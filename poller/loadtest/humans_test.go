package loadtest

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
)

// humans edit both simulators at random, as people would, and remember
// what they did: every comment's unique text, and the last value each
// person wrote to a synced field (for the lost-update check).
type humans struct {
	sn  *snowsim.Server
	fd  *fdsim.Server
	rng *rand.Rand

	mu        sync.Mutex
	fdIDs     []string
	snIDs     []string
	fdPartner map[string]string // flashduty id → servicenow sys_id
	snPartner map[string]string // sys_id → flashduty id
	comments  map[string]string // text → side and incident it was written on
	lastEdit  map[string]edit   // "side/id/field" → last human write
	edits     map[string]int    // kind → count
	seq       int
}

// edit is one human write of a synced field.
type edit struct {
	value string
	at    time.Time
	// concurrent: the other side's last write of the field had not
	// arrived here yet when this one was made (a true conflict).
	concurrent bool
}

func newHumans(sn *snowsim.Server, fd *fdsim.Server, seed uint64) *humans {
	return &humans{sn: sn, fd: fd, rng: rand.New(rand.NewPCG(seed, seed+1)), comments: map[string]string{},
		lastEdit: map[string]edit{}, edits: map[string]int{}}
}

func (h *humans) next() int { h.seq++; return h.seq }

func (h *humans) note(kind string, err error) {
	if err == nil {
		h.edits[kind]++
	} else {
		h.edits["refused:"+kind]++
	}
}

// createFD opens a Flashduty incident as an alert would.
func (h *humans) createFD() {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := h.next()
	inc, err := h.fd.CreateIncident(fdsim.IncidentSpec{Title: fmt.Sprintf("Soak FD incident %d", n), Description: fmt.Sprintf("Alert %d fired", n),
		Severity: severities[h.rng.IntN(3)], ChannelID: fdsim.OpsChannelID})
	h.note("create flashduty", err)
	if err == nil {
		h.fdIDs = append(h.fdIDs, inc.IncidentID)
	}
}

// createSN opens a ServiceNow incident as a person would.
func (h *humans) createSN() {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := h.next()
	u := fmt.Sprint(1 + h.rng.IntN(3))
	rec, err := h.sn.CreateIncident(snowsim.Bob, map[string]string{"short_description": fmt.Sprintf("Soak SN incident %d", n),
		"description": fmt.Sprintf("Reported by phone, case %d", n), "urgency": u, "impact": u})
	h.note("create servicenow", err)
	if err == nil {
		h.snIDs = append(h.snIDs, rec["sys_id"])
	}
}

// act makes one random edit on a random incident of a random side.
func (h *humans) act() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.rng.IntN(2) == 0 && len(h.fdIDs) > 0 {
		h.actFD(h.fdIDs[h.rng.IntN(len(h.fdIDs))])
		return
	}
	if len(h.snIDs) > 0 {
		h.actSN(h.snIDs[h.rng.IntN(len(h.snIDs))])
	}
}

// adopt lets humans edit incidents the daemon created too, and learns
// the pairs (from ServiceNow's correlation_id).
func (h *humans) adopt(fdIDs []string, snRecs []map[string]string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fdIDs, h.snIDs = fdIDs, nil
	h.fdPartner, h.snPartner = map[string]string{}, map[string]string{}
	for _, r := range snRecs {
		h.snIDs = append(h.snIDs, r["sys_id"])
		if c := r["correlation_id"]; c != "" {
			h.fdPartner[c], h.snPartner[r["sys_id"]] = r["sys_id"], c
		}
	}
}

// remember notes a human write; before is the field's value on this side
// just before it, and partner names the other side's incident when known.
func (h *humans) remember(side, id, field, value, before string) {
	other, partner := "sn", h.fdPartner[id] // a Flashduty incident's partner is a sys_id
	if side == "sn" {
		other, partner = "fd", h.snPartner[id]
	}
	o, ok := h.lastEdit[other+"/"+partner+"/"+field]
	h.lastEdit[side+"/"+id+"/"+field] = edit{value: value, at: time.Now(), concurrent: ok && partner != "" && before != o.value}
}

func (h *humans) actFD(id string) {
	n := h.next()
	cur, _ := h.fd.Incident(id)
	member := []string{fdsim.Alice, fdsim.Bob}[h.rng.IntN(2)]
	switch h.rng.IntN(10) {
	case 0, 1:
		v := fmt.Sprintf("FD title edit %d", n)
		err := h.fd.EditIncident(member, id, fdsim.Edit{Title: &v})
		if h.note("flashduty title", err); err == nil {
			h.remember("fd", id, "title", v, cur.Title)
		}
	case 2:
		v := fmt.Sprintf("FD description edit %d", n)
		err := h.fd.EditIncident(member, id, fdsim.Edit{Description: &v})
		if h.note("flashduty description", err); err == nil {
			h.remember("fd", id, "description", v, cur.Description)
		}
	case 3:
		v := severities[h.rng.IntN(3)]
		err := h.fd.EditIncident(member, id, fdsim.Edit{Severity: &v})
		if h.note("flashduty severity", err); err == nil {
			h.remember("fd", id, "severity", v, cur.Severity)
		}
	case 4, 5:
		v := fmt.Sprintf("soak-comment-%d from flashduty", n)
		err := h.fd.Comment(member, id, v)
		if h.note("flashduty comment", err); err == nil {
			h.comments[v] = "fd " + id
		}
	case 6:
		h.note("flashduty ack", h.fd.Ack(member, id))
	case 7:
		inc, _ := h.fd.Incident(id)
		if inc.Progress == fdsim.ProgressClosed {
			h.note("flashduty reopen", h.fd.Reopen(member, id, "not fixed"))
		} else {
			h.note("flashduty close", h.fd.Close(member, id, "soak", fmt.Sprintf("fixed %d", n)))
		}
	case 8:
		h.note("flashduty snooze", h.fd.Snooze(member, id, 60))
	default:
		v := fmt.Sprintf("svc-%d", n)
		err := h.fd.SetField(member, id, "affected_service", v)
		if h.note("flashduty custom field", err); err == nil {
			h.remember("fd", id, "affected_service", v, fmt.Sprint(cur.Fields["affected_service"]))
		}
	}
}

func (h *humans) actSN(id string) {
	n := h.next()
	cur, _ := h.sn.Incident(id)
	user := []string{snowsim.Alice, snowsim.Bob}[h.rng.IntN(2)]
	upd := func(kind string, f map[string]string) error {
		_, err := h.sn.UpdateIncident(user, id, f)
		h.note(kind, err)
		return err
	}
	switch h.rng.IntN(11) {
	case 0, 1:
		v := fmt.Sprintf("SN title edit %d", n)
		if upd("servicenow title", map[string]string{"short_description": v}) == nil {
			h.remember("sn", id, "title", v, cur["short_description"])
		}
	case 2:
		v := fmt.Sprintf("SN description edit %d", n)
		if upd("servicenow description", map[string]string{"description": v}) == nil {
			h.remember("sn", id, "description", v, cur["description"])
		}
	case 3:
		u := fmt.Sprint(1 + h.rng.IntN(3))
		if upd("servicenow urgency/impact", map[string]string{"urgency": u, "impact": u}) == nil {
			h.remember("sn", id, "severity", urgencySeverity[u], urgencySeverity[cur["urgency"]])
		}
	case 4, 5:
		v := fmt.Sprintf("soak-comment-%d from servicenow", n)
		if err := h.sn.AddComment(user, id, v); err == nil {
			h.comments[v] = "sn " + id
			h.note("servicenow comment", nil)
		} else {
			h.note("servicenow comment", err)
		}
	case 6:
		_ = upd("servicenow in progress", map[string]string{"state": "2"})
	case 7:
		_ = upd("servicenow on hold", map[string]string{"state": "3", "hold_reason": "1"})
	case 8:
		rec, _ := h.sn.Incident(id)
		if rec["state"] == "6" || rec["state"] == "7" || rec["state"] == "8" {
			_ = upd("servicenow reopen", map[string]string{"state": "2"})
		} else {
			_ = upd("servicenow resolve", map[string]string{"state": "6", "close_code": "Solution provided", "close_notes": fmt.Sprintf("resolved %d", n)})
		}
	case 9:
		_ = upd("servicenow new", map[string]string{"state": "1"})
	default:
		v := []string{"production", "staging"}[h.rng.IntN(2)]
		if upd("servicenow custom field", map[string]string{"u_business_service": v}) == nil {
			h.remember("sn", id, "u_business_service", v, cur["u_business_service"])
		}
	}
}

// counts returns a copy of the edit counts.
func (h *humans) counts() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]int, len(h.edits))
	for k, v := range h.edits {
		out[k] = v
	}
	return out
}

// urgencySeverity is the default mapping of urgency to severity.
var urgencySeverity = map[string]string{"1": "Critical", "2": "Warning", "3": "Info"}
