package state

import (
	"strconv"
	"time"

	"github.com/pegledger/peg/internal/kyc"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/token"
	"github.com/pegledger/peg/internal/tx"
)

// A token's KYC tiers (S1.6) live on its record (Token.KYC); each account's
// usage of a tiered token is one record, kyc/TOKEN/ADDR → kyc.Usage,
// rewritten in place: the balance it holds here, kept by every coin of the
// token created or spent (create, destroy), and what it paid others on the
// last calendar day it paid. A token without tiers has no such records and
// its movements skip every check below on one nil test.

// setKycTiers sets a token's tiers: its owner only (UNAUTHORIZED); tiers
// that keep kyc's rules (KYC_TIERS); a first setting only while the token
// has no coin on this chain (KYC_TIERS_LATE), so that every holding starts
// at zero in the usage records.
func (x *exec) setKycTiers(m tx.SetKycTiers) *ledger.Rejection {
	t, rej := x.roleToken(m.Token, token.RoleOwner)
	if rej != nil {
		return rej
	}
	if err := m.Tiers.Validate(); err != nil {
		return ledger.Reject(ledger.CodeKYCTiers, "%v", err)
	}
	if t.KYC == nil {
		if held := t.Held(BooksOf(x.w, m.Token)); !held.IsZero() {
			return ledger.Reject(ledger.CodeKYCTiersLate, "%s has %s %s in coins on this chain; KYC tiers are first set before its first coin",
				m.Token, t.Contract.FormatAmount(held), t.Contract.Symbol)
		}
	}
	t.KYC = m.Tiers
	x.saveToken(t)
	x.emit("kyc.tiers_set", "token", string(m.Token), "levels", strconv.Itoa(len(m.Tiers)))
	return nil
}

// KYCUsageOf returns a's usage record of token id: zero if it has none.
func KYCUsageOf(r Reader, id ledger.TokenID, a ledger.Address) kyc.Usage {
	var u kyc.Usage
	k := kycUsageKey(id, a)
	if b := r.Get(k); b != nil {
		decode(k, b, &u)
	}
	return u
}

func (x *exec) saveUsage(id ledger.TokenID, a ledger.Address, u kyc.Usage) {
	x.w.Set(kycUsageKey(id, a), encode(u))
}

// KYCLevel is a's KYC level at block time at: its registered
// certificate's level while the certificate passes every check a use of it
// runs (checkCert), and 0 otherwise: an account whose certificate expired
// or was revoked is anonymous again.
func KYCLevel(r Reader, g *Genesis, a ledger.Address, at time.Time) uint8 {
	c, rej := CertificateStatus(r, g, a, at)
	if c == nil || rej != nil {
		return 0
	}
	return c.Level
}

// kycExempt reports whether a is outside t's tiers: its owner and its
// issuer, who put coins into circulation and take them back.
func kycExempt(t *Token, a ledger.Address) bool { return a == t.Owner || a == t.Issuer }

// tiered reports whether token id has KYC tiers, from the token this
// transaction last read when it is the same (viewToken remembers it), so
// that the coins of an untiered token cost one comparison.
func (x *exec) tiered(id ledger.TokenID) bool {
	if x.lastToken == nil || x.lastToken.Contract.ID != id {
		if _, rej := x.viewToken(id); rej != nil {
			panic("state: a coin of unknown token " + string(id))
		}
	}
	return x.lastToken.KYC != nil
}

// holding moves a's holding of a tiered token by amount, up when in.
func (x *exec) holding(id ledger.TokenID, a ledger.Address, amount money.Amount, in bool) {
	u := KYCUsageOf(x.w, id, a)
	var ok bool
	if in {
		u.Held, ok = u.Held.Add(amount)
	} else {
		u.Held, ok = u.Held.Sub(amount)
	}
	if !ok {
		panic("state: " + a.String() + "'s holding of " + string(id) + " left the amount range: the usage record is not its coins'")
	}
	x.saveUsage(id, a, u)
}

