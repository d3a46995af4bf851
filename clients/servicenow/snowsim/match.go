package snowsim

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// queryEnv is what javascript: values and display conversions need.
type queryEnv struct {
	user *User
	loc  *time.Location
}

// compiled is a query bound to a table: unknown columns removed, dot-walks
// and JOINs resolved, javascript: values evaluated.
type compiled struct {
	groups  [][][]ccond
	orders  []Order
	invalid bool
	fields  []string // every column the query reads
}

// ccond is a compiled condition: Cond (with its value evaluated), the
// reference columns a dot-walk follows, and the table and column whose
// value it finally compares; or a JOIN.
type ccond struct {
	Cond
	walk []hop
	tbl  *table
	col  string
	join *joinCond
}

// hop is one step of a dot-walk: read reference column col, continue in to.
type hop struct {
	col string
	to  *table
}

// joinCond is JOIN<table>.<field>=<jtable>.<jfield>[!<condition>]: a row
// matches when some row of jtable has jfield equal to the row's field and
// matches the condition.
type joinCond struct {
	field  string
	jtbl   *table
	jfield string
	cond   compiled
}

// resolvePath resolves a column name, possibly dot-walked
// (assignment_group.name), from table t: every part but the last must be a
// reference column pointing to a table the simulator holds. ok is false for
// an unknown column, which the query then ignores like a real instance.
func (s *Server) resolvePath(t *table, name string) (walk []hop, last *table, col column, ok bool) {
	parts := strings.Split(name, ".")
	cur := t
	for i, p := range parts {
		c, found := cur.schema.col(p)
		if !found {
			return nil, nil, column{}, false
		}
		if i == len(parts)-1 {
			return walk, cur, c, true
		}
		next := s.tables[c.ref]
		if c.kind != kReference || next == nil {
			return nil, nil, column{}, false
		}
		walk = append(walk, hop{col: p, to: next})
		cur = next
	}
	return nil, nil, column{}, false
}

// follow walks a dot-walk's references from r; nil when a reference is
// empty or dangling (the dot-walked value then reads as empty).
func follow(walk []hop, r *record) *record {
	for _, h := range walk {
		if r = h.to.rows[r.f[h.col]]; r == nil {
			return nil
		}
	}
	return r
}

func (s *Server) compile(t *table, q Query, env queryEnv) compiled {
	out := compiled{invalid: q.Invalid}
	for _, g := range q.Groups {
		var ng [][]ccond
		for _, term := range g {
			var nt []ccond
			for _, cd := range term {
				if cd.Op == "JOIN" {
					j, ok := s.compileJoin(t, cd.Value, env)
					if !ok {
						out.invalid = true
						continue
					}
					out.fields = append(out.fields, j.field)
					nt = append(nt, ccond{Cond: cd, join: j})
					continue
				}
				walk, last, col, ok := s.resolvePath(t, cd.Field)
				if !ok {
					out.invalid = true
					continue
				}
				v, ok := evalValue(cd.Op, cd.Value, env)
				if !ok {
					out.invalid = true
					continue
				}
				out.fields = append(out.fields, cd.Field)
				if head, _, dotted := strings.Cut(cd.Field, "."); dotted {
					out.fields = append(out.fields, head)
				}
				nt = append(nt, ccond{Cond: Cond{Field: cd.Field, Op: cd.Op, Value: v}, walk: walk, tbl: last, col: col.name})
			}
			if len(nt) > 0 {
				ng = append(ng, nt)
			}
		}
		// A group whose every part was invalid matches everything, as on a
		// real instance (KB0718655).
		out.groups = append(out.groups, ng)
	}
	for _, o := range q.Orders {
		if _, ok := t.schema.col(o.Field); ok {
			out.orders = append(out.orders, o)
			out.fields = append(out.fields, o.Field)
		}
	}
	return out
}

// compileJoin reads "incident.caller_id=sys_user.sys_id!active=true". The
// first table must be t; the joined table one the simulator holds.
func (s *Server) compileJoin(t *table, v string, env queryEnv) (*joinCond, bool) {
	left, right, ok := strings.Cut(v, "=")
	if !ok {
		return nil, false
	}
	right, sub, _ := strings.Cut(right, "!")
	lt, lf, ok1 := strings.Cut(left, ".")
	rt, rf, ok2 := strings.Cut(right, ".")
	if !ok1 || !ok2 || lt != t.name {
		return nil, false
	}
	jt := s.tables[rt]
	if jt == nil {
		return nil, false
	}
	if _, ok := t.schema.col(lf); !ok {
		return nil, false
	}
	if _, ok := jt.schema.col(rf); !ok {
		return nil, false
	}
	j := &joinCond{field: lf, jtbl: jt, jfield: rf}
	if sub != "" {
		j.cond = s.compile(jt, ParseQuery(sub), env)
	}
	return j, true
}

