package simkit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// durationNames are the JSON names of the two durations every simulator's
// Fault has, in the order they are written.
var durationNames = [2]string{"retry_after", "delay"}

// MarshalFault marshals v, a simulator's fault whose RetryAfter and Delay
// fields are tagged json:"-", adding them (when not zero) as "retry_after"
// and "delay" Go duration strings such as "5s".
func MarshalFault(v any, retryAfter, delay time.Duration) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' {
		return nil, errors.New("simkit: a fault must marshal as a JSON object")
	}
	out := b[: len(b)-1 : len(b)-1]
	for i, d := range [2]time.Duration{retryAfter, delay} {
		if d == 0 {
			continue
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		val, _ := json.Marshal(d.String())
		out = append(append(append(out, '"'), durationNames[i]...), `":`...)
		out = append(out, val...)
	}
	return append(out, '}'), nil
}

// UnmarshalFault decodes b into v, a simulator's fault whose RetryAfter and
// Delay fields are tagged json:"-", reading "retry_after" and "delay" as Go
// duration strings into retryAfter and delay. Unknown fields are errors, so
// a misspelt or outdated name ("times", "endpoint") is refused rather than
// ignored.
func UnmarshalFault(b []byte, v any, retryAfter, delay *time.Duration) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	for i, to := range [2]*time.Duration{retryAfter, delay} {
		name := durationNames[i]
		r, ok := raw[name]
		if !ok {
			continue
		}
		delete(raw, name)
		d, err := parseDuration(name, r)
		if err != nil {
			return err
		}
		*to = d
	}
	rest, err := json.Marshal(raw)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(rest))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func parseDuration(name string, r json.RawMessage) (time.Duration, error) {
	var s string
	if err := json.Unmarshal(r, &s); err != nil {
		return 0, fmt.Errorf("parse %s: %s is not a string (write a Go duration such as \"5s\")", name, r)
	}
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("parse %s: %w (write a Go duration such as \"5s\")", name, err)
	}
	return d, nil
}
