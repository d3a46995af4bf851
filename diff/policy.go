package diff

import (
	"errors"
	"fmt"
	"time"
)

// Direction limits which way values flow.
type Direction string

// The sync directions (SNOWDUTY_SYNC_DIRECTION).
const (
	TwoWay         Direction = "two_way"
	ToServiceNow   Direction = "to_servicenow"
	FromServiceNow Direction = "from_servicenow"
)

// allows reports whether a value may be written to side to.
func (d Direction) allows(to Side) bool {
	switch d {
	case TwoWay:
		return true
	case ToServiceNow:
		return to == ServiceNow
	case FromServiceNow:
		return to == Flashduty
	}
	return false
}

// ConflictPolicy picks the winner when both sides changed a field to
// different values.
type ConflictPolicy string

// The conflict policies. The empty policy means ConflictNewest.
const (
	ConflictNewest     ConflictPolicy = "newest"
	ConflictServiceNow ConflictPolicy = "servicenow"
	ConflictFlashduty  ConflictPolicy = "flashduty"
)

// Origin identifies snowduty's own writes on each side, so they are never
// mirrored back.
type Origin struct {
	// ServiceNowUser is the integration user's user_name (sys_created_by of
	// journal entries it writes).
	ServiceNowUser string `json:"servicenow_user"`
	// FlashdutyMemberID is the member id behind the app key (/member/info).
	FlashdutyMemberID int64 `json:"flashduty_member_id"`
	// FlashdutyAccountID is optional: set it when the app key belongs to the
	// account principal, whose actions carry the account id.
	FlashdutyAccountID int64 `json:"flashduty_account_id,omitempty"`
}

// Policy is everything Compute needs besides the inputs.
type Policy struct {
	Direction Direction      `json:"direction"`
	Conflict  ConflictPolicy `json:"conflict"`
	Mapping   Mapping        `json:"mapping"`
	Origin    Origin         `json:"origin"`
	// Now is the time of the pass: it decides whether a Flashduty incident is
	// snoozed (snoozed_before > Now) and the snooze end written to the base.
	Now time.Time `json:"now"`
}

// Validate reports every bad setting of p (Now is not checked: it is set per
// pass).
func (p Policy) Validate() error {
	var errs []error
	switch p.Direction {
	case TwoWay, ToServiceNow, FromServiceNow:
	case "":
		errs = append(errs, errors.New("policy Direction: is required: set two_way, to_servicenow or from_servicenow"))
	default:
		errs = append(errs, fmt.Errorf("policy Direction: %q: want two_way, to_servicenow or from_servicenow", p.Direction))
	}
	switch p.Conflict {
	case "", ConflictNewest, ConflictServiceNow, ConflictFlashduty:
	default:
		errs = append(errs, fmt.Errorf("policy Conflict: %q: want newest, servicenow or flashduty", p.Conflict))
	}
	if p.Origin.ServiceNowUser == "" {
		errs = append(errs, errors.New("policy Origin.ServiceNowUser: is empty: set the integration user's user_name so its own comments are not mirrored back"))
	}
	if p.Origin.FlashdutyMemberID == 0 {
		errs = append(errs, errors.New("policy Origin.FlashdutyMemberID: is zero: set the app key's member id (/member/info) so its own comments are not mirrored back"))
	}
	if err := p.Mapping.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (p Policy) conflict() ConflictPolicy {
	if p.Conflict == "" {
		return ConflictNewest
	}
	return p.Conflict
}
