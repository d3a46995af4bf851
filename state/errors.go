package state

import (
	"errors"
	"fmt"
	"strings"
)

// ErrFenced is returned by writes that carry a Fence whose token is no
// longer the current lease: this process is not (or no longer) the leader.
var ErrFenced = errors.New("fenced: this process no longer holds the leader lease")

// ErrLinkConflict is returned (wrapped in a *LinkConflictError) when a link
// would re-point a sys_id or incident_id that is already linked elsewhere.
var ErrLinkConflict = errors.New("link conflict")

// ErrIdentityMismatch is returned (wrapped in an *IdentityError) when the
// state belongs to a different ServiceNow instance or Flashduty account.
var ErrIdentityMismatch = errors.New("state identity mismatch")

// LinkConflictError says which existing link stands in the way.
type LinkConflictError struct {
	Existing Link
	New      Link
}

// Error describes both links.
func (e *LinkConflictError) Error() string {
	return fmt.Sprintf("link conflict: ServiceNow %s is linked to Flashduty %s, cannot link %s to %s: the existing link is kept",
		e.Existing.SysID, e.Existing.IncidentID, e.New.SysID, e.New.IncidentID)
}

// Unwrap makes errors.Is(err, ErrLinkConflict) work.
func (e *LinkConflictError) Unwrap() error { return ErrLinkConflict }

// IdentityError names the recorded and the configured identity.
type IdentityError struct {
	Prefix     string
	Recorded   Identity
	Configured Identity
}

// Error explains the mismatch and what to do.
func (e *IdentityError) Error() string {
	return fmt.Sprintf("state under prefix %q belongs to ServiceNow %q and Flashduty account %q, but this run is configured for ServiceNow %q and Flashduty account %q; "+
		"use a different state prefix for this integration, or override the identity check if the instance really moved (e.g. after a clone)",
		e.Prefix, e.Recorded.ServiceNowURL, e.Recorded.FlashdutyAccount, e.Configured.ServiceNowURL, e.Configured.FlashdutyAccount)
}

// Unwrap makes errors.Is(err, ErrIdentityMismatch) work.
func (e *IdentityError) Unwrap() error { return ErrIdentityMismatch }

// wrap adds the operation name and turns Redis's terse replies into errors
// that say what to fix.
func (s *Store) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	switch {
	case msg == "FENCED" || strings.HasSuffix(msg, "FENCED"):
		return fmt.Errorf("%s: %w", op, ErrFenced)
	case strings.HasPrefix(msg, "WRONGTYPE"):
		return fmt.Errorf("%s: a key under prefix %q holds the wrong type of value; another program may be using this prefix: choose another state prefix or remove the stray key: %w", op, s.o.Prefix, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}
