package diff

import "strconv"

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// statusToFD plans the Flashduty state calls that move the incident from
// its current status to target.
func (c *computer) statusToFD(target Status) {
	cur := Status(c.expFD[KeyStatus])
	if cur == target {
		return
	}
	progress, snoozed := "Triggered", false
	if c.fd != nil {
		progress, snoozed = c.fd.Progress, cur == StatusSnoozed
	}
	add := func(a FDAction) { c.plan.Flashduty.Actions = append(c.plan.Flashduty.Actions, a) }
	if cur == StatusClosed && target != StatusClosed {
		add(FDAction{Kind: ActionReopen})
		progress, snoozed = "Triggered", false
	}
	switch target {
	case StatusClosed:
		a := FDAction{Kind: ActionResolve}
		if c.snow != nil {
			a.Resolution = truncate(norm(c.snow.CloseNotes), FDResolutionMax)
		}
		add(a)
	case StatusTriggered:
		if snoozed {
			add(FDAction{Kind: ActionWake})
		}
		if progress == "Processing" {
			add(FDAction{Kind: ActionUnack})
		}
	case StatusProcessing:
		if snoozed {
			add(FDAction{Kind: ActionWake})
		}
		if progress == "Triggered" {
			add(FDAction{Kind: ActionAck})
		}
	case StatusSnoozed:
		// Flashduty offers snooze only after ack.
		if progress == "Triggered" {
			add(FDAction{Kind: ActionAck})
		}
		add(FDAction{Kind: ActionSnooze, Minutes: c.p.Mapping.SnoozeMinutes})
	}
}

// statusToSnow plans the ServiceNow fields that move the incident to
// target and returns the status ServiceNow will then show.
func (c *computer) statusToSnow(target Status) Status {
	m := c.p.Mapping
	curState := ""
	if c.snow != nil {
		curState = c.snow.State
	}
	state := m.StatusToState[target]
	if target == StatusTriggered && curState != "" && m.StateToStatus[curState] != StatusTriggered {
		// Re-triggered after being worked: ServiceNow does not go back to New.
		state = m.ReopenState
	}
	if state == curState {
		return m.StateToStatus[state]
	}
	c.snowUpd["state"] = state
	switch target {
	case StatusClosed:
		c.snowUpd["close_code"] = m.CloseCode
		c.snowUpd["close_notes"] = c.closeNotes()
	case StatusSnoozed:
		if m.HoldReason != "" {
			c.snowUpd["hold_reason"] = m.HoldReason
		}
	default:
		if c.snow != nil && c.snow.HoldReason != "" {
			c.snowUpd["hold_reason"] = ""
		}
	}
	c.expState = state
	return m.StateToStatus[state]
}
