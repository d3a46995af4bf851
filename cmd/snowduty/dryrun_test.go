package main

import (
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
)

// keyspace returns every key of the test's Redis with its DUMP.
func keyspace(t *testing.T) map[string]string {
	t.Helper()
	o, err := redis.ParseURL(os.Getenv("SNOWDUTY_REDIS_URL"))
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(o)
	defer func() { _ = c.Close() }()
	keys, err := c.Keys(t.Context(), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(keys)
	out := map[string]string{}
	for _, k := range keys {
		v, err := c.Dump(t.Context(), k).Result()
		if err != nil {
			t.Fatal(err)
		}
		out[k] = v
	}
	return out
}

// A dry run writes nothing, the state included: not the key layout, not
// the identity of the systems (a dry run pointed at the wrong instance
// would otherwise lock the real daemon out), not the lease, no cursor.
func TestDryRunLeavesTheStateUntouched(t *testing.T) {
	sn, fd := simEnv(t)
	if _, err := sn.CreateIncident(snowsim.Alice, map[string]string{"short_description": "VPN down", "urgency": "1", "impact": "1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := fd.CreateIncident(fdsim.IncidentSpec{Title: "Disk full on db-1", ChannelID: fdsim.OpsChannelID}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SNOWDUTY_DRY_RUN", "true")
	// Pointed at another instance first: the identity must not be recorded.
	real := os.Getenv("SNOWDUTY_SERVICENOW_URL")
	t.Setenv("SNOWDUTY_SERVICENOW_URL", strings.Replace(real, "127.0.0.1", "localhost", 1))
	code, _, errOut := runCmd(t, "once")
	if code != exitOK {
		t.Fatalf("dry run once: exit %d\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "dry run: would apply") {
		t.Fatalf("the dry run logged no plan:\n%s", errOut)
	}
	if ks := keyspace(t); len(ks) != 0 {
		t.Fatalf("a dry run on an empty state wrote %d keys: %v", len(ks), keys(ks))
	}
	if sn.IncidentCount() != 1 || len(fd.IncidentIDs()) != 1 {
		t.Fatalf("the dry run wrote to the systems: %d servicenow, %d flashduty incidents", sn.IncidentCount(), len(fd.IncidentIDs()))
	}

	// The real daemon, on the real instance, is not locked out.
	t.Setenv("SNOWDUTY_SERVICENOW_URL", real)
	t.Setenv("SNOWDUTY_DRY_RUN", "false")
	if code, _, errOut := runCmd(t, "once"); code != exitOK || sn.IncidentCount() != 2 {
		t.Fatalf("real once after the dry run: exit %d, %d servicenow incidents\n%s", code, sn.IncidentCount(), errOut)
	}
	before := keyspace(t)

	// A dry run over a live state with changes to plan leaves it as it was.
	if _, err := fd.CreateIncident(fdsim.IncidentSpec{Title: "Another alert", ChannelID: fdsim.OpsChannelID}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SNOWDUTY_DRY_RUN", "true")
	if code, _, errOut := runCmd(t, "once"); code != exitOK || !strings.Contains(errOut, "dry run: would apply") {
		t.Fatalf("dry run over a live state: exit %d\n%s", code, errOut)
	}
	after := keyspace(t)
	if len(after) != len(before) {
		t.Fatalf("the dry run changed the key count from %d to %d", len(before), len(after))
	}
	for k, v := range before {
		if after[k] != v {
			t.Errorf("the dry run changed %s", k)
		}
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