func (x *exec) kycFormat(t *Token) kyc.Format {
	return func(a money.Amount) string { return t.Contract.FormatAmount(a) + " " + t.Contract.Symbol }
}

// kycPays checks owner paying others toOthers of tiered token t against
// its level's per-payment and daily limits.
func (x *exec) kycPays(t *Token, owner ledger.Address, toOthers money.Amount) *ledger.Rejection {
	if toOthers.IsZero() || kycExempt(t, owner) {
		return nil
	}
	level := KYCLevel(x.w, &x.env.Genesis, owner, x.env.Time)
	u := KYCUsageOf(x.w, t.Contract.ID, owner)
	if rej := kyc.CheckPayment(t.KYC.At(level), level, u, kyc.Day(x.env.Time), toOthers, x.kycFormat(t)); rej != nil {
		rej.Message = "the payer " + owner.String() + ": " + rej.Message
		return rej
	}
	return nil
}

// kycPaid records a payment kycPays allowed in owner's usage.
func (x *exec) kycPaid(t *Token, owner ledger.Address, toOthers money.Amount) {
	if toOthers.IsZero() || kycExempt(t, owner) {
		return
	}
	u := KYCUsageOf(x.w, t.Contract.ID, owner)
	x.saveUsage(t.Contract.ID, owner, u.Paying(kyc.Day(x.env.Time), toOthers))
}

// kycReceives checks payee, being paid amount of tiered token t on this
// chain, against its level's balance limit.
func (x *exec) kycReceives(t *Token, payee ledger.Address, amount money.Amount) *ledger.Rejection {
	return x.kycHolds(t, payee, amount, "the payee ", kyc.CheckReceipt)
}

// kycRefunded checks owner, getting amount of its own money of tiered token
// t back on this chain, against its level's balance limit (kyc.CheckRefund).
func (x *exec) kycRefunded(t *Token, owner ledger.Address, amount money.Amount) *ledger.Rejection {
	return x.kycHolds(t, owner, amount, "the refunded ", kyc.CheckRefund)
}

// kycHolds judges a, about to hold amount more of tiered token t on this
// chain, by check at its level, naming it as who in a refusal.
func (x *exec) kycHolds(t *Token, a ledger.Address, amount money.Amount, who string,
	check func(kyc.Tier, uint8, kyc.Usage, money.Amount, kyc.Format) *ledger.Rejection) *ledger.Rejection {
	if amount.IsZero() || kycExempt(t, a) {
		return nil
	}
	level := KYCLevel(x.w, &x.env.Genesis, a, x.env.Time)
	u := KYCUsageOf(x.w, t.Contract.ID, a)
	if rej := check(t.KYC.At(level), level, u, amount, x.kycFormat(t)); rej != nil {
		rej.Message = who + a.String() + ": " + rej.Message
		return rej
	}
	return nil
}

// kycTransfer checks a planned transfer of tiered token t: the payer's
// limits on what leaves it, then each payee here on what it is paid (its
// outputs summed), in output order.
func (x *exec) kycTransfer(t *Token, p transfer) *ledger.Rejection {
	if rej := x.kycPays(t, p.owner, p.toOthers); rej != nil {
		return rej
	}
	for i, o := range p.outs {
		if o.Owner == p.owner || o.Owner.Region() != x.env.Region || seenBefore(p.outs[:i], o.Owner) {
			continue
		}
		total := o.Amount
		for _, later := range p.outs[i+1:] {
			if later.Owner == o.Owner {
				total, _ = total.Add(later.Amount) // planTransfer bounded the outputs' sum
			}
		}
		if rej := x.kycReceives(t, o.Owner, total); rej != nil {
			return rej
		}
	}
	return nil
}

func seenBefore(outs []tx.Output, a ledger.Address) bool {
	for _, o := range outs {
		if o.Owner == a {
			return true
		}
	}
	return false
}
