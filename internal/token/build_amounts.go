package token

import (
	"fmt"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

// amounts checks the token amounts at the token's decimals: the minimum unit
// first, since the others must be multiples of it. While the decimals are
// invalid, only what holds at any decimals is checked.
func (b *builder) amounts(d Draft) {
	if !b.decimalsOK {
		b.amountsWithoutDecimals(d)
		return
	}
	dec := b.c.Decimals
	if u, problem := parsePositive("minimum unit", d.MinUnit, dec); problem != "" {
		b.add(ledger.CodeContractMinUnit, "min_unit", "%s", problem)
	} else if !isPow10Unit(u, dec) {
		b.add(ledger.CodeContractMinUnit, "min_unit", "minimum unit %s is not a power of ten from the smallest unit %s to one whole coin",
			b.tokens(u), b.tokens(money.FromUint64(1)))
	} else {
		b.c.MinUnit, b.minUnitOK = u, true
	}

	if c, problem := parsePositive("supply cap", d.SupplyCap, dec); problem != "" {
		b.add(ledger.CodeContractCap, "supply_cap", "%s", problem)
	} else {
		b.c.SupplyCap, b.capOK = c, true
		if b.minUnitOK && !c.IsMultipleOf(b.c.MinUnit) {
			b.add(ledger.CodeContractCap, "supply_cap", "supply cap %s is not a multiple of the minimum unit %s", b.tokens(c), b.tokens(b.c.MinUnit))
		}
	}

	if m, problem := parsePositive("maximum transfer", d.MaxTransfer, dec); problem != "" {
		b.add(ledger.CodeInvalidAmount, "max_transfer", "%s", problem)
	} else {
		b.c.MaxTransfer, b.maxTransferOK = m, true
		switch {
		case !b.minUnitOK:
		case m.Cmp(b.c.MinUnit) < 0:
			b.add(ledger.CodeMaxTransferBelowMin, "max_transfer", "maximum transfer %s is below the minimum unit %s", b.tokens(m), b.tokens(b.c.MinUnit))
		case !m.IsMultipleOf(b.c.MinUnit):
			b.add(ledger.CodeNotMinUnitMultiple, "max_transfer", "maximum transfer %s is not a multiple of the minimum unit %s", b.tokens(m), b.tokens(b.c.MinUnit))
		}
	}
	b.minRedeem(d.MinRedeem)
}

// amountsWithoutDecimals checks what the amounts must be whatever the
// decimals: positive decimal numbers with at most MaxDecimals places, so that
// a contract with invalid decimals still has its other mistakes reported.
// What depends on the decimals (powers of ten, multiples, coverage) waits.
func (b *builder) amountsWithoutDecimals(d Draft) {
	for _, a := range []struct {
		code             ledger.Code
		field, what, val string
	}{
		{ledger.CodeContractMinUnit, "min_unit", "minimum unit", d.MinUnit},
		{ledger.CodeContractCap, "supply_cap", "supply cap", d.SupplyCap},
		{ledger.CodeInvalidAmount, "max_transfer", "maximum transfer", d.MaxTransfer},
		{ledger.CodeInvalidAmount, "min_redeem", "minimum redemption", d.MinRedeem},
	} {
		if a.field == "min_redeem" && a.val == "" {
			continue // it has a default
		}
		if _, problem := parsePositive(a.what, a.val, MaxDecimals); problem != "" {
			b.add(a.code, a.field, "%s", problem)
		}
	}
}

// minRedeem checks the smallest redemption. It defaults to the smallest amount
// that may be redeemed: the minimum unit, or the first multiple of it worth a
// whole number of fiat minor units (redeemStep).
func (b *builder) minRedeem(s string) {
	fiatOK := b.minUnitOK && b.ratioOK && b.currencyOK
	if s == "" {
		b.c.MinRedeem = b.c.MinUnit
		if fiatOK {
			b.c.MinRedeem = b.redeemStep()
		}
	} else {
		r, problem := parsePositive("minimum redemption", s, b.c.Decimals)
		if problem != "" {
			b.add(ledger.CodeInvalidAmount, "min_redeem", "%s", problem)
			return
		}
		b.c.MinRedeem = r
		if b.minUnitOK && !r.IsMultipleOf(b.c.MinUnit) {
			b.add(ledger.CodeNotMinUnitMultiple, "min_redeem", "minimum redemption %s is not a multiple of the minimum unit %s", b.tokens(r), b.tokens(b.c.MinUnit))
			return
		}
		if b.maxTransferOK && r.Cmp(b.c.MaxTransfer) > 0 {
			b.add(ledger.CodeAboveMaxTransfer, "min_redeem", "minimum redemption %s exceeds the maximum transfer %s, so no redemption could be made",
				b.tokens(r), b.tokens(b.c.MaxTransfer))
			return
		}
	}
	if fiatOK {
		b.redeemable()
	}
}

func (b *builder) redeemStep() money.Amount {
	return redeemStep(b.c.MinUnit, redeemUnit(b.c.Ratio, b.c.Decimals, b.c.Fiat.Currency.Digits))
}

// redeemable holds the minimum redemption to what the reserve can pay: it is
// worth at least one fiat minor unit, and some amount from it up to the
// maximum transfer is worth a whole number of them.
func (b *builder) redeemable() {
	cur := b.c.Fiat.Currency
	r := b.c.MinRedeem
	if b.c.FiatValue(r).IsZero() {
		b.add(ledger.CodeContractMinRedeem, "min_redeem", "minimum redemption %s is worth less than one minor unit of %s (%s) at ratio %s, so it would burn coins and pay nothing",
			b.tokens(r), cur.Code, money.FromUint64(1).Format(cur.Digits), b.c.Ratio)
		return
	}
	if !b.maxTransferOK || b.c.MaxTransfer.Cmp(b.c.MinUnit) < 0 {
		return
	}
	step := b.redeemStep()
	first, ok := r, true
	if _, rem := r.QuoRem(step); !rem.IsZero() {
		below, _ := r.Sub(rem)
		first, ok = below.Add(step)
	}
	if !ok || first.Cmp(b.c.MaxTransfer) > 0 {
		b.add(ledger.CodeContractMinRedeem, "min_redeem", "no amount from the minimum redemption %s to the maximum transfer %s is a multiple of %s, the smallest amount worth a whole number of %s minor units at ratio %s",
			b.tokens(r), b.tokens(b.c.MaxTransfer), b.tokens(step), cur.Code, b.c.Ratio)
	}
}

// isPow10Unit reports whether u is 10^k minor units for some 0 ≤ k ≤ decimals:
// at least the smallest unit, at most one whole coin.
func isPow10Unit(u money.Amount, decimals uint8) bool {
	for k := 0; k <= int(decimals); k++ {
		if p, _ := money.Pow10(k); p == u {
			return true
		}
	}
	return false
}

// coverage holds the supply cap within what the declared reserve backs at the
// ratio (S0.1: the total supply is bound to the reserve).
func (b *builder) coverage() {
	if !b.capOK || !b.reserveOK || !b.ratioOK {
		return
	}
	cur := b.c.Fiat.Currency
	backed := capacity(b.c.DeclaredReserve, b.c.Ratio, b.c.Decimals, cur.Digits)
	if b.c.SupplyCap.Cmp(backed) > 0 {
		b.add(ledger.CodeCapNotCovered, "supply_cap", "supply cap %s exceeds the %s that the declared reserve %s %s backs at ratio %s",
			b.tokens(b.c.SupplyCap), b.tokens(backed), b.c.DeclaredReserve.Format(cur.Digits), cur.Code, b.c.Ratio)
	}
}

// tokens formats an amount of token minor units for a message.
func (b *builder) tokens(a money.Amount) string {
	unit := "coins"
	if b.symbolOK {
		unit = b.c.Symbol
	}
	return a.Format(b.c.Decimals) + " " + unit
}

// holder is the first role an address was found to hold.
type holder struct {
	role  Role
	field string
}

// roles checks the role addresses: the four fixed roles are required, minters
// are bounded and funded, and no address holds two roles.
func (b *builder) roles(r RolesDraft) {
	held := make(map[ledger.Address]holder) // looked up, never iterated
	fixed := []struct {
		field string
		role  Role
		s     string
		dst   *ledger.Address
	}{
		{"roles.owner", RoleOwner, r.Owner, &b.c.Roles.Owner},
		{"roles.pauser", RolePauser, r.Pauser, &b.c.Roles.Pauser},
		{"roles.freezer", RoleFreezer, r.Freezer, &b.c.Roles.Freezer},
		{"roles.attestor", RoleAttestor, r.Attestor, &b.c.Roles.Attestor},
	}
	for _, f := range fixed {
		if a, ok := b.roleAddress(ledger.CodeRoleMissing, f.field, f.role, f.s, held); ok {
			*f.dst = a
		}
	}
	if len(r.Minters) > MaxMinters {
		b.add(ledger.CodeContractMinter, "roles.minters", "%d minters, at most %d", len(r.Minters), MaxMinters)
		return
	}
	for i, m := range r.Minters {
		field := fmt.Sprintf("roles.minters[%d]", i)
		a, addrOK := b.roleAddress(ledger.CodeContractMinter, field+".address", RoleMinter, m.Address, held)
		allowance, allowanceOK := b.allowance(field+".allowance", m.Allowance)
		if addrOK && allowanceOK {
			b.c.Roles.Minters = append(b.c.Roles.Minters, Minter{Address: a, Allowance: allowance})
		}
	}
}

// roleAddress parses the address of a role, reporting a missing or malformed
// one with code and one that already holds a role with CodeRoleReused.
func (b *builder) roleAddress(code ledger.Code, field string, role Role, s string, held map[ledger.Address]holder) (ledger.Address, bool) {
	if s == "" {
		b.add(code, field, "the %s role needs an address", role)
		return ledger.Address{}, false
	}
	a, err := ledger.ParseAddress(s)
	if err != nil {
		b.add(code, field, "%s address %q is not a valid %s1… address", role, clip(s), ledger.AddressPrefix)
		return ledger.Address{}, false
	}
	if prev, ok := held[a]; ok {
		b.add(ledger.CodeRoleReused, field, "address %s holds both the %s role (%s) and the %s role (%s); an address holds at most one role",
			a, prev.role, prev.field, role, field)
		return a, true
	}
	held[a] = holder{role: role, field: field}
	return a, true
}

// allowance checks a minter's allowance: positive, a multiple of the minimum
// unit, within the supply cap.
func (b *builder) allowance(field, s string) (money.Amount, bool) {
	if !b.decimalsOK {
		if _, problem := parsePositive("allowance", s, MaxDecimals); problem != "" {
			b.add(ledger.CodeContractMinter, field, "%s", problem)
		}
		return money.Amount{}, false
	}
	a, problem := parsePositive("allowance", s, b.c.Decimals)
	if problem != "" {
		b.add(ledger.CodeContractMinter, field, "%s", problem)
		return money.Amount{}, false
	}
	if b.minUnitOK && !a.IsMultipleOf(b.c.MinUnit) {
		b.add(ledger.CodeContractMinter, field, "allowance %s is not a multiple of the minimum unit %s", b.tokens(a), b.tokens(b.c.MinUnit))
	}
	if b.capOK && a.Cmp(b.c.SupplyCap) > 0 {
		b.add(ledger.CodeContractMinter, field, "allowance %s exceeds the supply cap %s", b.tokens(a), b.tokens(b.c.SupplyCap))
	}
	return a, true
}
