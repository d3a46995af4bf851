package snowsim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// DefaultLimit is sysparm_limit when a request gives none.
const DefaultLimit = 10000

// maxBody mirrors glide.rest.max_content_length.
const maxBody = 10 << 20

// apiError is a Table API error answer.
type apiError struct {
	status          int
	message, detail string
}

func writeError(w http.ResponseWriter, status int, message, detail string) {
	var d any = detail
	if detail == "" {
		d = nil
	}
	writeJSON(w, status, map[string]any{"error": map[string]any{"message": message, "detail": d}, "status": "failure"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"message":"encode response","detail":null},"status":"failure"}`)
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

var errNoRecord = &apiError{http.StatusNotFound, "No Record found", "Record doesn't exist or ACL restricts the record retrieval"}

// tablePath splits /api/now[/v1|/v2]/table/{table}[/{sys_id}].
func tablePath(p string) (version, tbl, id string, ok bool) {
	rest := strings.TrimPrefix(p, "/api/now/")
	if v, r, found := strings.Cut(rest, "/"); found && (v == "v1" || v == "v2") {
		version, rest = v, r
	}
	rest, ok = strings.CutPrefix(rest, "table/")
	if !ok {
		return "", "", "", false
	}
	tbl, id, _ = strings.Cut(rest, "/")
	if tbl == "" || strings.Contains(id, "/") {
		return "", "", "", false
	}
	return version, tbl, id, true
}

func (s *Server) serveTable(w http.ResponseWriter, r *http.Request, partial bool) {
	version, tblName, id, ok := tablePath(r.URL.Path)
	if !ok {
		writeError(w, http.StatusBadRequest, "Requested URI does not represent any resource", "")
		return
	}
	var body map[string]string
	if r.Method == http.MethodPost || r.Method == http.MethodPatch || r.Method == http.MethodPut {
		var aerr *apiError
		if body, aerr = readBody(r); aerr != nil {
			writeError(w, aerr.status, aerr.message, aerr.detail)
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	user, ok := s.authenticate(r)
	if !ok {
		write401(w)
		return
	}
	s.autoClose()
	t := s.tables[tblName]
	if t == nil {
		writeError(w, http.StatusBadRequest, "Invalid table "+tblName, "Table "+tblName+" does not exist")
		return
	}
	v := s.viewFor(r, user)
	v.version = version
	if body != nil && strings.EqualFold(r.URL.Query().Get("sysparm_input_display_value"), "true") {
		body = s.fromDisplayValues(t, body)
	}
	read := r.Method == http.MethodGet || r.Method == http.MethodHead
	switch deny := s.deniedTables[tblName]; {
	case read && !user.Admin && deny == DenyForbidden:
		writeError(w, http.StatusForbidden, "Insufficient rights to query records", "User Not Authorized")
		return
	case read && !user.Admin && deny == DenyRows && id == "":
		w.Header().Set("X-Total-Count", "0")
		s.writeResult(w, http.StatusOK, []any{}, partial)
		return
	case read && !user.Admin && deny == DenyRows:
		writeError(w, errNoRecord.status, errNoRecord.message, errNoRecord.detail)
		return
	}
	switch {
	case (r.Method == http.MethodGet || r.Method == http.MethodHead) && id == "":
		s.list(w, r, t, v, version, partial)
	case (r.Method == http.MethodGet || r.Method == http.MethodHead) && id != "":
		rec := t.rows[id]
		if rec == nil || (t.hidden[id] && !user.Admin) {
			writeError(w, errNoRecord.status, errNoRecord.message, errNoRecord.detail)
			return
		}
		s.writeResult(w, http.StatusOK, s.render(t, rec, v), partial)
	case r.Method == http.MethodPost && id == "":
		s.create(w, r, t, v, body)
	case (r.Method == http.MethodPatch || r.Method == http.MethodPut) && id != "":
		s.update(w, r, t, v, id, body)
	case r.Method == http.MethodDelete && id != "":
		s.delete(w, t, user, id)
	default:
		writeError(w, http.StatusMethodNotAllowed, "Method not Supported", r.Method+" is not supported for this resource")
	}
}

func readBody(r *http.Request) (map[string]string, *apiError) {
	if r.ContentLength > maxBody {
		return nil, &apiError{http.StatusBadRequest, "Exception while reading request",
			fmt.Sprintf("Rejected large REST payload with content-length = %d bytes. Max allowed: %d bytes.", r.ContentLength, maxBody)}
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, &apiError{http.StatusBadRequest, "Exception while reading request", err.Error()}
	}
	var in map[string]any
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, &apiError{http.StatusBadRequest, "Exception while reading request", "Invalid payload: " + err.Error()}
	}
	out := make(map[string]string, len(in))
	for k, v := range in {
		switch x := v.(type) {
		case string:
			out[k] = x
		case nil:
			out[k] = ""
		case bool, float64:
			out[k] = fmt.Sprint(x)
		case map[string]any:
			if s, ok := x["value"].(string); ok {
				out[k] = s
			}
		}
	}
	return out, nil
}

func (s *Server) viewFor(r *http.Request, u *User) view {
	q := r.URL.Query()
	v := view{display: strings.ToLower(q.Get("sysparm_display_value")), excludeLinks: strings.EqualFold(q.Get("sysparm_exclude_reference_link"), "true"), user: u, loc: userLocation(u)}
	if v.display != "true" && v.display != "all" {
		v.display = "false"
	}
	if f := q.Get("sysparm_fields"); f != "" {
		for _, name := range strings.Split(f, ",") {
			v.fields = append(v.fields, strings.TrimSpace(name))
		}
	}
	scheme := "https"
	if r.TLS == nil {
		scheme = "http"
	}
	v.base = scheme + "://" + r.Host
	return v
}

func (s *Server) writeResult(w http.ResponseWriter, status int, result any, partial bool) {
	if partial {
		writePartial(w, result)
		return
	}
	writeJSON(w, status, map[string]any{"result": result})
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, t *table, v view, version string, partial bool) {
	q := r.URL.Query()
	enc := q.Get("sysparm_query")
	if enc == "" {
		// name=value pairs are the alternative to sysparm_query.
		var parts []string
		for k, vals := range q {
			if !strings.HasPrefix(k, "sysparm_") && len(vals) > 0 {
				parts = append(parts, k+"="+vals[0])
			}
		}
		enc = strings.Join(parts, "^")
	}
	c := s.compile(t, ParseQuery(enc), queryEnv{user: v.user, loc: v.loc})
	for _, f := range c.fields {
		if s.hiddenFields[t.name+"."+f] && !v.user.Admin {
			writeError(w, http.StatusForbidden, "Insufficient rights to query records", "Field(s) present in the query do not have permission to be read")
			return
		}
	}
	limit, err := strconv.Atoi(q.Get("sysparm_limit"))
	if err != nil || limit <= 0 {
		limit = DefaultLimit
	}
	offset, err := strconv.Atoi(q.Get("sysparm_offset"))
	if err != nil || offset < 0 {
		offset = 0
	}
	var rows []*record
	if !(c.invalid && s.opts.InvalidQueryReturnsNoRows) {
		rows = t.selectRows(c)
	}
	total := len(rows)
	page := rows[min(offset, total):min(offset+limit, total)]
	// sysparm_limit applies before the row ACL: a page can come back short
	// or empty although more rows follow.
	result := make([]any, 0, len(page))
	for _, rec := range page {
		if t.hidden[rec.f["sys_id"]] && !v.user.Admin {
			continue
		}
		result = append(result, s.render(t, rec, v))
	}
	if version == "v1" && len(result) == 0 {
		writeError(w, http.StatusNotFound, "No Record found", "Records matching query not found. Check query parameter or offset parameter")
		return
	}
	if !strings.EqualFold(q.Get("sysparm_no_count"), "true") {
		w.Header().Set("X-Total-Count", strconv.Itoa(total))
	}
	if !strings.EqualFold(q.Get("sysparm_suppress_pagination_header"), "true") && (offset > 0 || total > limit) {
		w.Header().Set("Link", linkHeader(v.base+r.URL.Path, r.URL.RawQuery, offset, limit, total))
	}
	if partial {
		writePartial(w, result[:len(result)/2])
		return
	}
	if r.Method == http.MethodHead {
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"result": result})
}

// linkHeader builds the Link header in the format real instances send:
// the request's parameters in their order, minus offset and limit, then
// sysparm_offset and sysparm_limit; entries joined by "," with no space;
// sysparm_query re-encoded (","→%2C), other values left readable.
func linkHeader(base, rawQuery string, offset, limit, total int) string {
	var kept []string
	for _, kv := range strings.Split(rawQuery, "&") {
		if kv == "" {
			continue
		}
		k, val, _ := strings.Cut(kv, "=")
		key, _ := url.QueryUnescape(k)
		if key == "sysparm_offset" || key == "sysparm_limit" {
			continue
		}
		dec, err := url.QueryUnescape(val)
		if err != nil {
			dec = val
		}
		if key == "sysparm_query" {
			kept = append(kept, key+"="+url.QueryEscape(dec))
		} else {
			kept = append(kept, key+"="+strings.ReplaceAll(url.QueryEscape(dec), "%2C", ","))
		}
	}
	prefix := base + "?"
	if len(kept) > 0 {
		prefix += strings.Join(kept, "&") + "&"
	}
	entry := func(off int, rel string) string {
		return fmt.Sprintf("<%ssysparm_offset=%d&sysparm_limit=%d>;rel=%q", prefix, off, limit, rel)
	}
	links := []string{entry(0, "first")}
	if offset > 0 {
		links = append(links, entry(max(offset-limit, 0), "prev"))
	}
	if offset+limit < total {
		links = append(links, entry(offset+limit, "next"))
	}
	last := 0
	if total > 0 {
		last = (total - 1) / limit * limit
	}
	links = append(links, entry(last, "last"))
	return strings.Join(links, ",")
}

func (s *Server) create(w http.ResponseWriter, r *http.Request, t *table, v view, body map[string]string) {
	if t.name != "incident" {
		writeError(w, http.StatusForbidden, "Operation Failed", "ACL Exception Insert Failed due to security constraints")
		return
	}
	rec, aerr := s.createIncident(v.user, body)
	if aerr != nil {
		writeError(w, aerr.status, aerr.message, aerr.detail)
		return
	}
	w.Header().Set("Location", v.base+"/api/now/table/incident/"+rec.f["sys_id"])
	if strings.EqualFold(r.Header.Get("X-no-response-body"), "true") {
		w.WriteHeader(http.StatusCreated)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"result": s.render(t, rec, v)})
}

func (s *Server) update(w http.ResponseWriter, r *http.Request, t *table, v view, id string, body map[string]string) {
	rec := t.rows[id]
	if rec == nil || (t.hidden[id] && !v.user.Admin) {
		writeError(w, errNoRecord.status, errNoRecord.message, errNoRecord.detail)
		return
	}
	if t.name != "incident" {
		writeError(w, http.StatusForbidden, "Operation Failed", "ACL Exception Update Failed due to security constraints")
		return
	}
	if aerr := s.updateIncident(v.user, rec, body, true); aerr != nil {
		writeError(w, aerr.status, aerr.message, aerr.detail)
		return
	}
	if strings.EqualFold(r.Header.Get("X-no-response-body"), "true") {
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"result": s.render(t, rec, v)})
}

func (s *Server) delete(w http.ResponseWriter, t *table, u *User, id string) {
	rec := t.rows[id]
	if rec == nil || (t.hidden[id] && !u.Admin) {
		writeError(w, errNoRecord.status, errNoRecord.message, errNoRecord.detail)
		return
	}
	if t.name != "incident" {
		writeError(w, http.StatusForbidden, "Operation Failed", "ACL Exception Delete Failed due to security constraints")
		return
	}
	t.remove(rec)
	delete(s.resolved, id)
	w.WriteHeader(http.StatusNoContent)
}
