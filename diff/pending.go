package diff

// PendingFD reports whether Compute, given s as the base, would still act
// on one of comments towards ServiceNow: a Flashduty comment with text,
// not written by snowduty (p.Origin) and not handled by s. It mirrors the
// checks Compute makes, with the same comment ids, so a poller can read a
// feed first and reconcile the pair only when this says so. When
// p.Direction does not write to ServiceNow nothing is pending: Compute
// posts nothing (it may still mark handled a comment whose copy is already
// in ServiceNow, which only moves the base). A nil s has handled nothing.
func (s *Snapshot) PendingFD(comments []FDComment, p Policy) bool {
	if !p.Direction.allows(ServiceNow) {
		return false
	}
	c := computer{p: p}
	for _, fc := range comments {
		if mark, ok := c.fdMark(fc); ok && !s.handled(Flashduty, mark.ID, mark.At) {
			return true
		}
	}
	return false
}
