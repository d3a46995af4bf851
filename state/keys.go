package state

import (
	"crypto/sha1"
	"encoding/hex"
)

// Key layout (see doc.go). Every key is "{<prefix>}<name>": the braces are a
// Redis Cluster hash tag, so all keys of one integration share a slot and
// the Lua scripts may touch several of them atomically.
const (
	layoutVersion = "1"

	// numBuckets spreads per-pair data over this many small hashes, which
	// Redis stores as compact listpacks while they stay under 128 entries
	// (up to roughly 300,000 pairs).
	numBuckets = 4096

	keyMeta      = "m"  // hash: layout, identity
	keyLease     = "L"  // string: token|deadline_ms|holder, with PX TTL
	keyFence     = "f"  // string: fence token counter
	keyCursors   = "k"  // hash: sn, fd, fdd (deep discovery), ptr, rs (resync sweep)
	keyClosing   = "c"  // zset: pair -> closed-at ms
	keyIntents   = "i"  // hash: pair -> side|started_ms
	keyQueue     = "q"  // zset: pair -> due ms
	keyQueueData = "qd" // hash: pair -> attempt|first_ms|op|err
	keyDead      = "d"  // hash: pair -> attempts|at_ms|op|err
	keyAudit     = "e"  // stream: p, t, k, s, f, d

	bucketLinks    = "l:" // hash per bucket: sys_id -> incident|number|created|origin
	bucketReverse  = "r:" // hash per bucket: incident_id -> sys_id
	bucketSnaps    = "s:" // hash per bucket: pair -> version:data
	bucketActive   = "a:" // hash per bucket: pair -> feed checked (unix s)
	bucketHexChars = 3
)

// Constant slog attribute keys.
const (
	logKeyComponent = "component"
	logKeyPrefix    = "prefix"
	logKeyRecorded  = "recorded"
	logKeyIdentity  = "identity"
)

// fixedTypes are the single keys and the Redis type each must be.
var fixedTypes = []struct{ name, typ string }{
	{keyMeta, "hash"}, {keyLease, "string"}, {keyFence, "string"}, {keyCursors, "hash"},
	{keyClosing, "zset"}, {keyIntents, "hash"}, {keyQueue, "zset"}, {keyQueueData, "hash"},
	{keyDead, "hash"}, {keyAudit, "stream"},
}

// bucketOf returns the bucket of an id: the first three hex digits of its
// SHA-1, which the Lua scripts compute the same way (redis.sha1hex).
func bucketOf(id string) string {
	sum := sha1.Sum([]byte(id))
	return hex.EncodeToString(sum[:2])[:bucketHexChars]
}

// key returns the full name of a fixed key.
func (s *Store) key(name string) string { return s.tag + name }

// bkey returns the full name of the bucket key of family for id.
func (s *Store) bkey(family, id string) string { return s.tag + family + bucketOf(id) }
