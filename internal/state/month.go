package state

import (
	"fmt"
	"math/big"
	"time"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/reserve"
)

// Month is what the ledger keeps of one token over one calendar month (UTC,
// in block time) for its monthly reserve report: supply, what was minted and
// redeemed, how many attestations came, the lowest coverage seen, and how long
// the reserve spent in each status. It is updated whenever the supply, the
// reading or the status changes.
type Month struct {
	Token         ledger.TokenID `json:"token"`
	Month         string         `json:"month"` // YYYY-MM
	OpeningSupply money.Amount   `json:"opening_supply"`
	ClosingSupply money.Amount   `json:"closing_supply"`
	Minted        money.Amount   `json:"minted"`
	Redeemed      money.Amount   `json:"redeemed"`
	Attestations  int            `json:"attestations"`
	// MinBalance / MinRequired is the lowest coverage seen after any change in
	// the month; both zero when nothing was required.
	MinBalance  money.Amount `json:"min_balance"`
	MinRequired money.Amount `json:"min_required"`
	// LastBalance / LastRequired is the coverage after the month's last
	// change, which holds until the next: a month without changes has it
	// throughout.
	LastBalance  money.Amount `json:"last_balance"`
	LastRequired money.Amount `json:"last_required"`
	// Seconds in each status up to LastChange (Unix nanoseconds), when the
	// reserve entered Status.
	Seconds    map[reserve.Status]int64 `json:"seconds"`
	Status     reserve.Status           `json:"status"`
	LastChange int64                    `json:"last_change"`
}

const prefixMonth = "mon/" // mon/ID/YYYY-MM → Month (JSON)

func monthKey(tok ledger.TokenID, month string) []byte {
	return []byte(prefixMonth + string(tok) + "/" + month)
}

func monthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// recordMonth folds a change of t into its month: supplyBefore and
// statusBefore are t's supply and reserve status before the change; minted,
// redeemed and attested say what the change was.
func (x *exec) recordMonth(t *Token, supplyBefore money.Amount, statusBefore reserve.Status, minted, redeemed money.Amount, attested bool) {
	now := x.env.Time.UTC()
	name := now.Format("2006-01")
	key := monthKey(t.Contract.ID, name)
	var m Month
	if b := x.w.Get(key); b != nil {
		decode(key, b, &m)
	} else {
		start := max(monthStart(now).UnixNano(), t.DeployTime)
		m = Month{Token: t.Contract.ID, Month: name, OpeningSupply: supplyBefore, Seconds: map[reserve.Status]int64{},
			Status: statusBefore, LastChange: start}
	}
	if d := now.UnixNano() - m.LastChange; d > 0 {
		m.Seconds[m.Status] += d / int64(time.Second)
	}
	m.LastChange, m.Status = now.UnixNano(), t.ReserveStatus
	m.Minted = mustAdd(m.Minted, minted)
	m.Redeemed = mustAdd(m.Redeemed, redeemed)
	if attested {
		m.Attestations++
	}
	m.ClosingSupply = t.Supply
	if t.Reading != nil {
		req := reserve.Required(t.Contract, t.Supply)
		m.LastBalance, m.LastRequired = t.Reading.Balance, req
		if !req.IsZero() && (m.MinRequired.IsZero() || lowerCoverage(t.Reading.Balance, req, m.MinBalance, m.MinRequired)) {
			m.MinBalance, m.MinRequired = t.Reading.Balance, req
		}
	}
	x.w.Set(key, encode(m))
}

// lowerCoverage reports whether a/b < c/d.
func lowerCoverage(a, b, c, d money.Amount) bool {
	l := new(big.Int).Mul(a.Big(), d.Big())
	r := new(big.Int).Mul(c.Big(), b.Big())
	return l.Cmp(r) < 0
}

// mustAdd is a + b for a total the ledger keeps (books, monthly totals),
// whose parts the checks before it have bounded: an overflow is a broken
// invariant, not a refusal.
func mustAdd(a, b money.Amount) money.Amount {
	s, ok := a.Add(b)
	if !ok {
		panic(fmt.Sprintf("state: a total overflows: %s + %s", a, b))
	}
	return s
}

// MonthOf returns a token's record for month (YYYY-MM) as of block time asOf,
// with the status interval still open at asOf (or at the month's end) counted.
// A month without changes is carried from the latest earlier month: its
// supply did not move and its status held throughout. It returns nil if the
// token did not exist by the month's end.
func MonthOf(s Scanner, tok ledger.TokenID, month string, asOf time.Time) (*Month, error) {
	start, err := time.Parse("2006-01", month)
	if err != nil {
		return nil, fmt.Errorf("state: month %q: want YYYY-MM", month)
	}
	end := start.AddDate(0, 1, 0)
	var m *Month
	err = s.Scan([]byte(prefixMonth+string(tok)+"/"), nil, func(k, v []byte) bool {
		var r Month
		decode(k, v, &r)
		if r.Month > month {
			return false
		}
		m = &r
		return true
	})
	if err != nil || m == nil {
		return nil, err
	}
	if m.Month != month {
		m = &Month{Token: tok, Month: month, OpeningSupply: m.ClosingSupply, ClosingSupply: m.ClosingSupply,
			Seconds: map[reserve.Status]int64{}, Status: m.Status, LastChange: start.UnixNano(),
			MinBalance: m.LastBalance, MinRequired: m.LastRequired, LastBalance: m.LastBalance, LastRequired: m.LastRequired}
	}
	until := min(end.UnixNano(), asOf.UnixNano())
	if d := until - m.LastChange; d > 0 {
		m.Seconds[m.Status] += d / int64(time.Second)
	}
	return m, nil
}
