package diff

import (
	"strings"
	"unicode/utf8"
)

// Field keys of the core fields. Custom fields use "sn:<column>" (Flashduty
// → ServiceNow) and "fd:<field>" (ServiceNow → Flashduty).
const (
	KeyTitle       = "title"
	KeyDescription = "description"
	KeySeverity    = "severity"
	KeyStatus      = "status"
	KeyComments    = "comments"
	KeyIncident    = "incident"
)

// TruncationMarker ends every text diff shortened to fit a limit.
const TruncationMarker = "…[truncated]"

// fingerprint is FNV-1a 64 of s; never 0, so 0 can mean "no base".
func fingerprint(s string) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= prime
	}
	if h == 0 {
		h = 1
	}
	return h
}

// norm is the canonical form of a text value: CRLF → LF, trimmed (Flashduty
// trims what it stores).
func norm(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// truncate shortens s to at most max runes, ending it with TruncationMarker.
func truncate(s string, max int) string {
	if runes(s) <= max {
		return s
	}
	mark := TruncationMarker
	if max <= runes(mark) {
		mark = ""
	}
	keep := max - runes(mark)
	i, n := 0, 0
	for i = range s {
		if n == keep {
			break
		}
		n++
	}
	return strings.TrimRight(s[:i], " \t\n") + mark
}

// refLine is the line carrying the ServiceNow number in a Flashduty
// description created by diff (so a full-text search finds it).
func refLine(number string) string { return "[ServiceNow: " + number + "]" }

// stripRef removes a trailing refLine from a Flashduty description.
func stripRef(d string) string {
	if !strings.HasSuffix(d, "]") {
		return d
	}
	i := strings.LastIndex(d, "[ServiceNow: ")
	if i < 0 {
		return d
	}
	num := d[i+len("[ServiceNow: ") : len(d)-1]
	if num == "" || strings.ContainsAny(num, " \n]") {
		return d
	}
	if i > 0 && d[i-1] != '\n' {
		return d
	}
	return strings.TrimSpace(d[:i])
}

// canon holds one side's canonical values by field key; a key absent from
// the map has no canonical value there (unmapped).
type canon map[string]string

// Incident is the canonical form of one side's incident, as the merge
// compares it (for explain output and tests). Empty Status or Severity means
// the side's value has no mapping.
type Incident struct {
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Status      Status   `json:"status,omitempty"`
	Severity    Severity `json:"severity,omitempty"`
	// Fields holds the custom field values by key ("sn:<column>",
	// "fd:<field>").
	Fields map[string]string `json:"fields,omitempty"`
}

func incident(c canon) Incident {
	in := Incident{Title: c[KeyTitle], Description: c[KeyDescription], Status: Status(c[KeyStatus]), Severity: Severity(c[KeySeverity])}
	for k, v := range c {
		if strings.HasPrefix(k, "sn:") || strings.HasPrefix(k, "fd:") {
			if in.Fields == nil {
				in.Fields = map[string]string{}
			}
			in.Fields[k] = v
		}
	}
	return in
}

// ServiceNowIncident returns the canonical form of a ServiceNow incident
// under p (at p.Now).
func (p Policy) ServiceNowIncident(v *SnowView) Incident {
	c := &computer{p: p}
	out, _ := c.snowCanon(v)
	for _, f := range p.Mapping.FieldsToServiceNow {
		out["sn:"+f.Column] = norm(v.Columns[f.Column])
	}
	for _, f := range p.Mapping.FieldsToFlashduty {
		out["fd:"+f.Field] = norm(v.Columns[f.Column])
	}
	return incident(out)
}

// FlashdutyIncident returns the canonical form of a Flashduty incident under
// p (at p.Now: snoozed means snoozed_before > Now).
func (p Policy) FlashdutyIncident(v *FDView) Incident {
	c := &computer{p: p}
	out, _ := c.fdCanon(v)
	for _, f := range p.Mapping.FieldsToServiceNow {
		out["sn:"+f.Column] = fdSource(v, f)
	}
	for _, f := range p.Mapping.FieldsToFlashduty {
		out["fd:"+f.Field] = norm(fieldString(v.Fields[f.Field]))
	}
	return incident(out)
}

// snowCanon is a ServiceNow incident's canonical built-in values; why
// says, for a value with no mapping, why it has none.
func (c *computer) snowCanon(v *SnowView) (canon, map[string]string) {
	out, why := canon{}, map[string]string{}
	for _, b := range builtins {
		if val, ok, reason := b.snow(c.p.Mapping, v); ok {
			out[b.key] = val
		} else {
			why[b.key] = reason
		}
	}
	return out, why
}

// fdCanon is a Flashduty incident's canonical built-in values (at Now).
func (c *computer) fdCanon(v *FDView) (canon, map[string]string) {
	out, why := canon{}, map[string]string{}
	for _, b := range builtins {
		if val, ok, reason := b.fd(c.p.Now.Unix(), v); ok {
			out[b.key] = val
		} else {
			why[b.key] = reason
		}
	}
	return out, why
}

// fdStatus is the canonical status of a Flashduty incident at now (unix s).
func fdStatus(v *FDView, now int64) (Status, bool) {
	switch v.Progress {
	case "Closed":
		return StatusClosed, true
	case "Triggered", "Processing":
		if v.SnoozedBefore > now {
			return StatusSnoozed, true
		}
		return Status(v.Progress), true
	}
	return "", false
}

func quote(s string) string { return `"` + s + `"` }

// fdSource reads a Flashduty label or custom field as text.
func fdSource(v *FDView, f FieldToServiceNow) string {
	if f.Source == SourceLabel {
		return norm(v.Labels[f.Name])
	}
	return norm(fieldString(v.Fields[f.Name]))
}
