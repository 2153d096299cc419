// Package kyc owns a token's KYC tiers (S1.6): the limits each level of
// identity verification places on an account's payments of the token, per
// payment, per calendar day and on the balance held, like the wallet tiers
// of central-bank digital currencies. Level 0 is an account without a valid
// certificate; a certificate the operator's CA issues states its holder's
// level (internal/cert).
//
// It is pure: amounts, block time and the account's usage record come in,
// a verdict goes out. Where the tiers and the usage are stored, and which
// movements are checked, belong to internal/state.
package kyc

import (
	"fmt"
	"time"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

// MaxLevels bounds a token's tiers: levels 0 to MaxLevels−1. It keeps the
// token record small; a certificate states at most level MaxLevels−1.
const MaxLevels = 10

// Limit caps an amount, or is explicitly none: a zero Max caps at zero (the
// tier may not do that at all), it never means unlimited.
type Limit struct {
	Max  money.Amount `json:"max"`
	None bool         `json:"none,omitempty"`
}

// Unlimited is the limit that caps nothing.
var Unlimited = Limit{None: true}

// Cap is a limit of max.
func Cap(max money.Amount) Limit { return Limit{Max: max} }

// over returns by how much a passes the limit, and whether it does.
func (l Limit) over(a money.Amount) (money.Amount, bool) {
	if l.None || a.Cmp(l.Max) <= 0 {
		return money.Amount{}, false
	}
	d, _ := a.Sub(l.Max)
	return d, true
}

// atLeast reports whether l allows everything m allows.
func (l Limit) atLeast(m Limit) bool {
	if l.None {
		return true
	}
	return !m.None && l.Max.Cmp(m.Max) >= 0
}

// Tier is the limits of one level.
type Tier struct {
	// PerPayment caps what one movement pays others.
	PerPayment Limit `json:"per_payment"`
	// PerDay caps what an account pays others over one calendar day of
	// block time (UTC), this payment included.
	PerDay Limit `json:"per_day"`
	// Balance caps what an account holds after it is paid.
	Balance Limit `json:"balance"`
}

// Tiers are a token's tiers, level 0 first.
type Tiers []Tier

// Validate checks the tiers: 1 to MaxLevels levels, and no level allowing
// less than the one below it, so that a higher verification never costs
// an account a limit.
func (ts Tiers) Validate() error {
	if len(ts) == 0 || len(ts) > MaxLevels {
		return fmt.Errorf("kyc: %d levels; want 1 to %d", len(ts), MaxLevels)
	}
	for i := 1; i < len(ts); i++ {
		lo, hi := ts[i-1], ts[i]
		if !hi.PerPayment.atLeast(lo.PerPayment) || !hi.PerDay.atLeast(lo.PerDay) || !hi.Balance.atLeast(lo.Balance) {
			return fmt.Errorf("kyc: level %d allows less than level %d", i, i-1)
		}
	}
	return nil
}

// At returns the tier of level: the top tier for a level above it.
func (ts Tiers) At(level uint8) Tier {
	if int(level) >= len(ts) {
		return ts[len(ts)-1]
	}
	return ts[level]
}

// Day is the calendar day (UTC) of block time t, counted from the Unix
// epoch: per-day limits reset at midnight UTC, so that an account's usage is
// one record rewritten in place, never a window of entries.
func Day(t time.Time) int64 {
	s := t.Unix()
	d := s / 86400
	if s%86400 < 0 {
		d--
	}
	return d
}

// Usage is an account's record for one tiered token: the balance it holds
// on this chain and what it has paid others on Day.
type Usage struct {
	Held money.Amount `json:"held"`
	Day  int64        `json:"day"`
	Paid money.Amount `json:"paid"`
}

// PaidOn is what the account has paid others on day.
func (u Usage) PaidOn(day int64) money.Amount {
	if u.Day != day {
		return money.Amount{}
	}
	return u.Paid
}

// Format renders an amount of the token in its decimals, for messages.
type Format func(money.Amount) string

// CheckPayment judges a payment of amount to others by an account at level
// with usage u on day: the per-payment limit first (KYC_PAYMENT_LIMIT),
// then the day's (KYC_DAILY_LIMIT), each naming the limit and the excess.
func CheckPayment(t Tier, level uint8, u Usage, day int64, amount money.Amount, f Format) *ledger.Rejection {
	if over, ok := t.PerPayment.over(amount); ok {
		return ledger.Reject(ledger.CodeKYCPaymentLimit, "a payment of %s passes level %d's per-payment limit of %s by %s",
			f(amount), level, f(t.PerPayment.Max), f(over))
	}
	paid := u.PaidOn(day)
	total, fits := paid.Add(amount)
	over, ok := t.PerDay.over(total)
	if !fits || ok {
		return ledger.Reject(ledger.CodeKYCDailyLimit, "%s paid today and %s more passes level %d's daily limit of %s by %s",
			f(paid), f(amount), level, f(t.PerDay.Max), f(over))
	}
	return nil
}

// Paying returns u after a payment of amount on day, which CheckPayment
// allowed.
func (u Usage) Paying(day int64, amount money.Amount) Usage {
	paid, ok := u.PaidOn(day).Add(amount)
	if !ok {
		panic("kyc: a day's payments overflow; CheckPayment allowed them")
	}
	u.Day, u.Paid = day, paid
	return u
}

// CheckReceipt judges an account at level with usage u being paid amount:
// its balance after it must keep within the level's limit
// (KYC_BALANCE_LIMIT, naming the limit and the excess).
func CheckReceipt(t Tier, level uint8, u Usage, amount money.Amount, f Format) *ledger.Rejection {
	return checkHeld(ledger.CodeKYCBalanceLimit, "being paid", t, level, u, amount, f)
}

// CheckRefund judges an account at level with usage u getting amount of its
// own money back (a trade's refund, a cross-region payment returned): no
// payment by anyone, so no per-payment or daily limit, but the balance
// limit is a cap on what it holds, refunds included (KYC_REFUND_LIMIT, a
// code of its own because the money waits where it is, not refused: the
// refund goes through once the account has room or a higher level).
func CheckRefund(t Tier, level uint8, u Usage, amount money.Amount, f Format) *ledger.Rejection {
	return checkHeld(ledger.CodeKYCRefundLimit, "getting back", t, level, u, amount, f)
}

// checkHeld refuses with code when u's holding and amount pass t's balance
// limit; verb says how amount arrives.
func checkHeld(code ledger.Code, verb string, t Tier, level uint8, u Usage, amount money.Amount, f Format) *ledger.Rejection {
	after, fits := u.Held.Add(amount)
	over, ok := t.Balance.over(after)
	if !fits || ok {
		return ledger.Reject(code, "holding %s, %s %s passes level %d's balance limit of %s by %s",
			f(u.Held), verb, f(amount), level, f(t.Balance.Max), f(over))
	}
	return nil
}
