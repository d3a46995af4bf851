package snowsim

import "strings"

// Cond is one condition of an encoded query: a column, an operator and a
// value, e.g. state IN 1,2.
type Cond struct {
	Field string
	Op    string
	Value string
}

// Term is a list of conditions joined by ^OR.
type Term []Cond

// Group is a list of terms joined by ^ (AND).
type Group []Term

// Order is one ORDERBY or ORDERBYDESC clause.
type Order struct {
	Field string
	Desc  bool
}

// Query is a parsed encoded query: groups joined by ^NQ (OR of whole
// groups), plus the ordering clauses found anywhere in the string.
type Query struct {
	Groups []Group
	Orders []Order
	// Invalid reports that some part of the string could not be parsed and
	// was dropped. ServiceNow ignores such parts silently.
	Invalid bool
}

// operators are the encoded-query operators the simulator understands,
// longest first so that a prefix match picks the right one.
var operators = []string{
	"EMPTYSTRING", "ISNOTEMPTY", "STARTSWITH", "ENDSWITH", "NOT LIKE", "ANYTHING",
	"ISEMPTY", "NOT IN", "BETWEEN", "LIKE", "IN", "!=", "<=", ">=", "=", "<", ">",
}

// ParseQuery parses an encoded query (sysparm_query) the way ServiceNow
// reads it: "^" is AND, "^OR" ORs a condition with the previous one, "^NQ"
// starts a new OR'ed group, ORDERBY/ORDERBYDESC may appear anywhere and
// "^EQ" ends the query. Parts it cannot read are dropped and reported
// through Query.Invalid. It never fails.
func ParseQuery(s string) Query {
	var q Query
	cur := Group{}
	for i, tok := range strings.Split(s, "^") {
		switch {
		case tok == "":
			continue
		case tok == "EQ":
			q.Groups = appendGroup(q.Groups, cur)
			return q
		case strings.HasPrefix(tok, "ORDERBYDESC"):
			q.addOrder(tok[len("ORDERBYDESC"):], true)
			continue
		case strings.HasPrefix(tok, "ORDERBY"):
			q.addOrder(tok[len("ORDERBY"):], false)
			continue
		case strings.HasPrefix(tok, "NQ") && i > 0:
			q.Groups = appendGroup(q.Groups, cur)
			cur = Group{}
			tok = tok[2:]
			if tok == "" {
				continue
			}
		case strings.HasPrefix(tok, "OR"):
			cond, ok := parseCond(tok[2:])
			if !ok {
				q.Invalid = true
				continue
			}
			if len(cur) == 0 {
				cur = append(cur, Term{cond})
			} else {
				cur[len(cur)-1] = append(cur[len(cur)-1], cond)
			}
			continue
		}
		cond, ok := parseCond(tok)
		if !ok {
			q.Invalid = true
			continue
		}
		cur = append(cur, Term{cond})
	}
	q.Groups = appendGroup(q.Groups, cur)
	return q
}

func appendGroup(gs []Group, g Group) []Group {
	if len(g) == 0 {
		return gs
	}
	return append(gs, g)
}

func (q *Query) addOrder(field string, desc bool) {
	if !isField(field) {
		q.Invalid = true
		return
	}
	q.Orders = append(q.Orders, Order{Field: field, Desc: desc})
}

// parseCond splits "fieldOPvalue". Column names are lower case, operators
// upper case or symbols, which is what makes the split unambiguous.
//
// A JOIN condition (JOINincident.caller_id=sys_user.sys_id!active=true) is a
// Cond with Op "JOIN", no Field and the rest of the token as Value.
func parseCond(s string) (Cond, bool) {
	if rest, ok := strings.CutPrefix(s, "JOIN"); ok {
		return Cond{Op: "JOIN", Value: rest}, true
	}
	n := 0
	for n < len(s) && isFieldByte(s[n]) {
		n++
	}
	if n == 0 {
		return Cond{}, false
	}
	rest := s[n:]
	for _, op := range operators {
		if strings.HasPrefix(rest, op) {
			return Cond{Field: s[:n], Op: op, Value: rest[len(op):]}, true
		}
	}
	return Cond{}, false
}

func isFieldByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_' || b == '.'
}

func isField(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isFieldByte(s[i]) {
			return false
		}
	}
	return true
}

// String encodes q back into an encoded query. ParseQuery(q.String())
// equals q for any q that ParseQuery returned (apart from Invalid).
func (q Query) String() string {
	var b strings.Builder
	for gi, g := range q.Groups {
		if gi > 0 {
			b.WriteString("^NQ")
		}
		for ti, t := range g {
			for ci, cd := range t {
				switch {
				case ci > 0:
					b.WriteString("^OR")
				case ti > 0:
					b.WriteString("^")
				}
				b.WriteString(cd.Field + cd.Op + cd.Value) // JOIN has no Field
			}
		}
	}
	for _, o := range q.Orders {
		if b.Len() > 0 {
			b.WriteString("^")
		}
		if o.Desc {
			b.WriteString("ORDERBYDESC" + o.Field)
		} else {
			b.WriteString("ORDERBY" + o.Field)
		}
	}
	return b.String()
}