// evalValue resolves javascript: values (gs.getUserID(), gs.getUserName(),
// gs.dateGenerate(date, time) in the user's time zone).
func evalValue(op, v string, env queryEnv) (string, bool) {
	if op == "BETWEEN" {
		a, b, ok := strings.Cut(v, "@")
		if !ok {
			return "", false
		}
		a, ok1 := evalValue("=", a, env)
		b, ok2 := evalValue("=", b, env)
		return a + "@" + b, ok1 && ok2
	}
	js, ok := strings.CutPrefix(v, "javascript:")
	if !ok {
		return v, true
	}
	js = strings.TrimSpace(js)
	switch {
	case js == "gs.getUserID()":
		return env.user.SysID, true
	case js == "gs.getUserName()":
		return env.user.UserName, true
	case strings.HasPrefix(js, "gs.dateGenerate(") && strings.HasSuffix(js, ")"):
		args := strings.Split(js[len("gs.dateGenerate("):len(js)-1], ",")
		if len(args) != 2 {
			return "", false
		}
		d := strings.Trim(strings.TrimSpace(args[0]), `'"`)
		tm := strings.Trim(strings.TrimSpace(args[1]), `'"`)
		switch tm {
		case "start":
			tm = "00:00:00"
		case "end":
			tm = "23:59:59"
		}
		at, err := time.ParseInLocation(internalLayout, d+" "+tm, env.loc)
		if err != nil {
			return "", false
		}
		return at.UTC().Format(internalLayout), true
	}
	return "", false
}

func (c compiled) match(r *record) bool {
	if len(c.groups) == 0 {
		return true
	}
	for _, g := range c.groups {
		if groupMatch(g, r) {
			return true
		}
	}
	return false
}

func groupMatch(g [][]ccond, r *record) bool {
	for _, term := range g {
		ok := false
		for _, cd := range term {
			if cd.matches(r) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// matches evaluates one compiled condition on r.
func (cd ccond) matches(r *record) bool {
	if j := cd.join; j != nil {
		key := r.f[j.field]
		if key == "" {
			return false
		}
		for _, jr := range j.jtbl.rows {
			if jr.f[j.jfield] == key && j.cond.match(jr) {
				return true
			}
		}
		return false
	}
	v := ""
	if rr := follow(cd.walk, r); rr != nil {
		v = rr.f[cd.col]
	}
	return condMatch(cd.tbl, Cond{Field: cd.col, Op: cd.Op, Value: cd.Value}, v)
}

func condMatch(t *table, cd Cond, v string) bool {
	switch cd.Op {
	case "=":
		return v == cd.Value
	case "!=":
		return v != cd.Value
	case "<":
		return compareValues(t, cd.Field, v, cd.Value) < 0
	case "<=":
		return compareValues(t, cd.Field, v, cd.Value) <= 0
	case ">":
		return compareValues(t, cd.Field, v, cd.Value) > 0
	case ">=":
		return compareValues(t, cd.Field, v, cd.Value) >= 0
	case "IN":
		return slices.Contains(strings.Split(cd.Value, ","), v)
	case "NOT IN":
		return !slices.Contains(strings.Split(cd.Value, ","), v)
	case "LIKE":
		return strings.Contains(strings.ToLower(v), strings.ToLower(cd.Value))
	case "NOT LIKE":
		return !strings.Contains(strings.ToLower(v), strings.ToLower(cd.Value))
	case "STARTSWITH":
		return strings.HasPrefix(strings.ToLower(v), strings.ToLower(cd.Value))
	case "ENDSWITH":
		return strings.HasSuffix(strings.ToLower(v), strings.ToLower(cd.Value))
	case "ISEMPTY", "EMPTYSTRING":
		return v == ""
	case "ISNOTEMPTY":
		return v != ""
	case "ANYTHING":
		return true
	case "BETWEEN":
		a, b, _ := strings.Cut(cd.Value, "@")
		return compareValues(t, cd.Field, v, a) >= 0 && compareValues(t, cd.Field, v, b) <= 0
	}
	return false
}

// compareValues compares numerically for integer and numeric choice
// columns, and as strings otherwise (which orders the internal date format
// and sys_ids correctly).
func compareValues(t *table, field, a, b string) int {
	if col, ok := t.schema.col(field); ok && (col.kind == kInteger || col.kind == kChoice) {
		x, err1 := strconv.Atoi(a)
		y, err2 := strconv.Atoi(b)
		if err1 == nil && err2 == nil {
			return cmp.Compare(x, y)
		}
	}
	return strings.Compare(a, b)
}

// selectRows returns the matching rows in query order.
func (t *table) selectRows(c compiled) []*record {
	cand := t.index
	if len(c.groups) == 1 {
		lo, hi := 0, len(t.index)
		for _, term := range c.groups[0] {
			if len(term) == 1 && term[0].join == nil && term[0].walk == nil && term[0].Field == t.timeCol {
				if l, h, ok := t.timeRange(term[0].Op, term[0].Value); ok {
					lo, hi = max(lo, l), min(hi, h)
				}
			}
		}
		if lo >= hi {
			return nil
		}
		cand = t.index[lo:hi]
	}
	var out []*record
	for _, r := range cand {
		if c.match(r) {
			out = append(out, r)
		}
	}
	if t.indexOrdered(c.orders) {
		return out
	}
	slices.SortStableFunc(out, func(a, b *record) int {
		for _, o := range c.orders {
			x := compareValues(t, o.Field, a.f[o.Field], b.f[o.Field])
			if o.Desc {
				x = -x
			}
			if x != 0 {
				return x
			}
		}
		return cmp.Compare(a.seq, b.seq)
	})
	return out
}

// indexOrdered reports whether orders is the index order, so no sort is
// needed.
func (t *table) indexOrdered(orders []Order) bool {
	switch len(orders) {
	case 1:
		return orders[0] == Order{Field: t.timeCol}
	case 2:
		return orders[0] == Order{Field: t.timeCol} && orders[1] == Order{Field: "sys_id"}
	}
	return false
}

func (c compiled) String() string {
	return fmt.Sprintf("%v %v", c.groups, c.orders)
}
