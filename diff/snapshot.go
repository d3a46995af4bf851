package diff

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// SnapshotVersion is the first byte of an encoded Snapshot.
const SnapshotVersion = 1

// Snapshot is the base of the three-way merge: what both sides showed right
// after the last successful sync. It keeps fingerprints, not values.
type Snapshot struct {
	// Fields are per-field fingerprints, sorted by Key.
	Fields []FieldBase `json:"fields"`
	// Urgency is ServiceNow's raw urgency (severity moves to Flashduty only
	// when it changes).
	Urgency string `json:"urgency,omitempty"`
	// SnowState is ServiceNow's raw state.
	SnowState string `json:"snow_state,omitempty"`
	// SnowModCount and SnowUpdatedOn (unix seconds) are ServiceNow's update
	// marks as read; FDUpdatedAt (unix seconds) is Flashduty's.
	SnowModCount  int64 `json:"snow_mod_count"`
	SnowUpdatedOn int64 `json:"snow_updated_on"`
	FDUpdatedAt   int64 `json:"fd_updated_at"`
	// Comments are the source comments already handled (mirrored, or found
	// mirrored): the newest Mapping.MirroredComments of each side, sorted by
	// time.
	Comments []CommentMark `json:"comments,omitempty"`
	// SnowCommentHighWater and FDCommentHighWater (unix ms): comments of that
	// side created at or before it count as handled (they fell out of
	// Comments).
	SnowCommentHighWater int64 `json:"snow_comment_high_water,omitempty"`
	FDCommentHighWater   int64 `json:"fd_comment_high_water,omitempty"`
}

// FieldBase holds the 64-bit fingerprints of one field's canonical value as
// each side showed it (they may differ: truncation, reopen state).
type FieldBase struct {
	Key        string `json:"key"`
	ServiceNow uint64 `json:"servicenow"`
	Flashduty  uint64 `json:"flashduty"`
}

// CommentMark identifies one handled source comment by a hash of its id.
type CommentMark struct {
	Side Side   `json:"side"`
	ID   uint64 `json:"id"`
	At   int64  `json:"at"` // unix ms
}

// field returns the base of key, if any.
func (s *Snapshot) field(key string) (FieldBase, bool) {
	if s == nil {
		return FieldBase{}, false
	}
	i, ok := slices.BinarySearchFunc(s.Fields, key, func(f FieldBase, k string) int { return strings.Compare(f.Key, k) })
	if !ok {
		return FieldBase{}, false
	}
	return s.Fields[i], true
}

// handled reports whether a source comment was already handled.
func (s *Snapshot) handled(side Side, id uint64, atMS int64) bool {
	if s == nil {
		return false
	}
	hw := s.SnowCommentHighWater
	if side == Flashduty {
		hw = s.FDCommentHighWater
	}
	if hw != 0 && atMS <= hw {
		return true
	}
	for _, c := range s.Comments {
		if c.Side == side && c.ID == id {
			return true
		}
	}
	return false
}

// addComments adds marks and, per side, keeps the newest limit marks (plus
// older marks sharing the oldest kept mark's time, so that the high water
// never covers an unhandled comment of the same instant); the time of the
// newest evicted mark becomes that side's high water.
func (s *Snapshot) addComments(marks []CommentMark, limit int) {
	all := append(slices.Clone(s.Comments), marks...)
	slices.SortFunc(all, compareMarks)
	all = slices.Compact(all)
	kept := make([]CommentMark, 0, len(all))
	for _, side := range []Side{ServiceNow, Flashduty} {
		var mine []CommentMark
		for _, m := range all {
			if m.Side == side {
				mine = append(mine, m)
			}
		}
		cut := max(len(mine)-limit, 0)
		for cut > 0 && mine[cut-1].At == mine[cut].At {
			cut--
		}
		if cut > 0 {
			hw := mine[cut-1].At
			if side == ServiceNow {
				s.SnowCommentHighWater = max(s.SnowCommentHighWater, hw)
			} else {
				s.FDCommentHighWater = max(s.FDCommentHighWater, hw)
			}
		}
		kept = append(kept, mine[cut:]...)
	}
	slices.SortFunc(kept, compareMarks)
	if len(kept) == 0 {
		kept = nil
	}
	s.Comments = kept
}

func compareMarks(a, b CommentMark) int {
	if a.At != b.At {
		if a.At < b.At {
			return -1
		}
		return 1
	}
	if a.Side != b.Side {
		return strings.Compare(string(a.Side), string(b.Side))
	}
	switch {
	case a.ID < b.ID:
		return -1
	case a.ID > b.ID:
		return 1
	}
	return 0
}

