package servicenow

import "context"

// FindByNumbers returns the incidents with these numbers (e.g. INC0010001),
// 100 numbers per request. Unknown numbers are simply absent.
func (c *Client) FindByNumbers(ctx context.Context, numbers []string) ([]Incident, error) {
	return c.incidentsIn(ctx, "find incidents by number", "number", uniq(numbers), nil)
}
