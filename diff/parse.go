package diff

import (
	"fmt"
	"strings"
)

// splitPairs splits "a=b,c=d" into trimmed pairs; empty input gives none.
func splitPairs(what, s string) ([][2]string, error) {
	var out [][2]string
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	for i, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		k, v, ok := strings.Cut(item, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("parse %s entry %d %q: want KEY=VALUE", what, i+1, item)
		}
		out = append(out, [2]string{k, v})
	}
	return out, nil
}

// ParseFieldMap parses the SNOWDUTY_FIELD_MAP form (Flashduty → ServiceNow):
// comma-separated "label:NAME=COLUMN" or "field:NAME=COLUMN", e.g.
// "label:service=u_service,field:env=u_env". Column names are checked by
// Mapping.Validate.
func ParseFieldMap(s string) ([]FieldToServiceNow, error) {
	pairs, err := splitPairs("field map", s)
	if err != nil {
		return nil, err
	}
	out := make([]FieldToServiceNow, 0, len(pairs))
	for i, p := range pairs {
		src, name, ok := strings.Cut(p[0], ":")
		if !ok || (src != string(SourceLabel) && src != string(SourceField)) || name == "" {
			return nil, fmt.Errorf("parse field map entry %d %q: source must be label:NAME or field:NAME", i+1, p[0]+"="+p[1])
		}
		out = append(out, FieldToServiceNow{Source: FieldSource(src), Name: name, Column: p[1]})
	}
	return out, nil
}

// ParseServiceNowFieldMap parses the SNOWDUTY_SERVICENOW_FIELD_MAP form
// (ServiceNow → Flashduty): comma-separated "COLUMN=FIELD", e.g.
// "u_business_service=business_service".
func ParseServiceNowFieldMap(s string) ([]FieldToFlashduty, error) {
	pairs, err := splitPairs("servicenow field map", s)
	if err != nil {
		return nil, err
	}
	out := make([]FieldToFlashduty, 0, len(pairs))
	for _, p := range pairs {
		out = append(out, FieldToFlashduty{Column: p[0], Field: p[1]})
	}
	return out, nil
}

// ParseStateMap parses ServiceNow state → status pairs, e.g.
// "1=Triggered,2=Processing,3=Snoozed,6=Closed,7=Closed,8=Closed".
func ParseStateMap(s string) (map[string]Status, error) {
	pairs, err := splitPairs("state map", s)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Status, len(pairs))
	for i, p := range pairs {
		st := Status(p[1])
		if !st.valid() {
			return nil, fmt.Errorf("parse state map entry %d %q: status must be Triggered, Processing, Snoozed or Closed", i+1, p[0]+"="+p[1])
		}
		if _, dup := out[p[0]]; dup {
			return nil, fmt.Errorf("parse state map entry %d: state %q is listed twice", i+1, p[0])
		}
		out[p[0]] = st
	}
	return out, nil
}

// ParseStatusMap parses status → ServiceNow state pairs (the states written),
// e.g. "Triggered=1,Processing=2,Snoozed=3,Closed=6".
func ParseStatusMap(s string) (map[Status]string, error) {
	pairs, err := splitPairs("status map", s)
	if err != nil {
		return nil, err
	}
	out := make(map[Status]string, len(pairs))
	for i, p := range pairs {
		st := Status(p[0])
		if !st.valid() {
			return nil, fmt.Errorf("parse status map entry %d %q: status must be Triggered, Processing, Snoozed or Closed", i+1, p[0]+"="+p[1])
		}
		if _, dup := out[st]; dup {
			return nil, fmt.Errorf("parse status map entry %d: status %s is listed twice", i+1, st)
		}
		out[st] = p[1]
	}
	return out, nil
}

// ParseUrgencyMap parses ServiceNow urgency → severity pairs, e.g.
// "1=Critical,2=Warning,3=Info".
func ParseUrgencyMap(s string) (map[string]Severity, error) {
	pairs, err := splitPairs("urgency map", s)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Severity, len(pairs))
	for i, p := range pairs {
		sev := Severity(p[1])
		if !sev.valid() {
			return nil, fmt.Errorf("parse urgency map entry %d %q: severity must be Critical, Warning or Info", i+1, p[0]+"="+p[1])
		}
		if _, dup := out[p[0]]; dup {
			return nil, fmt.Errorf("parse urgency map entry %d: urgency %q is listed twice", i+1, p[0])
		}
		out[p[0]] = sev
	}
	return out, nil
}

// ParseSeverityMap parses severity → impact/urgency pairs written to
// ServiceNow, e.g. "Critical=1/1,Warning=2/2,Info=3/3" (IMPACT/URGENCY).
func ParseSeverityMap(s string) (map[Severity]ImpactUrgency, error) {
	pairs, err := splitPairs("severity map", s)
	if err != nil {
		return nil, err
	}
	out := make(map[Severity]ImpactUrgency, len(pairs))
	for i, p := range pairs {
		sev := Severity(p[0])
		if !sev.valid() {
			return nil, fmt.Errorf("parse severity map entry %d %q: severity must be Critical, Warning or Info", i+1, p[0]+"="+p[1])
		}
		imp, urg, ok := strings.Cut(p[1], "/")
		imp, urg = strings.TrimSpace(imp), strings.TrimSpace(urg)
		if !ok || imp == "" || urg == "" {
			return nil, fmt.Errorf("parse severity map entry %d %q: want SEVERITY=IMPACT/URGENCY such as Critical=1/1", i+1, p[0]+"="+p[1])
		}
		if _, dup := out[sev]; dup {
			return nil, fmt.Errorf("parse severity map entry %d: severity %s is listed twice", i+1, sev)
		}
		out[sev] = ImpactUrgency{Impact: imp, Urgency: urg}
	}
	return out, nil
}

// ParseJournals parses a comma-separated journal list such as
// "comments,work_notes".
func ParseJournals(s string) ([]string, error) {
	var out []string
	for _, j := range strings.Split(s, ",") {
		j = strings.TrimSpace(j)
		if j == "" {
			continue
		}
		if j != JournalComments && j != JournalWorkNotes {
			return nil, fmt.Errorf("parse journals %q: %q is not comments or work_notes", s, j)
		}
		out = append(out, j)
	}
	return out, nil
}
