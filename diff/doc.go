// Package diff is snowduty's pure core: the canonical incident model, the
// mappings between ServiceNow and Flashduty vocabularies, and the three-way
// merge that decides, per field, what to write where. It does no I/O, no
// logging and no metrics, imports nothing of the project, and returns data
// (JSON-tagged, in a deterministic order).
//
// # Merge
//
// The base is the Snapshot stored after the last successful sync. For each
// field, "changed" means the side's canonical value differs from the value
// that side showed in the base (64-bit fingerprints, kept per side):
//
//	base vs ServiceNow | base vs Flashduty  | result
//	-------------------+--------------------+----------------------------------------------
//	same               | same               | nothing
//	changed            | same               | push ServiceNow's value to Flashduty
//	same               | changed            | push Flashduty's value to ServiceNow
//	changed            | changed, equal     | new base only
//	changed            | changed, different | conflict: newest (default; by sys_updated_on
//	                   |                    | vs updated_at, ties to ServiceNow), servicenow
//	                   |                    | or flashduty wins; listed in Plan.Conflicts
//
// Direction (two_way, to_servicenow, from_servicenow) filters pushes; a
// blocked push is listed in Plan.Skipped and does not move that field's base.
// Under a one-way direction a conflict is won by the source side. A write
// whose value the target already holds is dropped, but the base moves.
//
// Rules on top of the table:
//   - Severity moves from ServiceNow only when urgency changed (an
//     impact-only change does nothing). Writes to ServiceNow set the impact
//     and urgency pair, never priority.
//   - Closing ServiceNow writes state 6 with close_code and close_notes in
//     the same PATCH; On Hold comes with hold_reason. Flashduty Triggered on a
//     worked ServiceNow incident (past New) writes Mapping.ReopenState (2).
//   - Strings under 3 characters are never pushed to Flashduty (Skipped);
//     longer ones are truncated to Flashduty's limits with TruncationMarker.
//   - Custom fields are one-way maps: Flashduty labels/fields → ServiceNow
//     columns and ServiceNow columns → Flashduty fields. A source change is
//     pushed; an empty source never overwrites the target.
//   - Comments: every human comment is mirrored once, oldest first, prefixed
//     with its origin, author and time and split to the target's limit
//     into parts "(i/n)". Comments written by snowduty (Policy.Origin) are
//     never mirrored back. A comment counts as handled when the base lists
//     it (bounded; older ones by a high-water time) or when every part of
//     its attributed copy is already on the other side (adoption after state
//     loss, or a crash after a post); of a copy only partly there, the
//     missing parts are posted. When the ServiceNow journal is unreadable
//     (SnowView.JournalUnreadable), no ServiceNow comment is seen, copies of
//     Flashduty comments are looked for in SnowView.History, and without it
//     the Flashduty comments the base does not mark wait (Skipped).
//
// No base: when a side is absent, the other side creates it and wins every
// field (a Flashduty incident created from ServiceNow carries the number in
// its description; a ServiceNow incident created from Flashduty carries
// correlation_id and correlation_display). When both exist (an adopted link,
// or lost state), a field on which one side holds snowduty's shortened copy
// of the other's text agrees (the full text stays); other differing fields
// are decided by Flashduty's timeline where it tells who changed the field
// last (FDView.History), else they are conflicts resolved by the policy.
// When a base exists but a side is missing, nothing is re-created.
//
// # Use
//
// The poller builds a SnowView (SnowViewFromRecord plus the journal entries
// it read) and an FDView (incident plus i_comm feed items), calls Compute,
// applies the Plan (ServiceNow: Create or one PATCH of Update, then one PATCH
// per comment; Flashduty: Create or Reset, Actions, Fields, Comments) and,
// once every write of both sides succeeded, stores Plan.NewBase
// (MarshalBinary). When a write failed part-way, it stores PartialBase
// instead: the fields whose writes landed take their new base, the others
// keep the old one, and the comments (or parts) posted are marked; so the
// next pass neither takes our own writes for conflicting edits nor posts a
// comment twice. Storing NewBase after a partial failure would instead
// record values one side does not hold. When HasChanges is false there is
// nothing to write and nothing to store.
//
// The poller should read the journals Mapping.JournalElements and the
// columns Mapping.Columns, and pass Flashduty i_comm feed items as
// FDComment (creator_id, the creator's name when known, created_at in ms
// converted to time.Time).
//
//	base := new(diff.Snapshot) // or nil when none is stored
//	_ = base.UnmarshalBinary(stored)
//	plan := diff.Compute(base, snowView, fdView, policy) // policy.Now = time.Now()
//	if !plan.HasChanges() {
//		return nil
//	}
//	// apply plan.ServiceNow and plan.Flashduty, then:
//	data, _ := plan.NewBase.MarshalBinary()
package diff
