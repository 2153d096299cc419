package wallet

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

// States of a move.
const (
	MoveSubmitted = "submitted" // debited from the member account, the payment sent; its block not yet seen
	MoveCommitted = "committed" // the payment is in a block: the coins are the wallet's
	MoveRefused   = "refused"   // the chain refused it; the member account was credited back
	MoveExpired   = "expired"   // it expired without being included; the member account was credited back
)

// MoveRequest moves a member-account balance into the wallet.
type MoveRequest struct {
	Token  ledger.TokenID `json:"token"`
	Amount string         `json:"amount"`
}

// Move is a member-account balance paid into a wallet as coins from the
// treasury.
type Move struct {
	ID      string      `json:"id"`
	Wallet  string      `json:"wallet"`
	Amount  Amount      `json:"amount"`
	TxID    ledger.TxID `json:"tx_id"`
	Status  string      `json:"status"`
	Height  uint64      `json:"height,omitempty"`
	Message string      `json:"message,omitempty"`
	Created time.Time   `json:"created"`
}

// Move debits a wallet's member account and pays the amount into the
// wallet from the treasury's coins. The debit and the signed payment are
// written in one SQL transaction before the payment is sent, so a crash
// loses neither: a move whose outcome is unknown is settled by the
// follower (committed, or credited back once refused or expired). With an
// idempotency key (optional here) a retried move answers the first answer.
func (s *Service) Move(ctx context.Context, walletRef, key string, req MoveRequest) (m Move, replayed bool, err error) {
	if key != "" {
		if err := CheckIdempotencyKey(key); err != nil {
			return Move{}, false, err
		}
	}
	w, err := s.Wallet(ctx, walletRef)
	if err != nil {
		return Move{}, false, err
	}
	if w.Kind == KindTreasury {
		return Move{}, false, errorf(CodeBadRequest, "the treasury has no member account to move from")
	}
	amt, err := s.parseAmount(ctx, req.Token, req.Amount)
	if err != nil {
		return Move{}, false, err
	}
	t, err := s.token(ctx, req.Token)
	if err != nil {
		return Move{}, false, err
	}
	treasury, err := s.Wallet(ctx, TreasuryName)
	if err != nil {
		return Move{}, false, err
	}
	unlock := s.lockSigner(treasury.ID)
	defer unlock()
	hash := requestHash("move "+w.ID, req)
	s.mu.Lock()
	err = s.db.inTx(ctx, func(tx *sql.Tx) error {
		if key == "" {
			return nil
		}
		found, err := replay(ctx, tx, "move", key, hash, &m)
		replayed = found
		return err
	})
	if err != nil || replayed {
		s.mu.Unlock()
		return m, replayed, err
	}
	bal, err := s.memberBalanceOf(ctx, w.ID, req.Token)
	s.mu.Unlock()
	if err != nil {
		return Move{}, false, err
	}
	if bal.Cmp(amt) < 0 {
		return Move{}, false, errorf(CodeMemberInsufficient, "wallet %s's member account holds %s %s; %s cannot be moved",
			w.Name, bal.FormatFixed(t.Decimals), t.Symbol, amt.FormatFixed(t.Decimals))
	}
	body, err := s.payBody(ctx, treasury, t, w.Address, amt)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Code == uint32(CodeInsufficientFunds) {
			e.Message = "the treasury cannot fund the move: " + e.Message
		}
		return Move{}, false, err
	}
	sg, err := s.sign(ctx, treasury, body)
	if err != nil {
		return Move{}, false, err
	}
	m = Move{ID: newID("mv"), Wallet: w.ID, Amount: s.amount(ctx, t.ID, amt), TxID: sg.id, Status: MoveSubmitted,
		Created: time.Now().UTC().Truncate(time.Millisecond)}
	if err := s.recordMove(ctx, w, key, hash, m, amt, sg); err != nil {
		return Move{}, false, err
	}
	rc, known, err := s.submit(ctx, sg)
	switch {
	case err == nil:
		m, err = s.settleMove(ctx, m.ID, MoveCommitted, rc.Height, "")
	case known:
		m, err = s.settleMove(ctx, m.ID, MoveRefused, 0, err.Error())
	default:
		s.log.Warn("a move's outcome is unknown; the follower will settle it", "move", m.ID, "tx", sg.id, "err", err)
		return m, false, nil
	}
	return m, false, err
}

// memberBalanceOf reads a member balance outside a transaction.
func (s *Service) memberBalanceOf(ctx context.Context, walletID string, tok ledger.TokenID) (bal money.Amount, err error) {
	err = s.db.inTx(ctx, func(tx *sql.Tx) error {
		bal, err = memberBalance(ctx, tx, walletID, tok)
		return err
	})
	return bal, err
}

