package state

import (
	"crypto/sha1"
	"encoding/hex"
)

// The names of the keys. The package documentation ("Key layout" in
// doc.go) is the one description of each key, its type, its content and
// who writes it; the comments here only recall the type and the value.
// The Lua scripts spell the bucket families, 4096 and "%03x" out too.
const (
	// layoutVersion is recorded in keyMeta; change it with any stored
	// format.
	layoutVersion = "1"

	// numBuckets spreads per-pair data over this many hashes per family,
	// so that the l:, r: and a: buckets stay listpacks (at most 128
	// entries each, Redis's default) up to roughly 300,000 pairs.
	numBuckets = 4096

	keyMeta      = "m"  // hash: layout, sn, fd (identity)
	keyLease     = "L"  // string: token|deadline_ms|holder, with PX TTL
	keyFence     = "f"  // string: fence token counter
	keyCursors   = "k"  // hash: sn, fd, fdd, rs (sweepField), jr (journalField), ptr
	keyClosing   = "c"  // zset: pair -> closed-at ms
	keyIntents   = "i"  // hash: pair -> side|started_ms
	keyQueue     = "q"  // zset: pair -> due ms
	keyQueueData = "qd" // hash: pair -> attempt|first_ms|op|err
	keyDead      = "d"  // hash: pair -> attempts|at_ms|first_ms|op|err
	keyAudit     = "e"  // stream: p, t, k, s, f, d

	bucketLinks    = "l:" // hash per bucket of sys_id: sys_id -> incident_id|number|created_s|origin
	bucketReverse  = "r:" // hash per bucket of incident_id: incident_id -> sys_id
	bucketSnaps    = "s:" // hash per bucket of pair: pair -> version:data
	bucketActive   = "a:" // hash per bucket of pair: pair -> feed checked (unix s)
	bucketHexChars = 3    // hex digits of SHA-1 naming a bucket
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
