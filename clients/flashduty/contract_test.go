package flashduty_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/clients/httpx"
)

// The client against the simulator: every operation.

func TestContractListAndInfo(t *testing.T) {
	e := newEnv(t, fdsim.Options{}, flashduty.Options{})
	a := e.create(t, fdsim.IncidentSpec{Title: "INC0012345 db down", ChannelID: fdsim.OpsChannelID, Severity: "Critical",
		Labels: map[string]string{"env": "prod"}, Fields: map[string]any{"environment": "production"}, StartTime: t0.Add(-time.Hour)})
	e.create(t, fdsim.IncidentSpec{ChannelID: fdsim.ProdChannelID, Severity: "Info", StartTime: t0.Add(-2 * time.Hour)})
	if err := e.sim.Snooze(fdsim.Alice, a.IncidentID, 30); err != nil {
		t.Fatal(err)
	}

	var got []flashduty.Incident
	q := flashduty.ListQuery{Since: t0.Add(-24 * time.Hour), ChannelIDs: []int64{fdsim.OpsChannelID}, Severity: "Critical,Warning", Progress: "Triggered"}
	if err := e.client.List(t.Context(), q, func(p []flashduty.Incident) error { got = append(got, p...); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("List = %d incidents, want 1", len(got))
	}
	inc := got[0]
	if inc.ID != a.IncidentID || inc.Num != a.Num || inc.Title != "INC0012345 db down" || inc.Severity != "Critical" ||
		inc.Progress != flashduty.ProgressTriggered || inc.ChannelID != fdsim.OpsChannelID || inc.StartTime != t0.Add(-time.Hour).Unix() ||
		inc.Labels["env"] != "prod" || inc.Fields["environment"] != "production" || !strings.HasSuffix(inc.DetailURL, a.IncidentID) {
		t.Errorf("List item = %+v", inc)
	}
	if !inc.Snoozed(t0) || inc.Snoozed(t0.Add(31*time.Minute)) {
		t.Errorf("Snoozed: snoozed_before %d", inc.SnoozedBefore)
	}

	// Full-text query finds an incident by a token in its title (how a
	// create with an unknown outcome is reconciled).
	got = nil
	if err := e.client.List(t.Context(), flashduty.ListQuery{Since: t0.Add(-24 * time.Hour), Query: "INC0012345"},
		func(p []flashduty.Incident) error { got = append(got, p...); return nil }); err != nil || len(got) != 1 {
		t.Errorf("List by query = %d, %v", len(got), err)
	}

	info, err := e.client.Info(t.Context(), a.IncidentID)
	if err != nil || info.ID != a.IncidentID || info.UpdatedAt != t0.Unix() {
		t.Errorf("Info = %+v, %v", info, err)
	}
	stop := errors.New("stop")
	if err := e.client.List(t.Context(), flashduty.ListQuery{Since: t0.Add(-24 * time.Hour)}, func([]flashduty.Incident) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("List did not return fn's error as is: %v", err)
	}
}

func TestContractInfoUnknown(t *testing.T) {
	for _, asNull := range []bool{false, true} {
		e := newEnv(t, fdsim.Options{InfoUnknownAsNull: asNull}, flashduty.Options{})
		_, err := e.client.Info(t.Context(), "000000000000000000000000")
		if flashduty.ClassOf(err) != httpx.NotFound {
			t.Errorf("null=%v: Info(unknown) = %v (class %s), want NotFound", asNull, err, flashduty.ClassOf(err))
		}
	}
}

func TestContractListByIDsBatches(t *testing.T) {
	e := newEnv(t, fdsim.Options{}, flashduty.Options{})
	var ids []string
	for i := range 230 {
		ids = append(ids, e.create(t, fdsim.IncidentSpec{StartTime: t0.Add(-time.Duration(i) * 24 * time.Hour)}).IncidentID)
	}
	ask := append(append([]string{}, ids...), "000000000000000000000000", ids[0])
	got, err := e.client.ListByIDs(t.Context(), ask)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 230 {
		t.Errorf("ListByIDs = %d incidents, want 230 (unknown absent, duplicates once, no window)", len(got))
	}
	if n := e.sim.Count("POST", "/incident/list-by-ids"); n != 3 {
		t.Errorf("%d calls, want 3 batches of ≤ 100", n)
	}
}

func TestContractFeed(t *testing.T) {
	e := newEnv(t, fdsim.Options{}, flashduty.Options{})
	id := e.create(t, fdsim.IncidentSpec{}).IncidentID
	for i := range 150 {
		e.sim.Advance(time.Second)
		if err := e.sim.Comment(fdsim.Bob, id, fmt.Sprintf("note %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.sim.Ack(fdsim.Alice, id); err != nil {
		t.Fatal(err)
	}
	all, err := e.client.Feed(t.Context(), flashduty.FeedQuery{IncidentID: id, Types: []string{flashduty.FeedComment}})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 150 || all[0].Comment != "note 0" || all[149].Comment != "note 149" || all[0].CreatorID != fdsim.BobID ||
		!all[0].CreatedAt.Equal(t0.Add(time.Second)) || all[0].IncidentID != id {
		t.Errorf("Feed = %d items, first %+v", len(all), all[0])
	}
	// Since stops paging early: the newest page is enough.
	e.sim.ResetCalls()
	recent, err := e.client.Feed(t.Context(), flashduty.FeedQuery{IncidentID: id, Since: t0.Add(148 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if len(recent) != 4 || recent[0].Comment != "note 147" || recent[3].Type != flashduty.FeedAck || recent[3].CreatorID != fdsim.AliceID {
		t.Errorf("Feed since = %+v", recent)
	}
	if n := e.sim.Count("POST", "/incident/feed"); n != 1 {
		t.Errorf("Feed since made %d calls, want 1", n)
	}
	if _, err := e.client.Feed(t.Context(), flashduty.FeedQuery{IncidentID: "000000000000000000000000"}); flashduty.ClassOf(err) != httpx.NotFound {
		t.Errorf("Feed(unknown) = %v", err)
	}
}

func TestContractCreate(t *testing.T) {
	e := newEnv(t, fdsim.Options{}, flashduty.Options{})
	me, err := e.client.MemberInfo(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	id, err := e.client.Create(t.Context(), flashduty.CreateRequest{
		Title: "  " + strings.Repeat("T", 600), Description: strings.Repeat("d", 2000), Severity: "Warning",
		ChannelID: fdsim.OpsChannelID, Fields: map[string]any{"affected_service": "payments", "tags": []string{"db"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	inc := e.incident(t, id)
	if len([]rune(inc.Title)) != 512 || !strings.HasSuffix(inc.Title, "…") || len([]rune(inc.Description)) != 1024 ||
		inc.Fields["affected_service"] != "payments" || inc.ChannelID != fdsim.OpsChannelID || !me.IsSelf(inc.CreatorID) {
		t.Errorf("created %+v", inc)
	}
	for _, bad := range []flashduty.CreateRequest{{Title: " ", Severity: "Info"}, {Title: "x", Severity: "critical"}} {
		if _, err := e.client.Create(t.Context(), bad); err == nil {
			t.Errorf("Create(%+v) succeeded", bad)
		}
	}
	_, err = e.client.Create(t.Context(), flashduty.CreateRequest{Title: "x", Severity: "Info", Fields: map[string]any{"environment": "moon"}})
	if flashduty.ClassOf(err) != httpx.BadRequest || !strings.Contains(err.Error(), "environment") {
		t.Errorf("Create with a bad field = %v; want BadRequest naming the field", err)
	}
}

func TestContractStateWrites(t *testing.T) {
	e := newEnv(t, fdsim.Options{}, flashduty.Options{})
	ctx := t.Context()
	id := e.create(t, fdsim.IncidentSpec{}).IncidentID
	me, _ := e.client.MemberInfo(ctx)
	steps := []struct {
		name   string
		do     func() error
		check  func(fdsim.Incident) bool
		feedTy string
	}{
		{"ack", func() error { return e.client.Ack(ctx, id) }, func(i fdsim.Incident) bool { return i.Progress == "Processing" }, "i_ack"},
		{"snooze", func() error { return e.client.Snooze(ctx, id, 120) }, func(i fdsim.Incident) bool { return i.SnoozedBefore == t0.Add(2*time.Hour).Unix() }, "i_snooze"},
		{"wake", func() error { return e.client.Wake(ctx, id) }, func(i fdsim.Incident) bool { return i.SnoozedBefore == 0 }, "i_wake"},
		{"unack", func() error { return e.client.Unack(ctx, id) }, func(i fdsim.Incident) bool { return i.Progress == "Triggered" }, "i_unack"},
		{"resolve", func() error { return e.client.Resolve(ctx, id, "leak", strings.Repeat("r", 1500)) },
			func(i fdsim.Incident) bool {
				return i.Progress == "Closed" && i.RootCause == "leak" && len(i.Resolution) == 1023+3
			}, "i_rslv"},
		{"reopen", func() error { return e.client.Reopen(ctx, id) }, func(i fdsim.Incident) bool { return i.Progress == "Triggered" }, "i_reopen"},
		{"reset", func() error {
			return e.client.Reset(ctx, flashduty.ResetRequest{IncidentID: id, Title: ptr(strings.Repeat("t", 300)), Severity: ptr("Critical")})
		}, func(i fdsim.Incident) bool { return len([]rune(i.Title)) == 200 && i.Severity == "Critical" }, "i_r_severity"},
		{"field set", func() error { return e.client.ResetField(ctx, id, "environment", "staging") },
			func(i fdsim.Incident) bool { return i.Fields["environment"] == "staging" }, "i_r_field"},
		{"field clear", func() error { return e.client.ResetField(ctx, id, "environment", nil) },
			func(i fdsim.Incident) bool { _, has := i.Fields["environment"]; return !has }, "i_r_field"},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		inc := e.incident(t, id)
		feed := e.feed(t, id)
		last := feed[len(feed)-1]
		if !st.check(inc) || last.Type != st.feedTy || !me.IsSelf(last.CreatorID) {
			t.Errorf("%s: incident %+v, last feed %s by %d", st.name, inc, last.Type, last.CreatorID)
		}
	}
	if err := e.client.Snooze(ctx, id, 0); err == nil || e.sim.Count("POST", "/incident/snooze") != 1 {
		t.Errorf("Snooze(0) = %v; want a local error without a call", err)
	}
}

func TestContractResetTooShort(t *testing.T) {
	e := newEnv(t, fdsim.Options{}, flashduty.Options{})
	id := e.create(t, fdsim.IncidentSpec{Description: "old text"}).IncidentID
	err := e.client.Reset(t.Context(), flashduty.ResetRequest{IncidentID: id, Title: ptr("New title"), Description: ptr("")})
	if !errors.Is(err, flashduty.ErrTooShort) || flashduty.ClassOf(err) != httpx.BadRequest || !strings.Contains(err.Error(), "description") {
		t.Errorf("Reset(emptied description) = %v; want ErrTooShort naming description", err)
	}
	if inc := e.incident(t, id); inc.Title != "New title" || inc.Description != "old text" {
		t.Errorf("after Reset: title %q description %q; want the title written, the description untouched", inc.Title, inc.Description)
	}
	e.sim.ResetCalls()
	if err := e.client.Reset(t.Context(), flashduty.ResetRequest{IncidentID: id, Description: ptr("ab")}); !errors.Is(err, flashduty.ErrTooShort) {
		t.Errorf("Reset(only a too-short field) = %v", err)
	}
	if n := e.sim.Count("POST", "/incident/reset"); n != 0 {
		t.Errorf("nothing to send, yet %d calls", n)
	}
}

func TestContractComment(t *testing.T) {
	e := newEnv(t, fdsim.Options{}, flashduty.Options{})
	id := e.create(t, fdsim.IncidentSpec{}).IncidentID
	if err := e.client.Comment(t.Context(), id, "\n  from ServiceNow: rebooted  \n"); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("word ", 500) // 2,500 characters
	if err := e.client.Comment(t.Context(), id, long); err != nil {
		t.Fatal(err)
	}
	items, err := e.client.Feed(t.Context(), flashduty.FeedQuery{IncidentID: id, Types: []string{flashduty.FeedComment}})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 4 || items[0].Comment != "from ServiceNow: rebooted" || !items[0].MuteReply {
		t.Fatalf("comments = %+v", items)
	}
	var rebuilt []string
	for i, it := range items[1:] {
		prefix := fmt.Sprintf("(%d/3) ", i+1)
		if !strings.HasPrefix(it.Comment, prefix) || len([]rune(it.Comment)) > 1024 {
			t.Errorf("part %d = %q…", i+1, it.Comment[:20])
		}
		rebuilt = append(rebuilt, strings.TrimPrefix(it.Comment, prefix))
	}
	if strings.Join(strings.Fields(strings.Join(rebuilt, " ")), " ") != strings.TrimSpace(long) {
		t.Error("the parts do not add up to the text")
	}
	if err := e.client.Comment(t.Context(), id, "  \t "); err == nil {
		t.Error("empty comment accepted")
	}
}

func TestContractDirectory(t *testing.T) {
	e := newEnv(t, fdsim.Options{}, flashduty.Options{})
	ctx := t.Context()
	fields, err := e.client.Fields(ctx)
	if err != nil || len(fields) != 4 || fields[1].Name != "environment" || fields[1].Type != flashduty.FieldSingleSelect || len(fields[1].Options) != 2 {
		t.Errorf("Fields = %+v, %v", fields, err)
	}
	chans, err := e.client.Channels(ctx)
	if err != nil || len(chans) != 2 || chans[0].ID != fdsim.OpsChannelID || chans[0].Name != "Ops Channel" {
		t.Errorf("Channels = %+v, %v", chans, err)
	}
	infos, err := e.client.ChannelInfos(ctx, []int64{fdsim.ProdChannelID, 42})
	if err != nil || len(infos) != 1 || infos[0].Name != "Production Alerts" || infos[0].Status != "enabled" {
		t.Errorf("ChannelInfos = %+v, %v", infos, err)
	}
	me, err := e.client.MemberInfo(ctx)
	if err != nil || me.MemberID != fdsim.DefaultKeyMemberID || me.AccountID != fdsim.DefaultAccountID || !me.IsSelf(me.AccountID) || me.IsSelf(0) {
		t.Errorf("MemberInfo = %+v, %v", me, err)
	}
	people, err := e.client.PersonInfos(ctx, []int64{fdsim.AliceID, fdsim.BobID, 7})
	if err != nil || len(people) != 2 || people[0].PersonName != "Alice" || people[1].Email != "bob@example.com" {
		t.Errorf("PersonInfos = %+v, %v", people, err)
	}
}

func TestContractAuditSearch(t *testing.T) {
	synctest.Test(t, testAuditSearch) // 120 writes: the rate limiter's waits are virtual
}

func testAuditSearch(t *testing.T) {
	e := newEnv(t, fdsim.Options{}, flashduty.Options{})
	id := e.create(t, fdsim.IncidentSpec{}).IncidentID
	for range 120 {
		e.sim.Advance(time.Second)
		if err := e.client.Ack(t.Context(), id); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.sim.Comment(fdsim.Alice, id, "human"); err != nil {
		t.Fatal(err)
	}
	var docs []flashduty.AuditDoc
	q := flashduty.AuditQuery{Since: t0.Add(-100 * 24 * time.Hour)}
	if err := e.client.AuditSearch(t.Context(), q, func(d []flashduty.AuditDoc) error { docs = append(docs, d...); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(docs) != 121 || docs[0].MemberID != fdsim.AliceID || docs[0].Operation != "incident:write:comment" ||
		!strings.Contains(docs[1].Body, id) || docs[1].Operation != "incident:write:acknowledge" {
		t.Errorf("AuditSearch = %d docs, first %+v", len(docs), docs[0])
	}
	docs = nil
	q.PersonID = fdsim.AliceID
	if err := e.client.AuditSearch(t.Context(), q, func(d []flashduty.AuditDoc) error { docs = append(docs, d...); return nil }); err != nil || len(docs) != 1 {
		t.Errorf("AuditSearch by person = %d, %v", len(docs), err)
	}
}

func TestObserverSeesEveryCall(t *testing.T) {
	e := newEnv(t, fdsim.Options{}, flashduty.Options{})
	id := e.create(t, fdsim.IncidentSpec{}).IncidentID
	_ = e.client.Ack(t.Context(), id)
	_, _ = e.client.Info(t.Context(), "000000000000000000000000")
	got := e.calls.All()
	if len(got) != 2 {
		t.Fatalf("observed %d calls, want 2", len(got))
	}
	if c := got[0]; c.API != "flashduty" || c.Endpoint != "/incident/ack" || c.Method != "POST" || c.Status != 200 || c.Class != httpx.OK {
		t.Errorf("first call = %+v", c)
	}
	if c := got[1]; c.Endpoint != "/incident/info" || c.Status != 400 || c.Class != httpx.NotFound {
		t.Errorf("second call = %+v", c)
	}
}
