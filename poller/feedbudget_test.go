package poller

import "testing"

func TestFeedBudgetYieldsUnderLoad(t *testing.T) {
	for _, tt := range []struct {
		load float64
		want int
	}{{0, 20}, {0.5, 20}, {0.7, 10}, {0.8, 5}, {0.9, 0}, {1.4, 0}} {
		if got := feedBudget(20, tt.load); got != tt.want {
			t.Errorf("feedBudget(20, %v) = %d, want %d", tt.load, got, tt.want)
		}
	}
	if got := feedBudget(0, 0); got != 0 {
		t.Errorf("a zero budget became %d", got)
	}
}
