package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/clients/httpx"
	"github.com/snowduty/snowduty/clients/servicenow"
	"github.com/snowduty/snowduty/poller"
	"github.com/snowduty/snowduty/state"
)

// textTypes are the ServiceNow internal types a mapped text value may go to.
var textTypes = []string{"string", "journal_input", "html", "translated_text", "translated_field", "multi_two_lines", "url", "email", "phone_number_e164"}

// runCheck is `snowduty check`: it tries everything a run needs and
// explains each problem in plain words. Exit 0 only when all is well.
func runCheck(ctx context.Context, _ []string, stdout, stderr io.Writer) int {
	c, log, code := setup(ctx, stderr, true)
	if code != exitOK {
		return code
	}
	fmt.Fprintln(stdout, "ok    configuration")
	d, err := build(ctx, c, log, buildOptions{})
	if err != nil {
		fmt.Fprintf(stdout, "FAIL  start-up: %v\n", err)
		return exitFailed
	}
	defer d.close()
	return checkAll(ctx, c, d, stdout)
}

func checkAll(ctx context.Context, c *Config, d *deps, w io.Writer) int {
	failed := 0
	report := func(what string, err error, hint string) {
		if err == nil {
			fmt.Fprintf(w, "ok    %s\n", what)
			return
		}
		failed++
		fmt.Fprintf(w, "FAIL  %s: %v\n", what, err)
		if hint != "" {
			fmt.Fprintf(w, "      %s\n", hint)
		}
	}

	user, err := d.sn.CurrentUser(ctx)
	report("servicenow login as "+c.ServiceNow.Username, err, snowHint(err))
	if err == nil {
		fmt.Fprintf(w, "      integration user %s (time zone %q): its own writes are recognised by this name\n", user.UserName, user.TimeZone)
		page, err := d.sn.Changes(ctx, servicenow.ChangeQuery{Scope: c.ServiceNow.Query, PageSize: 20})
		report("servicenow incidents readable with the configured query", err, snowHint(err))
		if err == nil {
			report("servicenow incident numbers readable", checkNumbers(page.Incidents),
				"snowduty finds and links its Flashduty copies by number: grant the integration user read access to incident.number")
		}
		err = checkJournal(ctx, d, page.Incidents)
		hint := snowHint(err)
		if servicenow.ClassOf(err) == httpx.Forbidden || errors.Is(err, errJournalHidden) {
			hint = "comments from ServiceNow are not mirrored until then (fields and comments to ServiceNow still sync): " + poller.JournalHint
		}
		report("servicenow journal (sys_journal_field) readable", err, hint)
		report("servicenow mapped columns exist and hold text", checkColumns(ctx, c, d), "needs the personalize_dictionary role to read sys_dictionary; or fix SNOWDUTY_FIELD_MAP / SNOWDUTY_SERVICENOW_FIELD_MAP")
	}

	member, err := d.fd.MemberInfo(ctx)
	report("flashduty app key", err, fdHint(err))
	if err == nil {
		fmt.Fprintf(w, "      acting as member %d (%s) of account %d: its own writes are recognised by this id\n", member.MemberID, member.MemberName, member.AccountID)
		ids := slices.Clone(c.Flashduty.ChannelIDs)
		if c.Flashduty.ChannelID != 0 && !slices.Contains(ids, c.Flashduty.ChannelID) {
			ids = append(ids, c.Flashduty.ChannelID)
		}
		if len(ids) > 0 {
			chans, err := d.fd.ChannelInfos(ctx, ids)
			if err == nil && len(chans) < len(ids) {
				err = fmt.Errorf("%d of %d channels found (%v asked)", len(chans), len(ids), ids)
			}
			report("flashduty channels visible to the key", err, "check the channel ids, and that the key's member may see them")
		}
		report("flashduty custom fields named by the mappings exist", checkFDFields(ctx, c, d), "create them in Flashduty (Settings → Custom fields) or fix the mapping")
	}

	err = d.store.Ping(ctx)
	report("redis reachable", err, "check SNOWDUTY_REDIS_URL (or Sentinel/Cluster settings), the password and TLS")
	if err == nil {
		id, err := d.store.RecordedIdentity(ctx)
		if err == nil && id.ServiceNowURL != "" && id != (state.Identity{ServiceNowURL: c.ServiceNow.URL, FlashdutyAccount: fmt.Sprint(member.AccountID)}) {
			err = fmt.Errorf("the state under prefix %q belongs to %s", c.StatePrefix, id)
		}
		report("redis state belongs to this ServiceNow instance and Flashduty account", err, "use another SNOWDUTY_STATE_PREFIX, or set SNOWDUTY_IDENTITY_OVERRIDE=true once if this is intended")
	}
	if failed > 0 {
		fmt.Fprintf(w, "\n%d check(s) failed\n", failed)
		return exitFailed
	}
	fmt.Fprintln(w, "\nall checks passed")
	return exitOK
}

