package snowsim

import (
	"slices"
	"strings"
)

// record is one row: raw values by column, plus its creation sequence.
type record struct {
	seq uint64
	f   map[string]string
}

// table holds the rows of one table and an index sorted by (timeCol, sys_id),
// which is what the keyset change feed reads, so that a page costs a binary
// search plus the rows it matches instead of a scan of the whole table.
type table struct {
	name    string
	schema  *schema
	timeCol string
	rows    map[string]*record
	index   []*record
	hidden  map[string]bool // row-level read ACL for the integration user
}

func newTable(name string, cols []column, timeCol string) *table {
	return &table{name: name, schema: newSchema(cols), timeCol: timeCol, rows: map[string]*record{}, hidden: map[string]bool{}}
}

func (t *table) less(a, b *record) int {
	if c := strings.Compare(a.f[t.timeCol], b.f[t.timeCol]); c != 0 {
		return c
	}
	return strings.Compare(a.f["sys_id"], b.f["sys_id"])
}

// pos returns where r sits (or would sit) in the index.
func (t *table) pos(r *record) int {
	i, _ := slices.BinarySearchFunc(t.index, r, t.less)
	return i
}

func (t *table) insert(r *record) {
	t.rows[r.f["sys_id"]] = r
	t.index = slices.Insert(t.index, t.pos(r), r)
}

// unindex removes r from the index; call it before changing timeCol or
// sys_id, then reindex.
func (t *table) unindex(r *record) {
	i := t.pos(r)
	if i < len(t.index) && t.index[i] == r {
		t.index = slices.Delete(t.index, i, i+1)
	}
}

func (t *table) reindex(r *record) { t.index = slices.Insert(t.index, t.pos(r), r) }

func (t *table) remove(r *record) {
	t.unindex(r)
	delete(t.rows, r.f["sys_id"])
	delete(t.hidden, r.f["sys_id"])
}

// timeRange returns the index positions [lo, hi) whose timeCol satisfies
// op value, for the operators that bound a range.
func (t *table) timeRange(op, value string) (lo, hi int, ok bool) {
	first := func(v string, after bool) int {
		i, _ := slices.BinarySearchFunc(t.index, v, func(r *record, v string) int {
			c := strings.Compare(r.f[t.timeCol], v)
			if c == 0 && after {
				return -1
			}
			return c
		})
		return i
	}
	n := len(t.index)
	switch op {
	case "=":
		return first(value, false), first(value, true), true
	case ">":
		return first(value, true), n, true
	case ">=":
		return first(value, false), n, true
	case "<":
		return 0, first(value, false), true
	case "<=":
		return 0, first(value, true), true
	case "BETWEEN":
		a, b, found := strings.Cut(value, "@")
		if !found {
			return 0, 0, false
		}
		return first(a, false), first(b, true), true
	}
	return 0, 0, false
}

func cloneFields(f map[string]string) map[string]string {
	out := make(map[string]string, len(f))
	for k, v := range f {
		out[k] = v
	}
	return out
}
