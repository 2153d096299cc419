// Package coin plans payments over unspent coins (S2.6): which coins a payer
// spends to pay an amount, and which outputs the payment creates. It is pure:
// the ledger checks the plan again when it applies it.
package coin

import (
	"errors"
	"fmt"
	"slices"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

// Coin is a spendable coin as a wallet sees it.
type Coin struct {
	ID     ledger.CoinID
	Amount money.Amount
}

// ErrInsufficient is returned when the coins do not add up to the amount.
var ErrInsufficient = errors.New("coin: insufficient funds")

// Select picks coins worth N ≥ amount, largest first so that a payment spends as
// few coins as it can, and at most maxInputs of them. It returns the coins and N.
func Select(coins []Coin, amount money.Amount, maxInputs int) ([]Coin, money.Amount, error) {
	if amount.IsZero() {
		return nil, money.Amount{}, errors.New("coin: amount must be greater than zero")
	}
	sorted := slices.Clone(coins)
	slices.SortFunc(sorted, func(a, b Coin) int {
		if c := b.Amount.Cmp(a.Amount); c != 0 {
			return c
		}
		return slices.Compare(a.ID[:], b.ID[:])
	})
	var total, all money.Amount
	for _, c := range sorted {
		all, _ = all.Add(c.Amount)
	}
	for i, c := range sorted {
		if i == maxInputs {
			return nil, money.Amount{}, fmt.Errorf("%w: the %d largest coins hold %s of %s needed; consolidate coins first",
				ErrInsufficient, maxInputs, total, amount)
		}
		var ok bool
		if total, ok = total.Add(c.Amount); !ok {
			return nil, money.Amount{}, errors.New("coin: coin amounts overflow")
		}
		if total.Cmp(amount) >= 0 {
			return sorted[:i+1], total, nil
		}
	}
	return nil, money.Amount{}, fmt.Errorf("%w: have %s in %d coins, need %s", ErrInsufficient, all, len(coins), amount)
}

// Output is a coin a payment creates.
type Output struct {
	Owner  ledger.Address
	Amount money.Amount
}

// Outputs splits inputs worth total into amount for payee and the change, if
// any, back to payer.
func Outputs(payer, payee ledger.Address, amount, total money.Amount) ([]Output, error) {
	change, ok := total.Sub(amount)
	if !ok {
		return nil, fmt.Errorf("%w: inputs %s are less than %s", ErrInsufficient, total, amount)
	}
	outs := []Output{{Owner: payee, Amount: amount}}
	if !change.IsZero() {
		outs = append(outs, Output{Owner: payer, Amount: change})
	}
	return outs, nil
}