// MarshalBinary encodes s compactly: a version byte, then varints and
// fixed 8-byte fingerprints.
func (s *Snapshot) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, 64+len(s.Fields)*28+len(s.Comments)*12)
	b = append(b, SnapshotVersion)
	b = binary.AppendUvarint(b, uint64(len(s.Fields)))
	for _, f := range s.Fields {
		b = appendString(b, f.Key)
		b = binary.LittleEndian.AppendUint64(b, f.ServiceNow)
		b = binary.LittleEndian.AppendUint64(b, f.Flashduty)
	}
	b = appendString(b, s.Urgency)
	b = appendString(b, s.SnowState)
	b = binary.AppendVarint(b, s.SnowModCount)
	b = binary.AppendVarint(b, s.SnowUpdatedOn)
	b = binary.AppendVarint(b, s.FDUpdatedAt)
	b = binary.AppendVarint(b, s.SnowCommentHighWater)
	b = binary.AppendVarint(b, s.FDCommentHighWater)
	b = binary.AppendUvarint(b, uint64(len(s.Comments)))
	var prev int64
	for _, c := range s.Comments {
		switch c.Side {
		case ServiceNow:
			b = append(b, 0)
		case Flashduty:
			b = append(b, 1)
		default:
			return nil, fmt.Errorf("encode snapshot: comment mark with side %q", c.Side)
		}
		b = binary.LittleEndian.AppendUint64(b, c.ID)
		b = binary.AppendVarint(b, c.At-prev)
		prev = c.At
	}
	return b, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// errShort is returned for truncated input.
var errShort = errors.New("unexpected end of data")

type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) u64() uint64 {
	if r.err != nil || len(r.b) < 8 {
		r.err = errShort
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

func (r *reader) byte() byte {
	if r.err != nil || len(r.b) < 1 {
		r.err = errShort
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) str() string {
	n := r.uvarint()
	if r.err != nil || uint64(len(r.b)) < n {
		r.err = errShort
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// count reads a length and checks it against the bytes left (each element
// needs at least min bytes), so corrupt input cannot allocate much.
func (r *reader) count(min int) int {
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.b)/min) {
		r.err = fmt.Errorf("count %d exceeds the data left", n)
		return 0
	}
	return int(n)
}

// UnmarshalBinary decodes data written by MarshalBinary.
func (s *Snapshot) UnmarshalBinary(data []byte) error {
	if len(data) == 0 {
		return errors.New("decode snapshot: empty data")
	}
	if data[0] != SnapshotVersion {
		return fmt.Errorf("decode snapshot: unsupported version %d (this build reads %d)", data[0], SnapshotVersion)
	}
	r := &reader{b: data[1:]}
	var out Snapshot
	nf := r.count(17)
	if nf > 0 {
		out.Fields = make([]FieldBase, 0, nf)
	}
	for range nf {
		f := FieldBase{Key: r.str(), ServiceNow: r.u64(), Flashduty: r.u64()}
		out.Fields = append(out.Fields, f)
	}
	out.Urgency = r.str()
	out.SnowState = r.str()
	out.SnowModCount = r.varint()
	out.SnowUpdatedOn = r.varint()
	out.FDUpdatedAt = r.varint()
	out.SnowCommentHighWater = r.varint()
	out.FDCommentHighWater = r.varint()
	nc := r.count(10)
	if nc > 0 {
		out.Comments = make([]CommentMark, 0, nc)
	}
	var prev int64
	for range nc {
		side := ServiceNow
		switch r.byte() {
		case 0:
		case 1:
			side = Flashduty
		default:
			if r.err == nil {
				r.err = errors.New("bad comment side")
			}
		}
		id := r.u64()
		prev += r.varint()
		out.Comments = append(out.Comments, CommentMark{Side: side, ID: id, At: prev})
	}
	if r.err != nil {
		return fmt.Errorf("decode snapshot: %w", r.err)
	}
	if len(r.b) != 0 {
		return fmt.Errorf("decode snapshot: %d trailing bytes", len(r.b))
	}
	if !slices.IsSortedFunc(out.Fields, func(a, b FieldBase) int { return strings.Compare(a.Key, b.Key) }) {
		return errors.New("decode snapshot: fields are not sorted")
	}
	*s = out
	return nil
}

// equal reports whether two snapshots hold the same data.
func (s *Snapshot) equal(o *Snapshot) bool {
	if s == nil || o == nil {
		return s == o
	}
	return slices.Equal(s.Fields, o.Fields) && s.Urgency == o.Urgency && s.SnowState == o.SnowState &&
		s.SnowModCount == o.SnowModCount && s.SnowUpdatedOn == o.SnowUpdatedOn && s.FDUpdatedAt == o.FDUpdatedAt &&
		slices.Equal(s.Comments, o.Comments) && s.SnowCommentHighWater == o.SnowCommentHighWater &&
		s.FDCommentHighWater == o.FDCommentHighWater
}
