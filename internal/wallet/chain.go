package wallet

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/coin"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// signed is a transaction the server signed: its bytes, id and the last
// height it may be included at.
type signed struct {
	raw    []byte
	id     ledger.TxID
	expiry uint64
}

// sign fills body's envelope for w's key and signs it.
func (s *Service) sign(ctx context.Context, w Wallet, body *txpb.Body) (signed, error) {
	st, err := s.chain.Status(ctx)
	if err != nil {
		return signed{}, chainError(err)
	}
	priv, err := s.privateKey(ctx, w)
	if err != nil {
		return signed{}, err
	}
	defer clear(priv)
	var nonce [8]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return signed{}, err
	}
	body.ChainId = s.chainID
	body.ExpiryHeight = st.Height + min(ExpiryBlocks, st.Params.MaxExpiryDelta)
	body.Signer = w.Address.String()
	body.Nonce = binary.BigEndian.Uint64(nonce[:])
	raw, id, err := tx.Sign(body, priv)
	if err != nil {
		return signed{}, err
	}
	return signed{raw: raw, id: id, expiry: body.ExpiryHeight}, nil
}

// selectCoins picks w's coins of t worth at least amt.
func (s *Service) selectCoins(ctx context.Context, w Wallet, t *client.Token, amt money.Amount) ([][]byte, money.Amount, error) {
	have, err := s.chain.Coins(ctx, w.Address, t.ID, client.MaxCoinsPage)
	var apiErr *client.APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound {
		have, err = nil, nil
	}
	if err != nil {
		return nil, money.Amount{}, chainError(err)
	}
	cs := make([]coin.Coin, len(have))
	var held money.Amount
	for i, c := range have {
		cs[i] = coin.Coin{ID: c.ID, Amount: c.Units}
		held, _ = held.Add(c.Units)
	}
	picked, total, err := coin.Select(cs, amt, tx.MaxInputs)
	if errors.Is(err, coin.ErrInsufficient) {
		return nil, money.Amount{}, errorf(CodeInsufficientFunds, "wallet %s holds %s %s in %d coin(s) (at most %d spendable at once); %s needed",
			w.Name, held.FormatFixed(t.Decimals), t.Symbol, len(cs), tx.MaxInputs, amt.FormatFixed(t.Decimals))
	}
	if err != nil {
		return nil, money.Amount{}, err
	}
	ids := make([][]byte, len(picked))
	for i, c := range picked {
		ids[i] = c.ID[:]
	}
	return ids, total, nil
}

// payBody plans a payment of amt of t from w to payee, with change back to w.
func (s *Service) payBody(ctx context.Context, w Wallet, t *client.Token, payee ledger.Address, amt money.Amount) (*txpb.Body, error) {
	inputs, total, err := s.selectCoins(ctx, w, t, amt)
	if err != nil {
		return nil, err
	}
	outs, err := coin.Outputs(w.Address, payee, amt, total)
	if err != nil {
		return nil, err
	}
	pb := make([]*txpb.Output, len(outs))
	for i, o := range outs {
		pb[i] = &txpb.Output{Owner: o.Owner.String(), Amount: o.Amount.String()}
	}
	return &txpb.Body{Msg: &txpb.Body_Pay{Pay: &txpb.Pay{Token: string(t.ID), Inputs: inputs, Outputs: pb}}}, nil
}

// submit sends a signed transaction and waits for its block. A refusal by
// the chain is an *Error with the chain's code; known is false when the
// outcome could not be learnt (the node did not answer in time).
func (s *Service) submit(ctx context.Context, sg signed) (rc *client.Receipt, known bool, err error) {
	res, err := s.chain.Submit(ctx, sg.raw, true)
	var apiErr *client.APIError
	switch {
	case err == nil:
		s.wakeFollower()
		return res.Receipt, true, nil
	case errors.As(err, &apiErr) && apiErr.Code < 1000 && apiErr.Status != http.StatusGatewayTimeout:
		return nil, true, chainError(err)
	}
	return nil, false, chainError(err)
}

// PayRequest is a payment from a wallet: to an address, or as a peg: URI
// says (a payment request's).
type PayRequest struct {
	Token  ledger.TokenID `json:"token,omitempty"`
	Amount string         `json:"amount,omitempty"`
	To     string         `json:"to,omitempty"`
	URI    string         `json:"uri,omitempty"`
}