// recordMove debits the member account and stores the move with its signed
// transaction, and the idempotency key as pending, in one SQL transaction.
func (s *Service) recordMove(ctx context.Context, w Wallet, key, hash string, m Move, amt money.Amount, sg signed) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.db.inTx(ctx, func(tx *sql.Tx) error {
		if key != "" {
			var first Move
			found, err := replay(ctx, tx, "move", key, hash, &first)
			if err != nil {
				return err
			}
			if found {
				return errorf(CodeIdempotencyPending, "a move with the Idempotency-Key %q is under way", key)
			}
			if err := remember(ctx, tx, "move", key, hash, 0, m); err != nil {
				return err
			}
		}
		bal, err := memberBalance(ctx, tx, w.ID, m.Amount.Token)
		if err != nil {
			return err
		}
		after, ok := bal.Sub(amt)
		if !ok {
			return errorf(CodeMemberInsufficient, "wallet %s's member account holds %s; %s cannot be moved", w.Name, bal, amt)
		}
		if err := setMemberBalance(ctx, tx, w.ID, m.Amount.Token, after); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO moves (id, wallet_id, token, units, tx_id, raw, expiry, status, height, message, idem_key, created)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, '', $9, $10)`, m.ID, w.ID, string(m.Amount.Token), amt.String(), sg.id.String(),
			base64.StdEncoding.EncodeToString(sg.raw), int64(sg.expiry), MoveSubmitted, key, millis(m.Created))
		if err != nil {
			return fmt.Errorf("wallet: storing a move: %w", err)
		}
		return nil
	})
}

// settleMove records a move's outcome, once: a move already settled is
// left as it is. A refused or expired move credits the member account back
// in the same SQL transaction, and its idempotency key gets the final answer.
func (s *Service) settleMove(ctx context.Context, id, status string, height uint64, message string) (Move, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var m Move
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		cur, units, key, err := s.readMove(ctx, tx, id)
		if err != nil {
			return err
		}
		m = cur
		if cur.Status != MoveSubmitted {
			return nil
		}
		if status != MoveCommitted {
			bal, err := memberBalance(ctx, tx, cur.Wallet, cur.Amount.Token)
			if err != nil {
				return err
			}
			after, _ := bal.Add(units)
			if err := setMemberBalance(ctx, tx, cur.Wallet, cur.Amount.Token, after); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE moves SET status = $1, height = $2, message = $3 WHERE id = $4`,
			status, int64(height), message, id); err != nil {
			return fmt.Errorf("wallet: settling a move: %w", err)
		}
		m.Status, m.Height, m.Message = status, height, message
		if key == "" {
			return nil
		}
		return remember(ctx, tx, "move", key, "", 201, m)
	})
	return m, err
}

// readMove reads a stored move, its amount in minor units and its
// idempotency key ("" for none).
func (s *Service) readMove(ctx context.Context, q queryer, id string) (Move, money.Amount, string, error) {
	var m Move
	var tok, units, txID, key string
	var height, created int64
	err := q.QueryRowContext(ctx, `SELECT id, wallet_id, token, units, tx_id, status, height, message, idem_key, created FROM moves WHERE id = $1`, id).
		Scan(&m.ID, &m.Wallet, &tok, &units, &txID, &m.Status, &height, &m.Message, &key, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Move{}, money.Amount{}, "", errorf(CodeUnknownMove, "no move has the id %q", id)
	}
	if err != nil {
		return Move{}, money.Amount{}, "", fmt.Errorf("wallet: reading a move: %w", err)
	}
	u, err := money.ParseUnits(units)
	if err != nil {
		return Move{}, money.Amount{}, "", err
	}
	if m.TxID, err = ledger.ParseTxID(txID); err != nil {
		return Move{}, money.Amount{}, "", err
	}
	m.Amount, m.Height, m.Created = s.amount(ctx, ledger.TokenID(tok), u), uint64(height), fromMillis(created)
	return m, u, key, nil
}

// ReadMove answers a move by id.
func (s *Service) ReadMove(ctx context.Context, id string) (Move, error) {
	m, _, _, err := s.readMove(ctx, s.db, id)
	return m, err
}

// settleMoves finds the outcome of every move still submitted: its receipt
// (committed or refused), or its expiry passed without one; a move neither
// is offered to the chain again, which refuses a repeat it holds.
func (s *Service) settleMoves(ctx context.Context, height uint64) error {
	rows, err := s.db.QueryContext(ctx, `SELECT id, tx_id, raw, expiry FROM moves WHERE status = $1 ORDER BY created`, MoveSubmitted)
	if err != nil {
		return fmt.Errorf("wallet: reading moves: %w", err)
	}
	type pending struct {
		id, txID, raw string
		expiry        int64
	}
	var ps []pending
	for rows.Next() {
		var p pending
		if err := rows.Scan(&p.id, &p.txID, &p.raw, &p.expiry); err != nil {
			rows.Close()
			return err
		}
		ps = append(ps, p)
	}
	rows.Close()
	for _, p := range ps {
		id, err := ledger.ParseTxID(p.txID)
		if err != nil {
			return err
		}
		rc, err := s.chain.Tx(ctx, id)
		var apiErr *client.APIError
		switch {
		case err == nil && rc.Code == ledger.OK:
			_, err = s.settleMove(ctx, p.id, MoveCommitted, rc.Height, "")
		case err == nil:
			_, err = s.settleMove(ctx, p.id, MoveRefused, rc.Height, fmt.Sprintf("%s: %s", rc.Name, rc.Message))
		case errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound && height > uint64(p.expiry):
			_, err = s.settleMove(ctx, p.id, MoveExpired, 0, fmt.Sprintf("not included by height %d", p.expiry))
		case errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound:
			raw, derr := base64.StdEncoding.DecodeString(p.raw)
			if derr != nil {
				return derr
			}
			_, err = s.chain.Submit(ctx, raw, false)
			if errors.As(err, &apiErr) {
				err = nil // refused or already held: the receipt or the expiry settles it
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}
