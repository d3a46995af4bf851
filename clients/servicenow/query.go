package servicenow

import (
	"fmt"
	"regexp"
	"strings"
)

// Encoded queries have no escaping: a "^" inside a value splits the query,
// so a hostile value could append "^NQ…" (a second, OR'ed query) and widen a
// read to the whole table. Every value the client puts into a query goes
// through checkValue, and the configured scope through CheckScope.

var columnRE = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)*$`)

// checkColumn rejects anything but a column name.
func checkColumn(what, name string) error {
	if !columnRE.MatchString(name) {
		return fmt.Errorf("%s %q is not a column name (lower-case letters, digits, _ and . only)", what, name)
	}
	return nil
}

// checkValue rejects values that would change the query's structure.
func checkValue(what, v string, inList bool) error {
	if strings.ContainsAny(v, "^\r\n") {
		return fmt.Errorf("%s %q contains '^' or a line break, which would change the encoded query", what, v)
	}
	if inList && strings.Contains(v, ",") {
		return fmt.Errorf("%s %q contains ',', which would split an IN list", what, v)
	}
	return nil
}

// CheckScope validates an encoded query that narrows the change feed
// (SNOWDUTY_SERVICENOW_QUERY). It is ANDed in front of the feed's own
// conditions, so it must not start a new OR'ed query (^NQ), end the query
// (^EQ), change the order (ORDERBY, GROUPBY) or start with OR; any of those
// would widen the feed or break its keyset. It checks the structure only:
// ParseScope reads the conditions, and Client.CheckScopeColumns checks that
// every column they name exists (ServiceNow ignores a condition on an
// unknown column, which widens the scope too).
func CheckScope(scope string) error {
	if scope == "" {
		return nil
	}
	if strings.ContainsAny(scope, "\r\n") {
		return fmt.Errorf("check scope query: it contains a line break")
	}
	for i, tok := range strings.Split(scope, "^") {
		switch {
		case tok == "":
			return fmt.Errorf("check scope query %q: empty condition (a leading, trailing or doubled ^)", scope)
		case tok == "EQ" || strings.HasPrefix(tok, "NQ") || strings.HasPrefix(tok, "RLQUERY") || strings.HasPrefix(tok, "ENDRLQUERY") || strings.HasPrefix(tok, "SUBQUERY"):
			return fmt.Errorf("check scope query %q: %q is not allowed; the scope may only AND (^) and OR (^OR) conditions", scope, tok)
		case strings.HasPrefix(tok, "ORDERBY") || strings.HasPrefix(tok, "GROUPBY"):
			return fmt.Errorf("check scope query %q: %q is not allowed; the feed orders by sys_updated_on, sys_id itself", scope, tok)
		case i == 0 && strings.HasPrefix(tok, "OR"):
			return fmt.Errorf("check scope query %q: it must not start with OR", scope)
		}
	}
	return nil
}

// joinQuery ANDs encoded-query parts, skipping empty ones.
func joinQuery(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, "^")
}

// inList builds "columnINa,b,c" after checking every value.
func inList(column string, values []string) (string, error) {
	for _, v := range values {
		if err := checkValue(column+" value", v, true); err != nil {
			return "", err
		}
	}
	return column + "IN" + strings.Join(values, ","), nil
}

// columns returns DefaultColumns plus extra, without duplicates, after
// checking every name.
func columns(extra []string) ([]string, error) {
	out := append([]string(nil), DefaultColumns...)
	seen := map[string]bool{}
	for _, c := range out {
		seen[c] = true
	}
	for _, c := range extra {
		if err := checkColumn("column", c); err != nil {
			return nil, err
		}
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out, nil
}

// uniq drops empty and repeated values, keeping order.
func uniq(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range in {
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
