package snowsim

import (
	"strconv"
	"time"
)

// seedReferenceData fills sys_user, sys_user_group, sys_dictionary and
// sys_choice. The caller holds s.mu (or owns s).
func (s *Server) seedReferenceData() {
	ts := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Format(internalLayout)
	sys := func(f map[string]string) map[string]string {
		f["sys_created_on"], f["sys_updated_on"] = ts, ts
		f["sys_created_by"], f["sys_updated_by"] = "admin", "admin"
		f["sys_mod_count"] = "0"
		if f["sys_id"] == "" {
			f["sys_id"] = s.newSysID()
		}
		return f
	}
	for i := range s.opts.Users {
		u := s.opts.Users[i]
		s.users[u.UserName], s.usersByID[u.SysID] = &u, &u
		first, last := u.Name, ""
		for j := range len(u.Name) {
			if u.Name[j] == ' ' {
				first, last = u.Name[:j], u.Name[j+1:]
				break
			}
		}
		s.insert("sys_user", sys(map[string]string{
			"sys_id": u.SysID, "user_name": u.UserName, "name": u.Name, "first_name": first, "last_name": last,
			"email": u.Email, "time_zone": u.TimeZone, "date_format": u.DateFormat, "active": "true",
		}))
	}
	s.insert("sys_user_group", sys(map[string]string{"sys_id": ServiceDeskGroup, "name": "Service Desk", "description": "First line support"}))
	for _, col := range s.tables["incident"].schema.cols {
		ref := col.ref
		if col.kind != kReference {
			ref = ""
		}
		s.insert("sys_dictionary", sys(map[string]string{
			"name": col.owner, "element": col.name, "column_label": col.label, "internal_type": col.kind.internalType(),
			"max_length": strconv.Itoa(col.maxLen), "mandatory": "false", "reference": ref, "active": "true", "read_only": "false",
		}))
	}
	for _, tbl := range []string{"task", "incident"} {
		s.insert("sys_dictionary", sys(map[string]string{
			"name": tbl, "element": "", "column_label": labelOf(tbl), "internal_type": "collection",
			"max_length": "40", "mandatory": "false", "reference": "", "active": "true", "read_only": "false",
		}))
	}
	for _, col := range s.tables["incident"].schema.cols {
		for i, cv := range choiceList[col.name] {
			s.insert("sys_choice", sys(map[string]string{
				"name": "incident", "element": col.name, "value": cv[0], "label": cv[1], "sequence": strconv.Itoa(i + 1),
				"inactive": "false", "language": "en", "dependent_value": "",
			}))
		}
	}
}

// insert adds a row to a table. The caller holds s.mu.
func (s *Server) insert(tbl string, f map[string]string) *record {
	s.seq++
	r := &record{seq: s.seq, f: f}
	s.tables[tbl].insert(r)
	return r
}