// Payment is a payment from a wallet: committed, or, in a pending
// idempotency key's stored answer, signed and sent (Height 0).
type Payment struct {
	Wallet string         `json:"wallet"`
	To     ledger.Address `json:"to"`
	Amount Amount         `json:"amount"`
	TxID   ledger.TxID    `json:"tx_id"`
	Height uint64         `json:"height"`
	// Expiry is the last block the payment's transaction may be included in.
	Expiry uint64 `json:"expiry_height,omitempty"`
}

// resolve fills req from its URI, which must agree with any field also given.
func (req PayRequest) resolve() (PayRequest, error) {
	if req.URI == "" {
		return req, nil
	}
	u, err := ParseURI(req.URI)
	if err != nil {
		return req, errorf(CodeBadRequest, "%v", err)
	}
	for _, f := range []struct{ name, got, want string }{
		{"token", string(req.Token), string(u.Token)}, {"amount", req.Amount, u.Amount}, {"to", req.To, u.Address.String()},
	} {
		if f.got != "" && f.got != f.want {
			return req, errorf(CodeBadRequest, "%s %q disagrees with the URI's %q", f.name, f.got, f.want)
		}
	}
	return PayRequest{Token: u.Token, Amount: u.Amount, To: u.Address.String()}, nil
}

// Pay pays from a wallet's coins and waits for the block. With an
// idempotency key (optional) a retried payment answers the first answer
// instead of paying again: the key is stored with the signed payment's id
// before it is sent, so a retry after an unknown outcome finds the chain's
// answer for that transaction; a payment the chain refused, or that expired
// unincluded, frees its key.
func (s *Service) Pay(ctx context.Context, walletRef, key string, req PayRequest) (p Payment, replayed bool, err error) {
	if key != "" {
		if err := CheckIdempotencyKey(key); err != nil {
			return Payment{}, false, err
		}
	}
	req, err = req.resolve()
	if err != nil {
		return Payment{}, false, err
	}
	w, err := s.Wallet(ctx, walletRef)
	if err != nil {
		return Payment{}, false, err
	}
	payee, err := ledger.ParseAddress(req.To)
	if err != nil {
		return Payment{}, false, errorf(CodeBadRequest, "to: %v", err)
	}
	amt, err := s.parseAmount(ctx, req.Token, req.Amount)
	if err != nil {
		return Payment{}, false, err
	}
	t, err := s.token(ctx, req.Token)
	if err != nil {
		return Payment{}, false, err
	}
	unlock := s.lockSigner(w.ID)
	defer unlock()
	hash := requestHash("pay "+w.ID, req)
	if key != "" {
		if p, found, err := s.replayPayment(ctx, key, hash); found || err != nil {
			return p, found, err
		}
	}
	body, err := s.payBody(ctx, w, t, payee, amt)
	if err != nil {
		return Payment{}, false, err
	}
	sg, err := s.sign(ctx, w, body)
	if err != nil {
		return Payment{}, false, err
	}
	p = Payment{Wallet: w.ID, To: payee, Amount: s.amount(ctx, t.ID, amt), TxID: sg.id, Expiry: sg.expiry}
	if key != "" {
		if err := s.rememberPayment(ctx, key, hash, 0, p); err != nil {
			return Payment{}, false, err
		}
	}
	rc, known, err := s.submit(ctx, sg)
	switch {
	case err == nil:
		p.Height = rc.Height
		if key != "" {
			err = s.rememberPayment(ctx, key, hash, 201, p)
		}
		return p, false, err
	case known:
		if key != "" {
			err = errors.Join(err, s.forgetKey(ctx, "pay", key))
		}
		return Payment{}, false, err
	}
	e := errorf(CodeOutcomeUnknown, "payment %s was submitted; whether it is committed is not yet known (%v); its receipt will be at the node's GET /v1/txs/%s", sg.id, err, sg.id)
	e.TxID = sg.id.String()
	return Payment{}, false, e
}

