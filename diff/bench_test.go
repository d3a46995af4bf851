package diff

import (
	"testing"
	"time"
)

// BenchmarkCompute diffs a typical linked pair with two custom fields, a
// title change and a new comment on each side.
func BenchmarkCompute(b *testing.B) {
	p := testPolicy(TwoWay, "")
	p.Mapping.FieldsToServiceNow = []FieldToServiceNow{{Source: SourceLabel, Name: "service", Column: "u_service"}}
	p.Mapping.FieldsToFlashduty = []FieldToFlashduty{{Column: "u_business_service", Field: "business_service"}}
	w := linked(b, p)
	for i := range 6 {
		w.advance(time.Minute)
		w.snowComment(JournalComments, "jsmith", "snow comment "+itoa(int64(i)))
		w.fdComment(7, "Jane", "fd comment "+itoa(int64(i)))
	}
	w.sync()
	w.snow.ShortDescription = "Disk full on db-01 and db-02"
	w.snowComment(JournalComments, "jsmith", "one more")
	w.fdComment(7, "Jane", "and another")
	base := w.loadBase()
	s, f := w.views()
	p.Now = w.now
	b.ReportAllocs()
	for b.Loop() {
		plan := Compute(base, s, f, p)
		if plan.Writes() != 3 {
			b.Fatalf("unexpected plan: %s", js(plan))
		}
	}
}

func BenchmarkSnapshotEncode(b *testing.B) {
	s := typicalBase(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.MarshalBinary(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSnapshotDecode(b *testing.B) {
	data, err := typicalBase(b).MarshalBinary()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		var s Snapshot
		if err := s.UnmarshalBinary(data); err != nil {
			b.Fatal(err)
		}
	}
}
