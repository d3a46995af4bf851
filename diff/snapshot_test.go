package diff

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
)

// typicalBase is a linked pair with two custom fields and eight mirrored
// comments.
func typicalBase(t testing.TB) *Snapshot {
	p := testPolicy(TwoWay, "")
	p.Mapping.FieldsToServiceNow = []FieldToServiceNow{{Source: SourceLabel, Name: "service", Column: "u_service"}}
	p.Mapping.FieldsToFlashduty = []FieldToFlashduty{{Column: "u_business_service", Field: "business_service"}}
	w := linked(t, p)
	for i := range 4 {
		w.advance(time.Minute)
		w.snowComment(JournalComments, "jsmith", "snow comment "+itoa(int64(i)))
		w.fdComment(7, "Jane", "fd comment "+itoa(int64(i)))
	}
	w.sync()
	return w.loadBase()
}

func TestSnapshotRoundTripAndSize(t *testing.T) {
	s := typicalBase(t)
	if len(s.Fields) != 6 || len(s.Comments) != 8 {
		t.Fatalf("unexpected typical base: %s", js(s))
	}
	b, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) >= 512 {
		t.Fatalf("typical snapshot is %d bytes, want < 512", len(b))
	}
	t.Logf("typical snapshot: %d bytes", len(b))
	var got Snapshot
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&got, s) {
		t.Fatalf("round trip differs:\n%s\n%s", js(s), js(&got))
	}
	b2, _ := got.MarshalBinary()
	if !bytes.Equal(b, b2) {
		t.Fatal("encoding is not deterministic")
	}
}

func TestSnapshotDecodeErrors(t *testing.T) {
	good, _ := typicalBase(t).MarshalBinary()
	cases := map[string][]byte{
		"empty":    nil,
		"version":  append([]byte{9}, good[1:]...),
		"trailing": append(append([]byte{}, good...), 0),
		"huge":     {SnapshotVersion, 0xff, 0xff, 0xff, 0x0f},
		"side":     {SnapshotVersion, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 7, 1, 2, 3, 4, 5, 6, 7, 8, 0},
		"unsorted": (&Snapshot{Fields: []FieldBase{{Key: "b"}, {Key: "a"}}}).mustMarshal(t),
	}
	for i := 1; i < len(good); i++ {
		cases["truncated"+itoa(int64(i))] = good[:i]
	}
	for name, data := range cases {
		var s Snapshot
		err := s.UnmarshalBinary(data)
		if err == nil || !strings.HasPrefix(err.Error(), "decode snapshot: ") {
			t.Errorf("%s: want a decode error, got %v", name, err)
		}
	}
	if _, err := (&Snapshot{Comments: []CommentMark{{Side: "x"}}}).MarshalBinary(); err == nil {
		t.Error("want an encode error for a bad side")
	}
}

func (s *Snapshot) mustMarshal(t testing.TB) []byte {
	b, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzSnapshotDecode(f *testing.F) {
	good, _ := typicalBase(f).MarshalBinary()
	f.Add(good)
	f.Add([]byte{SnapshotVersion})
	f.Fuzz(func(t *testing.T, data []byte) {
		var s Snapshot
		if err := s.UnmarshalBinary(data); err != nil {
			return
		}
		b, err := s.MarshalBinary()
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		var again Snapshot
		if err := again.UnmarshalBinary(b); err != nil || !reflect.DeepEqual(s, again) {
			t.Fatalf("decode(encode(s)) != s: %v", err)
		}
	})
}
