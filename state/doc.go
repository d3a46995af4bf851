// Package state is snowduty's memory in Redis: links, snapshots, cursors,
// the active set, create intents, the retry queue and dead letters, the
// audit stream, the leader lease and the instance identity. Redis is a
// cache of what ServiceNow and Flashduty already say; nothing here is the
// only copy of a user's data.
//
// # Pair ids
//
// A pair is named before both of its incidents exist, by the side that
// created it: "sn:<sys_id>" (ServiceNow first, or adopted) or
// "fd:<incident_id>" (Flashduty first). Link.PairID derives it from a link.
//
// # Key layout
//
// This is the one description of the keys; keys.go names them. Every key
// is "{<prefix>}<name>" (Options.Prefix, default "snowduty:"): the braces
// are a Redis Cluster hash tag, so one integration's keys share a slot and
// Lua scripts can update several atomically. Times are Unix seconds (s) or
// milliseconds (ms), "|" separates the parts of a value, and each key is
// written only by the Store methods named with it. Only the lease expires
// by itself; everything else stays until a method removes it. Open refuses
// to start when one of these keys holds another Redis type, records the
// layout version in m (layoutVersion, "1"; a change of any stored format
// must change it) and refuses state of another version.
//
// Per-pair data lives in 4096 hashes per family, "<family><b>", where <b>
// is the bucket of the hashed id: the first three (lower-case) hex digits
// of its SHA-1, "000" to "fff". l, r and a buckets stay compact listpacks
// up to roughly 300,000 pairs (under Redis's default 128 entries and
// 64-byte values per hash); s buckets hold larger values, so Redis keeps
// them as ordinary hash tables.
//
//	l:<b>  hash, bucket of the sys_id: the links.
//	       sys_id -> incident_id|number|created s|origin
//	       (origin s, f or a: OriginServiceNow, OriginFlashduty,
//	       OriginAdopted). PutLink.
//	r:<b>  hash, bucket of the incident_id: the reverse index.
//	       incident_id -> sys_id. PutLink.
//	s:<b>  hash, bucket of the pair id: the snapshots.
//	       pair -> <version>:<data> (version counts writes from 1).
//	       PutSnapshots (fenced, compare-and-set on the version).
//	a:<b>  hash, bucket of the pair id: the active set.
//	       pair -> feed checked s ("0": never). AddActive and MarkClosed
//	       add ("0", keeping an existing value); SetFeedChecked (fenced)
//	       updates members only; RemoveActive and Prune remove.
//
// The other keys are single:
//
//	m    hash: "layout" (the layout version; Open, unless ReadOnly) and
//	     "sn", "fd" (the identity: ServiceNow URL and Flashduty account,
//	     normalised; CheckIdentity on first use or override).
//	k    hash of positions, one field each:
//	     "sn"   ServiceNow cursor: updated_on s|sys_id (SetServiceNowCursor)
//	     "fd"   Flashduty discovery window, s (SetFlashdutyWindow)
//	     "fdd"  last deep discovery, s (SetFlashdutyDeep)
//	     "rs"   resync sweep: started ms|ActivePairs cursor, or
//	            started ms|- once complete (SetSweep)
//	     "jr"   journal access: since ms|witness sys_id|reason, or ""
//	            while readable (SetJournalAccess)
//	     "ptr"  feed round robin: bucket (decimal)|last pair returned
//	            (NextFeedBatch; not fenced)
//	     all but "ptr" fenced; Cursors reads sn, fd, fdd and rs,
//	     JournalAccess reads jr.
//	c    zset: pair -> closed-at ms, pairs closed on both sides. MarkClosed
//	     (keeps the first time); AddActive, RemoveActive and Prune remove.
//	i    hash: pair -> side|started ms (side "servicenow" or "flashduty"),
//	     the create intents. BeginCreate (fenced; only if absent);
//	     ResolveIntent removes.
//	q    zset: pair -> retry due ms, the retry queue.
//	qd   hash: pair -> attempt|first failed ms|op|err, its data.
//	     Schedule adds or moves a pair to d; Done removes; Replay puts a
//	     dead letter back (attempt 0, due now).
//	d    hash: pair -> attempts|dead-lettered ms|first failed ms|op|err,
//	     the dead letters. Schedule (the last attempt); Replay and
//	     ClearDeadLetters remove.
//	e    stream: audit events, fields p (pair), t (ms), k (kind),
//	     s (side), f (field), d (detail). Audit, capped at about
//	     Options.AuditMaxLen entries (XADD MAXLEN ~).
//	L    string: the leader lease, token|deadline ms|holder, with a Redis
//	     TTL of Options.LeaseTTL (PX). AcquireLease and RenewLease set it,
//	     ReleaseLease deletes it.
//	f    string: the fence counter, incremented by AcquireLease for each
//	     new lease (its token).
//
// # Fencing
//
// AcquireLease returns a Fence. Writes that take one (RenewLease,
// PutSnapshots, SetFeedChecked, BeginCreate and the fenced fields of k) run
// as Lua scripts that first check the lease still holds that token and
// holder and has not passed its deadline; otherwise they fail with
// ErrFenced and change nothing. Deadlines follow the Redis server's clock
// (so replicas' clock skew does not matter), or Options.Clock when one is
// set (tests). The key also carries a Redis TTL, so a dead leader's lease
// disappears without any client.
//
// # Read-only mode
//
// A Store opened with Options.ReadOnly (a dry run) writes no key: Open
// records no layout version, CheckIdentity only compares, a hook on the
// Redis client refuses, before it is sent, every command that is not a
// read and every script but the read-only ones, and NextFeedBatch, whose
// script would move "ptr", is refused before it runs; each fails with
// ErrReadOnly.
package state
