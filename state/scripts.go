package state

import "github.com/redis/go-redis/v9"

// allScripts are loaded at Open, so the first use of each is one EVALSHA
// (and a Redis restart costs one extra EVAL, which go-redis does itself).
var allScripts = []*redis.Script{
	acquireScript, renewScript, releaseScript, leaderScript,
	putLinksScript, linksScript,
	putSnapshotsScript, setFieldScript,
	scanActiveScript, pruneScript, setFeedCheckedScript,
	beginCreateScript, scheduleScript, dueScript, replayScript,
	identityScript, countScript, checkTypesScript,
}
