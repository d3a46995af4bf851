package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

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
	failed, warned := 0, 0
	// warn names something that could not be checked; it does not fail
	// the check.
	warn := func(what, why, hint string) {
		warned++
		fmt.Fprintf(w, "WARN  %s: %s\n", what, why)
		if hint != "" {
			fmt.Fprintf(w, "      %s\n", hint)
		}
	}
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
		failed += checkScopeColumns(ctx, c, d, w, warn)
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

	me, err := d.fd.Identity(ctx)
	report("flashduty app key", err, fdKeyHint(err))
	if err == nil {
		checkKeyKind(w, me, warn)
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
		want := state.Identity{ServiceNowURL: c.ServiceNow.URL, FlashdutyAccount: fmt.Sprint(me.AccountID)}
		if me.AccountID == 0 {
			// The key's account is unknown (its failure is reported above):
			// compare the ServiceNow instance only.
			want.FlashdutyAccount = id.FlashdutyAccount
		}
		if err == nil && id.ServiceNowURL != "" && id != want {
			err = fmt.Errorf("the state under prefix %q belongs to %s", c.StatePrefix, id)
		}
		report("redis state belongs to this ServiceNow instance and Flashduty account", err, "use another SNOWDUTY_STATE_PREFIX, or set SNOWDUTY_IDENTITY_OVERRIDE=true once if this is intended")
	}
	if failed > 0 {
		fmt.Fprintf(w, "\n%d check(s) failed\n", failed)
		return exitFailed
	}
	if warned > 0 {
		fmt.Fprintf(w, "\nall checks passed, %d warning(s) above\n", warned)
		return exitOK
	}
	fmt.Fprintln(w, "\nall checks passed")
	return exitOK
}

const scopeColumnsCheck = "servicenow scope query columns exist"

// checkScopeColumns resolves every column and dot-walk of
// SNOWDUTY_SERVICENOW_QUERY against sys_dictionary: a column ServiceNow does
// not know fails (ServiceNow ignores its condition, so the scope is wider
// than written); what cannot be verified (sys_dictionary not readable, a
// referenced table without readable rows) is a warning. It returns the
// number of failed checks (0 or 1).
func checkScopeColumns(ctx context.Context, c *Config, d *deps, w io.Writer, warn func(what, why, hint string)) int {
	if c.ServiceNow.Query == "" {
		fmt.Fprintf(w, "ok    %s (no query: every incident is in scope)\n", scopeColumnsCheck)
		return 0
	}
	rep, err := d.sn.CheckScopeColumns(ctx, c.ServiceNow.Query)
	if err != nil {
		warn(scopeColumnsCheck, "not checked: "+err.Error(), scopeUncheckedHint(err))
		return 0
	}
	if len(rep.Problems) > 0 {
		fmt.Fprintf(w, "FAIL  %s: %s\n", scopeColumnsCheck, scopeProblemsSummary(rep))
		for _, p := range rep.Problems {
			fmt.Fprintf(w, "      - %s\n", p)
		}
		for _, u := range rep.Unchecked {
			fmt.Fprintf(w, "      - not checked: %s\n", u)
		}
		fmt.Fprintf(w, "      fix %sSERVICENOW_QUERY; until then `snowduty run` and `once` refuse to start (unless %sSERVICENOW_QUERY_ALLOW_UNKNOWN=true)\n", envPrefix, envPrefix)
		return 1
	}
	if len(rep.Unchecked) > 0 {
		warn(scopeColumnsCheck, fmt.Sprintf("%d found (%s), %d not checked", len(rep.Checked), strings.Join(rep.Checked, ", "), len(rep.Unchecked)), "")
		for _, u := range rep.Unchecked {
			fmt.Fprintf(w, "      - %s\n", u)
		}
		return 0
	}
	fmt.Fprintf(w, "ok    %s: %s\n", scopeColumnsCheck, strings.Join(rep.Checked, ", "))
	return 0
}

// scopeProblemsSummary is the first line about a scope's problems.
func scopeProblemsSummary(rep servicenow.ScopeReport) string {
	return fmt.Sprintf("ServiceNow would silently ignore %d condition(s) of %sSERVICENOW_QUERY (an unknown column, or a condition it cannot read), so the scope would be wider than written", len(rep.Problems), envPrefix)
}

// scopeUncheckedHint explains why the scope's columns could not be checked.
func scopeUncheckedHint(err error) string {
	if servicenow.ClassOf(err) == httpx.Forbidden || errors.Is(err, servicenow.ErrDictionaryHidden) {
		return "reading sys_dictionary needs the personalize_dictionary role; without it a misspelt column in " + envPrefix + "SERVICENOW_QUERY goes unnoticed (ServiceNow ignores it and the scope widens): check the query by hand"
	}
	return snowHint(err)
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
		if servicenow.AccessPolicyDenied(err) {
			return "401 to valid credentials: a REST API access policy (System Web Services > API Access Policies > REST API Access Policies) must allow the authentication snowduty uses (OAuth or Basic auth) on the Table API"
		}
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

// checkKeyKind says which kind of Flashduty app key was found and what it
// means: a member's key (the recommended kind), or an account-level key,
// which works but is a warning.
func checkKeyKind(w io.Writer, me flashduty.Identity, warn func(what, why, hint string)) {
	if !me.AccountLevel {
		fmt.Fprintf(w, "      member-level key: acting as member %d (%s) of account %d (%s); its own writes are recognised by this member id (the recommended kind of key)\n", me.PersonID, me.Name, me.AccountID, me.AccountName)
		return
	}
	warn("flashduty app key is account-level",
		fmt.Sprintf("it acts as the account principal of account %d (%s), not as a member (/member/info refuses it); snowduty syncs with it and recognises its own writes by the account id", me.AccountID, me.AccountName),
		"a key of a dedicated member (e.g. \"ServiceNow Sync\", with Incidents Read + Manage on the channels) is recommended: with an account-level key, whatever people do in Flashduty as the account principal (the account owner's own login) carries the same id and is taken for snowduty's own writes, so it is never mirrored to ServiceNow")
}

// fdKeyHint explains a failure to learn who the app key is.
func fdKeyHint(err error) string {
	if errors.Is(err, flashduty.ErrAccountKey) {
		return "the key is account-level (/member/info refuses it) and /account/info, which tells who it is, failed: " + fdHint(err)
	}
	return fdHint(err)
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
