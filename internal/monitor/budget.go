package monitor

import (
	"time"
)

// budget enforces a bank's limit on unattended reads per rolling 24 hours
// (PSD2 allows 4 unless the bank agrees to more).
type budget struct {
	max   int
	reads []time.Time // oldest first, within the last 24 hours
}

const budgetWindow = 24 * time.Hour

// next is the earliest time at or after now when a read fits the budget.
func (b *budget) next(now time.Time) time.Time {
	b.prune(now)
	if len(b.reads) < b.max {
		return now
	}
	return b.reads[0].Add(budgetWindow)
}

// spend records a read at now.
func (b *budget) spend(now time.Time) {
	b.prune(now)
	b.reads = append(b.reads, now)
}

func (b *budget) prune(now time.Time) {
	i := 0
	for i < len(b.reads) && !b.reads[i].Add(budgetWindow).After(now) {
		i++
	}
	b.reads = b.reads[i:]
}
