package wallet

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

// DepositRequest is what a fund platform deposits into a member account.
type DepositRequest struct {
	Token     ledger.TokenID `json:"token"`
	Amount    string         `json:"amount"`
	Platform  string         `json:"platform"`
	Reference string         `json:"reference"`
}

// Deposit is a deposit from a fund platform into a wallet's member account.
type Deposit struct {
	ID        string    `json:"id"`
	Wallet    string    `json:"wallet"`
	Amount    Amount    `json:"amount"`
	Platform  string    `json:"platform"`
	Reference string    `json:"reference"`
	Balance   Amount    `json:"balance"` // the member account's balance of the token after it
	Created   time.Time `json:"created"`
}

// CheckIdempotencyKey validates an Idempotency-Key: 1 to
// MaxIdempotencyKeyLen printable ASCII characters.
func CheckIdempotencyKey(key string) error {
	if key == "" {
		return errorf(CodeBadIdempotencyKey, "an Idempotency-Key header is required: a unique string per deposit, so that a retried request is not counted twice")
	}
	if len(key) > MaxIdempotencyKeyLen {
		return errorf(CodeBadIdempotencyKey, "the Idempotency-Key has %d characters; at most %d", len(key), MaxIdempotencyKeyLen)
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return errorf(CodeBadIdempotencyKey, "the Idempotency-Key has a character that is not printable ASCII at byte %d", i)
		}
	}
	return nil
}

// requestHash is the hash an idempotency key is bound to: the request as
// the server understood it (its target and decoded fields), so that the
// same request re-encoded with other spacing or field order is the same.
func requestHash(target string, req any) string {
	b, _ := json.Marshal(req)
	h := sha256.New()
	h.Write([]byte(target))
	h.Write([]byte{0})
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// replay looks up an idempotency key inside tx: found is true when the key
// was used; it answers the first answer into out, or refuses a different
// request.
func replay(ctx context.Context, tx *sql.Tx, scope, key, hash string, out any) (bool, error) {
	var stored, response string
	var status int
	err := tx.QueryRowContext(ctx, `SELECT body_hash, status, response FROM idempotency WHERE scope = $1 AND key = $2`,
		scope, key).Scan(&stored, &status, &response)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("wallet: reading an idempotency key: %w", err)
	}
	if stored != hash {
		return true, errorf(CodeIdempotencyReused, "the Idempotency-Key %q was used for a different request; a retry must repeat the first request exactly, and a new request needs a new key", key)
	}
	if status == 0 {
		return true, errorf(CodeIdempotencyPending, "the first request with the Idempotency-Key %q has not finished; retry later", key)
	}
	return true, json.Unmarshal([]byte(response), out)
}

// remember stores the answer to an idempotency key inside tx.
func remember(ctx context.Context, tx *sql.Tx, scope, key, hash string, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	// An update (a pending key getting its answer) keeps the stored hash.
	_, err = tx.ExecContext(ctx, `INSERT INTO idempotency (scope, key, body_hash, status, response, created) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (scope, key) DO UPDATE SET status = excluded.status, response = excluded.response`,
		scope, key, hash, status, string(b), millis(time.Now()))
	if err != nil {
		return fmt.Errorf("wallet: storing an idempotency key: %w", err)
	}
	return nil
}

// validText checks a free-text field's length.
func validText(field, v string) error {
	if len(v) > MaxReferenceLen {
		return errorf(CodeBadRequest, "%s has %d bytes; at most %d", field, len(v), MaxReferenceLen)
	}
	return nil
}

// parseAmount parses a positive amount of tok in the token's decimals.
func (s *Service) parseAmount(ctx context.Context, tok ledger.TokenID, amount string) (money.Amount, error) {
	if _, err := ledger.ParseTokenID(string(tok)); err != nil {
		return money.Amount{}, errorf(CodeBadRequest, "token: %v", err)
	}
	t, err := s.token(ctx, tok)
	if err != nil {
		return money.Amount{}, err
	}
	a, err := money.Parse(amount, t.Decimals)
	if err != nil {
		return money.Amount{}, errorf(CodeBadRequest, "amount %q of %s (%d decimals): %v", amount, tok, t.Decimals, err)
	}
	if a.IsZero() {
		return money.Amount{}, errorf(CodeBadRequest, "amount must be more than zero")
	}
	return a, nil
}

// Deposit credits a wallet's member account with what a fund platform paid
// in, once per idempotency key: the same key with the same request answers
// the first answer (replayed is true); with a different request it is
// refused (IDEMPOTENCY_KEY_REUSED). The deposit, the balance, its record
// and the key's answer are written in one SQL transaction.
func (s *Service) Deposit(ctx context.Context, walletRef, key string, req DepositRequest) (d Deposit, replayed bool, err error) {
	if err := CheckIdempotencyKey(key); err != nil {
		return Deposit{}, false, err
	}
	hash := requestHash("deposit "+walletRef, req)
	if err := errors.Join(validText("platform", req.Platform), validText("reference", req.Reference)); err != nil {
		return Deposit{}, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err = s.db.inTx(ctx, func(tx *sql.Tx) error {
		found, err := replay(ctx, tx, "deposit", key, hash, &d)
		if found || err != nil {
			replayed = found
			return err
		}
		w, err := walletByRef(ctx, tx, walletRef)
		if err != nil {
			return err
		}
		amt, err := s.parseAmount(ctx, req.Token, req.Amount)
		if err != nil {
			return err
		}
		bal, err := memberBalance(ctx, tx, w.ID, req.Token)
		if err != nil {
			return err
		}
		after, ok := bal.Add(amt)
		if !ok {
			return errorf(CodeBadRequest, "the member balance would overflow")
		}
		if err := setMemberBalance(ctx, tx, w.ID, req.Token, after); err != nil {
			return err
		}
		d = Deposit{ID: newID("dep"), Wallet: w.ID, Amount: s.amount(ctx, req.Token, amt), Platform: req.Platform,
			Reference: req.Reference, Balance: s.amount(ctx, req.Token, after), Created: time.Now().UTC().Truncate(time.Millisecond)}
		if _, err := tx.ExecContext(ctx, `INSERT INTO deposits (id, wallet_id, token, units, platform, reference, created) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			d.ID, w.ID, string(req.Token), amt.String(), req.Platform, req.Reference, millis(d.Created)); err != nil {
			return fmt.Errorf("wallet: storing a deposit: %w", err)
		}
		rec := Record{ID: "deposit-" + d.ID, Wallet: w.ID, Source: SourceFundDeposit, Direction: DirectionIn, Kind: "deposit",
			Amount: d.Amount, Counterparty: req.Platform, Reference: req.Reference, Time: d.Created}
		if err := insertRecord(ctx, tx, rec); err != nil {
			return err
		}
		return remember(ctx, tx, "deposit", key, hash, 201, d)
	})
	return d, replayed, err
}
