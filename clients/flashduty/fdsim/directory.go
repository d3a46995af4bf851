package fdsim

import (
	"slices"
	"strconv"
	"strings"
)

// The account-level endpoints: custom fields, channels, members, persons
// and the audit log.

type itemsData[T any] struct {
	Items       []T  `json:"items"`
	Total       int  `json:"total,omitempty"`
	HasNextPage bool `json:"has_next_page,omitempty"`
}

func (s *Server) apiFieldList(c *apiCall) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	items := make([]Field, 0, len(s.fields))
	for _, f := range s.fields {
		if f.Status != "deleted" {
			items = append(items, f)
		}
	}
	return itemsData[Field]{Items: items}, nil
}

func (s *Server) apiFieldInfo(c *apiCall) (any, *apiError) {
	var req struct {
		FieldID string `json:"field_id"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.fields, func(f Field) bool { return f.FieldID == req.FieldID })
	if i < 0 {
		return nil, notFound()
	}
	return s.fields[i], nil
}

func (s *Server) apiChannelList(c *apiCall) (any, *apiError) {
	var req struct {
		P     int    `json:"p"`
		Limit int    `json:"limit"`
		Query string `json:"query"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.Limit == 0 {
		req.Limit = 100
	}
	if req.Limit < 0 || req.Limit > 100 {
		return nil, invalid("limit must be between 1 and 100, got %d", req.Limit)
	}
	if req.P <= 0 {
		req.P = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []Channel
	for _, ch := range s.channels {
		if req.Query == "" || strings.Contains(strings.ToLower(ch.ChannelName), strings.ToLower(req.Query)) {
			all = append(all, ch)
		}
	}
	from := min((req.P-1)*req.Limit, len(all))
	to := min(from+req.Limit, len(all))
	return itemsData[Channel]{Items: append([]Channel{}, all[from:to]...), Total: len(all), HasNextPage: to < len(all)}, nil
}

func (s *Server) apiChannelInfo(c *apiCall) (any, *apiError) {
	var req struct {
		ChannelID int64 `json:"channel_id"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.channels, func(ch Channel) bool { return ch.ChannelID == req.ChannelID })
	if i < 0 {
		return nil, notFound()
	}
	return s.channels[i], nil
}

func (s *Server) apiChannelInfos(c *apiCall) (any, *apiError) {
	var req struct {
		ChannelIDs []int64 `json:"channel_ids"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if len(req.ChannelIDs) == 0 || len(req.ChannelIDs) > 1000 {
		return nil, invalid("channel_ids must hold 1 to 1000 ids, got %d", len(req.ChannelIDs))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	type brief struct {
		ChannelID   int64  `json:"channel_id"`
		ChannelName string `json:"channel_name"`
		Status      string `json:"status"`
	}
	items := []brief{}
	for _, ch := range s.channels {
		if slices.Contains(req.ChannelIDs, ch.ChannelID) {
			items = append(items, brief{ch.ChannelID, ch.ChannelName, ch.Status})
		}
	}
	return itemsData[brief]{Items: items}, nil
}

func (s *Server) apiMemberInfo(*apiCall) (any, *apiError) {
	m := s.opts.KeyMember
	return map[string]any{
		"member_id": m.MemberID, "member_name": m.Name, "email": m.Email,
		"account_id": s.opts.AccountID, "account_name": s.opts.AccountName,
		"account_time_zone": "UTC", "time_zone": "UTC", "locale": "en-US",
	}, nil
}

type person struct {
	AccountID  int64  `json:"account_id"`
	PersonID   int64  `json:"person_id"`
	PersonName string `json:"person_name"`
	Email      string `json:"email"`
	As         string `json:"as"`
	Status     string `json:"status"`
}

func (s *Server) apiPersonInfos(c *apiCall) (any, *apiError) {
	var req struct {
		PersonIDs []int64 `json:"person_ids"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if len(req.PersonIDs) == 0 {
		return nil, invalid("person_ids is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	items := []person{}
	for _, id := range req.PersonIDs {
		if m, ok := s.members[id]; ok {
			items = append(items, person{s.opts.AccountID, m.MemberID, m.Name, m.Email, "member", "enabled"})
		}
	}
	return itemsData[person]{Items: items}, nil
}

type auditRequest struct {
	StartTime      int64    `json:"start_time"`
	EndTime        int64    `json:"end_time"`
	Limit          int      `json:"limit"`
	Operations     []string `json:"operations"`
	PersonID       int64    `json:"person_id"`
	IsWrite        *bool    `json:"is_write"`
	SearchAfterCtx string   `json:"search_after_ctx"`
}

type auditData struct {
	Total          int        `json:"total"`
	SearchAfterCtx string     `json:"search_after_ctx"`
	Docs           []AuditDoc `json:"docs"`
}

// apiAuditSearch serves /audit/search: a window in seconds of at most 90
// days, newest first, limit ≤ 99, an opaque cursor that is empty when done.
func (s *Server) apiAuditSearch(c *apiCall) (any, *apiError) {
	var req auditRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.StartTime <= 0 || req.EndTime <= req.StartTime {
		return nil, invalid("start_time and end_time are required (Unix seconds) and end_time must be after start_time")
	}
	if req.EndTime-req.StartTime > 90*24*3600 {
		return nil, invalid("the time range must not exceed 90 days")
	}
	if req.Limit == 0 {
		req.Limit = 20
	}
	if req.Limit < 0 || req.Limit > 99 {
		return nil, invalid("limit must be between 1 and 99, got %d", req.Limit)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	start := len(s.audit) - 1
	if req.SearchAfterCtx != "" {
		n, err := strconv.Atoi(req.SearchAfterCtx)
		if err != nil || n < 0 || n > len(s.audit) {
			return nil, invalid("search_after_ctx is not valid")
		}
		start = n - 1
	}
	data := auditData{Docs: []AuditDoc{}}
	for i := start; i >= 0; i-- {
		d := s.audit[i]
		sec := d.CreatedAt / 1000
		if sec < req.StartTime || sec > req.EndTime ||
			(len(req.Operations) > 0 && !slices.Contains(req.Operations, d.Operation)) ||
			(req.PersonID != 0 && d.MemberID != req.PersonID) ||
			(req.IsWrite != nil && d.IsWrite != *req.IsWrite) {
			continue
		}
		if len(data.Docs) == req.Limit {
			data.SearchAfterCtx = strconv.Itoa(i + 1)
			break
		}
		data.Docs = append(data.Docs, d)
		data.Total++
	}
	return data, nil
}
