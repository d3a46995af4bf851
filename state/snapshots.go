package state

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Versioned is a stored snapshot and its version. Version counts writes
// from 1; a pair without a snapshot has Version 0.
type Versioned struct {
	Data    []byte
	Version int64
}

// SnapshotWrite replaces the snapshot of PairID with Data if its current
// version is still IfVersion (0: only if there is none).
type SnapshotWrite struct {
	PairID    string
	Data      []byte
	IfVersion int64
}

// SnapshotResult is the outcome of one SnapshotWrite.
type SnapshotResult struct {
	PairID string
	// OK is true when the write won; false when the stored version was no
	// longer IfVersion (another writer got there first: re-read and redo).
	OK bool
	// Version is the new version when OK, else the version found.
	Version int64
}

// putSnapshotsScript: fenced; KEYS[2..] bucket per write; ARGV[4..] pair,
// if-version, data per write. Returns ok, version per write.
var putSnapshotsScript = redis.NewScript(fencePrelude + `
local res = {}
for i = 2, #KEYS do
  local j = 4 + 3 * (i - 2)
  local pair, want, data = ARGV[j], tonumber(ARGV[j+1]), ARGV[j+2]
  local cur = redis.call('HGET', KEYS[i], pair)
  local v = 0
  if cur then v = tonumber(string.match(cur, '^(%d+):')) or 0 end
  if v == want then
    redis.call('HSET', KEYS[i], pair, (v + 1) .. ':' .. data)
    res[#res+1] = 1
    res[#res+1] = v + 1
  else
    res[#res+1] = 0
    res[#res+1] = v
  end
end
return res
`)

// Snapshots reads the snapshots of the given pairs in one pipelined round
// trip. Pairs without a snapshot are absent from the map.
func (s *Store) Snapshots(ctx context.Context, pairIDs []string) (map[string]Versioned, error) {
	out := make(map[string]Versioned, len(pairIDs))
	if len(pairIDs) == 0 {
		return out, nil
	}
	cmds := make([]*redis.StringCmd, len(pairIDs))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range pairIDs {
			cmds[i] = p.HGet(ctx, s.bkey(bucketSnaps, id), id)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, s.wrap("read snapshots", err)
	}
	for i, id := range pairIDs {
		v, err := cmds[i].Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return nil, s.wrap("read snapshots", err)
		}
		ver, data, ok := strings.Cut(v, ":")
		n, perr := strconv.ParseInt(ver, 10, 64)
		if !ok || perr != nil {
			return nil, fmt.Errorf("read snapshots: snapshot of %s is malformed (no version); remove it to start over", id)
		}
		out[id] = Versioned{Data: []byte(data), Version: n}
	}
	return out, nil
}

// PutSnapshots writes snapshots with a compare-and-set per pair, all in
// one atomic round trip, and reports which writes lost the race (results
// are in the order of writes; a pair written twice in one call loses the
// second time). It fails
// with ErrFenced (writing nothing) when f no longer holds the lease.
func (s *Store) PutSnapshots(ctx context.Context, f Fence, writes []SnapshotWrite) ([]SnapshotResult, error) {
	if len(writes) == 0 {
		return nil, nil
	}
	keys := make([]string, 0, len(writes)+1)
	keys = append(keys, s.key(keyLease))
	args := s.fenceArgs(f)
	for _, w := range writes {
		if w.PairID == "" {
			return nil, errors.New("put snapshots: a write has an empty PairID")
		}
		keys = append(keys, s.bkey(bucketSnaps, w.PairID))
		args = append(args, w.PairID, w.IfVersion, w.Data)
	}
	res, err := putSnapshotsScript.Run(ctx, s.rdb, keys, args...).Int64Slice()
	if err != nil {
		return nil, s.wrap("put snapshots", err)
	}
	out := make([]SnapshotResult, len(writes))
	for i, w := range writes {
		out[i] = SnapshotResult{PairID: w.PairID, OK: res[2*i] == 1, Version: res[2*i+1]}
	}
	return out, nil
}
