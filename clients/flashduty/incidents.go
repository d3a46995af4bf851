package flashduty

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/snowduty/snowduty/clients/httpx"
)

// Paging and batching limits.
const (
	// ListWindow is the longest start-time window sent to /incident/list;
	// Flashduty allows 31 days, one is kept as margin.
	ListWindow = 30 * 24 * time.Hour
	pageLimit  = 100
	batchIDs   = 100
)

// ListQuery selects incidents by start time (Flashduty cannot select by
// update time) and filters.
type ListQuery struct {
	// Since and Until bound the incidents' start time. Since is required;
	// a zero Until means now. Any span is allowed: it is split into windows.
	Since, Until time.Time
	// ChannelIDs restricts to these channels (0 = standalone incidents).
	ChannelIDs []int64
	// Progress and Severity are comma-separated lists, e.g.
	// "Triggered,Processing".
	Progress, Severity string
	// Query is Flashduty's full-text search (title, labels, content, or an
	// exact id/num).
	Query string
}

type listRequest struct {
	StartTime      int64   `json:"start_time"`
	EndTime        int64   `json:"end_time"`
	ChannelIDs     []int64 `json:"channel_ids,omitempty"`
	Progress       string  `json:"progress,omitempty"`
	Severity       string  `json:"incident_severity,omitempty"`
	Query          string  `json:"query,omitempty"`
	Asc            bool    `json:"asc"`
	Limit          int     `json:"limit"`
	SearchAfterCtx string  `json:"search_after_ctx,omitempty"`
}

type listResponse struct {
	Items          []Incident `json:"items"`
	HasNextPage    bool       `json:"has_next_page"`
	SearchAfterCtx string     `json:"search_after_ctx"`
}

// List calls fn with each page of incidents that started in [Since, Until]
// and match the filters, oldest windows first. The span is split into
// windows of at most ListWindow; each window is paged with search_after_ctx
// while has_next_page (never total, which saturates at 1000). Each incident
// is passed once even where windows meet. An error from fn stops the
// listing and is returned as is.
func (c *Client) List(ctx context.Context, q ListQuery, fn func([]Incident) error) error {
	if q.Since.IsZero() {
		return errors.New("list incidents: Since is required (the start of the start-time range)")
	}
	until := q.Until
	if until.IsZero() {
		until = c.now()
	}
	if !until.After(q.Since) {
		return fmt.Errorf("list incidents: Until (%s) must be after Since (%s)", until.Format(time.RFC3339), q.Since.Format(time.RFC3339))
	}
	seen := map[string]bool{}
	for from := q.Since; from.Before(until); {
		to := from.Add(ListWindow)
		if to.After(until) {
			to = until
		}
		req := listRequest{StartTime: from.Unix(), EndTime: to.Unix(), ChannelIDs: q.ChannelIDs,
			Progress: q.Progress, Severity: q.Severity, Query: q.Query, Asc: true, Limit: pageLimit}
		if req.EndTime <= req.StartTime {
			req.EndTime = req.StartTime + 1
		}
		if err := c.listWindow(ctx, req, seen, fn); err != nil {
			return err
		}
		// The next window starts at this one's end second: whether the
		// server's bounds are inclusive is undocumented, and seen removes
		// the overlap.
		from = to
	}
	return nil
}

func (c *Client) listWindow(ctx context.Context, req listRequest, seen map[string]bool, fn func([]Incident) error) error {
	for {
		var page listResponse
		if err := c.call(ctx, "/incident/list", req, &page, idempotent); err != nil {
			return fmt.Errorf("list incidents: %w", err)
		}
		fresh := page.Items[:0]
		for _, inc := range page.Items {
			if !seen[inc.ID] {
				seen[inc.ID] = true
				fresh = append(fresh, inc)
			}
		}
		if len(fresh) > 0 {
			if err := fn(fresh); err != nil {
				return err
			}
		}
		if !page.HasNextPage {
			return nil
		}
		if page.SearchAfterCtx == "" || page.SearchAfterCtx == req.SearchAfterCtx || len(page.Items) == 0 {
			return fmt.Errorf("list incidents: %w", &Error{Endpoint: "/incident/list", Class: httpx.BadResponse,
				Message: "has_next_page is true but search_after_ctx is missing or did not move"})
		}
		req.SearchAfterCtx = page.SearchAfterCtx
	}
}

// ListByIDs re-reads incidents by id in batches of 100. Unknown or deleted
// ids are simply absent from the result. Duplicates and empty ids are
// dropped, and so is any answered incident whose id was not asked for: a
// lookup only ever returns exact matches.
func (c *Client) ListByIDs(ctx context.Context, ids []string) ([]Incident, error) {
	ids = slices.DeleteFunc(uniq(ids), func(id string) bool { return id == "" })
	out := make([]Incident, 0, len(ids))
	for batch := range slices.Chunk(ids, batchIDs) {
		var page listResponse
		if err := c.call(ctx, "/incident/list-by-ids", map[string][]string{"incident_ids": batch}, &page, idempotent); err != nil {
			return nil, fmt.Errorf("list incidents by id: %w", err)
		}
		for _, it := range page.Items {
			if it.ID != "" && slices.Contains(batch, it.ID) {
				out = append(out, it)
			}
		}
	}
	return out, nil
}

