package token

import (
	"fmt"
	"math/big"
	"time"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

// Capacity is how many token minor units a fiat balance backs at the contract's
// ratio: reserve (fiat minor units) × ratio, converted from the currency's
// minor digits to the token's decimals. It rounds down, in the ledger's favour
// (a coin is never backed by less than its share), and saturates at money.Max.
func (c Contract) Capacity(reserve money.Amount) money.Amount {
	return capacity(reserve, c.Ratio, c.Decimals, c.Fiat.Currency.Digits)
}

// ReserveCapacity is the supply the declared reserve backs; SupplyCap is at
// most this.
func (c Contract) ReserveCapacity() money.Amount { return c.Capacity(c.DeclaredReserve) }

// capacity computes floor(reserve × r.Num × 10^decimals / (10^r.Scale ×
// 10^digits)) exactly, saturating at money.Max.
func capacity(reserve money.Amount, r Ratio, decimals, digits uint8) money.Amount {
	n := new(big.Int).Mul(reserve.Big(), r.Num.Big())
	n.Mul(n, pow10Big(int(decimals)))
	n.Quo(n, pow10Big(int(r.Scale)+int(digits)))
	if a, ok := money.FromBig(n); ok {
		return a
	}
	return money.Max
}

// RedeemUnit is the smallest positive amount of the token, in minor units,
// whose fiat value at c's ratio is a whole number of fiat minor units: a
// redemption pays exactly what it burns only in multiples of it. With a value
// of Num/10^Scale coins per fiat unit, a minor units are worth
// a·10^(digits+Scale) / (Num·10^decimals) fiat minor units, which is whole
// exactly when a is a multiple of Num·10^decimals / gcd(Num·10^decimals,
// 10^(digits+Scale)). It saturates at money.Max for a ratio so fine that the
// unit does not fit, and then nothing but money.Max is redeemable.
func (c Contract) RedeemUnit() money.Amount {
	return redeemUnit(c.Ratio, c.Decimals, c.Fiat.Currency.Digits)
}

func redeemUnit(r Ratio, decimals, digits uint8) money.Amount {
	n := new(big.Int).Mul(r.Num.Big(), pow10Big(int(decimals)))
	g := new(big.Int).GCD(nil, nil, n, pow10Big(int(r.Scale)+int(digits)))
	if u, ok := money.FromBig(n.Quo(n, g)); ok {
		return u
	}
	return money.Max
}

// redeemStep is the step of the amounts that may be redeemed: the least
// common multiple of the minimum unit (every amount's step) and the redeem
// unit (the fiat's).
func redeemStep(minUnit, unit money.Amount) money.Amount {
	m, u := minUnit.Big(), unit.Big()
	g := new(big.Int).GCD(nil, nil, m, u)
	l := new(big.Int).Mul(m, u)
	if s, ok := money.FromBig(l.Quo(l, g)); ok {
		return s
	}
	return money.Max
}

// CheckRedeemPays reports whether redeeming a burns nothing that is not paid:
// nil when a's fiat value at c's ratio is a whole number of fiat minor units,
// otherwise a rejection with CodeRedeemFiatRemainder naming the nearest
// amounts that are. A redemption that would burn a remainder is refused
// rather than rounded, because the holder would lose it and the reserve would
// keep backing coins that no longer exist.
func (c Contract) CheckRedeemPays(a money.Amount) *ledger.Rejection {
	unit := c.RedeemUnit()
	if a.IsMultipleOf(unit) {
		return nil
	}
	cur := c.Fiat.Currency
	step := redeemStep(c.MinUnit, unit)
	_, rem := a.QuoRem(step)
	below, _ := a.Sub(rem)
	near := c.coins(below) + " or "
	if below.IsZero() {
		near = ""
	}
	if above, ok := below.Add(step); ok {
		near += c.coins(above)
	}
	return ledger.Reject(ledger.CodeRedeemFiatRemainder,
		"%s is worth %s %s and a fraction of a minor unit, which the reserve cannot pay; at ratio %s a redemption is a multiple of %s, such as %s",
		c.coins(a), c.FiatValue(a).Format(cur.Digits), cur.Code, c.Ratio, c.coins(step), near)
}

func pow10Big(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// CheckTransfer reports whether a may move in one transfer (S0.5): nil when a is
// positive, a multiple of MinUnit and at most MaxTransfer; otherwise a
// rejection with CodeInvalidAmount, CodeNotMinUnitMultiple or
// CodeAboveMaxTransfer, in that order of precedence.
func (c Contract) CheckTransfer(a money.Amount) *ledger.Rejection {
	switch {
	case a.IsZero():
		return ledger.Reject(ledger.CodeInvalidAmount, "amount must be greater than zero")
	case !a.IsMultipleOf(c.MinUnit):
		return ledger.Reject(ledger.CodeNotMinUnitMultiple, "amount %s is not a multiple of the minimum unit %s", c.coins(a), c.coins(c.MinUnit))
	case a.Cmp(c.MaxTransfer) > 0:
		return ledger.Reject(ledger.CodeAboveMaxTransfer, "amount %s exceeds the maximum transfer %s", c.coins(a), c.coins(c.MaxTransfer))
	}
	return nil
}

// coins formats a for a message: "12.5 USDP".
func (c Contract) coins(a money.Amount) string { return c.FormatAmount(a) + " " + c.Symbol }

// FormatAmount writes token minor units as a decimal in coins.
func (c Contract) FormatAmount(a money.Amount) string { return a.Format(c.Decimals) }

// ParseAmount reads a decimal in coins as token minor units, rejecting excess
// precision.
func (c Contract) ParseAmount(s string) (money.Amount, error) { return money.Parse(s, c.Decimals) }

// RoleOf is the role a holds in the token, RoleNone if none (or a is zero).
func (c Contract) RoleOf(a ledger.Address) Role {
	switch {
	case a.IsZero():
		return RoleNone
	case a == c.Roles.Owner:
		return RoleOwner
	case a == c.Roles.Pauser:
		return RolePauser
	case a == c.Roles.Freezer:
		return RoleFreezer
	case a == c.Roles.Attestor:
		return RoleAttestor
	}
	if _, ok := c.Minter(a); ok {
		return RoleMinter
	}
	return RoleNone
}

// Minter finds a's minter entry.
func (c Contract) Minter(a ledger.Address) (Minter, bool) {
	for _, m := range c.Roles.Minters {
		if !a.IsZero() && m.Address == a {
			return m, true
		}
	}
	return Minter{}, false
}

// CheckInvariants re-checks, on a Contract that Build made or that was read
// back from storage, the invariants every Contract holds (see Contract). An
// error means a bug or corrupt state, never a user's mistake: Build panics on
// it, and so should a reader.
func (c Contract) CheckInvariants() error {
	positive := []money.Amount{c.SupplyCap, c.MaxTransfer, c.MinRedeem}
	for _, m := range c.Roles.Minters {
		positive = append(positive, m.Allowance)
	}
	switch {
	case c.Decimals > MaxDecimals || !isPow10Unit(c.MinUnit, c.Decimals):
		return fmt.Errorf("token: %s: minimum unit %s at %d decimals", c.ID, c.MinUnit, c.Decimals)
	case c.MinRedeem.Cmp(c.MaxTransfer) > 0:
		return fmt.Errorf("token: %s: minimum redemption %s above maximum transfer %s", c.ID, c.MinRedeem, c.MaxTransfer)
	case c.SupplyCap.Cmp(c.ReserveCapacity()) > 0:
		return fmt.Errorf("token: %s: supply cap %s above reserve capacity %s", c.ID, c.SupplyCap, c.ReserveCapacity())
	case c.Ratio.Num.IsZero() || c.Ratio.Scale > MaxRatioDecimals:
		return fmt.Errorf("token: %s: ratio %s/10^%d", c.ID, c.Ratio.Num, c.Ratio.Scale)
	case c.FiatValue(c.MinRedeem).IsZero():
		return fmt.Errorf("token: %s: minimum redemption %s is worth no fiat minor unit", c.ID, c.MinRedeem)
	case c.Roles.Owner.IsZero() || c.Roles.Pauser.IsZero() || c.Roles.Freezer.IsZero() || c.Roles.Attestor.IsZero():
		return fmt.Errorf("token: %s: a required role has no address", c.ID)
	case len(c.Roles.Minters) > MaxMinters:
		return fmt.Errorf("token: %s: %d minters", c.ID, len(c.Roles.Minters))
	case c.StalenessWindow < MinStalenessWindow || c.StalenessWindow > MaxStalenessWindow || c.StalenessWindow%time.Second != 0:
		return fmt.Errorf("token: %s: staleness window %s", c.ID, c.StalenessWindow)
	}
	for _, a := range positive {
		if a.IsZero() || !a.IsMultipleOf(c.MinUnit) {
			return fmt.Errorf("token: %s: amount %s is not a positive multiple of the minimum unit %s", c.ID, a, c.MinUnit)
		}
	}
	return nil
}

// FiatValue is what a coins are worth in fiat minor units at c's ratio, rounded
// down: a redemption never pays out more than its coins back.
func (c Contract) FiatValue(a money.Amount) money.Amount { return c.fiat(a, false) }

// FiatFor is the fiat, in minor units, needed to back a coins at c's ratio,
// rounded up: the reserve the supply requires.
func (c Contract) FiatFor(a money.Amount) money.Amount { return c.fiat(a, true) }

func (c Contract) fiat(a money.Amount, up bool) money.Amount {
	n := new(big.Int).Mul(a.Big(), pow10Big(int(c.Fiat.Currency.Digits)+int(c.Ratio.Scale)))
	d := new(big.Int).Mul(c.Ratio.Num.Big(), pow10Big(int(c.Decimals)))
	q, r := n.QuoRem(n, d, new(big.Int))
	if up && r.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	if v, ok := money.FromBig(q); ok {
		return v
	}
	return money.Max
}
