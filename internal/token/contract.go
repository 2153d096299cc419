package token

import (
	"fmt"
	"strings"
	"time"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

// Contract limits, each checked by Build.
const (
	// MaxNameLen bounds a token name, in characters: it is shown in wallets,
	// receipts and the explorer, and stored with the contract.
	MaxNameLen = 64
	// MinSymbolLen and MaxSymbolLen bound a ticker symbol ("USDP"): short enough
	// for a terminal's display, long enough to be distinct.
	MinSymbolLen = 2
	MaxSymbolLen = 11
	// MaxDecimals bounds a token's decimals (S0.8) so that every amount fits the
	// 128-bit minor units of money.Amount with room for a useful supply.
	MaxDecimals = money.MaxDecimals
	// MaxRatioDecimals bounds the fractional digits of the exchange ratio, so
	// that reserve arithmetic stays exact at a known scale.
	MaxRatioDecimals = 18
	// MaxMinters bounds the minter list: every mint looks its minter up, and a
	// short list is one an issuer's compliance officer can actually review.
	MaxMinters = 16
)

// TransferRule says who may send the coin to whom, user to user (S0.6).
type TransferRule string

// Transfer rules.
const (
	TransferOpen       TransferRule = "open"       // any holder may pay anyone
	TransferRegistered TransferRule = "registered" // payer and payee must be accounts the operator registered
)

// Valid reports whether r is one of the rules above.
func (r TransferRule) Valid() bool { return r == TransferOpen || r == TransferRegistered }

// RedeemRule says who may return coins to the issuer for fiat (S0.6).
type RedeemRule string

// Redeem rules.
const (
	RedeemAnyone     RedeemRule = "anyone"     // any holder may redeem
	RedeemRegistered RedeemRule = "registered" // only accounts the operator registered
)

// Valid reports whether r is one of the rules above.
func (r RedeemRule) Valid() bool { return r == RedeemAnyone || r == RedeemRegistered }

// Ratio is the exchange ratio between coin and fiat (S0.6): how many whole coins
// one whole unit of the fiat currency backs, Num / 10^Scale. Build yields it in
// lowest terms (no trailing zero digits in Num above Scale 0), so that equal
// ratios are equal values and encode identically.
type Ratio struct {
	Num   money.Amount
	Scale uint8
}

// ParseRatio parses a positive decimal with at most MaxRatioDecimals
// fractional digits ("1", "0.5", "7.8") into lowest terms.
func ParseRatio(s string) (Ratio, error) {
	r, problem := parseRatio(s)
	return r, problemErr(problem)
}

func parseRatio(s string) (Ratio, string) {
	if s == "" {
		return Ratio{}, "ratio is required"
	}
	_, frac, _ := strings.Cut(s, ".")
	if len(frac) > MaxRatioDecimals {
		return Ratio{}, fmt.Sprintf("ratio %q has %d fractional digits, at most %d are allowed", clip(s), len(frac), MaxRatioDecimals)
	}
	num, err := money.Parse(s, uint8(len(frac)))
	if err != nil {
		return Ratio{}, amountProblem("ratio", s, uint8(len(frac)), err)
	}
	if num.IsZero() {
		return Ratio{}, fmt.Sprintf("ratio %q must be greater than zero", s)
	}
	r := Ratio{Num: num, Scale: uint8(len(frac))}
	ten := money.FromUint64(10)
	for r.Scale > 0 {
		q, rem := r.Num.QuoRem(ten)
		if !rem.IsZero() {
			break
		}
		r.Num, r.Scale = q, r.Scale-1
	}
	return r, ""
}

// String is the ratio as a decimal, "0.5".
func (r Ratio) String() string { return r.Num.Format(r.Scale) }

// Role is a power one address holds over a token. One address holds at most one
// role of a token, so a single stolen key never both mints and unfreezes.
type Role uint8

// Roles, in the order a contract lists them.
const (
	RoleNone     Role = iota
	RoleOwner         // changes roles and rules; transfers ownership in two steps
	RolePauser        // stops and restarts every movement of the coin
	RoleFreezer       // freezes and unfreezes holders, seizes from frozen ones
	RoleAttestor      // posts reserve readings (S0.3)
	RoleMinter        // issues coins within an allowance
)

var roleNames = [...]string{"none", "owner", "pauser", "freezer", "attestor", "minter"}

// String is the role's lower-case name, as messages and the API show it.
func (r Role) String() string {
	if int(r) < len(roleNames) {
		return roleNames[r]
	}
	return fmt.Sprintf("Role(%d)", uint8(r))
}

// Minter is an address allowed to issue coins, and how many it may still issue,
// in token minor units.
type Minter struct {
	Address   ledger.Address
	Allowance money.Amount
}

// Roles are the addresses that hold a token's powers. Owner, Pauser, Freezer and
// Attestor are required and distinct; Minters may be empty (the owner adds them
// later) and hold no other role.
type Roles struct {
	Owner, Pauser, Freezer, Attestor ledger.Address
	Minters                          []Minter
}

// Contract is a validated token contract (S0.1). Only Build makes one; its
// fields then satisfy every rule Build checks, in particular:
// MinUnit = 10^k minor units with k ≤ Decimals; SupplyCap, MaxTransfer,
// MinRedeem and every allowance are positive multiples of MinUnit; MinUnit ≤
// MinRedeem ≤ MaxTransfer; MinRedeem is worth at least one fiat minor unit;
// SupplyCap ≤ ReserveCapacity().
//
// Token amounts (SupplyCap, MinUnit, MaxTransfer, MinRedeem, allowances) are in
// token minor units, 10^-Decimals of a coin; DeclaredReserve is in minor units
// of Fiat.Currency.
type Contract struct {
	ID              ledger.TokenID
	Name            string
	Symbol          string
	Decimals        uint8
	SupplyCap       money.Amount
	Fiat            FiatAccount
	DeclaredReserve money.Amount
	Ratio           Ratio
	MinUnit         money.Amount
	MaxTransfer     money.Amount
	MinRedeem       money.Amount
	TransferRule    TransferRule
	RedeemRule      RedeemRule
	Roles           Roles
	// StalenessWindow is how long, in block time, an attestation of the
	// reserve's bank balance counts as current.
	StalenessWindow time.Duration
	// PauseWhenAtRisk stops every movement while the reserve is at risk.
	PauseWhenAtRisk bool
}
