package servicenow

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// A real instance silently ignores a condition on a column it does not
// know (and one it cannot read), so a typo in the configured scope
// (assignement_group=…) widens the feed to the whole incident table. This
// file reads the scope's conditions and resolves every column and dot-walk
// they name against sys_dictionary.

// ScopeCondition is one condition of an encoded query, as ParseScope reads
// it.
type ScopeCondition struct {
	// Text is the condition as written, without its ^ or ^OR.
	Text string
	// Or reports that ^OR joins it to the condition before.
	Or bool
	// Field is the column or dot-walk the condition tests, e.g. active or
	// assignment_group.name; empty for a JOIN or a keyword search.
	Field string
	// Op is the operator (=, !=, IN, NOT IN, LIKE, ISEMPTY, BETWEEN, ON…)
	// and Value what follows it (possibly a javascript: expression).
	Op, Value string
	// Other is the column that a field-comparing operator (SAMEAS, NSAMEAS,
	// GT_FIELD, LT_FIELD, GT_OR_EQUALS_FIELD, LT_OR_EQUALS_FIELD) compares
	// Field with.
	Other string
	// Special names a condition that tests no column of incident: "JOIN"
	// or "keyword search".
	Special string
	// Err says why the condition cannot be read. ServiceNow ignores such a
	// condition as it ignores an unknown column.
	Err string
}

