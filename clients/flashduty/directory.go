package flashduty

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Fields returns every custom field definition of the account (not paged).
func (c *Client) Fields(ctx context.Context) ([]FieldDef, error) {
	var out struct {
		Items []FieldDef `json:"items"`
	}
	if err := c.call(ctx, "/field/list", nil, &out, idempotent); err != nil {
		return nil, fmt.Errorf("list custom fields: %w", err)
	}
	return out.Items, nil
}

// Channels returns every channel the key's member can see.
func (c *Client) Channels(ctx context.Context) ([]Channel, error) {
	var all []Channel
	for p := 1; ; p++ {
		var page struct {
			Items       []Channel `json:"items"`
			HasNextPage bool      `json:"has_next_page"`
		}
		if err := c.call(ctx, "/channel/list", map[string]any{"p": p, "limit": pageLimit}, &page, idempotent); err != nil {
			return nil, fmt.Errorf("list channels: %w", err)
		}
		all = append(all, page.Items...)
		if !page.HasNextPage || len(page.Items) == 0 {
			return all, nil
		}
	}
}

// ChannelInfos returns id, name and status of the given channels (batches
// of 1000); unknown ids are absent.
func (c *Client) ChannelInfos(ctx context.Context, ids []int64) ([]Channel, error) {
	var out []Channel
	for batch := range slices.Chunk(uniq(ids), 1000) {
		var page struct {
			Items []Channel `json:"items"`
		}
		if err := c.call(ctx, "/channel/infos", map[string]any{"channel_ids": batch}, &page, idempotent); err != nil {
			return nil, fmt.Errorf("read channels: %w", err)
		}
		out = append(out, page.Items...)
	}
	return out, nil
}

// MemberInfo returns the app key owner's profile: its member_id and
// account_id identify the sync's own writes (see Member.IsSelf).
//
// /member/info needs a member-scoped key. An account-level key (one that
// acts as the account principal) is rejected with HTTP 400; the error then
// also matches ErrAccountKey, and AccountInfo tells who the key is.
func (c *Client) MemberInfo(ctx context.Context) (Member, error) {
	var m Member
	if err := c.call(ctx, "/member/info", nil, &m, idempotent); err != nil {
		if accountKeyRejection(err) {
			return Member{}, fmt.Errorf("read own member: %w: %w", ErrAccountKey, err)
		}
		return Member{}, fmt.Errorf("read own member: %w", err)
	}
	return m, nil
}

// AccountInfo returns the profile of the key's account (/account/info),
// which any valid key may read. It is the identity of an account-level key
// (see ErrAccountKey): that key's writes carry the account id as creator_id
// in the feed and as member_id in the audit log.
func (c *Client) AccountInfo(ctx context.Context) (Account, error) {
	var a Account
	if err := c.call(ctx, "/account/info", nil, &a, idempotent); err != nil {
		return Account{}, fmt.Errorf("read own account: %w", err)
	}
	return a, nil
}

// Identity reads who the app key acts as: its member (/member/info), or,
// for an account-level key, which /member/info refuses (ErrAccountKey), the
// account principal (/account/info). When /account/info then fails, the
// error matches ErrAccountKey and is classed (ClassOf) by that failure.
func (c *Client) Identity(ctx context.Context) (Identity, error) {
	m, err := c.MemberInfo(ctx)
	if err == nil {
		return Identity{PersonID: m.MemberID, Name: m.MemberName, AccountID: m.AccountID, AccountName: m.AccountName, TimeZone: m.AccountTimeZone}, nil
	}
	if !errors.Is(err, ErrAccountKey) {
		return Identity{}, err
	}
	a, aerr := c.AccountInfo(ctx)
	if aerr != nil {
		return Identity{}, fmt.Errorf("%w; reading who it is: %w", ErrAccountKey, aerr)
	}
	return Identity{AccountLevel: true, PersonID: a.AccountID, Name: a.AccountName, AccountID: a.AccountID, AccountName: a.AccountName, TimeZone: a.TimeZone}, nil
}

// PersonInfos returns names and emails of people (batches of 100); unknown
// ids are absent.
func (c *Client) PersonInfos(ctx context.Context, ids []int64) ([]Person, error) {
	var out []Person
	for batch := range slices.Chunk(uniq(ids), batchIDs) {
		var page struct {
			Items []Person `json:"items"`
		}
		if err := c.call(ctx, "/person/infos", map[string]any{"person_ids": batch}, &page, idempotent); err != nil {
			return nil, fmt.Errorf("read persons: %w", err)
		}
		out = append(out, page.Items...)
	}
	return out, nil
}

// AuditWindow is the longest window sent to /audit/search (90 days allowed).
const AuditWindow = 89 * 24 * time.Hour

// AuditQuery selects audit entries: writes by members and keys (never
// automatic system changes). It needs the Audit Read permission.
type AuditQuery struct {
	// Since is required; a zero Until means now.
	Since, Until time.Time
	// Operations restricts to these operation names, e.g.
	// "incident:write:acknowledge".
	Operations []string
	// PersonID restricts to one member (or the account id for the account
	// principal).
	PersonID int64
}

// AuditSearch calls fn with each page of audit entries in the window, as a
// cheap "which incidents were written since T" signal. Spans longer than
// AuditWindow are split.
func (c *Client) AuditSearch(ctx context.Context, q AuditQuery, fn func([]AuditDoc) error) error {
	if q.Since.IsZero() {
		return errors.New("search audit log: Since is required")
	}
	until := q.Until
	if until.IsZero() {
		until = c.now()
	}
	seen := map[string]bool{}
	for from := q.Since; from.Before(until); {
		to := from.Add(AuditWindow)
		if to.After(until) {
			to = until
		}
		cursor := ""
		for {
			req := map[string]any{"start_time": from.Unix(), "end_time": max(to.Unix(), from.Unix()+1), "limit": 99, "is_write": true}
			if len(q.Operations) > 0 {
				req["operations"] = q.Operations
			}
			if q.PersonID != 0 {
				req["person_id"] = q.PersonID
			}
			if cursor != "" {
				req["search_after_ctx"] = cursor
			}
			var page struct {
				Docs           []wireAuditDoc `json:"docs"`
				SearchAfterCtx string         `json:"search_after_ctx"`
			}
			if err := c.call(ctx, "/audit/search", req, &page, idempotent); err != nil {
				return fmt.Errorf("search audit log: %w", err)
			}
			docs := make([]AuditDoc, 0, len(page.Docs))
			for _, d := range page.Docs {
				// Windows share their boundary second; drop what was seen.
				if key := fmt.Sprint(d.RequestID, d.CreatedAt, d.Operation); !seen[key] {
					seen[key] = true
					docs = append(docs, d.doc())
				}
			}
			if len(docs) > 0 {
				if err := fn(docs); err != nil {
					return err
				}
			}
			if page.SearchAfterCtx == "" || page.SearchAfterCtx == cursor || len(page.Docs) == 0 {
				break
			}
			cursor = page.SearchAfterCtx
		}
		from = to
	}
	return nil
}
