package wallet

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

// Sources of a wallet's transactions (S1.8): where the money came from or
// went, as the record of every wallet transaction names it.
const (
	SourceChainPayment    = "chain_payment"    // coins paid on chain, to or from the wallet
	SourceFundDeposit     = "fund_deposit"     // a fund platform's deposit into the member account
	SourceCreditPayment   = "credit_payment"   // a credit node paid the wallet (the chain's credit.paid)
	SourceTradeSettlement = "trade_settlement" // a trade's holding pool paid out (the chain's trade.settled, or trade.resolved by its arbiter)
)

// sourceEvents name the sources a committed transaction's events mark; a
// transaction with none of them is a chain payment.
var sourceEvents = map[string]string{
	"credit.paid":    SourceCreditPayment,
	"trade.settled":  SourceTradeSettlement,
	"trade.resolved": SourceTradeSettlement,
}

// Directions of a record.
const (
	DirectionIn  = "in"
	DirectionOut = "out"
)

// Record is one transaction of a wallet, by source. A chain record is the
// net of what one committed transaction moved into or out of the wallet's
// address (or one of its payment requests' addresses); a deposit record is
// written with the deposit.
type Record struct {
	ID           string    `json:"id"`
	Wallet       string    `json:"wallet"`
	Source       string    `json:"source"`
	Direction    string    `json:"direction"`
	Kind         string    `json:"kind"`
	Amount       Amount    `json:"amount"`
	Counterparty string    `json:"counterparty,omitempty"`
	TxID         string    `json:"tx_id,omitempty"`
	Height       uint64    `json:"height,omitempty"`
	Reference    string    `json:"reference,omitempty"`
	Time         time.Time `json:"time"`
}

// insertRecord writes r inside tx; a record already written (the same id)
// is left as it is.
func insertRecord(ctx context.Context, tx *sql.Tx, r Record) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO records (id, wallet_id, source, direction, token, units, counterparty, kind, tx_id, height, reference, time)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (id) DO NOTHING`,
		r.ID, r.Wallet, r.Source, r.Direction, string(r.Amount.Token), r.Amount.Units.String(), r.Counterparty, r.Kind,
		r.TxID, int64(r.Height), r.Reference, millis(r.Time))
	if err != nil {
		return fmt.Errorf("wallet: storing a record: %w", err)
	}
	return nil
}

// Records lists up to limit of a wallet's records, newest first (0: 100;
// at most MaxRecordsPage).
func (s *Service) Records(ctx context.Context, walletRef string, limit int) ([]Record, error) {
	switch {
	case limit == 0:
		limit = 100
	case limit < 0 || limit > MaxRecordsPage:
		return nil, errorf(CodeBadRequest, "limit %d: want 1 to %d", limit, MaxRecordsPage)
	}
	w, err := s.Wallet(ctx, walletRef)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, source, direction, token, units, counterparty, kind, tx_id, height, reference, time
		FROM records WHERE wallet_id = $1 ORDER BY time DESC, id DESC LIMIT $2`, w.ID, limit)
	if err != nil {
		return nil, fmt.Errorf("wallet: reading records: %w", err)
	}
	defer rows.Close()
	out := []Record{}
	for rows.Next() {
		r := Record{Wallet: w.ID}
		var tok, units string
		var height, t int64
		if err := rows.Scan(&r.ID, &r.Source, &r.Direction, &tok, &units, &r.Counterparty, &r.Kind, &r.TxID, &height, &r.Reference, &t); err != nil {
			return nil, err
		}
		u, err := money.ParseUnits(units)
		if err != nil {
			return nil, fmt.Errorf("wallet: stored amount %q: %w", units, err)
		}
		r.Amount, r.Height, r.Time = s.amount(ctx, ledger.TokenID(tok), u), uint64(height), fromMillis(t)
		out = append(out, r)
	}
	return out, rows.Err()
}
