package diff

// WriteGroup names the write that carries fields to one side. A write
// either lands or fails whole, so a plan applied part-way (Plan.PartialBase)
// lands whole groups.
type WriteGroup string

// The write groups.
const (
	// GroupSnowPatch is the ServiceNow PATCH that carries every field (and
	// the first comment).
	GroupSnowPatch WriteGroup = "servicenow_patch"
	// GroupFDReset is /incident/reset: title, description, severity.
	GroupFDReset WriteGroup = "flashduty_reset"
	// GroupFDState is the Flashduty state calls (ack, snooze, resolve …).
	GroupFDState WriteGroup = "flashduty_state"
	// GroupFDField is one /incident/field/reset call per custom field.
	GroupFDField WriteGroup = "flashduty_field"
)

// builtin is one built-in field, as every part of the merge reads it: its
// key, the canonical value each side shows, the write group that carries
// it to Flashduty, and, for text, the limits that cut the copies snowduty
// writes. Adding a built-in field is a row here, its writes (writeFD,
// writeSnow) and the side's applier.
type builtin struct {
	key string
	// snow and fd return the canonical value a side shows, or ok false
	// with why (an unmapped value).
	snow func(m Mapping, v *SnowView) (val string, ok bool, why string)
	fd   func(now int64, v *FDView) (val string, ok bool, why string)
	// fdGroup carries the field to Flashduty (ServiceNow: GroupSnowPatch).
	fdGroup WriteGroup
	// text holds the limits of a text field (nil for coded values).
	text *textLimits
}

// textLimits say where a text goes and the lengths a copy of it is cut to.
type textLimits struct {
	snowColumn      string            // the ServiceNow column it is written to
	snowMax         func(Mapping) int // the ServiceNow column's max_length
	fdWrite         int               // a Flashduty reset
	fdCreate        int               // a Flashduty create
	fdRoomForNumber bool              // a create also carries the "[ServiceNow: <number>]" line
}

// builtins are the built-in fields, in merge order.
var builtins = []builtin{
	{
		key:     KeyTitle,
		snow:    func(_ Mapping, v *SnowView) (string, bool, string) { return norm(v.ShortDescription), true, "" },
		fd:      func(_ int64, v *FDView) (string, bool, string) { return norm(v.Title), true, "" },
		fdGroup: GroupFDReset,
		text: &textLimits{snowColumn: "short_description", snowMax: func(m Mapping) int { return m.ServiceNowTitleMax },
			fdWrite: FDTitleResetMax, fdCreate: FDTitleCreateMax},
	},
	{
		key:     KeyDescription,
		snow:    func(_ Mapping, v *SnowView) (string, bool, string) { return norm(v.Description), true, "" },
		fd:      func(_ int64, v *FDView) (string, bool, string) { return stripRef(norm(v.Description)), true, "" },
		fdGroup: GroupFDReset,
		text: &textLimits{snowColumn: "description", snowMax: func(m Mapping) int { return m.ServiceNowDescriptionMax },
			fdWrite: FDDescriptionMax, fdCreate: FDDescriptionCreateMax, fdRoomForNumber: true},
	},
	{
		key: KeySeverity,
		snow: func(m Mapping, v *SnowView) (string, bool, string) {
			if s, ok := m.UrgencyToSeverity[v.Urgency]; ok {
				return string(s), true, ""
			}
			return "", false, "servicenow urgency " + quote(v.Urgency) + " has no severity mapping"
		},
		fd: func(_ int64, v *FDView) (string, bool, string) {
			if v.Severity.valid() {
				return string(v.Severity), true, ""
			}
			return "", false, "flashduty severity " + quote(string(v.Severity)) + " is not Critical, Warning or Info"
		},
		fdGroup: GroupFDReset,
	},
	{
		key: KeyStatus,
		snow: func(m Mapping, v *SnowView) (string, bool, string) {
			if s, ok := m.StateToStatus[v.State]; ok {
				return string(s), true, ""
			}
			return "", false, "servicenow state " + quote(v.State) + " has no status mapping"
		},
		fd: func(now int64, v *FDView) (string, bool, string) {
			if st, ok := fdStatus(v, now); ok {
				return string(st), true, ""
			}
			return "", false, "flashduty progress " + quote(v.Progress) + " is unknown"
		},
		fdGroup: GroupFDState,
	},
}

// builtinField returns the built-in field key, if it is one.
func builtinField(key string) (builtin, bool) {
	for _, b := range builtins {
		if b.key == key {
			return b, true
		}
	}
	return builtin{}, false
}

// Group returns the write group that carries field key (a built-in key,
// "sn:<column>" or "fd:<field>") to side to.
func Group(key string, to Side) WriteGroup {
	if to == ServiceNow {
		return GroupSnowPatch
	}
	if b, ok := builtinField(key); ok {
		return b.fdGroup
	}
	return GroupFDField
}
