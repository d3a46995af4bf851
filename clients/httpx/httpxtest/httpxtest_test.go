package httpxtest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/snowduty/snowduty/clients/httpx"
)

func TestConcurrentUse(t *testing.T) {
	var buf SyncBuffer
	var calls Calls
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			fmt.Fprintf(&buf, "line %d\n", i)
			calls.Observe(httpx.Call{Endpoint: fmt.Sprint(i)})
		})
	}
	wg.Wait()
	if got := len(calls.All()); got != 50 {
		t.Fatalf("recorded %d calls, want 50", got)
	}
	if n := len(buf.String()); n < 50*len("line 0\n") {
		t.Fatalf("buffer holds %d bytes, want every line", n)
	}
	all := calls.All()
	all[0].Endpoint = "changed"
	if calls.All()[0].Endpoint == "changed" {
		t.Fatal("All must return a copy")
	}
}
