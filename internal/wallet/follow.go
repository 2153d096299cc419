package wallet

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

// follow reads the chain's committed blocks, one at a time, into the
// wallets' records and the payment requests' states, until ctx ends. Each
// block is written in one SQL transaction together with the height it
// brings the server to, so that a server stopped anywhere resumes at the
// first block it has not written: nothing is recorded twice or missed.
func (s *Service) follow(ctx context.Context) {
	t := time.NewTicker(s.cfg.FollowInterval)
	defer t.Stop()
	for {
		if err := s.followOnce(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("following the chain", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.followWake:
		}
	}
}

// wakeFollower has the follower look at the chain now.
func (s *Service) wakeFollower() {
	select {
	case s.followWake <- struct{}{}:
	default:
	}
}

// Followed is the height of the last block the server has read.
func (s *Service) Followed(ctx context.Context) (uint64, error) {
	v, _, err := getMeta(ctx, s.db, "followed")
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(v, 10, 64)
}

func (s *Service) followOnce(ctx context.Context) error {
	st, err := s.chain.Status(ctx)
	if err != nil {
		return err
	}
	if err := s.settleMoves(ctx, st.Height); err != nil {
		return err
	}
	from, err := s.Followed(ctx)
	if err != nil {
		return err
	}
	for h := from + 1; h <= st.Height && ctx.Err() == nil; h++ {
		if err := s.followBlock(ctx, h); err != nil {
			return fmt.Errorf("block %d: %w", h, err)
		}
	}
	return nil
}

// flow is what one committed transaction moved into and out of one address.
type flow struct {
	in, out      money.Amount
	counterparty string
}

// flows sums a receipt's coin events by owner: what each address received
// and spent, and who was on the other side (the signer for what came in,
// the first other payee for what went out).
func flows(rc *client.Receipt) (map[string]*flow, []string) {
	by := map[string]*flow{}
	var order []string
	get := func(owner string) *flow {
		f, ok := by[owner]
		if !ok {
			f = &flow{}
			by[owner] = f
			order = append(order, owner)
		}
		return f
	}
	var payees []string
	for _, e := range rc.Events {
		if e.Type != "coin.created" && e.Type != "coin.spent" {
			continue
		}
		owner, amount := attrOf(e, "owner"), attrOf(e, "amount")
		a, err := money.ParseUnits(amount)
		if err != nil || owner == "" {
			continue
		}
		f := get(owner)
		if e.Type == "coin.created" {
			f.in, _ = f.in.Add(a)
			payees = append(payees, owner)
		} else {
			f.out, _ = f.out.Add(a)
		}
	}
	for _, owner := range order {
		f := by[owner]
		if f.in.Cmp(f.out) > 0 {
			f.counterparty = rc.Signer.String()
			continue
		}
		for _, p := range payees {
			if p != owner {
				f.counterparty = p
				break
			}
		}
	}
	return by, order
}

func attrOf(e client.Event, key string) string {
	for _, a := range e.Attrs {
		if a.Key == key {
			return a.Value
		}
	}
	return ""
}

// tokenOf is the token a receipt moved: the first token its events name,
// or, for a credit payment (whose events name the credit node, not the
// token), the node's token.
func (s *Service) tokenOf(ctx context.Context, rc *client.Receipt) (ledger.TokenID, error) {
	for _, e := range rc.Events {
		if t := attrOf(e, "token"); t != "" {
			return ledger.TokenID(t), nil
		}
	}
	for _, e := range rc.Events {
		if node := attrOf(e, "node"); node != "" {
			addr, err := ledger.ParseAddress(node)
			if err != nil {
				return "", fmt.Errorf("event %s names node %q: %w", e.Type, node, err)
			}
			n, err := s.chain.CreditNode(ctx, addr)
			if err != nil {
				return "", err
			}
			return ledger.TokenID(n.Token), nil
		}
	}
	return "", nil
}

// sourceOf classifies a receipt by the events that mark a source.
func sourceOf(rc *client.Receipt) string {
	for _, e := range rc.Events {
		if src, ok := sourceEvents[e.Type]; ok {
			return src
		}
	}
	return SourceChainPayment
}

// followBlock reads block h's accepted transactions and writes what they
// did to the server's addresses, the payment requests it settles or
// expires, their webhooks, and h as followed, in one SQL transaction.
func (s *Service) followBlock(ctx context.Context, h uint64) error {
	blk, err := s.chain.Block(ctx, int64(h))
	if err != nil {
		return err
	}
	var rcs []*client.Receipt
	var toks []ledger.TokenID
	for _, bt := range blk.Txs {
		if bt.Malformed {
			continue
		}
		rc, err := s.chain.Tx(ctx, bt.ID)
		var apiErr *client.APIError
		if errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound {
			continue // refused before it could leave a receipt
		}
		if err != nil {
			return err
		}
		if rc.Code != ledger.OK {
			continue
		}
		tok, err := s.tokenOf(ctx, rc)
		if err != nil {
			return err
		}
		rcs, toks = append(rcs, rc), append(toks, tok)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	woke := false
	err = s.db.inTx(ctx, func(tx *sql.Tx) error {
		n, err := s.expireCheckouts(ctx, tx, blk.Time)
		if err != nil {
			return err
		}
		woke = n > 0
		for i, rc := range rcs {
			n, err := s.followReceipt(ctx, tx, rc, toks[i], blk.Time)
			if err != nil {
				return err
			}
			woke = woke || n > 0
		}
		return setMeta(ctx, tx, "followed", strconv.FormatUint(h, 10))
	})
	if err == nil && woke {
		s.wakeDeliverer()
	}
	return err
}

// followReceipt writes the records of one accepted transaction for the
// server's addresses, and settles the payment requests it paid. It returns
// how many webhook events it wrote.
func (s *Service) followReceipt(ctx context.Context, tx *sql.Tx, rc *client.Receipt, tok ledger.TokenID, at time.Time) (int, error) {
	by, order := flows(rc)
	source := sourceOf(rc)
	events := 0
	for _, addr := range order {
		f := by[addr]
		if f.in.Cmp(f.out) == 0 {
			continue
		}
		walletID, reference, co, err := s.ownerOf(ctx, tx, addr)
		if err != nil {
			return events, err
		}
		if walletID == "" {
			continue
		}
		net, ok := f.in.Sub(f.out)
		dir := DirectionIn
		if !ok {
			net, _ = f.out.Sub(f.in)
			dir = DirectionOut
		}
		rec := Record{ID: rc.TxID.String() + ":" + addr, Wallet: walletID, Source: source, Direction: dir, Kind: rc.Kind,
			Amount: s.amount(ctx, tok, net), Counterparty: f.counterparty, TxID: rc.TxID.String(), Height: rc.Height,
			Reference: reference, Time: at}
		if err := insertRecord(ctx, tx, rec); err != nil {
			return events, err
		}
		if co != nil && dir == DirectionIn {
			n, err := s.checkoutPaid(ctx, tx, co, string(tok), net, rc, at)
			if err != nil {
				return events, err
			}
			events += n
		}
	}
	return events, nil
}

// ownerOf finds the wallet an address is, or the payment request it
// receives for (then the shop's wallet, the request's reference and the
// request). walletID is "" for an address that is not the server's.
func (s *Service) ownerOf(ctx context.Context, tx *sql.Tx, addr string) (walletID, reference string, co *Checkout, err error) {
	err = tx.QueryRowContext(ctx, `SELECT id FROM wallets WHERE address = $1`, addr).Scan(&walletID)
	if err == nil {
		return walletID, "", nil, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", "", nil, err
	}
	c, _, err := s.readCheckout(ctx, tx, `address = $1`, addr)
	var e *Error
	if errors.As(err, &e) && e.Code == uint32(CodeUnknownCheckout) {
		return "", "", nil, nil
	}
	if err != nil {
		return "", "", nil, err
	}
	return c.Shop, c.Reference, &c, nil
}