// replayPayment answers a payment's idempotency key: the stored answer; or,
// while the first is pending, the chain's answer for its transaction.
func (s *Service) replayPayment(ctx context.Context, key, hash string) (p Payment, found bool, err error) {
	s.mu.Lock()
	err = s.db.inTx(ctx, func(tx *sql.Tx) error {
		found, err = replay(ctx, tx, "pay", key, hash, &p)
		return err
	})
	s.mu.Unlock()
	var e *Error
	if !errors.As(err, &e) || e.Code != uint32(CodeIdempotencyPending) {
		return p, found, err
	}
	var pending Payment
	if err := s.db.QueryRowContext(ctx, `SELECT response FROM idempotency WHERE scope = 'pay' AND key = $1`, key).Scan(&jsonText{&pending}); err != nil {
		return Payment{}, true, err
	}
	rc, cerr := s.chain.Tx(ctx, pending.TxID)
	var apiErr *client.APIError
	switch {
	case cerr == nil && rc.Code == ledger.OK:
		pending.Height = rc.Height
		return pending, true, s.rememberPayment(ctx, key, hash, 201, pending)
	case cerr == nil:
		return Payment{}, false, s.forgetKey(ctx, "pay", key)
	case errors.As(cerr, &apiErr) && apiErr.Status == http.StatusNotFound:
		st, serr := s.chain.Status(ctx)
		if serr == nil && st.Height > pending.Expiry {
			return Payment{}, false, s.forgetKey(ctx, "pay", key)
		}
	}
	return Payment{}, true, err
}

func (s *Service) rememberPayment(ctx context.Context, key, hash string, status int, p Payment) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.db.inTx(ctx, func(tx *sql.Tx) error { return remember(ctx, tx, "pay", key, hash, status, p) })
}

// forgetKey frees an idempotency key whose request changed nothing.
func (s *Service) forgetKey(ctx context.Context, scope, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.db.ExecContext(ctx, `DELETE FROM idempotency WHERE scope = $1 AND key = $2`, scope, key); err != nil {
		return fmt.Errorf("wallet: freeing an idempotency key: %w", err)
	}
	return nil
}

// jsonText scans a JSON text column into v.
type jsonText struct{ v any }

func (j *jsonText) Scan(src any) error {
	switch b := src.(type) {
	case string:
		return json.Unmarshal([]byte(b), j.v)
	case []byte:
		return json.Unmarshal(b, j.v)
	}
	return fmt.Errorf("wallet: a JSON column holds %T", src)
}

// FeeDeposit pays amount of the chain's fee token from a wallet's coins into
// its prepaid fee account (S3), which every transaction it signs is charged
// from, and waits for the block.
func (s *Service) FeeDeposit(ctx context.Context, walletRef, amount string) (Payment, error) {
	w, err := s.Wallet(ctx, walletRef)
	if err != nil {
		return Payment{}, err
	}
	fees, err := s.chain.Fees(ctx)
	if err != nil {
		return Payment{}, chainError(err)
	}
	if !fees.Enabled || fees.Policy == nil || fees.TokenPending {
		return Payment{}, errorf(CodeBadRequest, "the chain charges no fees now: there is nothing to deposit")
	}
	amt, err := s.parseAmount(ctx, fees.Policy.Token, amount)
	if err != nil {
		return Payment{}, err
	}
	t, err := s.token(ctx, fees.Policy.Token)
	if err != nil {
		return Payment{}, err
	}
	unlock := s.lockSigner(w.ID)
	defer unlock()
	inputs, _, err := s.selectCoins(ctx, w, t, amt)
	if err != nil {
		return Payment{}, err
	}
	sg, err := s.sign(ctx, w, &txpb.Body{Msg: &txpb.Body_FeeDeposit{FeeDeposit: &txpb.FeeDeposit{
		Token: string(t.ID), Inputs: inputs, Amount: amt.String()}}})
	if err != nil {
		return Payment{}, err
	}
	rc, _, err := s.submit(ctx, sg)
	if err != nil {
		return Payment{}, err
	}
	return Payment{Wallet: w.ID, To: fees.Contract, Amount: s.amount(ctx, t.ID, amt), TxID: rc.TxID, Height: rc.Height}, nil
}

// lockSigner holds a wallet's coins while a payment from it is planned,
// signed and committed, so that two payments never pick the same coins.
func (s *Service) lockSigner(walletID string) (unlock func()) {
	s.signersMu.Lock()
	m, ok := s.signers[walletID]
	if !ok {
		m = new(sync.Mutex)
		s.signers[walletID] = m
	}
	s.signersMu.Unlock()
	m.Lock()
	return m.Unlock
}
