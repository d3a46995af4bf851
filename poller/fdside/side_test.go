package fdside

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/diff"
)

type fakeFD struct {
	calls  []string
	failOn string
}

func (f *fakeFD) do(call string) error {
	f.calls = append(f.calls, call)
	if call == f.failOn {
		return errors.New("boom")
	}
	return nil
}
func (f *fakeFD) Reset(_ context.Context, r flashduty.ResetRequest) error { return f.do("reset") }
func (f *fakeFD) ResetField(_ context.Context, _, name string, _ any) error {
	return f.do("field:" + name)
}
func (f *fakeFD) Ack(context.Context, string) error                     { return f.do("ack") }
func (f *fakeFD) Unack(context.Context, string) error                   { return f.do("unack") }
func (f *fakeFD) Resolve(context.Context, string, string, string) error { return f.do("resolve") }
func (f *fakeFD) Reopen(context.Context, string) error                  { return f.do("reopen") }
func (f *fakeFD) Snooze(context.Context, string, int) error             { return f.do("snooze") }
func (f *fakeFD) Wake(context.Context, string) error                    { return f.do("wake") }
func (f *fakeFD) Comment(_ context.Context, _, text string) error       { return f.do("comment:" + text) }

// The calls go in the plan's order (reset, actions, fields, comments); a
// failure stops them, and Landed says what got there.
func TestApply(t *testing.T) {
	title := "New title"
	plan := diff.FDPlan{Reset: &diff.FDReset{Title: &title}, Actions: []diff.FDAction{{Kind: diff.ActionReopen}, {Kind: diff.ActionAck}},
		Fields: []diff.FDField{{Name: "env", Value: "prod"}}, Comments: []string{"a", "b"}}
	c := &fakeFD{}
	var l Landed
	if err := Apply(t.Context(), c, "i1", plan, &l); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.calls, ","); got != "reset,reopen,ack,field:env,comment:a,comment:b" {
		t.Fatalf("calls = %s", got)
	}
	if !l.Reset || !l.State || l.Actions != 2 || !l.Fields["env"] || l.Comments != 2 {
		t.Fatalf("landed = %+v", l)
	}
	c, l = &fakeFD{failOn: "ack"}, Landed{}
	if err := Apply(t.Context(), c, "i1", plan, &l); err == nil {
		t.Fatal("want the ack's error")
	}
	if !l.Reset || l.State || l.Actions != 1 || l.Fields != nil || l.Comments != 0 {
		t.Fatalf("after a failed ack: landed %+v", l)
	}
}

// The field history reaches back to the creation or is not read at all.
func TestHistory(t *testing.T) {
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	feed := []flashduty.FeedItem{
		{Type: flashduty.FeedNew, CreatorID: 0, CreatedAt: at, Detail: json.RawMessage(`{"title":"Disk full","severity":"Warning"}`)},
		{Type: flashduty.FeedTitle, CreatorID: 7, CreatedAt: at.Add(time.Minute), Detail: json.RawMessage(`{"from":"Disk full","to":"Disk full on db-1"}`)},
		{Type: flashduty.FeedAck, CreatorID: 7, CreatedAt: at.Add(2 * time.Minute)},
	}
	h, ok := History(feed)
	if !ok || len(h) != 6 {
		t.Fatalf("history = %+v, %v; want 4 creation entries, the title edit and the ack", h, ok)
	}
	last := h[len(h)-1]
	if last.Key != diff.KeyStatus || last.To != string(diff.StatusProcessing) || last.CreatorID != 7 {
		t.Fatalf("the ack reads %+v", last)
	}
	if _, ok := History(feed[1:]); ok {
		t.Fatal("a timeline that does not reach the creation counted as complete")
	}
	v := View(&flashduty.Incident{ID: "i1", Title: "Disk full on db-1"}, append(feed, flashduty.FeedItem{Type: flashduty.FeedComment, CreatorID: 7, Comment: "on it", CreatedAt: at}), map[int64]string{7: "Alice"})
	if len(v.Comments) != 1 || v.Comments[0].CreatorName != "Alice" || v.Comments[0].ID != diff.FDCommentID(at, 7, "on it") || !v.HistoryRead {
		t.Fatalf("view = %+v", v)
	}
}
