package snowsim

import "strconv"

// AddReferenceSchema adds what a real instance's schema tables hold and
// the simulator does not seed by itself: the sys_dictionary rows of the
// tables that incident's reference columns point to and the simulator
// keeps (sys_user, sys_user_group), and sys_db_object, the table
// hierarchy (incident extends task; the others extend nothing), so that a
// dot-walk such as assignment_group.name can be resolved column by column
// the way a client resolves it on a real instance. It is idempotent; Reset
// removes it again.
//
// The other tables incident's reference columns point to (cmdb_ci,
// core_company, problem…) are not simulated and have no dictionary rows.
func (s *Server) AddReferenceSchema() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addReferenceSchema()
}

// addReferenceSchema is AddReferenceSchema; the caller holds s.mu.
func (s *Server) addReferenceSchema() {
	if s.tables["sys_db_object"] != nil {
		return
	}
	ts := "2020-01-01 00:00:00"
	sys := func(f map[string]string) map[string]string {
		f["sys_created_on"], f["sys_updated_on"] = ts, ts
		f["sys_created_by"], f["sys_updated_by"] = "admin", "admin"
		f["sys_mod_count"] = "0"
		if f["sys_id"] == "" {
			f["sys_id"] = s.newSysID()
		}
		return f
	}
	for _, tbl := range []string{"sys_user", "sys_user_group"} {
		for _, col := range s.tables[tbl].schema.cols {
			ref := ""
			if col.kind == kReference {
				ref = col.ref
			}
			s.insert("sys_dictionary", sys(map[string]string{
				"name": tbl, "element": col.name, "column_label": col.label, "internal_type": col.kind.internalType(),
				"max_length": strconv.Itoa(col.maxLen), "mandatory": "false", "reference": ref, "active": "true", "read_only": "false",
			}))
		}
		s.insert("sys_dictionary", sys(map[string]string{
			"name": tbl, "element": "", "column_label": labelOf(tbl), "internal_type": "collection",
			"max_length": "40", "mandatory": "false", "reference": "", "active": "true", "read_only": "false",
		}))
	}

	const o = "sys_db_object"
	s.tables[o] = newTable(o, append([]column{
		c("name", kString, o),
		c("label", kString, o),
		c("super_class", kReference, o, "ref", o, "label", "Extends table"),
	}, sysColumns(o)...), "sys_updated_on")
	ids := map[string]string{}
	for _, tbl := range []string{"task", "incident", "sys_journal_field", "sys_user", "sys_user_group", "sys_dictionary", "sys_choice", o} {
		ids[tbl] = s.newSysID()
	}
	for _, tbl := range []string{"task", "incident", "sys_journal_field", "sys_user", "sys_user_group", "sys_dictionary", "sys_choice", o} {
		super := ""
		if tbl == "incident" {
			super = ids["task"]
		}
		s.insert(o, sys(map[string]string{"sys_id": ids[tbl], "name": tbl, "label": labelOf(tbl), "super_class": super}))
	}
}
