package flashduty_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/snowduty/snowduty/clients/flashduty"
)

// list-by-ids returns only the incidents asked for, and never asks for an
// empty id: an answer that carries others (or items with no id) must not
// reach the caller, which would link or overwrite them.
func TestListByIDsKeepsOnlyExactMatches(t *testing.T) {
	var asked [][]string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			IDs []string `json:"incident_ids"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		asked = append(asked, req.IDs)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"request_id":"r1","data":{"items":[
		 {"incident_id":"69da451ef77b1b51f40e83ee","title":"asked"},
		 {"incident_id":"69da451ef77b1b51f40e83ff","title":"not asked"},
		 {"incident_id":"","title":"no id"}],"has_next_page":false}}`))
	}))
	t.Cleanup(srv.Close)
	c, err := flashduty.New(flashduty.Options{BaseURL: srv.URL, AppKey: "k", MaxAttempts: 1, AllowHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.ListByIDs(t.Context(), []string{"", "69da451ef77b1b51f40e83ee", ""})
	if err != nil || len(got) != 1 || got[0].ID != "69da451ef77b1b51f40e83ee" {
		t.Fatalf("list-by-ids = %+v, %v; want only the incident asked for", got, err)
	}
	if len(asked) != 1 || len(asked[0]) != 1 || asked[0][0] != "69da451ef77b1b51f40e83ee" {
		t.Fatalf("asked for %q, want only the one non-empty id", asked)
	}
	if got, err := c.ListByIDs(t.Context(), []string{""}); err != nil || len(got) != 0 || len(asked) != 1 {
		t.Fatalf("an empty id: %+v, %v, %d calls; want nothing asked", got, err, len(asked))
	}
}
