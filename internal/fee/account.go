package fee

import (
	"cmp"
	"fmt"
	"math/big"
	"slices"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

// Grant is one deposit: Amount released evenly over [Start, End) in block
// time (Unix nanoseconds), of which Spent has been charged.
type Grant struct {
	Deposit ledger.TxID  `json:"deposit"`
	Amount  money.Amount `json:"amount"`
	Spent   money.Amount `json:"spent"`
	Start   int64        `json:"start"`
	End     int64        `json:"end"`
}

// Released is how much of g has been released at now:
// floor(Amount × (now − Start) / (End − Start)), none before Start and all of
// it from End. Rounding is down, against the holder, by less than one minor
// unit, and never below what an earlier now released. The window closes at
// End, the instant the last of it is released, so what is released only then
// (the last minor unit, or ceil(Amount / (End − Start)) of them for amounts
// above the window's length in nanoseconds) is never available: it expires.
func (g Grant) Released(now int64) money.Amount {
	switch {
	case now <= g.Start:
		return money.Amount{}
	case now >= g.End:
		return g.Amount
	}
	return g.Amount.MulDiv64(uint64(now-g.Start), uint64(g.End-g.Start))
}

// Available is what may be charged to g at now: released and not yet spent,
// while its window is open.
func (g Grant) Available(now int64) money.Amount {
	if now >= g.End {
		return money.Amount{}
	}
	a, ok := g.Released(now).Sub(g.Spent)
	if !ok { // charges take only what is available, and block time never goes back
		panic(fmt.Sprintf("fee: grant %s spent %s, more than the %s released at %d", g.Deposit, g.Spent, g.Released(now), now))
	}
	return a
}

// Unspent is what g still holds: released or not, not yet spent.
func (g Grant) Unspent() money.Amount {
	u, _ := g.Amount.Sub(g.Spent)
	return u
}

// NextRelease is the first time after now at which g's release grows by at
// least one minor unit while its window is open, and false when none will.
func (g Grant) NextRelease(now int64) (int64, bool) {
	if now >= g.End || g.Released(now) == g.Amount {
		return 0, false
	}
	t := max(now, g.Start)
	// The least d with Amount × d ≥ (released + 1) × span, by math/big: the
	// product can need 192 bits.
	span := big.NewInt(g.End - g.Start)
	need := new(big.Int).Mul(new(big.Int).Add(g.Released(t).Big(), big.NewInt(1)), span)
	a := g.Amount.Big()
	d := new(big.Int).Add(need, new(big.Int).Sub(a, big.NewInt(1)))
	d.Quo(d, a)
	if next := g.Start + d.Int64(); next < g.End {
		return next, true
	}
	return 0, false
}

// Status is a fee account's standing.
type Status string

// The statuses.
const (
	// Active: at least the policy's LowBalance is available now.
	Active Status = "ACTIVE"
	// Low: less than LowBalance is available now, and the live grants hold
	// more that is still to be released.
	Low Status = "LOW"
	// Exhausted: live grants remain, but nothing is available now and
	// nothing more will be before their windows close.
	Exhausted Status = "EXHAUSTED"
	// Expired: every grant's window has ended.
	Expired Status = "EXPIRED"
)

// Account is a fee account: its live grants, in the order they are charged
// (the one that expires first first), and totals that the audit holds
// against them: Deposited = Spent + Expired + Σ live grants' unspent.
type Account struct {
	Grants    []Grant      `json:"grants"`
	Deposited money.Amount `json:"deposited"`
	Spent     money.Amount `json:"spent"`
	Expired   money.Amount `json:"expired"`
	Status    Status       `json:"status"`
}

// Expire ends the grants whose window has closed by now: their unspent rest
// is added to Expired and they leave the account. It returns what expired.
func (a *Account) Expire(now int64) money.Amount {
	var gone money.Amount
	a.Grants = slices.DeleteFunc(a.Grants, func(g Grant) bool {
		if now < g.End {
			return false
		}
		gone = mustAdd(gone, g.Unspent())
		return true
	})
	a.Expired = mustAdd(a.Expired, gone)
	return gone
}

// Deposit adds a grant. The caller has expired the account at the grant's
// start and checked the policy's bound on live grants.
func (a *Account) Deposit(g Grant) {
	i, _ := slices.BinarySearchFunc(a.Grants, g, grantOrder)
	a.Grants = slices.Insert(a.Grants, i, g)
	a.Deposited = mustAdd(a.Deposited, g.Amount)
}

// grantOrder is the order grants are charged in: the one that expires first,
// then the older, then by deposit.
func grantOrder(x, y Grant) int {
	return cmp.Or(cmp.Compare(x.End, y.End), cmp.Compare(x.Start, y.Start), slices.Compare(x.Deposit[:], y.Deposit[:]))
}

// Available is what may be charged at now, across the live grants.
func (a *Account) Available(now int64) money.Amount {
	var sum money.Amount
	for _, g := range a.Grants {
		sum = mustAdd(sum, g.Available(now))
	}
	return sum
}

// Unspent is what the live grants still hold.
func (a *Account) Unspent() money.Amount {
	var sum money.Amount
	for _, g := range a.Grants {
		sum = mustAdd(sum, g.Unspent())
	}
	return sum
}

// NextRelease is the first time after now at which more becomes available,
// and false when nothing more will.
func (a *Account) NextRelease(now int64) (int64, bool) {
	var next int64
	found := false
	for _, g := range a.Grants {
		if t, ok := g.NextRelease(now); ok && (!found || t < next) {
			next, found = t, true
		}
	}
	return next, found
}

func (a *Account) hasNextRelease(now int64) bool {
	_, ok := a.NextRelease(now)
	return ok
}

// Charge takes fee from the grants in the order they expire, each giving what
// it has available at now, and reports false, changing nothing, when
// together they have less than fee available.
func (a *Account) Charge(now int64, fee money.Amount) bool {
	if a.Available(now).Cmp(fee) < 0 {
		return false
	}
	rest := fee
	for i := range a.Grants {
		if rest.IsZero() {
			break
		}
		take := a.Grants[i].Available(now)
		if take.Cmp(rest) > 0 {
			take = rest
		}
		a.Grants[i].Spent = mustAdd(a.Grants[i].Spent, take)
		rest, _ = rest.Sub(take)
	}
	a.Spent = mustAdd(a.Spent, fee)
	return true
}

// Judge is the account's status at now, against the policy's LowBalance.
func (a *Account) Judge(now int64, low money.Amount) Status {
	switch {
	case len(a.Grants) == 0 || !slices.ContainsFunc(a.Grants, func(g Grant) bool { return now < g.End }):
		return Expired
	case a.Available(now).IsZero() && !a.hasNextRelease(now):
		return Exhausted
	case a.Available(now).Cmp(low) < 0:
		return Low
	}
	return Active
}

// CheckBalance asserts the account's totals against its grants: Deposited =
// Spent + Expired + Σ unspent, and no grant spent beyond its amount.
func (a *Account) CheckBalance() error {
	for _, g := range a.Grants {
		if g.Spent.Cmp(g.Amount) > 0 || g.End <= g.Start {
			return fmt.Errorf("fee: grant %s spent %s of %s over [%d, %d)", g.Deposit, g.Spent, g.Amount, g.Start, g.End)
		}
	}
	out, ok := a.Spent.Add(a.Expired)
	if ok {
		out, ok = out.Add(a.Unspent())
	}
	if !ok || out != a.Deposited {
		return fmt.Errorf("fee: deposited %s, but spent %s + expired %s + unspent %s differ", a.Deposited, a.Spent, a.Expired, a.Unspent())
	}
	return nil
}

// mustAdd adds amounts whose sum is bounded by what was deposited, itself
// bounded by a token's supply: an overflow is a broken invariant.
func mustAdd(x, y money.Amount) money.Amount {
	s, ok := x.Add(y)
	if !ok {
		panic(fmt.Sprintf("fee: %s + %s overflows", x, y))
	}
	return s
}
