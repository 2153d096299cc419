package wallet

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/monitor"
)

// Webhooks leave through an outbox. The event of a payment request's change
// of state is written in the same SQL transaction as the change (and as the
// height the follower has read), so a change is never without its event,
// and a block followed again after a crash finds its events written. The
// deliverer posts each event until its receiver acknowledges it (any 2xx),
// then marks it delivered.
//
// "Exactly once" means: each change of state has exactly one event, with
// one id (Event.ID, also in the Peg-Event-Id header), and it is delivered
// until acknowledged, across restarts of the server and outages of the
// receiver. The same event may reach the receiver more than once (the
// server can stop after the receiver acknowledged and before it marked the
// event delivered, or the acknowledgement can be lost), so a receiver acts
// on an event id once and acknowledges repeats: then its effect happens
// exactly once.

// Delivery limits.
const (
	// FirstRetry is the wait after a failed delivery; each later wait doubles.
	FirstRetry = 500 * time.Millisecond
	// MaxRetryWait caps the wait between tries; tries never stop.
	MaxRetryWait = time.Minute
	// DeliveryTimeout bounds one try.
	DeliveryTimeout = 10 * time.Second
	// MaxDeliveriesPerRound bounds the events one round reads.
	MaxDeliveriesPerRound = 32
)

// Headers of a webhook delivery, besides monitor.SignatureHeader.
const (
	EventIDHeader   = "Peg-Event-Id"
	EventTypeHeader = "Peg-Event-Type"
)

// Event is a webhook's body: a payment request's change of state. Time is
// the time of the block that made it.
type Event struct {
	ID       string    `json:"id"`
	Type     string    `json:"type"`
	Time     time.Time `json:"time"`
	Checkout Checkout  `json:"checkout"`
}

