package diff

// Plan is the outcome of Compute: exactly what to write on each side, already
// in that side's vocabulary, plus what was decided and why, and the base to
// store once every write succeeded.
type Plan struct {
	ServiceNow SnowPlan `json:"servicenow"`
	Flashduty  FDPlan   `json:"flashduty"`
	// Conflicts lists fields changed on both sides to different values, in
	// field order.
	Conflicts []Conflict `json:"conflicts,omitempty"`
	// Skipped lists pushes not made (direction, length rules, unmapped
	// values), in field order.
	Skipped []Skip `json:"skipped,omitempty"`
	// NewBase is the snapshot to store after the writes succeed; it already
	// holds the values the writes produce. Nil when there is no link (a side
	// is absent and no create is planned).
	NewBase *Snapshot `json:"new_base,omitempty"`
	// baseChanged is set when NewBase differs from the base passed in.
	baseChanged bool
	// pushes maps each field written to the side it is written to.
	pushes map[string]Side
	// posts lists, in the order of each side's Comments, the source
	// comment each posted part belongs to (for PartialBase).
	posts []commentPost
	// losers holds, per conflicted field, the fingerprint of the losing
	// side's value (for PartialBase).
	losers map[string]uint64
}

// commentPost is one source comment whose parts the plan posts to side to:
// parts are the indexes (0-based, of total) of the parts posted, in order.
type commentPost struct {
	to    Side
	mark  CommentMark
	parts []int
	total int
}

// SnowPlan is what to write to ServiceNow.
type SnowPlan struct {
	// Create holds the fields of a new incident (POST); nil when the incident
	// exists.
	Create map[string]string `json:"create,omitempty"`
	// Update holds the fields of one PATCH; nil when nothing changes. It
	// never holds priority; state 6 always comes with close_code and
	// close_notes, state 3 with hold_reason.
	Update map[string]string `json:"update,omitempty"`
	// Comments are journal entries to append, oldest first, each within
	// Mapping.ServiceNowCommentMax and already prefixed with attribution.
	// After a Create they go to the new record.
	Comments []SnowComment `json:"comments,omitempty"`
}

// SnowComment is one journal entry to write: PATCH {Element: Text}.
type SnowComment struct {
	Element string `json:"element"`
	Text    string `json:"text"`
}

// FDPlan is what to write to Flashduty, applied in this order: Create or
// Reset, Actions, Fields, Comments.
type FDPlan struct {
	// Create is a new incident (/incident/create); nil when it exists. The
	// caller adds channel_id and assignment. Actions, Fields and Comments
	// then apply to the created incident.
	Create *FDCreate `json:"create,omitempty"`
	// Reset is one /incident/reset call; nil when no built-in field changes.
	Reset *FDReset `json:"reset,omitempty"`
	// Actions are state calls in order.
	Actions []FDAction `json:"actions,omitempty"`
	// Fields are /incident/field/reset calls, sorted by name.
	Fields []FDField `json:"fields,omitempty"`
	// Comments are /incident/comment texts, oldest first, each at most
	// FDCommentMax characters and already prefixed with attribution; send
	// them with mute_reply.
	Comments []string `json:"comments,omitempty"`
}

// FDCreate is the body of /incident/create (without channel and assignment).
type FDCreate struct {
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Severity    Severity `json:"incident_severity"`
	// Fields are custom field values; send them in the create (newer
	// servers) or as /incident/field/reset calls right after it.
	Fields map[string]string `json:"fields,omitempty"`
}

// FDReset is the body of /incident/reset: only non-nil fields are sent.
type FDReset struct {
	Title       *string   `json:"title,omitempty"`
	Description *string   `json:"description,omitempty"`
	Severity    *Severity `json:"incident_severity,omitempty"`
}

// FDActionKind names a Flashduty state call.
type FDActionKind string

// The Flashduty state calls.
const (
	ActionAck     FDActionKind = "ack"     // /incident/ack
	ActionUnack   FDActionKind = "unack"   // /incident/unack
	ActionSnooze  FDActionKind = "snooze"  // /incident/snooze {minutes}
	ActionWake    FDActionKind = "wake"    // /incident/wake
	ActionResolve FDActionKind = "resolve" // /incident/resolve {resolution}
	ActionReopen  FDActionKind = "reopen"  // /incident/reopen
)

// FDAction is one state call.
type FDAction struct {
	Kind FDActionKind `json:"kind"`
	// Minutes is set for snooze (1–1440).
	Minutes int `json:"minutes,omitempty"`
	// Resolution is set for resolve when known (at most 1024 characters).
	Resolution string `json:"resolution,omitempty"`
}

// FDField is one /incident/field/reset call. diff never clears a field: an
// empty source never overwrites the target.
type FDField struct {
	Name  string `json:"field_name"`
	Value string `json:"field_value"`
}

// Conflict records a field changed on both sides to different values.
type Conflict struct {
	Field      string `json:"field"`
	ServiceNow string `json:"servicenow"`
	Flashduty  string `json:"flashduty"`
	Winner     Side   `json:"winner"`
	Reason     string `json:"reason"`
}

// Skip records a push that was not made. Side is the side that was not
// written.
type Skip struct {
	Side   Side   `json:"side"`
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Writes counts the API calls the plan needs (one per create, PATCH, reset,
// action, field and comment).
func (p Plan) Writes() int {
	n := len(p.ServiceNow.Comments) + len(p.Flashduty.Actions) + len(p.Flashduty.Fields) + len(p.Flashduty.Comments)
	if p.ServiceNow.Create != nil {
		n++
	}
	if len(p.ServiceNow.Update) > 0 {
		n++
	}
	if p.Flashduty.Create != nil {
		n++
	}
	if p.Flashduty.Reset != nil {
		n++
	}
	return n
}

// HasChanges reports whether there is anything to write or to store (NewBase
// differs from the base given to Compute). When false the caller can skip
// the pair: nothing to write and nothing to store (Skipped may still explain
// why a difference is left alone).
func (p Plan) HasChanges() bool {
	return p.Writes() > 0 || p.baseChanged
}

// BaseChanged reports whether NewBase differs from the base given to Compute
// (so it must be stored even when there is nothing to write).
func (p Plan) BaseChanged() bool { return p.baseChanged }
