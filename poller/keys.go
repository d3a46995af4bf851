package poller

// Log attribute keys: constants, so every line spells them the same way.
const (
	keyComponent  = "component"
	keyJob        = "job"
	keyError      = "err"
	keyPair       = "pair"
	keySysID      = "sys_id"
	keyNumber     = "number"
	keyIncidentID = "incident_id"
	keySide       = "side"
	keyField      = "field"
	keyClass      = "class"
	keyDuration   = "duration"
	keyCount      = "count"
	keyFailed     = "failed"
	keyPlan       = "plan"
	keyHolder     = "holder"
	keyNext       = "next"
	keyCursor     = "cursor"
	keyAttempt    = "attempt"
	keyRetryAt    = "retry_at"
	keyWinner     = "winner"
	keyStarted    = "started"
	keySlice      = "slice"
	keyReason     = "reason"
	keyHint       = "hint"
)