// checkoutPaid adds a payment of amt of tok to a request and judges it: the
// request's token only, while it is open or underpaid (a payment after its
// expiry or after it was paid is kept in received and in the records, and
// changes nothing else). It returns how many events it wrote.
func (s *Service) checkoutPaid(ctx context.Context, tx *sql.Tx, co *Checkout, tok string, amt money.Amount, rc *client.Receipt, at time.Time) (int, error) {
	if tok != string(co.Amount.Token) {
		return 0, nil
	}
	received, _ := co.Received.Units.Add(amt)
	status := co.Status
	if status == CheckoutOpen || status == CheckoutUnderpaid {
		status = CheckoutUnderpaid
		if received.Cmp(co.Amount.Units) >= 0 {
			status = CheckoutPaid
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE checkouts SET received = $1, status = $2 WHERE id = $3`, received.String(), status, co.ID); err != nil {
		return 0, fmt.Errorf("wallet: updating a payment request: %w", err)
	}
	co.Received = s.amount(ctx, co.Amount.Token, received)
	switch {
	case status == CheckoutPaid && co.Status != CheckoutPaid:
		if _, err := tx.ExecContext(ctx, `UPDATE checkouts SET tx_id = $1, height = $2, settled = $3 WHERE id = $4`,
			rc.TxID.String(), int64(rc.Height), millis(at), co.ID); err != nil {
			return 0, fmt.Errorf("wallet: updating a payment request: %w", err)
		}
		co.Status, co.TxID, co.Height, co.Settled = status, rc.TxID.String(), rc.Height, &at
		return 1, enqueue(ctx, tx, co.ID+"."+EventCheckoutPaid, EventCheckoutPaid, *co, at)
	case status == CheckoutUnderpaid:
		co.Status = status
		return 1, enqueue(ctx, tx, co.ID+"."+EventCheckoutUnderpaid+"."+rc.TxID.String(), EventCheckoutUnderpaid, *co, at)
	}
	return 0, nil
}

// expireCheckouts closes the requests whose expiry is before the block's
// time, and returns how many it closed.
func (s *Service) expireCheckouts(ctx context.Context, tx *sql.Tx, at time.Time) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id FROM checkouts WHERE status IN ($1, $2) AND expires < $3 ORDER BY id`,
		CheckoutOpen, CheckoutUnderpaid, millis(at))
	if err != nil {
		return 0, fmt.Errorf("wallet: reading payment requests: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `UPDATE checkouts SET status = $1, settled = $2 WHERE id = $3`, CheckoutExpired, millis(at), id); err != nil {
			return 0, fmt.Errorf("wallet: expiring a payment request: %w", err)
		}
		co, _, err := s.readCheckout(ctx, tx, `id = $1`, id)
		if err != nil {
			return 0, err
		}
		if err := enqueue(ctx, tx, id+"."+EventCheckoutExpired, EventCheckoutExpired, co, at); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// enqueue writes a request's event to the outbox inside tx, if the request
// names a webhook. An event already written (the same id) is kept.
func enqueue(ctx context.Context, tx *sql.Tx, id, typ string, co Checkout, at time.Time) error {
	if co.WebhookURL == "" {
		return nil
	}
	b, err := json.Marshal(Event{ID: id, Type: typ, Time: at, Checkout: co})
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO outbox (id, checkout_id, type, url, payload, created, attempts, next_attempt, delivered, last_error)
		VALUES ($1, $2, $3, $4, $5, $6, 0, 0, 0, '') ON CONFLICT (id) DO NOTHING`, id, co.ID, typ, co.WebhookURL, string(b), millis(time.Now()))
	if err != nil {
		return fmt.Errorf("wallet: writing an outbox event: %w", err)
	}
	return nil
}

func (s *Service) wakeDeliverer() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// deliver posts due outbox events until ctx ends.
func (s *Service) deliver(ctx context.Context) {
	hc := &http.Client{Timeout: DeliveryTimeout}
	for {
		next, err := s.deliverDue(ctx, hc)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("delivering webhooks", "err", err)
		}
		wait := time.Until(next)
		if next.IsZero() || wait > time.Second {
			wait = time.Second
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-time.After(max(wait, 10*time.Millisecond)):
		}
	}
}

// outboxRow is an undelivered event.
type outboxRow struct {
	id, url, payload, typ string
	attempts              int
}

// deliverDue tries each event that is due, and returns when the next one
// not yet due is (zero for none).
func (s *Service) deliverDue(ctx context.Context, hc *http.Client) (time.Time, error) {
	now := time.Now()
	rows, err := s.db.QueryContext(ctx, `SELECT id, url, payload, type, attempts FROM outbox
		WHERE delivered = 0 AND next_attempt <= $1 ORDER BY created, id LIMIT $2`, millis(now), MaxDeliveriesPerRound)
	if err != nil {
		return time.Time{}, fmt.Errorf("wallet: reading the outbox: %w", err)
	}
	var due []outboxRow
	for rows.Next() {
		var r outboxRow
		if err := rows.Scan(&r.id, &r.url, &r.payload, &r.typ, &r.attempts); err != nil {
			rows.Close()
			return time.Time{}, err
		}
		due = append(due, r)
	}
	rows.Close()
	for _, r := range due {
		err := s.post(ctx, hc, r)
		if ctx.Err() != nil {
			return time.Time{}, nil
		}
		if err == nil {
			_, err = s.db.ExecContext(ctx, `UPDATE outbox SET delivered = $1, attempts = $2, last_error = '' WHERE id = $3`,
				millis(time.Now()), r.attempts+1, r.id)
		} else {
			s.log.Warn("webhook delivery failed", "event", r.id, "url", r.url, "attempt", r.attempts+1, "err", err)
			wait := min(FirstRetry<<min(r.attempts, 20), MaxRetryWait)
			_, err = s.db.ExecContext(ctx, `UPDATE outbox SET attempts = $1, next_attempt = $2, last_error = $3 WHERE id = $4`,
				r.attempts+1, millis(time.Now().Add(wait)), err.Error(), r.id)
		}
		if err != nil {
			return time.Time{}, fmt.Errorf("wallet: updating the outbox: %w", err)
		}
	}
	var next sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT MIN(next_attempt) FROM outbox WHERE delivered = 0`).Scan(&next); err != nil {
		return time.Time{}, err
	}
	if !next.Valid {
		return time.Time{}, nil
	}
	return time.UnixMilli(next.Int64), nil
}

// post tries one delivery, signed as the reserve monitor's webhooks are.
func (s *Service) post(ctx context.Context, hc *http.Client, r outboxRow) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader([]byte(r.payload)))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(monitor.SignatureHeader, monitor.Sign(s.cfg.WebhookSecret, time.Now(), []byte(r.payload)))
	req.Header.Set(EventIDHeader, r.id)
	req.Header.Set(EventTypeHeader, r.typ)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("receiver answered HTTP %d", resp.StatusCode)
	}
	return nil
}

// Outbox is one webhook event and how its delivery stands.
type Outbox struct {
	ID        string     `json:"id"`
	Type      string     `json:"type"`
	URL       string     `json:"url"`
	Attempts  int        `json:"attempts"`
	Delivered *time.Time `json:"delivered,omitempty"`
	LastError string     `json:"last_error,omitempty"`
}

// Deliveries lists a payment request's webhook events.
func (s *Service) Deliveries(ctx context.Context, checkoutID string) ([]Outbox, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, type, url, attempts, delivered, last_error FROM outbox WHERE checkout_id = $1 ORDER BY created, id`, checkoutID)
	if err != nil {
		return nil, fmt.Errorf("wallet: reading the outbox: %w", err)
	}
	defer rows.Close()
	out := []Outbox{}
	for rows.Next() {
		var o Outbox
		var delivered int64
		if err := rows.Scan(&o.ID, &o.Type, &o.URL, &o.Attempts, &delivered, &o.LastError); err != nil {
			return nil, err
		}
		if delivered != 0 {
			t := fromMillis(delivered)
			o.Delivered = &t
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
