package wallet

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/monitor"
)

// States of a payment request. Expiry is judged in block time: a payment in
// a block whose time is at or before the request's expiry counts.
const (
	CheckoutOpen      = "open"      // nothing received yet
	CheckoutUnderpaid = "underpaid" // less than the amount received; more may still come before the expiry
	CheckoutPaid      = "paid"      // at least the amount received by the expiry (final)
	CheckoutExpired   = "expired"   // the expiry passed before the amount was received (final); what came is in received
)

// Webhook event types of a payment request.
const (
	EventCheckoutPaid      = "checkout.paid"
	EventCheckoutUnderpaid = "checkout.underpaid"
	EventCheckoutExpired   = "checkout.expired"
)

// CheckoutRequest asks for a payment to a shop.
type CheckoutRequest struct {
	Shop       string         `json:"shop"`
	Token      ledger.TokenID `json:"token"`
	Amount     string         `json:"amount"`
	Reference  string         `json:"reference"`
	ExpiresIn  string         `json:"expires_in"` // a Go duration, MinCheckoutExpiry to MaxCheckoutExpiry
	WebhookURL string         `json:"webhook_url,omitempty"`
}

// Checkout is a payment request: pay Amount to Address (or read URI) before
// Expires.
type Checkout struct {
	ID         string         `json:"id"`
	Shop       string         `json:"shop"`
	Amount     Amount         `json:"amount"`
	Reference  string         `json:"reference"`
	Address    ledger.Address `json:"address"`
	URI        string         `json:"uri"`
	Status     string         `json:"status"`
	Received   Amount         `json:"received"`
	TxID       string         `json:"tx_id,omitempty"`  // the transaction that settled it
	Height     uint64         `json:"height,omitempty"` // its block
	Settled    *time.Time     `json:"settled,omitempty"`
	Expires    time.Time      `json:"expires"`
	WebhookURL string         `json:"webhook_url,omitempty"`
	Created    time.Time      `json:"created"`
}

// CreateCheckout makes a payment request with its own receiving address,
// whose key the server keeps sealed like a wallet's. With an idempotency
// key (optional) a retry answers the first request.
func (s *Service) CreateCheckout(ctx context.Context, key string, req CheckoutRequest) (c Checkout, replayed bool, err error) {
	if key != "" {
		if err := CheckIdempotencyKey(key); err != nil {
			return Checkout{}, false, err
		}
	}
	if err := validText("reference", req.Reference); err != nil {
		return Checkout{}, false, err
	}
	d, err := time.ParseDuration(req.ExpiresIn)
	if err != nil || d < MinCheckoutExpiry || d > MaxCheckoutExpiry {
		return Checkout{}, false, errorf(CodeBadRequest, "expires_in %q: want a duration from %s to %s, such as 15m", req.ExpiresIn, MinCheckoutExpiry, MaxCheckoutExpiry)
	}
	if req.WebhookURL != "" {
		if len(req.WebhookURL) > MaxWebhookURLLen {
			return Checkout{}, false, errorf(CodeBadRequest, "webhook_url has %d bytes; at most %d", len(req.WebhookURL), MaxWebhookURLLen)
		}
		if s.cfg.WebhookSecret == "" {
			return Checkout{}, false, errorf(CodeNoWebhookSecret, "the server has no webhook secret to sign deliveries with; start it with --webhook-secret")
		}
		if err := (monitor.Webhook{URL: req.WebhookURL, Secret: s.cfg.WebhookSecret}).Validate(); err != nil {
			return Checkout{}, false, errorf(CodeBadRequest, "%v", err)
		}
	}
	shop, err := s.Wallet(ctx, req.Shop)
	if err != nil {
		return Checkout{}, false, err
	}
	amt, err := s.parseAmount(ctx, req.Token, req.Amount)
	if err != nil {
		return Checkout{}, false, err
	}
	addr, sealed, err := s.seal.newKey(s.region)
	if err != nil {
		return Checkout{}, false, err
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	c = Checkout{ID: newID("co"), Shop: shop.ID, Amount: s.amount(ctx, req.Token, amt), Reference: req.Reference, Address: addr,
		Status: CheckoutOpen, Received: s.amount(ctx, req.Token, money.Amount{}), Expires: now.Add(d).Truncate(time.Second),
		WebhookURL: req.WebhookURL, Created: now}
	c.URI = URI{Address: addr, Token: req.Token, Amount: c.Amount.Amount, Reference: c.Reference, Request: c.ID, Expires: c.Expires}.String()
	hash := requestHash("checkout", req)
	s.mu.Lock()
	defer s.mu.Unlock()
	err = s.db.inTx(ctx, func(tx *sql.Tx) error {
		if key != "" {
			found, err := replay(ctx, tx, "checkout", key, hash, &c)
			if found || err != nil {
				replayed = found
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO checkouts (id, shop_id, token, units, reference, expires, address, sealed, webhook_url,
			status, received, tx_id, height, settled, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '0', '', 0, 0, $11)`,
			c.ID, shop.ID, string(req.Token), amt.String(), c.Reference, millis(c.Expires), addr.String(), sealed, c.WebhookURL,
			CheckoutOpen, millis(c.Created))
		if err != nil {
			return fmt.Errorf("wallet: storing a payment request: %w", err)
		}
		if key != "" {
			return remember(ctx, tx, "checkout", key, hash, 201, c)
		}
		return nil
	})
	return c, replayed, err
}

// ReadCheckout answers a payment request by id.
func (s *Service) ReadCheckout(ctx context.Context, id string) (Checkout, error) {
	c, _, err := s.readCheckout(ctx, s.db, `id = $1`, id)
	return c, err
}

// checkoutState is what the follower needs of a stored request besides its view.
type checkoutState struct {
	units, received money.Amount
}

func (s *Service) readCheckout(ctx context.Context, q queryer, where string, arg any) (Checkout, checkoutState, error) {
	var c Checkout
	var tok, units, received, addr string
	var expires, height, settled, created int64
	err := q.QueryRowContext(ctx, `SELECT id, shop_id, token, units, reference, expires, address, webhook_url, status, received,
		tx_id, height, settled, created FROM checkouts WHERE `+where, arg).Scan(&c.ID, &c.Shop, &tok, &units, &c.Reference,
		&expires, &addr, &c.WebhookURL, &c.Status, &received, &c.TxID, &height, &settled, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Checkout{}, checkoutState{}, errorf(CodeUnknownCheckout, "no payment request has the id %q", arg)
	}
	if err != nil {
		return Checkout{}, checkoutState{}, fmt.Errorf("wallet: reading a payment request: %w", err)
	}
	var st checkoutState
	if st.units, err = money.ParseUnits(units); err != nil {
		return Checkout{}, checkoutState{}, err
	}
	if st.received, err = money.ParseUnits(received); err != nil {
		return Checkout{}, checkoutState{}, err
	}
	if c.Address, err = ledger.ParseAddress(addr); err != nil {
		return Checkout{}, checkoutState{}, err
	}
	t := ledger.TokenID(tok)
	c.Amount, c.Received = s.amount(ctx, t, st.units), s.amount(ctx, t, st.received)
	c.Expires, c.Created, c.Height = fromMillis(expires), fromMillis(created), uint64(height)
	if settled != 0 {
		at := fromMillis(settled)
		c.Settled = &at
	}
	c.URI = URI{Address: c.Address, Token: t, Amount: c.Amount.Amount, Reference: c.Reference, Request: c.ID, Expires: c.Expires}.String()
	return c, st, nil
}
