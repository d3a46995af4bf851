package state

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Origin says how a link came to be.
type Origin string

// Origins of a link.
const (
	// OriginServiceNow: the ServiceNow incident came first; snowduty created
	// the Flashduty one.
	OriginServiceNow Origin = "servicenow"
	// OriginFlashduty: the Flashduty incident came first; snowduty created
	// the ServiceNow one.
	OriginFlashduty Origin = "flashduty"
	// OriginAdopted: both incidents already existed when snowduty linked
	// them, found by ServiceNow's correlation_id or by the ServiceNow number
	// in the Flashduty description (a person paired them, or Redis lost the
	// link).
	OriginAdopted Origin = "adopted"
)

var originCodes = map[Origin]string{OriginServiceNow: "s", OriginFlashduty: "f", OriginAdopted: "a"}

// Link joins a ServiceNow incident and a Flashduty incident.
type Link struct {
	SysID      string    // ServiceNow sys_id
	Number     string    // ServiceNow number, e.g. INC0010001 (may be empty)
	IncidentID string    // Flashduty incident_id
	Created    time.Time // when the link was made (second precision)
	Origin     Origin
}

// Pair ids name a pair before both of its ids are known. A pair is named by
// the side that created it: "sn:<sys_id>" when ServiceNow came first (or
// the link was adopted), "fd:<incident_id>" when Flashduty came first. The
// id never changes once chosen: snapshots, intents, retries, the active set
// and audit all use it.
const (
	pairPrefixSN = "sn:"
	pairPrefixFD = "fd:"
)

// PairIDForSysID is the pair id of a pair that ServiceNow created, or of
// an adopted one.
func PairIDForSysID(sysID string) string { return pairPrefixSN + sysID }

// PairIDForIncident is the pair id of a pair that Flashduty created.
func PairIDForIncident(incidentID string) string { return pairPrefixFD + incidentID }

// PairID is the pair id of the link: fd:<incident_id> for links that
// Flashduty originated, sn:<sys_id> otherwise.
func (l Link) PairID() string {
	if l.Origin == OriginFlashduty {
		return PairIDForIncident(l.IncidentID)
	}
	return PairIDForSysID(l.SysID)
}

func (l Link) validate() error {
	if l.SysID == "" || l.IncidentID == "" {
		return fmt.Errorf("link %q↔%q: both SysID and IncidentID are required", l.SysID, l.IncidentID)
	}
	if strings.Contains(l.SysID+l.IncidentID+l.Number, "|") {
		return fmt.Errorf("link %q↔%q: ids and number must not contain '|'", l.SysID, l.IncidentID)
	}
	if _, ok := originCodes[l.Origin]; !ok {
		return fmt.Errorf("link %s↔%s: origin %q is not one of servicenow, flashduty, adopted", l.SysID, l.IncidentID, l.Origin)
	}
	return nil
}

func encodeLink(l Link) string {
	return l.IncidentID + "|" + l.Number + "|" + sec(l.Created) + "|" + originCodes[l.Origin]
}

func decodeLink(sysID, v string) (Link, bool) {
	p := strings.Split(v, "|")
	if len(p) != 4 {
		return Link{}, false
	}
	l := Link{SysID: sysID, IncidentID: p[0], Number: p[1], Created: fromSec(p[2])}
	for o, c := range originCodes {
		if c == p[3] {
			l.Origin = o
		}
	}
	return l, true
}

// putLinksScript stores links unless they conflict. KEYS: fwd, rev per
// link; ARGV: sys_id, incident_id, value per link. Per link it returns 1
// (added), 2 (already there), 3 (sys_id linked elsewhere), 4 (incident_id
// linked elsewhere).
var putLinksScript = redis.NewScript(`
local res = {}
for i = 1, #KEYS / 2 do
  local fk, rk = KEYS[2*i-1], KEYS[2*i]
  local sys, inc, val = ARGV[3*i-2], ARGV[3*i-1], ARGV[3*i]
  local cur = redis.call('HGET', fk, sys)
  local rs = redis.call('HGET', rk, inc)
  if cur and string.match(cur, '^([^|]*)|') ~= inc then
    res[i] = 3
  elseif rs and rs ~= sys then
    res[i] = 4
  elseif cur then
    if not rs then redis.call('HSET', rk, inc, sys) end
    res[i] = 2
  else
    redis.call('HSET', fk, sys, val)
    redis.call('HSET', rk, inc, sys)
    res[i] = 1
  end
end
return res
`)

// linksScript looks links up by pair id (sn:<sys_id> or fd:<incident_id>)
// in one round trip, following the reverse index for fd: ids. KEYS[1] is
// any key of ours (routing); ARGV[1] is the key tag; ARGV[2..] pair ids.
// It returns sys_id, value per id ("" when missing).
var linksScript = redis.NewScript(`
local function bk(fam, id) return ARGV[1] .. fam .. string.sub(redis.sha1hex(id), 1, 3) end
local res = {}
for i = 2, #ARGV do
  local id = ARGV[i]
  local kind, rest = string.sub(id, 1, 3), string.sub(id, 4)
  local sys = rest
  if kind == 'fd:' then sys = redis.call('HGET', bk('r:', rest), rest) end
  local val = false
  if sys then val = redis.call('HGET', bk('l:', sys), sys) end
  if val then
    res[#res+1] = sys
    res[#res+1] = val
  else
    res[#res+1] = ''
    res[#res+1] = ''
  end
end
return res
`)

