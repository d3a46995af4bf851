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
// Every key is "{<prefix>}<name>" (prefix default "snowduty:"); the braces
// are a Redis Cluster hash tag, so one integration's keys share a slot and
// Lua scripts can update several atomically. Per-pair data lives in 4096
// bucket hashes per family (bucket = first 3 hex digits of SHA-1 of the
// id), which Redis keeps as compact listpacks:
//
//	l:<b>  hash   sys_id      -> incident_id|number|created_s|origin
//	r:<b>  hash   incident_id -> sys_id
//	s:<b>  hash   pair        -> version:snapshot
//	a:<b>  hash   pair        -> feed_checked_s   (the active set)
//	m      hash   layout, sn, fd (identity)
//	k      hash   sn (cursor), fd (window), ptr (feed round robin)
//	c      zset   pair -> closed-at ms
//	i      hash   pair -> side|started_ms         (create intents)
//	q, qd  zset + hash: retry due times and attempt|first_ms|op|err
//	d      hash   pair -> attempts|at_ms|first_ms|op|err (dead letters)
//	e      stream audit events, capped (MAXLEN ~)
//	L, f   lease (token|deadline_ms|holder, PX TTL) and fence counter
//
// # Fencing
//
// AcquireLease returns a Fence. Writes that take one (snapshots, cursors,
// feed check times, create intents) run as Lua scripts that first check the
// lease still holds that token and holder and has not passed its deadline;
// otherwise they fail with ErrFenced and change nothing. Deadlines follow
// the Redis server's clock (so replicas' clock skew does not matter), or
// Options.Clock when one is set (tests). The key also carries a Redis TTL,
// so a dead leader's lease disappears without any client.
package state
