package poller

import "testing"

func TestOptionalReadsYieldUnderLoad(t *testing.T) {
	for _, tt := range []struct {
		load float64
		want int
	}{{0, 20}, {0.5, 20}, {0.7, 10}, {0.8, 5}, {0.9, 0}, {1.4, 0}} {
		if got := underLoad(20, tt.load); got != tt.want {
			t.Errorf("underLoad(20, %v) = %d, want %d", tt.load, got, tt.want)
		}
	}
	if got := underLoad(0, 0); got != 0 {
		t.Errorf("a zero budget became %d", got)
	}
}