// PutLink stores a link (both directions). Storing the same link again is
// a no-op; a link that would re-point an already linked sys_id or
// incident_id fails with a *LinkConflictError.
func (s *Store) PutLink(ctx context.Context, l Link) error {
	if err := l.validate(); err != nil {
		return fmt.Errorf("put link: %w", err)
	}
	res, err := s.putLinks(ctx, []Link{l})
	if err != nil {
		return s.wrap("put link", err)
	}
	if res[0] >= 3 {
		return fmt.Errorf("put link: %w", s.conflict(ctx, l, res[0]))
	}
	return nil
}

// conflict builds the error for a rejected link.
func (s *Store) conflict(ctx context.Context, l Link, code int64) error {
	var existing Link
	var ok bool
	var err error
	if code == 3 {
		existing, ok, err = s.LinkBySysID(ctx, l.SysID)
	} else {
		existing, ok, err = s.LinkByIncidentID(ctx, l.IncidentID)
	}
	if err != nil || !ok {
		existing = Link{SysID: l.SysID, IncidentID: "(unknown)"}
	}
	return &LinkConflictError{Existing: existing, New: l}
}

// putLinks stores links in one script call and returns putLinksScript's
// code per link.
func (s *Store) putLinks(ctx context.Context, links []Link) ([]int64, error) {
	keys := make([]string, 0, 2*len(links))
	args := make([]any, 0, 3*len(links))
	for _, l := range links {
		keys = append(keys, s.bkey(bucketLinks, l.SysID), s.bkey(bucketReverse, l.IncidentID))
		args = append(args, l.SysID, l.IncidentID, encodeLink(l))
	}
	return putLinksScript.Run(ctx, s.rdb, keys, args...).Int64Slice()
}

// LinkBySysID returns the link of a ServiceNow incident; ok is false when
// there is none.
func (s *Store) LinkBySysID(ctx context.Context, sysID string) (Link, bool, error) {
	m, err := s.LinksBySysIDs(ctx, []string{sysID})
	l, ok := m[sysID]
	return l, ok, err
}

// LinkByIncidentID returns the link of a Flashduty incident; ok is false
// when there is none.
func (s *Store) LinkByIncidentID(ctx context.Context, incidentID string) (Link, bool, error) {
	m, err := s.LinksByIncidentIDs(ctx, []string{incidentID})
	l, ok := m[incidentID]
	return l, ok, err
}

// LinksBySysIDs returns the links of the given ServiceNow incidents, keyed
// by sys_id; unlinked ones are absent. One round trip.
func (s *Store) LinksBySysIDs(ctx context.Context, sysIDs []string) (map[string]Link, error) {
	out := make(map[string]Link, len(sysIDs))
	if len(sysIDs) == 0 {
		return out, nil
	}
	cmds := make([]*redis.StringCmd, len(sysIDs))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range sysIDs {
			cmds[i] = p.HGet(ctx, s.bkey(bucketLinks, id), id)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, s.wrap("read links", err)
	}
	for i, id := range sysIDs {
		v, err := cmds[i].Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return nil, s.wrap("read links", err)
		}
		if l, ok := decodeLink(id, v); ok {
			out[id] = l
		}
	}
	return out, nil
}

// LinksByIncidentIDs returns the links of the given Flashduty incidents,
// keyed by incident_id; unlinked ones are absent. One round trip.
func (s *Store) LinksByIncidentIDs(ctx context.Context, incidentIDs []string) (map[string]Link, error) {
	ids := make([]string, len(incidentIDs))
	for i, id := range incidentIDs {
		ids[i] = pairPrefixFD + id
	}
	got, err := s.lookupLinks(ctx, ids)
	if err != nil {
		return nil, s.wrap("read links", err)
	}
	out := make(map[string]Link, len(got))
	for i, l := range got {
		if l != nil {
			out[incidentIDs[i]] = *l
		}
	}
	return out, nil
}

// LinksByPairIDs returns the links of the given pairs, keyed by pair id;
// pairs without a link yet (or with a malformed id) are absent. One round
// trip.
func (s *Store) LinksByPairIDs(ctx context.Context, pairIDs []string) (map[string]Link, error) {
	got, err := s.lookupLinks(ctx, pairIDs)
	if err != nil {
		return nil, s.wrap("read links", err)
	}
	out := make(map[string]Link, len(got))
	for i, l := range got {
		if l != nil && l.PairID() == pairIDs[i] {
			out[pairIDs[i]] = *l
		}
	}
	return out, nil
}

func (s *Store) lookupLinks(ctx context.Context, pairIDs []string) ([]*Link, error) {
	out := make([]*Link, len(pairIDs))
	if len(pairIDs) == 0 {
		return out, nil
	}
	args := make([]any, 0, len(pairIDs)+1)
	args = append(args, s.tag)
	for _, id := range pairIDs {
		args = append(args, id)
	}
	res, err := linksScript.Run(ctx, s.rdb, []string{s.key(keyMeta)}, args...).StringSlice()
	if err != nil {
		return nil, err
	}
	for i := range pairIDs {
		if sys, v := res[2*i], res[2*i+1]; sys != "" {
			if l, ok := decodeLink(sys, v); ok {
				out[i] = &l
			}
		}
	}
	return out, nil
}