// scopeOperators are the encoded-query operators, longest first so that
// the first prefix match is the right one (NOT IN before IN, <= before <).
var scopeOperators = func() []string {
	ops := []string{
		"=", "!=", "<", "<=", ">", ">=",
		"IN", "NOT IN", "LIKE", "NOT LIKE", "STARTSWITH", "ENDSWITH",
		"ISEMPTY", "ISNOTEMPTY", "EMPTYSTRING", "ANYTHING",
		"BETWEEN", "ON", "NOTON", "DATEPART", "DYNAMIC", "INSTANCEOF",
		"RELATIVEGT", "RELATIVELT", "RELATIVEGE", "RELATIVELE", "RELATIVEEE", "MORETHAN", "LESSTHAN",
		"SAMEAS", "NSAMEAS", "GT_FIELD", "LT_FIELD", "GT_OR_EQUALS_FIELD", "LT_OR_EQUALS_FIELD",
		"VALCHANGES", "CHANGESFROM", "CHANGESTO", "MATCH_PAT", "MATCH_RGX",
	}
	slices.SortStableFunc(ops, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return ops
}()

// fieldOperators compare a column with another column named as the value.
var fieldOperators = []string{"SAMEAS", "NSAMEAS", "GT_FIELD", "LT_FIELD", "GT_OR_EQUALS_FIELD", "LT_OR_EQUALS_FIELD"}

// ParseScope splits an encoded query into its conditions, after CheckScope's
// structural checks (which it returns as its error). A condition that cannot
// be read is returned with Err set rather than failing the whole query.
func ParseScope(scope string) ([]ScopeCondition, error) {
	if err := CheckScope(scope); err != nil {
		return nil, err
	}
	if scope == "" {
		return nil, nil
	}
	var out []ScopeCondition
	for i, tok := range strings.Split(scope, "^") {
		cd := ScopeCondition{}
		if i > 0 && strings.HasPrefix(tok, "OR") {
			cd.Or, tok = true, tok[2:]
		}
		cd.Text = tok
		parseScopeCondition(&cd, tok)
		out = append(out, cd)
	}
	return out, nil
}

func parseScopeCondition(cd *ScopeCondition, s string) {
	switch {
	case strings.HasPrefix(s, "JOIN"):
		cd.Special = "JOIN"
		return
	case strings.HasPrefix(s, "123TEXTQUERY321"), strings.HasPrefix(s, "IR_AND_OR_QUERY"), strings.HasPrefix(s, "IR_OR_QUERY"):
		cd.Special = "keyword search"
		return
	}
	s = strings.TrimPrefix(s, "GOTO") // a list-position condition; the column is what follows
	n := 0
	for n < len(s) && isColumnByte(s[n]) {
		n++
	}
	if n == 0 {
		cd.Err = "it does not start with a column name (column names are lower-case letters, digits and _)"
		return
	}
	cd.Field = s[:n]
	if !isColumnPath(cd.Field) {
		cd.Err = fmt.Sprintf("%q is not a column or a dot-walk (column.column)", cd.Field)
		return
	}
	rest := s[n:]
	for _, op := range scopeOperators {
		if strings.HasPrefix(rest, op) {
			cd.Op, cd.Value = op, rest[len(op):]
			break
		}
	}
	switch {
	case cd.Op == "" && rest == "":
		cd.Err = fmt.Sprintf("no operator follows %q (write e.g. %s=value)", cd.Field, cd.Field)
	case cd.Op == "":
		cd.Err = fmt.Sprintf("%q after %q is not an operator snowduty knows (=, !=, IN, NOT IN, LIKE, STARTSWITH, ISEMPTY, >, BETWEEN, ON…)", cut(rest, 20), cd.Field)
	case slices.Contains(fieldOperators, cd.Op):
		if !isColumnPath(cd.Value) {
			cd.Err = fmt.Sprintf("%s compares with another column, and %q is not a column name", cd.Op, cd.Value)
			return
		}
		cd.Other = cd.Value
	}
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func isColumnByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_' || b == '.'
}

// isColumnPath reports whether s is a column or a dot-walk: non-empty
// segments of lower-case letters, digits and _ joined by dots.
func isColumnPath(s string) bool {
	if s == "" {
		return false
	}
	for seg := range strings.SplitSeq(s, ".") {
		if checkTable(seg) != nil {
			return false
		}
	}
	return true
}

// ScopeReport is what CheckScopeColumns found.
type ScopeReport struct {
	// Checked are the columns and dot-walks found in sys_dictionary, in
	// query order, each once.
	Checked []string
	// Problems are the conditions ServiceNow would ignore: unknown
	// columns, dot-walks through columns that are no reference, and
	// conditions that cannot be read. Any of them widens the scope.
	Problems []ScopeProblem
	// Unchecked says what could not be verified, and why (a referenced
	// table whose dictionary is not readable, a JOIN…).
	Unchecked []string
}

// ScopeProblem is one condition of the scope that ServiceNow would ignore.
type ScopeProblem struct {
	// Condition is the condition as written.
	Condition string
	// Path is the column or dot-walk it names ("" for an unreadable
	// condition), and Column the part of it that does not resolve.
	Path, Column string
	// Table is the table Column was looked up on.
	Table string
	// Suggest is the closest known column, as a whole path, if any.
	Suggest string
	// Reason says what is wrong, in words.
	Reason string
}

func (p ScopeProblem) String() string {
	if p.Suggest != "" {
		return fmt.Sprintf("%s (did you mean %s?)", p.Reason, p.Suggest)
	}
	return p.Reason
}

// ErrDictionaryHidden means sys_dictionary answered, but with no row of
// incident or task: a read ACL hides it from the integration user.
var ErrDictionaryHidden = errors.New("sys_dictionary shows no column of incident or task to the integration user (a read ACL hides its rows)")

// CheckScopeColumns resolves every column and dot-walk the scope's
// conditions name against sys_dictionary: the first segment against
// incident (and task, which incident extends), each further one against the
// table the previous reference column points to (and the tables that one
// extends, from sys_db_object). It costs one request for conditions on
// incident's own columns, and a few more per level of dot-walk. The error is
// set when the scope is malformed or incident's dictionary cannot be read
// (for instance a 403 without the personalize_dictionary role, or
// ErrDictionaryHidden); the report then holds nothing.
func (c *Client) CheckScopeColumns(ctx context.Context, scope string) (ScopeReport, error) {
	conds, err := ParseScope(scope)
	if err != nil {
		return ScopeReport{}, err
	}
	return checkScopeColumns(ctx, clientSchema{c}, conds)
}

// schemaSource is where the resolver reads the schema: the client, or a
// fake in tests.
type schemaSource interface {
	// columns returns the columns each table defines itself; a table with
	// no readable row is absent.
	columns(ctx context.Context, tables []string) (map[string]map[string]FieldDef, error)
	// parents returns the table each table extends ("" for none); a table
	// whose hierarchy is not readable is absent.
	parents(ctx context.Context, tables []string) (map[string]string, error)
	// owners returns the tables defining a column of each name.
	owners(ctx context.Context, elements []string) (map[string][]string, error)
}

type clientSchema struct{ c *Client }

func (s clientSchema) columns(ctx context.Context, tables []string) (map[string]map[string]FieldDef, error) {
	return s.c.tableColumns(ctx, tables)
}

func (s clientSchema) parents(ctx context.Context, tables []string) (map[string]string, error) {
	return s.c.tableParents(ctx, tables)
}

func (s clientSchema) owners(ctx context.Context, elements []string) (map[string][]string, error) {
	return s.c.columnOwners(ctx, elements)
}

// notWalkable are internal types whose columns hold a value, not a
// reference: a dot-walk through one of them is ignored by ServiceNow.
var notWalkable = []string{
	"string", "integer", "boolean", "choice", "decimal", "float", "longint", "numeric",
	"glide_date_time", "glide_date", "glide_time", "glide_duration", "due_date",
	"journal", "journal_input", "journal_list", "html", "translated_text", "translated_field", "translated_html",
	"GUID", "sys_class_name", "email", "url", "phone_number_e164", "multi_two_lines", "password", "password2",
}

// tableInfo is what the resolver knows of one table.
type tableInfo struct {
	loaded  bool
	cols    map[string]FieldDef // nil: no readable row at all
	colsErr error
	// parent is the table this one extends, once parentKnown; parentErr
	// says why the hierarchy could not be read.
	parentKnown bool
	parent      string
	parentErr   error
}

// scopeWalk is the resolution of one column path, segment by segment.
type scopeWalk struct {
	cond  string
	path  string
	segs  []string
	i     int      // the segment being resolved
	table string   // the table segs[i] is looked up on
	via   string   // the reference path that led to table ("" for incident)
	cur   string   // table searched now: table or one of its ancestors
	seen  []string // the tables searched for segs[i]
	owner bool     // waiting for columnOwners (the hierarchy is unreadable)
	done  bool
}

// maxHierarchy bounds how many tables up a column is searched for.
const maxHierarchy = 12

func checkScopeColumns(ctx context.Context, src schemaSource, conds []ScopeCondition) (ScopeReport, error) {
	var rep ScopeReport
	var walks []*scopeWalk
	seen := map[string]bool{}
	pos := map[string]int{} // query order of paths and unreadable conditions ("\x00"+text)
	for _, cd := range conds {
		switch {
		case cd.Err != "":
			pos["\x00"+cd.Text] = len(pos)
			rep.Problems = append(rep.Problems, ScopeProblem{Condition: cd.Text,
				Reason: fmt.Sprintf("condition %q cannot be read, so ServiceNow ignores it: %s", cd.Text, cd.Err)})
			continue
		case cd.Special != "":
			rep.Unchecked = append(rep.Unchecked, fmt.Sprintf("%q: a %s condition; its columns are not checked", cd.Text, cd.Special))
			continue
		}
		for _, p := range []string{cd.Field, cd.Other} {
			if p != "" && !seen[p] {
				seen[p] = true
				pos[p] = len(pos)
				walks = append(walks, &scopeWalk{cond: cd.Text, path: p, segs: strings.Split(p, "."), table: "incident", cur: "incident", seen: []string{"incident"}})
			}
		}
	}
	if len(walks) == 0 {
		return rep, nil
	}

	tables := map[string]*tableInfo{
		"incident": {parentKnown: true, parent: "task"}, // incident extends task, which extends nothing
		"task":     {parentKnown: true},
	}
	info := func(t string) *tableInfo {
		if tables[t] == nil {
			tables[t] = &tableInfo{}
		}
		return tables[t]
	}
	load := func(need []string) error {
		got, err := src.columns(ctx, need)
		for _, t := range need {
			ti := info(t)
			ti.loaded, ti.colsErr = true, err
			if err == nil {
				ti.cols = got[t]
			}
		}
		return err
	}
	if err := load([]string{"incident", "task"}); err != nil {
		return ScopeReport{}, fmt.Errorf("read the columns of incident and task from sys_dictionary: %w", err)
	}
	if len(tables["incident"].cols) == 0 && len(tables["task"].cols) == 0 {
		return ScopeReport{}, ErrDictionaryHidden
	}

	unchecked := func(w *scopeWalk, format string, args ...any) {
		w.done = true
		rep.Unchecked = append(rep.Unchecked, fmt.Sprintf("%q: ", w.path)+fmt.Sprintf(format, args...))
	}
	unknown := func(w *scopeWalk) {
		w.done = true
		seg := w.segs[w.i]
		p := ScopeProblem{Condition: w.cond, Path: w.path, Column: seg, Table: w.table}
		if w.i == 0 {
			p.Reason = fmt.Sprintf("column %q does not exist on incident (nor on task, which incident extends)", seg)
		} else {
			p.Reason = fmt.Sprintf("%q: %s (which %s references) has no column %q", w.path, w.table, w.via, seg)
			if len(w.seen) > 1 {
				p.Reason += fmt.Sprintf(", nor do the tables it extends (%s)", strings.Join(w.seen[1:], ", "))
			}
		}
		var known []string
		for _, t := range w.seen {
			for name := range tables[t].cols {
				known = append(known, name)
			}
		}
		if best := closestName(seg, known); best != "" {
			p.Suggest = strings.Join(append(slices.Clone(w.segs[:w.i]), best), ".")
		}
		rep.Problems = append(rep.Problems, p)
	}
	// advance moves w past a column found on w.cur.
	advance := func(w *scopeWalk, f FieldDef) {
		if w.i == len(w.segs)-1 {
			w.done = true
			rep.Checked = append(rep.Checked, w.path)
			return
		}
		col := strings.Join(w.segs[:w.i+1], ".")
		next := f.Reference
		switch {
		case next != "" && checkTable(next) != nil:
			unchecked(w, "%s references %q, which is not a table name; not checked beyond it", col, next)
			return
		case next == "" && slices.Contains(notWalkable, f.Type):
			w.done = true
			rep.Problems = append(rep.Problems, ScopeProblem{Condition: w.cond, Path: w.path, Column: w.segs[w.i+1], Table: w.table,
				Reason: fmt.Sprintf("%q: %s is a %s column, not a reference, so it cannot be dot-walked", w.path, col, f.Type)})
			return
		case next == "":
			unchecked(w, "%s is of type %q and names no referenced table; not checked beyond it", col, f.Type)
			return
		}
		w.via, w.i, w.table, w.cur, w.seen = col, w.i+1, next, next, []string{next}
	}

	for round := 0; ; round++ {
		var active []*scopeWalk
		for _, w := range walks {
			if !w.done {
				active = append(active, w)
			}
		}
		if len(active) == 0 {
			break
		}
		if round > 8*maxHierarchy {
			for _, w := range active {
				unchecked(w, "gave up resolving it")
			}
			break
		}
		// Read the columns of every table a walk now searches, at once.
		var need []string
		for _, w := range active {
			if ti := info(w.cur); !ti.loaded && !slices.Contains(need, w.cur) {
				need = append(need, w.cur)
			}
		}
		if len(need) > 0 {
			_ = load(need) // a failure is reported per walk below
		}
		// Step every walk as far as what is known allows: through loaded
		// tables and known parents, until it needs a read.
		var needParent, needOwner []string
		step := func(w *scopeWalk) (progressed bool) {
			ti := info(w.cur)
			seg := w.segs[w.i]
			switch {
			case ti.colsErr != nil:
				unchecked(w, "the sys_dictionary rows of %s could not be read: %v", w.cur, ti.colsErr)
				return true
			case ti.cols == nil && w.cur == w.table:
				unchecked(w, "sys_dictionary shows no column of %s, which %s references (no such table, or a read ACL hides its rows); not checked beyond %s", w.table, w.via, w.via)
				return true
			}
			if f, ok := ti.cols[seg]; ok {
				advance(w, f)
				return true
			}
			if t, ok := strings.CutPrefix(seg, "ref_"); ok && w.i < len(w.segs)-1 && w.cur == w.table && checkTable(t) == nil {
				// ref_<table>: a dot-walk into a table that extends this one
				w.via, w.i, w.table, w.cur, w.seen = strings.Join(w.segs[:w.i+1], "."), w.i+1, t, t, []string{t}
				return true
			}
			switch {
			case !ti.parentKnown && ti.parentErr == nil:
				if !slices.Contains(needParent, w.cur) {
					needParent = append(needParent, w.cur)
				}
				return false
			case ti.parentErr != nil:
				w.owner = true
				if !slices.Contains(needOwner, seg) {
					needOwner = append(needOwner, seg)
				}
				return false
			case ti.parent == "":
				unknown(w)
			case slices.Contains(w.seen, ti.parent) || len(w.seen) >= maxHierarchy:
				unchecked(w, "the table hierarchy above %s loops or is too deep", w.table)
			default:
				w.cur = ti.parent
				w.seen = append(w.seen, ti.parent)
			}
			return true
		}
		for _, w := range active {
			for !w.done && info(w.cur).loaded {
				if !step(w) {
					break
				}
			}
		}
		if len(needParent) > 0 {
			got, err := src.parents(ctx, needParent)
			for _, t := range needParent {
				ti := info(t)
				p, ok := got[t]
				switch {
				case err != nil:
					ti.parentErr = err
				case !ok:
					ti.parentErr = errors.New("no readable sys_db_object row")
				default:
					ti.parentKnown, ti.parent = true, p
				}
			}
		}
		if len(needOwner) > 0 {
			// The hierarchy is unreadable: a name no table defines cannot be
			// inherited either.
			got, err := src.owners(ctx, needOwner)
			for _, w := range active {
				if !w.owner || w.done {
					continue
				}
				seg := w.segs[w.i]
				switch {
				case err != nil:
					unchecked(w, "%s does not define %q itself, and neither the tables it extends (sys_db_object: %v) nor the tables defining %q could be read: %v",
						w.cur, seg, info(w.cur).parentErr, seg, err)
				case len(got[seg]) == 0:
					unknown(w)
				default:
					unchecked(w, "%s does not define %q itself; it may inherit it (%s define it), but the tables it extends could not be read from sys_db_object: %v",
						w.cur, seg, strings.Join(got[seg], ", "), info(w.cur).parentErr)
				}
			}
		}
	}
	// Report in query order, whatever order the reads resolved them in.
	slices.SortStableFunc(rep.Checked, func(a, b string) int { return cmp.Compare(pos[a], pos[b]) })
	slices.SortStableFunc(rep.Problems, func(a, b ScopeProblem) int {
		key := func(p ScopeProblem) int {
			if p.Path == "" {
				return pos["\x00"+p.Condition]
			}
			return pos[p.Path]
		}
		return cmp.Compare(key(a), key(b))
	})
	return rep, nil
}

// closestName returns the name in known nearest to s by edit distance,
// when near enough to be a likely typo.
func closestName(s string, known []string) string {
	slices.Sort(known)
	best, bestD := "", len(s)/3+1
	for _, n := range known {
		if d := editDistance(s, n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	// optimal string alignment: a swap of two neighbours (emial) counts one
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
