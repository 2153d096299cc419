// Package reserve owns the rules that judge a token's reserve from the readings
// of its bank balance (S0.3, S0.4): whether it is covered, at risk or stale, and
// what may be minted against it. It is pure: time is block time.
package reserve

import (
	"time"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/token"
)

// Status is the state of a token's reserve.
type Status string

// The statuses, in the order a new token meets them.
const (
	// Unattested: no reading of the bank balance yet; nothing may be minted.
	Unattested Status = "UNATTESTED"
	// OK: the last reading is fresh and backs the whole supply.
	OK Status = "OK"
	// AtRisk: the last reading backs less than the supply (S0.4).
	AtRisk Status = "AT_RISK"
	// Stale: no reading within the token's staleness window.
	Stale Status = "STALE"
)

// MaxFutureSkew bounds how far a bank's timestamp may run ahead of block time:
// bank and validator clocks differ, but not by more than this.
const MaxFutureSkew = 5 * time.Minute

// Reading is an accepted attestation of the reserve's bank balance.
type Reading struct {
	Balance     money.Amount `json:"balance"` // minor units of the contract's currency
	BalanceType string       `json:"balance_type"`
	BankTime    time.Time    `json:"bank_time"`
	// AttestedAt is the time of the block that accepted the reading.
	AttestedAt time.Time   `json:"attested_at"`
	Height     uint64      `json:"height"`
	TxID       ledger.TxID `json:"tx_id"`
	RawHash    ledger.TxID `json:"raw_hash"`
	Source     string      `json:"source"`
}

// Evaluate judges the reserve of c with the given supply from its last reading
// (nil if none) at block time now. Freshness runs from the bank's time of the
// balance, not from when the ledger accepted it, so re-posting an old reading
// cannot keep a reserve fresh. Staleness wins over coverage: an old reading
// says nothing about today's balance.
func Evaluate(c token.Contract, supply money.Amount, last *Reading, now time.Time) Status {
	switch {
	case last == nil:
		return Unattested
	case now.Sub(last.BankTime) > c.StalenessWindow:
		return Stale
	case c.Capacity(last.Balance).Cmp(supply) < 0:
		return AtRisk
	}
	return OK
}

// CanMint says whether amount more may be minted on top of supply: the reserve
// must be OK and its last reading must back the new supply.
func CanMint(c token.Contract, supply, amount money.Amount, last *Reading, now time.Time) *ledger.Rejection {
	switch Evaluate(c, supply, last, now) {
	case Unattested:
		return ledger.Reject(ledger.CodeReserveUnattested, "%s has no attestation of its reserve yet; the attestor must post one before minting", c.ID)
	case Stale:
		return ledger.Reject(ledger.CodeReserveStale, "the last attestation of %s's reserve, of the balance at %s, is older than its %s window",
			c.ID, last.BankTime.Format(time.RFC3339), c.StalenessWindow)
	case AtRisk:
		return ledger.Reject(ledger.CodeReserveAtRisk, "%s's attested reserve %s %s backs %s %s, less than the supply %s",
			c.ID, last.Balance.Format(c.Fiat.Currency.Digits), c.Fiat.Currency.Code,
			c.FormatAmount(c.Capacity(last.Balance)), c.Symbol, c.FormatAmount(supply))
	}
	next, ok := supply.Add(amount)
	if !ok {
		return ledger.Reject(ledger.CodeAmountOverflow, "supply would overflow")
	}
	if capacity := c.Capacity(last.Balance); next.Cmp(capacity) > 0 {
		return ledger.Reject(ledger.CodeAboveReserve, "supply would be %s %s; the attested balance %s %s × ratio %s backs %s",
			c.FormatAmount(next), c.Symbol, last.Balance.Format(c.Fiat.Currency.Digits), c.Fiat.Currency.Code,
			c.Ratio, c.FormatAmount(capacity))
	}
	return nil
}

// Required is the fiat, in minor units, that backs supply at c's ratio,
// rounded up: the reserve a regulator would ask to see.
func Required(c token.Contract, supply money.Amount) money.Amount {
	return c.FiatFor(supply)
}
