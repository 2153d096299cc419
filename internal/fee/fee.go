// Package fee owns the prepaid fee rules (S3): what each transaction kind
// costs (Schedule), what the platform grants a deposit (Policy), and fee
// accounts, whose deposits are grants released evenly over their own windows,
// charged in the order they expire and never moved to anyone else (Account).
// It is pure: time is block time, in Unix nanoseconds.
package fee

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

// Limits, each checked by Schedule.Validate or Policy.Validate.
const (
	// MaxScheduleEntries bounds the schedule: one entry per transaction kind.
	MaxScheduleEntries = 64
	// MaxTiers bounds the deposit tiers of a policy.
	MaxTiers = 16
	// MinValidity and MaxValidity bound a grant's window: long enough to be
	// of use, short enough that its end fits any block time Peg will see.
	MinValidity = time.Hour
	MaxValidity = 10 * 366 * 24 * time.Hour
	// MaxGrantsLimit bounds Policy.MaxGrants: every charge walks an
	// account's live grants, and every query lists them.
	MaxGrantsLimit = 64
)

// Fee is what one transaction kind costs, in minor units of the fee token: a
// fixed part and, for kinds that create coins, a part per output.
type Fee struct {
	Kind      string       `json:"kind"`
	Fixed     money.Amount `json:"fixed"`
	PerOutput money.Amount `json:"per_output"`
}

// Schedule lists the kinds that cost something, in kind order; a kind it does
// not list is free.
type Schedule []Fee

// Free are the kinds a schedule may not charge, because they must work
// before anyone holds a coin to pay with (a token's deployment and its
// reserve's attestation, the operator's own kinds), because they are the
// platform's own registrars keeping the alias directory, or because they are
// how fees are paid (a deposit) or collected.
var Free = []string{"alias_register", "alias_revoke", "attest", "authorize_issuer", "deploy_token", "fee_collect", "fee_deposit", "register_account", "register_credit_node", "revoke_certificate", "set_fee_schedule", "set_registrar", "set_trade_rules"}

// Validate checks a schedule: kinds known to the caller (known), in strict
// order, none of them free, and no fee that overflows with MaxOutputs outputs.
func (s Schedule) Validate(known func(kind string) bool, maxOutputs int) error {
	if len(s) > MaxScheduleEntries {
		return fmt.Errorf("fee: the schedule has %d entries, at most %d", len(s), MaxScheduleEntries)
	}
	for i, f := range s {
		switch {
		case !known(f.Kind):
			return fmt.Errorf("fee: the schedule names %q, which is no transaction kind", f.Kind)
		case slices.Contains(Free, f.Kind):
			return fmt.Errorf("fee: %s is free: it must work before anyone holds a coin, or it is how fees are paid", f.Kind)
		case i > 0 && s[i-1].Kind >= f.Kind:
			return fmt.Errorf("fee: the schedule's kinds are not in strict order at %q", f.Kind)
		}
		if _, ok := f.For(maxOutputs); !ok {
			return fmt.Errorf("fee: the fee of %s overflows with %d outputs", f.Kind, maxOutputs)
		}
	}
	return nil
}

// Of is the fee of a transaction of kind with outputs outputs; ok is false
// when it overflows, which a validated schedule rules out.
func (s Schedule) Of(kind string, outputs int) (money.Amount, bool) {
	i, found := slices.BinarySearchFunc(s, kind, func(f Fee, k string) int { return cmp.Compare(f.Kind, k) })
	if !found {
		return money.Amount{}, true
	}
	return s[i].For(outputs)
}

// For is f for a transaction with outputs outputs.
func (f Fee) For(outputs int) (money.Amount, bool) {
	per, ok := f.PerOutput.Mul64(uint64(max(outputs, 0)))
	if !ok {
		return money.Amount{}, false
	}
	return f.Fixed.Add(per)
}

// Tier is the validity the platform grants a deposit of at least MinDeposit.
type Tier struct {
	MinDeposit money.Amount  `json:"min_deposit"`
	Validity   time.Duration `json:"validity"`
}

// Policy is how the platform runs fee accounts.
type Policy struct {
	// Token is the stablecoin fees are deposited and paid in.
	Token ledger.TokenID `json:"token"`
	// Revenue is the platform's account that fees are collected for.
	Revenue ledger.Address `json:"revenue"`
	// Tiers give a deposit its validity by its size, in increasing order of
	// MinDeposit; the first tier's MinDeposit is the smallest deposit.
	Tiers []Tier `json:"tiers"`
	// LowBalance is the available balance below which an account is LOW.
	LowBalance money.Amount `json:"low_balance"`
	// MaxGrants bounds an account's live grants.
	MaxGrants int `json:"max_grants"`
}

// Validate checks a policy's own figures; that Token is deployed and Revenue
// lives in the region is for the caller.
func (p Policy) Validate() error {
	switch {
	case p.Token == "":
		return fmt.Errorf("fee: the policy names no fee token")
	case p.Revenue.IsZero():
		return fmt.Errorf("fee: the policy names no revenue account")
	case len(p.Tiers) == 0 || len(p.Tiers) > MaxTiers:
		return fmt.Errorf("fee: the policy has %d tiers, want 1 to %d", len(p.Tiers), MaxTiers)
	case p.Tiers[0].MinDeposit.IsZero():
		return fmt.Errorf("fee: the first tier's minimum deposit must be above zero")
	case p.MaxGrants < 1 || p.MaxGrants > MaxGrantsLimit:
		return fmt.Errorf("fee: max_grants %d, want 1 to %d", p.MaxGrants, MaxGrantsLimit)
	}
	for i, t := range p.Tiers {
		switch {
		case t.Validity < MinValidity || t.Validity > MaxValidity:
			return fmt.Errorf("fee: tier %d's validity %s is outside %s to %s", i, t.Validity, MinValidity, MaxValidity)
		case i > 0 && p.Tiers[i-1].MinDeposit.Cmp(t.MinDeposit) >= 0:
			return fmt.Errorf("fee: tier %d's minimum deposit is not above tier %d's", i, i-1)
		}
	}
	return nil
}

// Validity is the window a deposit of amount is granted: the last tier whose
// minimum it reaches. ok is false below the first tier's minimum.
func (p Policy) Validity(amount money.Amount) (time.Duration, bool) {
	var v time.Duration
	for _, t := range p.Tiers {
		if amount.Cmp(t.MinDeposit) < 0 {
			break
		}
		v = t.Validity
	}
	return v, v != 0
}
