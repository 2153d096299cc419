package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/pegledger/peg/internal/ledger"
)

// Notification tells an account of a committed event that names it (S1.6):
// a payment received, a cross-region transfer delivered or refunded, a credit
// request to confirm, a trade step awaiting it. ID is the event's place in the
// chain, "HEIGHT.INDEX" (INDEX counts the events of the block's receipts from
// 0), unique on a chain and increasing: a receiver dedupes on it, and a
// reader resumes after it.
type Notification struct {
	ID      string         `json:"id"`
	Account ledger.Address `json:"account"`
	// Type is the notification's stable name (docs/notifications.md), Event
	// the chain event it comes from.
	Type   string      `json:"type"`
	Event  string      `json:"event"`
	Height int64       `json:"height"`
	Time   time.Time   `json:"time"` // the block's time
	TxID   ledger.TxID `json:"tx_id"`
	// NeedsYou says whether the account has something to do, and Action
	// what, with its deadline when the event names one.
	NeedsYou bool              `json:"needs_you"`
	Action   string            `json:"action,omitempty"`
	Attrs    map[string]string `json:"attrs"`
}

// NotificationPage is the body of GET /v1/accounts/{address}/notifications:
// the notifications from the cursor asked for, in chain order, and the cursor
// to read on from. Next is past every block read, so a page may be empty and
// still move on; Head is the chain's committed height when it was read.
type NotificationPage struct {
	Notifications []Notification `json:"notifications"`
	Next          string         `json:"next"`
	Head          int64          `json:"head"`
}

// MaxNotificationsPage bounds the notifications one page lists.
const MaxNotificationsPage = 500

// Notifications reads an account's notifications from cursor ("" for the
// chain's start), at most limit of them (0 for the API's default).
func (c *Client) Notifications(ctx context.Context, account ledger.Address, cursor string, limit int) (*NotificationPage, error) {
	q := url.Values{}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var p NotificationPage
	if err := c.get(ctx, "/v1/accounts/"+account.String()+"/notifications", q, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// NotificationStream follows an account's notifications (GET
// /v1/accounts/{address}/notifications/stream) from cursor, or from the next
// committed block if cursor is "", calling fn with each in chain order. It
// returns fn's error if fn fails, ctx's when ctx ends, and otherwise, when the
// stream ends, an error wrapping ErrStreamEnded: resume with the cursor after
// the last notification fn took (notify.After), or the same cursor if none.
func (c *Client) NotificationStream(ctx context.Context, account ledger.Address, cursor string, fn func(Notification) error) error {
	path := "/v1/accounts/" + account.String() + "/notifications/stream"
	q := url.Values{}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path+"?"+q.Encode(), nil)
	if err != nil {
		return fmt.Errorf("client: GET %s: %w", path, err)
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.stream.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return &unreachableError{url: c.base, err: op}
		}
		return fmt.Errorf("client: GET %s%s: %w", c.base, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, MaxResponseSize))
		return apiError(resp, body)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/event-stream" {
		return fmt.Errorf("client: GET %s%s answered %q, not an event stream", c.base, path, mt)
	}
	return readSSE(ctx, resp.Body, "notification", func(_, data string) error {
		var n Notification
		if err := decode([]byte(data), &n); err != nil {
			return fmt.Errorf("client: decoding a notification %.200q: %w", data, err)
		}
		return fn(n)
	})
}
