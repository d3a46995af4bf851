package servicenow

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Cursor is a position in a keyset feed: everything up to and including
// (UpdatedOn, SysID) has been read. The zero Cursor is the beginning.
type Cursor struct {
	UpdatedOn time.Time
	SysID     string
}

// IsZero reports whether c is the beginning of the feed.
func (c Cursor) IsZero() bool { return c.UpdatedOn.IsZero() && c.SysID == "" }

// ChangeQuery asks for the incidents changed after a cursor.
type ChangeQuery struct {
	// After is the last position read. With an empty SysID the feed starts
	// at UpdatedOn inclusive (sys_updated_on >= UpdatedOn), which is how a
	// caller re-reads an overlap window.
	After Cursor
	// Before, when set, excludes rows updated at or after it (use
	// ServiceNow's clock minus a lag, so that rows still being committed in
	// the current second are not skipped).
	Before time.Time
	// Scope is an encoded query ANDed in (see CheckScope).
	Scope string
	// Columns are extra columns to read; they land in Incident.Columns.
	Columns []string
	// PageSize bounds the rows returned; zero means DefaultPageSize.
	PageSize int
}

// ChangePage is one page of the change feed.
type ChangePage struct {
	Incidents []Incident
	// Next is the cursor to pass as After for the next page: the last
	// incident returned, or After unchanged when none was.
	Next Cursor
	// More reports that rows may follow Next. A short or even empty page
	// does not mean the end: sysparm_limit applies before ACLs.
	More bool
	// ServerTime is ServiceNow's clock, from the Date header of the last
	// answer.
	ServerTime time.Time
}

// keyset describes a feed over one table ordered by (timeCol, sys_id).
type keyset struct {
	op      string
	table   string
	timeCol string
	base    string // conditions ANDed in front
	before  time.Time
	fields  []string
}

// keysetPage is what one keyset read returns.
type keysetPage struct {
	rows       []map[string]any
	more       bool
	serverTime time.Time
}

// Changes returns the next page of incidents whose sys_updated_on/sys_id
// follow q.After, ordered by (sys_updated_on, sys_id). It is a keyset feed:
// it never uses sysparm_offset, so rows changing while a poll pages through
// cannot be skipped or repeated, and hundreds of rows sharing one second
// are paged by sys_id.
func (c *Client) Changes(ctx context.Context, q ChangeQuery) (ChangePage, error) {
	const op = "list incident changes"
	if err := CheckScope(q.Scope); err != nil {
		return ChangePage{}, fmt.Errorf("%s: %w", op, err)
	}
	fields, err := columns(q.Columns)
	if err != nil {
		return ChangePage{}, fmt.Errorf("%s: %w", op, err)
	}
	if q.PageSize < 0 || q.PageSize > MaxPageSize {
		return ChangePage{}, fmt.Errorf("%s: page size %d is out of range 1..%d", op, q.PageSize, MaxPageSize)
	}
	if q.PageSize == 0 {
		q.PageSize = DefaultPageSize
	}
	if q.After.SysID != "" {
		if err := checkSysID(q.After.SysID); err != nil {
			return ChangePage{}, fmt.Errorf("%s: cursor: %w", op, err)
		}
	}
	ks := keyset{op: op, table: "incident", timeCol: "sys_updated_on", base: q.Scope, before: q.Before, fields: fields}
	kp, err := c.keysetRead(ctx, ks, q.After, q.PageSize)
	if err != nil {
		return ChangePage{}, err
	}
	incs, err := parseIncidents(kp.rows)
	if err != nil {
		return ChangePage{}, fmt.Errorf("%s: %w", op, err)
	}
	page := ChangePage{Incidents: incs, Next: q.After, More: kp.more, ServerTime: kp.serverTime}
	if n := len(incs); n > 0 {
		page.Next = incs[n-1].Cursor()
	}
	return page, nil
}

// keysetRead reads up to limit rows after cur in two phases, each a plain
// AND query (no ^NQ, whose ordering across groups is undocumented):
// first the rest of cur's second (timeCol = T and sys_id > S, by sys_id),
// then later seconds (timeCol > T, by timeCol then sys_id).
func (c *Client) keysetRead(ctx context.Context, ks keyset, cur Cursor, limit int) (keysetPage, error) {
	same, later := ks.queries(cur)
	var out keysetPage
	if same != "" {
		p, err := c.scan(ctx, ks, same, limit)
		if err != nil {
			return out, err
		}
		if p.more || len(p.rows) >= limit {
			p.more = true
			return p, nil
		}
		out = p
		limit -= len(p.rows)
	}
	p, err := c.scan(ctx, ks, later, limit)
	if err != nil {
		return out, err
	}
	out.rows = append(out.rows, p.rows...)
	out.more = p.more
	out.serverTime = p.serverTime
	return out, nil
}

// queries returns the two encoded queries of a keyset read after cur: the
// rest of cur's second ("" when cur has no sys_id) and the later seconds.
// The scope comes first so that an ^OR inside it binds within it.
func (ks keyset) queries(cur Cursor) (same, later string) {
	t := FormatTime(cur.UpdatedOn)
	bound := ""
	if !ks.before.IsZero() {
		bound = ks.timeCol + "<" + FormatTime(ks.before)
	}
	from := ""
	switch {
	case cur.SysID != "":
		same = joinQuery(ks.base, ks.timeCol+"="+t, "sys_id>"+cur.SysID, bound, "ORDERBYsys_id")
		from = ks.timeCol + ">" + t
	case !cur.UpdatedOn.IsZero():
		from = ks.timeCol + ">=" + t
	}
	return same, joinQuery(ks.base, from, bound, "ORDERBY"+ks.timeCol, "ORDERBYsys_id")
}

// scan reads the first visible rows of one ordered query. Because
// sysparm_limit applies before ACLs, a page may come back empty although
// rows follow; then scan widens the window (never using an offset) until it
// sees a row or the window covers every match (X-Total-Count).
func (c *Client) scan(ctx context.Context, ks keyset, query string, limit int) (keysetPage, error) {
	window := limit
	for {
		params := readParams()
		params.Set("sysparm_query", query)
		params.Set("sysparm_fields", strings.Join(ks.fields, ","))
		params.Set("sysparm_limit", strconv.Itoa(window))
		params.Set("sysparm_suppress_pagination_header", "true")
		resp, err := c.do(ctx, request{op: ks.op, method: http.MethodGet, path: "/api/now/table/" + ks.table, endpoint: "/api/now/table/" + ks.table, query: params})
		if err != nil {
			return keysetPage{}, err
		}
		rows, err := decodeRows(resp.result)
		if err != nil {
			return keysetPage{}, fmt.Errorf("%s: %w", ks.op, err)
		}
		total := resp.total()
		p := keysetPage{serverTime: resp.serverTime()}
		if len(rows) > 0 {
			if len(rows) > limit {
				rows, p.more = rows[:limit], true
			}
			p.rows = rows
			// More rows matched than we saw (some may be hidden): ask again
			// from the last one. Without a count, a full window means more.
			p.more = p.more || total > len(rows) || (total < 0 && len(rows) >= window)
			return p, nil
		}
		if total >= 0 && total <= window || total < 0 {
			return p, nil // every match was in the window and hidden
		}
		if window >= MaxPageSize {
			return keysetPage{}, fmt.Errorf("%s: ServiceNow returned no visible row among %d matching rows: an ACL hides them from the integration user; narrow the scope query (SNOWDUTY_SERVICENOW_QUERY) to rows it may read", ks.op, window)
		}
		window = min(window*4, MaxPageSize)
	}
}