func uniq[T comparable](in []T) []T {
	seen := make(map[T]bool, len(in))
	out := make([]T, 0, len(in))
	for _, v := range in {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// Info reads one incident. An unknown id, answered either with data: null
// or with ResourceNotFound, is an *Error of class httpx.NotFound.
func (c *Client) Info(ctx context.Context, id string) (Incident, error) {
	if id == "" {
		return Incident{}, errors.New("read incident: the incident id is empty")
	}
	var raw json.RawMessage
	if err := c.call(ctx, "/incident/info", map[string]string{"incident_id": id}, &raw, idempotent); err != nil {
		return Incident{}, fmt.Errorf("read incident %s: %w", id, err)
	}
	if len(raw) == 0 || string(raw) == "null" {
		return Incident{}, fmt.Errorf("read incident %s: %w", id, &Error{Endpoint: "/incident/info", Class: httpx.NotFound,
			Status: 200, Message: "data is null: no such incident"})
	}
	var inc Incident
	if err := json.Unmarshal(raw, &inc); err != nil {
		return Incident{}, fmt.Errorf("read incident %s: %w", id, &Error{Endpoint: "/incident/info", Class: httpx.BadResponse, Status: 200, Message: "decode data: " + err.Error()})
	}
	if inc.ID == "" {
		return Incident{}, fmt.Errorf("read incident %s: %w", id, &Error{Endpoint: "/incident/info", Class: httpx.NotFound,
			Status: 200, Message: "data has no incident_id: no such incident"})
	}
	return inc, nil
}

// sameFeedItem reports whether two wire entries are the same entry.
func sameFeedItem(a, b wireFeedItem) bool {
	return a.RefID == b.RefID && a.Type == b.Type && a.CreatorID == b.CreatorID && a.CreatedAt == b.CreatedAt && bytes.Equal(a.Detail, b.Detail)
}

// maxFeedPages bounds one Feed call: 100,000 timeline entries is far beyond
// any real incident, so a server that never stops announcing another page
// cannot make the client page (and allocate) forever.
const maxFeedPages = 1000

// FeedQuery selects timeline entries of one incident.
type FeedQuery struct {
	IncidentID string
	// Types restricts the entry types, e.g. []string{FeedComment}; empty
	// means all.
	Types []string
	// Since skips entries created before it (millisecond precision); zero
	// reads the whole timeline.
	Since time.Time
}

type feedResponse struct {
	Items       []wireFeedItem `json:"items"`
	HasNextPage bool           `json:"has_next_page"`
}

// Feed returns the incident's timeline entries created at or after Since,
// oldest first. It reads newest first (asc: false, sent explicitly) and
// stops paging once it passes Since, so a poll costs one call when little
// happened. Entries at exactly Since are included: callers deduplicate.
func (c *Client) Feed(ctx context.Context, q FeedQuery) ([]FeedItem, error) {
	if q.IncidentID == "" {
		return nil, errors.New("read incident feed: the incident id is empty")
	}
	var out []FeedItem
	var prevLast wireFeedItem
	for p := 1; ; p++ {
		if p > maxFeedPages {
			return nil, fmt.Errorf("read incident feed %s: more than %d pages (%d entries): the server keeps announcing another page", q.IncidentID, maxFeedPages, len(out))
		}
		req := map[string]any{"incident_id": q.IncidentID, "asc": false, "p": p, "limit": pageLimit}
		if len(q.Types) > 0 {
			req["types"] = q.Types
		}
		var page feedResponse
		if err := c.call(ctx, "/incident/feed", req, &page, idempotent); err != nil {
			return nil, fmt.Errorf("read incident feed %s: %w", q.IncidentID, err)
		}
		if n := len(page.Items); n > 0 {
			last := page.Items[n-1]
			if p > 1 && sameFeedItem(last, prevLast) {
				return nil, fmt.Errorf("read incident feed %s: has_next_page is true but page %d repeats page %d", q.IncidentID, p, p-1)
			}
			prevLast = last
		}
		older := false
		for _, w := range page.Items {
			it := w.item()
			if !q.Since.IsZero() && it.CreatedAt.Before(q.Since.Truncate(time.Millisecond)) {
				older = true
				continue
			}
			out = append(out, it)
		}
		if older || !page.HasNextPage || len(page.Items) == 0 {
			break
		}
	}
	slices.Reverse(out)
	slices.SortStableFunc(out, func(a, b FeedItem) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}
