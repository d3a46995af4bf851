package fdsim

import (
	"net/http"
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
		P           int     `json:"p"`
		Limit       int     `json:"limit"`
		Query       string  `json:"query"`
		ChannelName string  `json:"channel_name"`
		ChannelIDs  []int64 `json:"channel_ids"`
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
		if (req.Query == "" || strings.Contains(strings.ToLower(ch.ChannelName), strings.ToLower(req.Query))) &&
			(req.ChannelName == "" || ch.ChannelName == req.ChannelName) &&
			(len(req.ChannelIDs) == 0 || slices.Contains(req.ChannelIDs, ch.ChannelID)) {
			all = append(all, ch)
		}
	}
	from := min((req.P-1)*req.Limit, len(all))
	to := min(from+req.Limit, len(all))
	return channelListData{Items: append([]Channel{}, all[from:to]...), Total: len(all), HasNextPage: to < len(all)}, nil
}

// channelListData is the /channel/list answer: total and has_next_page are
// always present (vendor-clients fact 6).
type channelListData struct {
	Items       []Channel `json:"items"`
	Total       int       `json:"total"`
	HasNextPage bool      `json:"has_next_page"`
}

// apiTeamInfos serves /team/infos: the teams among team_ids (unknown ids
// are absent), as the official SDK resolves channel team names.
func (s *Server) apiTeamInfos(c *apiCall) (any, *apiError) {
	var req struct {
		TeamIDs []int64 `json:"team_ids"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if len(req.TeamIDs) == 0 {
		return nil, invalid("team_ids is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	items := []Team{}
	for _, t := range s.teams {
		if slices.Contains(req.TeamIDs, t.TeamID) {
			items = append(items, t)
		}
	}
	return itemsData[Team]{Items: items}, nil
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

// accountKeyMessage is the message /member/info answers an account-level
// key with. The vendor documents only the HTTP 400 (go-flashduty's
// MemberInfo: "calls authenticated as the account principal (e.g. an
// account-level app key) are rejected with a 400"), not the code or the
// text: the simulator answers InvalidParameter, the generic validation 400
// of the spec's BadRequest response, with a message of its own.
const accountKeyMessage = "This operation requires a member-scoped credential; the app key acts as the account principal, which has no member profile (use /account/info)."

// apiMemberInfo serves /member/info: the profile of the key's member. An
// account-level key is refused with HTTP 400 (see accountKeyMessage).
func (s *Server) apiMemberInfo(c *apiCall) (any, *apiError) {
	if c.account {
		return nil, &apiError{Status: http.StatusBadRequest, Code: "InvalidParameter", Message: accountKeyMessage}
	}
	m := s.opts.KeyMember
	return map[string]any{
		"member_id": m.MemberID, "member_name": m.Name, "email": m.Email,
		"account_id": s.opts.AccountID, "account_name": s.opts.AccountName,
		"account_time_zone": accountTimeZone, "time_zone": accountTimeZone, "locale": accountLocale,
		// The optional keys of the spec's member profile (vendor-clients
		// fact 7), with the account's values and a profile of its own.
		"status": "enabled", "account_role_ids": []int64{}, "account_locale": accountLocale,
		"domain": domainOf(s.opts.AccountName), "phone": "", "avatar": "", "email_verified": true,
		"phone_verified": false, "is_external": false, "country_code": accountCountry,
		"account_email": accountEmail, "account_avatar": "",
	}, nil
}

// accountEmail is the simulated account's contact email; accountCreatedAt
// its creation time (Unix seconds, the documented example's).
const (
	accountEmail     = "owner@example.com"
	accountCreatedAt = int64(1701399971)
	accountLocale    = "en-US"
	accountTimeZone  = "UTC"
	accountCountry   = "US"
)

// accountInfo is the /account/info answer (spec AccountInfo; mp_account_id,
// mp_plat and restrictions are present only for marketplace accounts and
// configured restrictions, so the simulator leaves them out).
type accountInfo struct {
	AccountID    int64    `json:"account_id"`
	AccountName  string   `json:"account_name"`
	Avatar       string   `json:"avatar"`
	CountryCode  string   `json:"country_code"`
	CreatedAt    int64    `json:"created_at"`
	Domain       string   `json:"domain"`
	Email        string   `json:"email"`
	ExtraDomains []string `json:"extra_domains"`
	Locale       string   `json:"locale"`
	Phone        string   `json:"phone"`
	TimeZone     string   `json:"time_zone"`
}

// apiAccountInfo serves /account/info: the account's profile, for every
// valid key (member-level or account-level).
func (s *Server) apiAccountInfo(*apiCall) (any, *apiError) {
	return accountInfo{
		AccountID: s.opts.AccountID, AccountName: s.opts.AccountName, Avatar: "", CountryCode: accountCountry,
		CreatedAt: accountCreatedAt, Domain: domainOf(s.opts.AccountName), Email: accountEmail,
		ExtraDomains: []string{}, Locale: accountLocale, Phone: "", TimeZone: accountTimeZone,
	}, nil
}

// domainOf derives a login subdomain from an account name: "Acme Corp" →
// "acme".
func domainOf(name string) string {
	first, _, _ := strings.Cut(strings.TrimSpace(strings.ToLower(name)), " ")
	d := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return -1
	}, first)
	if d == "" {
		return "account"
	}
	return d
}

type person struct {
	AccountID     int64  `json:"account_id"`
	PersonID      int64  `json:"person_id"`
	PersonName    string `json:"person_name"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
	PhoneVerified bool   `json:"phone_verified"`
	As            string `json:"as"`
	Status        string `json:"status"`
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
			as := "member"
			if id == s.opts.AccountID {
				as = "account"
			}
			items = append(items, person{AccountID: s.opts.AccountID, PersonID: m.MemberID, PersonName: m.Name, Email: m.Email,
				EmailVerified: true, PhoneVerified: false, As: as, Status: "enabled"})
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
