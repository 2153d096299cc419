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

// Merges plans one round of merges that bring a payment of amount within
// maxInputs coins: disjoint groups of the smallest coins, 2 to maxInputs
// each, every group to be spent into one coin of its sum by a payment to
// oneself. Nil when Select already succeeds; ErrInsufficient when the coins
// together are worth less than amount. One round may not be enough, since a
// round merges coins that exist, not the coins it makes: plan again once its
// merges have committed.
func Merges(coins []Coin, amount money.Amount, maxInputs int) ([][]Coin, error) {
	_, _, err := Select(coins, amount, maxInputs)
	if err == nil || !errors.Is(err, ErrInsufficient) {
		return nil, err
	}
	total, err := Sum(coins)
	if err != nil {
		return nil, err
	}
	if total.Cmp(amount) < 0 {
		return nil, fmt.Errorf("%w: have %s in %d coins, need %s", ErrInsufficient, total, len(coins), amount)
	}
	return mergeRound(coins, maxInputs, func(after []Coin) bool {
		_, _, err := Select(after, amount, maxInputs)
		return err == nil
	})
}

// MergesAll plans one round of merges toward a single coin: the smallest
// coins in groups of maxInputs. Nil when at most one coin is left.
func MergesAll(coins []Coin, maxInputs int) ([][]Coin, error) {
	return mergeRound(coins, maxInputs, func(after []Coin) bool { return len(after) <= 1 })
}

// mergeRound groups the coins, smallest first, maxInputs at a time, until
// done holds of the coins the merges would leave or fewer than two coins are
// left to group.
func mergeRound(coins []Coin, maxInputs int, done func(after []Coin) bool) ([][]Coin, error) {
	if maxInputs < 2 {
		return nil, fmt.Errorf("coin: merging needs at least 2 inputs a transaction, not %d", maxInputs)
	}
	rest := slices.Clone(coins)
	slices.SortFunc(rest, func(a, b Coin) int {
		if c := a.Amount.Cmp(b.Amount); c != 0 {
			return c
		}
		return slices.Compare(a.ID[:], b.ID[:])
	})
	var groups [][]Coin
	var made []Coin // the coins the groups make, without ids yet
	for len(rest) >= 2 && !done(append(slices.Clone(rest), made...)) {
		g := rest[:min(maxInputs, len(rest))]
		s, err := Sum(g)
		if err != nil {
			return nil, err
		}
		groups, made, rest = append(groups, g), append(made, Coin{Amount: s}), rest[len(g):]
	}
	return groups, nil
}

// Sum adds the coins' amounts, refusing an overflow: what a merge of them
// makes.
func Sum(coins []Coin) (money.Amount, error) {
	var total money.Amount
	for _, c := range coins {
		var ok bool
		if total, ok = total.Add(c.Amount); !ok {
			return money.Amount{}, errors.New("coin: coin amounts overflow")
		}
	}
	return total, nil
}
