package state

import (
	"context"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Identity is what the state belongs to: one ServiceNow instance and one
// Flashduty account.
type Identity struct {
	ServiceNowURL    string
	FlashdutyAccount string
}

// String shows both parts, e.g. "https://acme.service-now.com + flashduty 123".
func (id Identity) String() string {
	return id.ServiceNowURL + " + flashduty " + id.FlashdutyAccount
}

func (id Identity) normalized() Identity {
	u := strings.TrimRight(strings.TrimSpace(id.ServiceNowURL), "/")
	if scheme, rest, ok := strings.Cut(u, "://"); ok {
		host, path, _ := strings.Cut(rest, "/")
		u = strings.ToLower(scheme) + "://" + strings.ToLower(host)
		if path != "" {
			u += "/" + path
		}
	}
	return Identity{ServiceNowURL: u, FlashdutyAccount: strings.TrimSpace(id.FlashdutyAccount)}
}

// identityScript: KEYS[1] meta; ARGV sn, fd, override (1/0). Returns a
// verdict and the recorded identity.
var identityScript = redis.NewScript(`
local sn = redis.call('HGET', KEYS[1], 'sn')
local fd = redis.call('HGET', KEYS[1], 'fd')
if not sn and not fd then
  redis.call('HSET', KEYS[1], 'sn', ARGV[1], 'fd', ARGV[2])
  return {'new', '', ''}
end
sn, fd = sn or '', fd or ''
if sn == ARGV[1] and fd == ARGV[2] then return {'same', sn, fd} end
if ARGV[3] == '1' then
  redis.call('HSET', KEYS[1], 'sn', ARGV[1], 'fd', ARGV[2])
  return {'overridden', sn, fd}
end
return {'mismatch', sn, fd}
`)

// CheckIdentity records id on first use and afterwards refuses (with an
// *IdentityError) to run against state recorded for another ServiceNow
// instance or Flashduty account, unless override is set, which re-records
// it. This guards against a prod → sub-prod clone writing into the wrong
// place. A read-only store only compares (see Options.ReadOnly).
func (s *Store) CheckIdentity(ctx context.Context, id Identity, override bool) error {
	id = id.normalized()
	if id.ServiceNowURL == "" || id.FlashdutyAccount == "" {
		return fmt.Errorf("check identity: both the ServiceNow URL and the Flashduty account are required, got %q and %q", id.ServiceNowURL, id.FlashdutyAccount)
	}
	if s.o.ReadOnly {
		return s.compareIdentity(ctx, id, override)
	}
	ov := "0"
	if override {
		ov = "1"
	}
	res, err := identityScript.Run(ctx, s.rdb, []string{s.key(keyMeta)}, id.ServiceNowURL, id.FlashdutyAccount, ov).StringSlice()
	if err != nil {
		return s.wrap("check identity", err)
	}
	recorded := Identity{ServiceNowURL: res[1], FlashdutyAccount: res[2]}
	switch res[0] {
	case "mismatch":
		return &IdentityError{Prefix: s.o.Prefix, Recorded: recorded, Configured: id}
	case "overridden":
		s.log.WarnContext(ctx, "state identity overridden",
			logKeyRecorded, recorded.String(), logKeyIdentity, id.String())
	}
	return nil
}

// compareIdentity is CheckIdentity for a read-only store: it refuses a
// mismatch (unless override) and records nothing.
func (s *Store) compareIdentity(ctx context.Context, id Identity, override bool) error {
	recorded, err := s.RecordedIdentity(ctx)
	if err != nil {
		return err
	}
	if recorded == (Identity{}) || recorded.normalized() == id || override {
		return nil
	}
	return &IdentityError{Prefix: s.o.Prefix, Recorded: recorded, Configured: id}
}

// RecordedIdentity returns the identity recorded in the state (zero when
// none yet).
func (s *Store) RecordedIdentity(ctx context.Context) (Identity, error) {
	v, err := s.rdb.HMGet(ctx, s.key(keyMeta), "sn", "fd").Result()
	if err != nil {
		return Identity{}, s.wrap("read identity", err)
	}
	sn, _ := v[0].(string)
	fd, _ := v[1].(string)
	return Identity{ServiceNowURL: sn, FlashdutyAccount: fd}, nil
}
