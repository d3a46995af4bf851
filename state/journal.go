package state

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// JournalAccess records whether the ServiceNow journal (sys_journal_field)
// was readable when the daemon last tried, so that `snowduty status` can
// say why comments from ServiceNow are not mirrored.
type JournalAccess struct {
	// Since is when the journal was first found unreadable; zero while it
	// is readable (or never checked).
	Since time.Time
	// Reason says how it was refused (a 403, rows hidden by an ACL).
	Reason string
	// Witness is the sys_id of an incident whose journal read was refused
	// (or came back without the rows it has): reading it again tells when
	// the journal is readable again.
	Witness string
}

// Unreadable reports whether the journal was found unreadable.
func (j JournalAccess) Unreadable() bool { return !j.Since.IsZero() }

// journalField is the cursors hash field: "<since ms>|<witness>|<reason>",
// empty while the journal is readable.
const journalField = "jr"

// SetJournalAccess records the journal's readability; ErrFenced unless f
// holds the lease. A readable journal clears the record.
func (s *Store) SetJournalAccess(ctx context.Context, f Fence, j JournalAccess) error {
	v := ""
	if j.Unreadable() {
		v = ms(j.Since) + "|" + j.Witness + "|" + j.Reason
	}
	return s.setField(ctx, "record journal access", f, journalField, v)
}

// JournalAccess reads what SetJournalAccess recorded.
func (s *Store) JournalAccess(ctx context.Context) (JournalAccess, error) {
	v, err := s.rdb.HGet(ctx, s.key(keyCursors), journalField).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return JournalAccess{}, nil
	case err != nil:
		return JournalAccess{}, s.wrap("read journal access", err)
	}
	parts := strings.SplitN(v, "|", 3)
	if len(parts) < 3 {
		return JournalAccess{}, nil // empty: readable
	}
	return JournalAccess{Since: fromMs(parts[0]), Witness: parts[1], Reason: parts[2]}, nil
}
