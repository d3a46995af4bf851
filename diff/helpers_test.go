package diff

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

// linked returns a world with a ServiceNow incident mirrored to Flashduty
// and settled (the second sync writes nothing).
func linked(t testing.TB, p Policy) *world {
	t.Helper()
	w := newWorld(t, p)
	w.snow = &SnowView{
		SysID: "9d385017c611228701d22104cc95c371", Number: "INC0010001",
		ShortDescription: "Disk full on db-01", Description: "The data disk of db-01 is full.",
		State: "1", Urgency: "2", Impact: "2", SysUpdatedOn: w.now, SysUpdatedBy: "jsmith",
		Columns: map[string]string{},
	}
	dir := w.policy.Direction
	w.policy.Direction = TwoWay
	w.sync()
	w.advance(time.Minute)
	if p := w.sync(); p.Writes() != 0 {
		t.Fatalf("settling sync writes %d: %s", p.Writes(), js(p))
	}
	w.policy.Direction = dir
	w.advance(time.Minute)
	return w
}

func js(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

func hasConflict(p Plan, field string, winner Side) bool {
	return slices.ContainsFunc(p.Conflicts, func(c Conflict) bool { return c.Field == field && c.Winner == winner })
}

func hasSkip(p Plan, side Side, field string) bool {
	return slices.ContainsFunc(p.Skipped, func(s Skip) bool { return s.Side == side && s.Field == field })
}

func actions(p Plan) string {
	var out []string
	for _, a := range p.Flashduty.Actions {
		s := string(a.Kind)
		if a.Minutes != 0 {
			s += ":" + itoa(int64(a.Minutes))
		}
		out = append(out, s)
	}
	return strings.Join(out, ",")
}

func resetTitle(p Plan) string {
	if p.Flashduty.Reset == nil || p.Flashduty.Reset.Title == nil {
		return ""
	}
	return *p.Flashduty.Reset.Title
}
