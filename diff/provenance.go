package diff

import (
	"fmt"
	"time"
)

// FDChange is one Flashduty timeline entry that set a synced field: the
// incident's creation (i_new), an edit (i_r_title, i_r_desc, i_r_severity)
// or a state change (i_ack, i_unack, i_rslv, i_reopen, i_snooze, i_wake). A pair with no base (an adopted link, or state lost with
// Redis) uses them to tell which side changed a differing field last, where
// the incidents' update times alone would let an edit of another field on
// the other side overwrite it.
type FDChange struct {
	// Key is the field: KeyTitle, KeyDescription, KeySeverity or KeyStatus
	// (To is then the canonical status, when the entry determines it).
	Key string `json:"key"`
	// Created marks the incident's creation (the field's first value).
	Created bool `json:"created,omitempty"`
	// From and To are the values before and after, when the entry carries
	// them (i_r_description carries none; i_new carries only To).
	From    string `json:"from,omitempty"`
	To      string `json:"to,omitempty"`
	HasFrom bool   `json:"has_from,omitempty"`
	HasTo   bool   `json:"has_to,omitempty"`
	// CreatorID is the acting member (0: the system).
	CreatorID int64     `json:"creator_id"`
	At        time.Time `json:"at"`
}

// adoptedWinner decides a field that differs on a pair with no base from
// Flashduty's timeline (FDView.History, oldest first), when it can:
//
//   - the field's last Flashduty change is snowduty's own write, or its value
//     is still the one the incident was created with: Flashduty holds an
//     earlier copy, so ServiceNow changed it since and wins;
//   - a person changed it on Flashduty after ServiceNow's last update, or
//     ServiceNow holds a value Flashduty had before that change: ServiceNow
//     is stale and Flashduty wins;
//   - ServiceNow, updated after that change, holds a value Flashduty never
//     had: a person wrote it in ServiceNow, later or concurrently, and
//     ServiceNow wins.
//
// Otherwise (a description, whose timeline entries carry no value, changed
// on Flashduty before ServiceNow's last update) ok is false and the
// conflict policy decides. s is ServiceNow's canonical value.
func (c *computer) adoptedWinner(key, s string) (winner Side, reason string, ok bool) {
	if _, builtin := builtinField(key); !c.fd.HistoryRead || !builtin {
		return "", "", false
	}
	last := -1
	for i, h := range c.fd.History {
		if h.Key == key {
			last = i
		}
	}
	if last < 0 {
		return "", "", false // the timeline does not reach back to the creation
	}
	h := c.fd.History[last]
	at := h.At.UnixMilli()
	switch {
	case c.ownFD(h.CreatorID):
		return ServiceNow, fmt.Sprintf("no base (adopted link); flashduty's value was written by snowduty at %d ms, servicenow changed it since", at), true
	case h.Created:
		return ServiceNow, "no base (adopted link); flashduty still holds the value it was created with, servicenow changed it", true
	case unixOrZero(c.snow.SysUpdatedOn) < h.At.Unix():
		return Flashduty, fmt.Sprintf("no base (adopted link); flashduty changed it at %d ms, after servicenow's last update", at), true
	case c.heldBefore(key, s, last):
		return Flashduty, "no base (adopted link); servicenow holds a value flashduty had before its last change", true
	case c.neverHeld(key, s):
		// ServiceNow was updated after Flashduty's change and holds a value
		// Flashduty never showed: a person wrote it in ServiceNow, after
		// Flashduty's change or without seeing it (a true conflict).
		return ServiceNow, fmt.Sprintf("no base (adopted link); servicenow holds a value flashduty never had, and was updated after flashduty changed it at %d ms", at), true
	}
	return "", "", false
}

// neverHeld reports whether the timeline proves Flashduty's field key never
// showed the canonical value s: every entry of the field carries its values
// and none matches.
func (c *computer) neverHeld(key, s string) bool {
	for _, h := range c.fd.History {
		if h.Key != key {
			continue
		}
		if !h.HasTo || (h.HasFrom && c.sameAs(key, s, h.From)) || c.sameAs(key, s, h.To) {
			return false
		}
	}
	return true
}

// heldBefore reports whether Flashduty's field key showed the canonical
// value s before its change History[last]. A title is matched against
// every earlier value (titles are all but unique); a severity or status,
// with a handful of values that recur, only against the value just before
// that change, so a person choosing a value that happened to be used once
// is not taken for a stale copy.
func (c *computer) heldBefore(key, s string, last int) bool {
	if key != KeyTitle {
		h := c.fd.History[last]
		if h.HasFrom {
			return c.sameAs(key, s, h.From)
		}
		for i := last - 1; i >= 0; i-- {
			if p := c.fd.History[i]; p.Key == key {
				return p.HasTo && c.sameAs(key, s, p.To)
			}
		}
		return false
	}
	for i, h := range c.fd.History[:last+1] {
		if h.Key != key {
			continue
		}
		if h.HasFrom && c.sameAs(key, s, h.From) {
			return true
		}
		if i < last && h.HasTo && c.sameAs(key, s, h.To) {
			return true
		}
	}
	return false
}

// sameAs reports whether ServiceNow's canonical value s matches a raw
// Flashduty value v, or is our copy of it either way (texts may be
// truncated, see copyOf).
func (c *computer) sameAs(key, s, v string) bool {
	return c.copyOf(key, s, norm(v))
}
