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

// compiled is a query bound to a table: unknown columns removed, javascript:
// values evaluated.
type compiled struct {
	groups  []Group
	orders  []Order
	invalid bool
	fields  []string // every column the query reads
}

func (t *table) compile(q Query, env queryEnv) compiled {
	out := compiled{invalid: q.Invalid}
	for _, g := range q.Groups {
		var ng Group
		for _, term := range g {
			var nt Term
			for _, cd := range term {
				if _, ok := t.schema.col(cd.Field); !ok {
					out.invalid = true
					continue
				}
				v, ok := evalValue(cd.Op, cd.Value, env)
				if !ok {
					out.invalid = true
					continue
				}
				out.fields = append(out.fields, cd.Field)
				nt = append(nt, Cond{Field: cd.Field, Op: cd.Op, Value: v})
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

func (c compiled) match(t *table, r *record) bool {
	if len(c.groups) == 0 {
		return true
	}
	for _, g := range c.groups {
		if groupMatch(t, g, r) {
			return true
		}
	}
	return false
}

func groupMatch(t *table, g Group, r *record) bool {
	for _, term := range g {
		ok := false
		for _, cd := range term {
			if condMatch(t, cd, r.f[cd.Field]) {
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
			if len(term) == 1 && term[0].Field == t.timeCol {
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
		if c.match(t, r) {
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
