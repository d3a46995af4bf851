package snowside

import (
	"context"
	"errors"
	"testing"

	"github.com/snowduty/snowduty/clients/servicenow"
	"github.com/snowduty/snowduty/diff"
)

type fakeSnow struct {
	bodies []map[string]string
	failAt int // 1-based call that fails; 0 none
}

func (f *fakeSnow) Update(_ context.Context, _ string, fields map[string]string) (servicenow.Incident, error) {
	f.bodies = append(f.bodies, fields)
	if len(f.bodies) == f.failAt {
		return servicenow.Incident{}, errors.New("boom")
	}
	return servicenow.Incident{SysModCount: len(f.bodies)}, nil
}

// The fields go with the first comment in one PATCH, each further comment
// in its own; a failure stops the writes, and Landed says what got there.
func TestApply(t *testing.T) {
	plan := diff.SnowPlan{Update: map[string]string{"state": "2"},
		Comments: []diff.SnowComment{{Element: "comments", Text: "one"}, {Element: "comments", Text: "two"}, {Element: "work_notes", Text: "three"}}}
	c := &fakeSnow{}
	var l Landed
	if err := Apply(t.Context(), c, "s1", plan, &l); err != nil {
		t.Fatal(err)
	}
	if len(c.bodies) != 3 || c.bodies[0]["state"] != "2" || c.bodies[0]["comments"] != "one" || c.bodies[2]["work_notes"] != "three" || len(c.bodies[1]) != 1 {
		t.Fatalf("bodies = %v", c.bodies)
	}
	if !l.Patch || l.Comments != 3 || l.Bodies != 3 || l.Last.SysModCount != 3 {
		t.Fatalf("landed = %+v", l)
	}

	c, l = &fakeSnow{failAt: 2}, Landed{}
	if err := Apply(t.Context(), c, "s1", plan, &l); err == nil {
		t.Fatal("want the second PATCH's error")
	}
	if !l.Patch || l.Comments != 1 || l.Bodies != 1 || len(c.bodies) != 2 {
		t.Fatalf("after a failed second PATCH: landed %+v, %d calls", l, len(c.bodies))
	}
	if err := Apply(t.Context(), &fakeSnow{failAt: 1}, "s1", diff.SnowPlan{}, &l); err != nil {
		t.Fatalf("an empty plan made a call: %v", err)
	}
}
