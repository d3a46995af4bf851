package fdsim

import (
	"slices"
	"sort"
	"strings"
)

// Limits of /incident/list (reference §4).
const (
	maxWindowSeconds = 31 * 24 * 3600
	maxTotal         = 1000
	maxOffset        = 10000
)

type listRequest struct {
	StartTime      int64    `json:"start_time"`
	EndTime        int64    `json:"end_time"`
	Progress       string   `json:"progress"`
	Severity       string   `json:"incident_severity"`
	ChannelIDs     []int64  `json:"channel_ids"`
	IncidentIDs    []string `json:"incident_ids"`
	CreatorIDs     []int64  `json:"creator_ids"`
	Nums           []string `json:"nums"`
	AckerIDs       []int64  `json:"acker_ids"`
	ResponderIDs   []int64  `json:"responder_ids"`
	TeamIDs        []int64  `json:"team_ids"`
	Query          string   `json:"query"`
	IsSnoozed      bool     `json:"is_snoozed"`
	Asc            bool     `json:"asc"`
	P              int      `json:"p"`
	Limit          int      `json:"limit"`
	SearchAfterCtx string   `json:"search_after_ctx"`
}

type listData struct {
	Items          []Incident `json:"items"`
	Total          int        `json:"total"`
	HasNextPage    bool       `json:"has_next_page"`
	SearchAfterCtx string     `json:"search_after_ctx,omitempty"`
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// matcher is the filter part of a list request.
type matcher struct {
	progress, severity []string
	channels           []int64
	ids                []string
	creators, ackers   []int64
	responders, teams  []int64
	nums               []string
	// teamOf maps channel ids to their team (for teams).
	teamOf  map[int64]int64
	query   string
	snoozed bool
	now     int64
}

func (m *matcher) match(inc *incident) bool {
	if len(m.progress) > 0 && !slices.Contains(m.progress, inc.Progress) {
		return false
	}
	if len(m.severity) > 0 && !slices.Contains(m.severity, inc.Severity) {
		return false
	}
	if len(m.channels) > 0 && !slices.Contains(m.channels, inc.ChannelID) {
		return false
	}
	if len(m.ids) > 0 && !slices.Contains(m.ids, inc.IncidentID) {
		return false
	}
	if len(m.creators) > 0 && !slices.Contains(m.creators, inc.CreatorID) {
		return false
	}
	if len(m.nums) > 0 && !slices.ContainsFunc(m.nums, func(n string) bool { return strings.EqualFold(strings.TrimSpace(n), inc.Num) }) {
		return false
	}
	if len(m.responders) > 0 && !slices.ContainsFunc(inc.Responders, func(r Responder) bool { return slices.Contains(m.responders, r.PersonID) }) {
		return false
	}
	if len(m.ackers) > 0 && !slices.ContainsFunc(inc.Responders, func(r Responder) bool {
		return r.AcknowledgedAt != 0 && slices.Contains(m.ackers, r.PersonID)
	}) {
		return false
	}
	if len(m.teams) > 0 {
		team, ok := m.teamOf[inc.ChannelID]
		if !ok || !slices.Contains(m.teams, team) {
			return false
		}
	}
	if m.snoozed && inc.SnoozedBefore <= m.now {
		return false
	}
	if m.query == "" || inc.IncidentID == m.query || inc.Num == strings.ToUpper(m.query) {
		return true
	}
	q := strings.ToLower(m.query)
	if strings.Contains(strings.ToLower(inc.Title), q) || strings.Contains(strings.ToLower(inc.Description), q) {
		return true
	}
	for k, v := range inc.Labels {
		if strings.Contains(strings.ToLower(k+"="+v), q) {
			return true
		}
	}
	return false
}

// apiList serves /incident/list: a required start-time window of at most 31
// days, sorted by start time (newest first unless asc), filtered, paged by
// search_after_ctx (the last id returned) or p, total capped at 1000.
func (s *Server) apiList(c *apiCall) (any, *apiError) {
	var req listRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.StartTime <= 0 || req.EndTime <= 0 {
		return nil, invalid("start_time and end_time are required (Unix seconds)")
	}
	if req.EndTime <= req.StartTime {
		return nil, invalid("end_time must be after start_time")
	}
	if req.EndTime-req.StartTime > maxWindowSeconds {
		return nil, invalid("the time range between start_time and end_time must not exceed 31 days")
	}
	if req.Limit == 0 {
		req.Limit = 20
	}
	if req.Limit < 0 || req.Limit > 100 {
		return nil, invalid("limit must be between 1 and 100, got %d", req.Limit)
	}
	if req.P <= 0 {
		req.P = 1
	}
	if req.SearchAfterCtx == "" && req.P*req.Limit > maxOffset {
		return nil, invalid("p*limit must not exceed %d; use search_after_ctx", maxOffset)
	}

	s.mu.Lock()
	m := matcher{progress: splitList(req.Progress), severity: splitList(req.Severity), channels: req.ChannelIDs,
		ids: req.IncidentIDs, creators: req.CreatorIDs, nums: req.Nums, ackers: req.AckerIDs, responders: req.ResponderIDs,
		teams: req.TeamIDs, query: strings.TrimSpace(req.Query), snoozed: req.IsSnoozed, now: s.now().Unix()}
	if len(req.TeamIDs) > 0 {
		m.teamOf = make(map[int64]int64, len(s.channels))
		for _, ch := range s.channels {
			m.teamOf[ch.ChannelID] = ch.TeamID
		}
	}
	lo := sort.Search(len(s.byStart), func(i int) bool { return s.byStart[i].StartTime >= req.StartTime })
	hi := sort.Search(len(s.byStart), func(i int) bool { return s.byStart[i].StartTime > req.EndTime })
	step, pos := 1, lo
	if !req.Asc {
		step, pos = -1, hi-1
	}
	skip := (req.P - 1) * req.Limit
	if req.SearchAfterCtx != "" {
		after, ok := s.incidents[req.SearchAfterCtx]
		if !ok {
			s.mu.Unlock()
			return nil, invalid("search_after_ctx is not valid")
		}
		at := sort.Search(len(s.byStart), func(i int) bool { return !less(s.byStart[i], after) })
		pos, skip = at+step, 0
	}
	var page []*incident
	more := false
	for i := pos; i >= lo && i < hi; i += step {
		inc := s.byStart[i]
		s.settle(inc)
		if !m.match(inc) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		if len(page) == req.Limit {
			more = true
			break
		}
		page = append(page, inc)
	}
	total := 0
	for i := lo; i < hi && total < maxTotal; i++ {
		if m.match(s.byStart[i]) {
			total++
		}
	}
	data := listData{Items: make([]Incident, 0, len(page)), Total: total, HasNextPage: more}
	for _, inc := range page {
		data.Items = append(data.Items, inc.clone())
	}
	s.mu.Unlock()
	if more && len(page) > 0 {
		data.SearchAfterCtx = page[len(page)-1].IncidentID
	}
	return data, nil
}

// apiListByIDs serves /incident/list-by-ids: no window, unknown ids are
// absent, at most 100 ids (the simulator's strictness: the real cap is
// undocumented).
func (s *Server) apiListByIDs(c *apiCall) (any, *apiError) {
	var req struct {
		IncidentIDs []string `json:"incident_ids"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if len(req.IncidentIDs) == 0 || len(req.IncidentIDs) > 100 {
		return nil, invalid("incident_ids must hold 1 to 100 ids, got %d", len(req.IncidentIDs))
	}
	s.mu.Lock()
	items := make([]Incident, 0, len(req.IncidentIDs))
	seen := make(map[string]bool, len(req.IncidentIDs))
	for _, id := range req.IncidentIDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		if inc, err := s.get(id); err == nil {
			items = append(items, inc.clone())
		}
	}
	s.mu.Unlock()
	return listData{Items: items, Total: len(items)}, nil
}

// apiInfo serves /incident/info by incident_id or num.
func (s *Server) apiInfo(c *apiCall) (any, *apiError) {
	var req struct {
		IncidentID string `json:"incident_id"`
		Num        string `json:"num"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.IncidentID == "" && req.Num == "" {
		return nil, invalid("incident_id or num is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := req.IncidentID
	if id == "" {
		for i := len(s.byStart) - 1; i >= 0; i-- {
			if s.byStart[i].Num == strings.ToUpper(req.Num) {
				id = s.byStart[i].IncidentID
				break
			}
		}
	}
	inc, err := s.get(id)
	if err != nil {
		if s.opts.InfoUnknownAsNull {
			return nullData{}, nil
		}
		return nil, err
	}
	return inc.clone(), nil
}

// nullData marshals as JSON null, for "data": null answers.
type nullData struct{}

func (nullData) MarshalJSON() ([]byte, error) { return []byte("null"), nil }

// incidentPage checks the paging of a request about one incident:
// incident_id is required, limit is 1 to 100 (20 when 0), p starts at 1.
func incidentPage(id string, p, limit *int) *apiError {
	if id == "" {
		return invalid("incident_id is required")
	}
	if *limit == 0 {
		*limit = 20
	}
	if *limit < 0 || *limit > 100 {
		return invalid("limit must be between 1 and 100, got %d", *limit)
	}
	if *p <= 0 {
		*p = 1
	}
	return nil
}

type feedRequest struct {
	IncidentID string   `json:"incident_id"`
	Types      []string `json:"types"`
	Asc        *bool    `json:"asc"`
	P          int      `json:"p"`
	Limit      int      `json:"limit"`
}

type feedData struct {
	Items       []FeedItem `json:"items"`
	HasNextPage bool       `json:"has_next_page"`
}

// apiFeed serves /incident/feed: newest first unless asc (the real default
// is undocumented), p/limit paging, millisecond times.
func (s *Server) apiFeed(c *apiCall) (any, *apiError) {
	var req feedRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if err := incidentPage(req.IncidentID, &req.P, &req.Limit); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	inc, err := s.get(req.IncidentID)
	if err != nil {
		return nil, err
	}
	asc := req.Asc != nil && *req.Asc
	skip := (req.P - 1) * req.Limit
	data := feedData{Items: []FeedItem{}}
	n := len(inc.feed)
	for k := range n {
		i := n - 1 - k
		if asc {
			i = k
		}
		it := inc.feed[i]
		if len(req.Types) > 0 && !slices.Contains(req.Types, it.Type) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		if len(data.Items) == req.Limit {
			data.HasNextPage = true
			break
		}
		data.Items = append(data.Items, it)
	}
	return data, nil
}

type alertListData struct {
	Items       []Alert `json:"items"`
	Total       int     `json:"total"`
	HasNextPage bool    `json:"has_next_page"`
}

// apiAlertList serves /incident/alert/list: the alerts of incident_id,
// is_active selecting active (true) or recovered (false) ones, p/limit
// paging (limit at most 100, default 20).
func (s *Server) apiAlertList(c *apiCall) (any, *apiError) {
	var req struct {
		IncidentID string `json:"incident_id"`
		IsActive   *bool  `json:"is_active"`
		P          int    `json:"p"`
		Limit      int    `json:"limit"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if err := incidentPage(req.IncidentID, &req.P, &req.Limit); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	inc, err := s.get(req.IncidentID)
	if err != nil {
		return nil, err
	}
	all := []Alert{}
	for _, a := range s.alerts(inc) {
		if req.IsActive == nil || *req.IsActive == (a.Progress != ProgressClosed) {
			all = append(all, a)
		}
	}
	from := min((req.P-1)*req.Limit, len(all))
	to := min(from+req.Limit, len(all))
	return alertListData{Items: append([]Alert{}, all[from:to]...), Total: len(all), HasNextPage: to < len(all)}, nil
}

// apiPastList serves /incident/past/list (similar past incidents of
// incident_id): the simulator finds no similarity, so the list is empty.
func (s *Server) apiPastList(c *apiCall) (any, *apiError) {
	var req struct {
		IncidentID string `json:"incident_id"`
		Limit      int    `json:"limit"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.IncidentID == "" {
		return nil, invalid("incident_id is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.get(req.IncidentID); err != nil {
		return nil, err
	}
	return struct {
		Items []Incident `json:"items"`
	}{Items: []Incident{}}, nil
}

// apiWebhookHistory serves /webhook/history/list: a window in
// milliseconds and a limit are required; the simulator sends no webhooks,
// so there is no history.
func (s *Server) apiWebhookHistory(c *apiCall) (any, *apiError) {
	var req struct {
		StartTime int64 `json:"start_time"`
		EndTime   int64 `json:"end_time"`
		Limit     int   `json:"limit"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.StartTime <= 0 || req.EndTime <= req.StartTime {
		return nil, invalid("start_time and end_time are required (Unix milliseconds) and end_time must be after start_time")
	}
	if req.Limit <= 0 || req.Limit > 100 {
		return nil, invalid("limit must be between 1 and 100, got %d", req.Limit)
	}
	return struct {
		Items          []any  `json:"items"`
		SearchAfterCtx string `json:"search_after_ctx"`
		Total          int    `json:"total"`
	}{Items: []any{}}, nil
}
