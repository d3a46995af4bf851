package snowsim

import "net/http"

// urlTooLong reports whether r's URL (path and query, as sent) is longer
// than the simulated web tier accepts (Options.MaxURLLength).
func (s *Server) urlTooLong(r *http.Request) bool {
	limit := s.opts.MaxURLLength
	if limit == 0 {
		limit = DefaultMaxURLLength
	}
	if limit < 0 {
		return false
	}
	uri := r.RequestURI
	if uri == "" {
		uri = r.URL.RequestURI()
	}
	return len(uri) > limit
}

// uriTooLongPage is what a web tier in front of an instance answers to an
// over-long URL: HTML, not the Table API's JSON error envelope (PySNC
// test_nonjson_error, issue #18).
const uriTooLongPage = `<html>
<head><title>414 Request-URI Too Large</title></head>
<body>
<center><h1>414 Request-URI Too Large</h1></center>
<hr><center>ServiceNow</center>
</body>
</html>
`

func writeURITooLong(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(http.StatusRequestURITooLong)
	_, _ = w.Write([]byte(uriTooLongPage))
}

// fromDisplayValues is sysparm_input_display_value=true on a write: a
// choice given by its label becomes its value ("In Progress" → "2") and a
// reference given by its display value becomes the sys_id ("Service Desk"
// → the group's sys_id). A value that is neither is kept as given (a
// choice value or sys_id still works). The caller holds s.mu.
func (s *Server) fromDisplayValues(t *table, in map[string]string) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[k] = v
		col, ok := t.schema.col(k)
		if !ok || v == "" {
			continue
		}
		switch col.kind {
		case kChoice:
			for _, cv := range choiceList[col.name] {
				if t.name == "incident" && cv[1] == v {
					out[k] = cv[0]
					break
				}
			}
		case kReference:
			if id, ok := s.refByDisplay(col.ref, v); ok {
				out[k] = id
			}
		}
	}
	return out
}

// refByDisplay finds the sys_id of the row of tbl whose display value is
// display (sys_user name, sys_user_group name, incident number); the
// first by sys_id wins when several share it.
func (s *Server) refByDisplay(tbl, display string) (string, bool) {
	t := s.tables[tbl]
	if t == nil {
		return "", false
	}
	if t.rows[display] != nil {
		return display, true
	}
	col := "name"
	if tbl == "incident" {
		col = "number"
	}
	best := ""
	for id, r := range t.rows {
		if r.f[col] == display && (best == "" || id < best) {
			best = id
		}
	}
	return best, best != ""
}
