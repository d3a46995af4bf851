package state

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
)

func TestSnapshotsCompareAndSet(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s, ctx := e.s, t.Context()
	bin := []byte{0, ':', '|', 0xff, '\n'}
	res, err := s.PutSnapshots(ctx, e.fence, []SnapshotWrite{
		{PairID: "sn:a", Data: []byte(`{"v":1}`)},
		{PairID: "fd:b", Data: bin},
		{PairID: "sn:c", Data: []byte("x"), IfVersion: 3}, // never written: loses
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []SnapshotResult{{"sn:a", true, 1}, {"fd:b", true, 1}, {"sn:c", false, 0}}
	for i := range want {
		if res[i] != want[i] {
			t.Fatalf("result %d = %+v, want %+v", i, res[i], want[i])
		}
	}
	got, err := s.Snapshots(ctx, []string{"sn:a", "fd:b", "sn:c"})
	if err != nil || len(got) != 2 || !bytes.Equal(got["fd:b"].Data, bin) || got["sn:a"].Version != 1 {
		t.Fatalf("Snapshots = %+v %v", got, err)
	}
	// A stale version loses and reports the current one; the right one wins.
	res, err = s.PutSnapshots(ctx, e.fence, []SnapshotWrite{
		{PairID: "sn:a", Data: []byte("stale"), IfVersion: 0},
		{PairID: "fd:b", Data: []byte("new"), IfVersion: 1},
	})
	if err != nil || res[0] != (SnapshotResult{"sn:a", false, 1}) || res[1] != (SnapshotResult{"fd:b", true, 2}) {
		t.Fatalf("second write = %+v %v", res, err)
	}
	got, _ = s.Snapshots(ctx, []string{"sn:a", "fd:b"})
	if string(got["sn:a"].Data) != `{"v":1}` || string(got["fd:b"].Data) != "new" || got["fd:b"].Version != 2 {
		t.Fatalf("after second write: %+v", got)
	}
}

// Two writers (separate connections, like two replicas) read the same
// version and race to write: exactly one wins each pair.
func TestSnapshotRaceExactlyOneWins(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	other := openStore(t, e.srv, e.clock)
	ctx := t.Context()
	const pairs = 50
	var seed []SnapshotWrite
	for i := range pairs {
		seed = append(seed, SnapshotWrite{PairID: fmt.Sprintf("sn:%d", i), Data: []byte("base")})
	}
	if _, err := e.s.PutSnapshots(ctx, e.fence, seed); err != nil {
		t.Fatal(err)
	}
	wins := make([][2]bool, pairs)
	var wg sync.WaitGroup
	for w, st := range []*Store{e.s, other} {
		wg.Go(func() {
			for i := range pairs {
				id := fmt.Sprintf("sn:%d", i)
				res, err := st.PutSnapshots(ctx, e.fence, []SnapshotWrite{{PairID: id, Data: []byte{byte('A' + w)}, IfVersion: 1}})
				if err != nil {
					t.Error(err)
					return
				}
				wins[i][w] = res[0].OK
			}
		})
	}
	wg.Wait()
	got, err := e.s.Snapshots(ctx, func() []string {
		var ids []string
		for i := range pairs {
			ids = append(ids, fmt.Sprintf("sn:%d", i))
		}
		return ids
	}())
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range wins {
		if w[0] == w[1] {
			t.Fatalf("pair %d: wins %v, want exactly one", i, w)
		}
		winner := byte('A')
		if w[1] {
			winner = 'B'
		}
		v := got[fmt.Sprintf("sn:%d", i)]
		if v.Version != 2 || string(v.Data) != string(winner) {
			t.Fatalf("pair %d stored %+v, want version 2 by %c", i, v, winner)
		}
	}
}

func TestPutSnapshotsRejectsEmptyPair(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := e.s.PutSnapshots(t.Context(), e.fence, []SnapshotWrite{{Data: []byte("x")}})
	if err == nil || errors.Is(err, ErrFenced) {
		t.Fatalf("err = %v", err)
	}
}