// checkNumbers fails when a sampled incident shows no number: blank, or
// the column hidden from the integration user by a field-level ACL.
func checkNumbers(incs []servicenow.Incident) error {
	for _, inc := range incs {
		if inc.Number == "" {
			return fmt.Errorf("incident %s shows no number (blank, or hidden by a field-level ACL on incident.number); such incidents are not synced", inc.SysID)
		}
	}
	return nil
}

// errJournalHidden: journal rows exist but the integration user cannot see
// them.
var errJournalHidden = errors.New("sys_journal_field hides its rows from the integration user")

// checkJournal reads the journal of sampled incidents: a 403, or no rows
// for an incident whose comments field shows history (rows hidden by a read
// ACL), means comments from ServiceNow cannot be mirrored.
func checkJournal(ctx context.Context, d *deps, incs []servicenow.Incident) error {
	ids := []string{"00000000000000000000000000000000"}
	for _, inc := range incs {
		ids = append(ids, inc.SysID)
	}
	entries, err := d.sn.Journal(ctx, servicenow.JournalQuery{IncidentIDs: ids, Elements: []string{"comments", "work_notes"}})
	if err != nil || len(incs) == 0 {
		return err
	}
	seen := map[string]bool{}
	for _, e := range entries {
		seen[e.ElementID] = true
	}
	hist, err := d.sn.JournalHistory(ctx, ids[1:])
	if err != nil {
		return nil // the history is a second opinion only
	}
	for _, inc := range incs {
		if hist[inc.SysID] != "" && !seen[inc.SysID] {
			return fmt.Errorf("%w: incident %s has comments, but no sys_journal_field row of it is readable", errJournalHidden, inc.Number)
		}
	}
	return nil
}

// checkColumns verifies that every ServiceNow column the mappings name
// exists and holds text.
func checkColumns(ctx context.Context, c *Config, d *deps) error {
	m, err := c.mapping()
	if err != nil {
		return err
	}
	var cols []string
	for _, f := range m.FieldsToServiceNow {
		cols = append(cols, f.Column)
	}
	for _, f := range m.FieldsToFlashduty {
		cols = append(cols, f.Column)
	}
	if len(cols) == 0 {
		return nil
	}
	defs, err := d.sn.Dictionary(ctx)
	if err != nil {
		return err
	}
	types := map[string]string{}
	for _, f := range defs {
		types[f.Element] = f.Type
	}
	for _, col := range cols {
		t, ok := types[col]
		switch {
		case !ok:
			return fmt.Errorf("column %q does not exist on incident", col)
		case !slices.Contains(textTypes, t):
			return fmt.Errorf("column %q is of type %s, not text", col, t)
		}
	}
	return nil
}

// checkFDFields verifies the Flashduty custom fields the mappings name.
func checkFDFields(ctx context.Context, c *Config, d *deps) error {
	m, err := c.mapping()
	if err != nil {
		return err
	}
	var names []string
	for _, f := range m.FieldsToFlashduty {
		names = append(names, f.Field)
	}
	for _, f := range m.FieldsToServiceNow {
		if f.Source == "field" {
			names = append(names, f.Name)
		}
	}
	if c.ManualField != "" {
		names = append(names, c.ManualField)
	}
	if len(names) == 0 {
		return nil
	}
	defs, err := d.fd.Fields(ctx)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, f := range defs {
		have[f.Name] = f.Status != "deleted"
	}
	for _, n := range names {
		if !have[n] {
			return fmt.Errorf("custom field %q does not exist", n)
		}
	}
	return nil
}

// snowHint explains a ServiceNow failure class.
func snowHint(err error) string {
	switch servicenow.ClassOf(err) {
	case httpx.OK:
		return ""
	case httpx.Unauthorized:
		return "401: check the password; in the user record uncheck \"Password needs reset\"; the user must be allowed web service access (or be \"Web service access only\"); for OAuth check the client id/secret and that the grant type is enabled"
	case httpx.Forbidden:
		return "403: an ACL denies the user: give it the itil role (personalize_dictionary for column checks)"
	case httpx.Hibernating:
		return "the developer instance is hibernating: wake it at developer.servicenow.com"
	case httpx.RateLimited:
		return "429: a rate-limit rule (sys_rate_limit_rules) throttles this user; raise it or lengthen the schedules"
	}
	return "check SNOWDUTY_SERVICENOW_URL, the network path (HTTPS_PROXY, NO_PROXY, SNOWDUTY_CA_FILE)"
}

// fdHint explains a Flashduty failure class.
func fdHint(err error) string {
	switch flashduty.ClassOf(err) {
	case httpx.OK:
		return ""
	case httpx.Unauthorized:
		return "the app key is wrong, expired or deleted: create one under Account Settings → APP Key"
	case httpx.Forbidden:
		return "the key's member lacks a permission: it needs Incidents Read and Manage on the channels"
	case httpx.RateLimited:
		return "429: another tool shares the account's 1,000 requests/minute; lower SNOWDUTY_FLASHDUTY_RATE_PER_MINUTE"
	}
	return "check SNOWDUTY_FLASHDUTY_URL and the network path (HTTPS_PROXY, NO_PROXY, SNOWDUTY_CA_FILE)"
}
