package wallet

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client calls a wallet server's API; the CLI's `peg wallet` commands use
// it. A refusal is an *Error with the HTTP status.
type Client struct {
	base  string
	token string
	hc    *http.Client
}

// ClientTimeout bounds one request: a move or a payment waits for its block.
const ClientTimeout = 60 * time.Second

// NewClient returns a client of the server at baseURL that sends token
// (if not empty) as its API token.
func NewClient(baseURL, token string) *Client {
	return &Client{base: strings.TrimRight(baseURL, "/"), token: token, hc: &http.Client{Timeout: ClientTimeout}}
}

// do sends in (nil for none) and decodes a 2xx answer into out.
func (c *Client) do(ctx context.Context, method, path string, header http.Header, in, out any) (int, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return 0, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("wallet: %s %s: %w (is `peg wallet serve` running?)", method, c.base+path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return resp.StatusCode, err
	}
	// An error body is an error, including 202 OUTCOME_UNKNOWN; a 202 move is not.
	e := &Error{Status: resp.StatusCode}
	isErr := json.Unmarshal(b, e) == nil && e.Name != "" && e.Code != 0
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		if !isErr {
			return resp.StatusCode, fmt.Errorf("wallet: %s %s answered HTTP %d: %.200s", method, path, resp.StatusCode, b)
		}
		return resp.StatusCode, e
	}
	if resp.StatusCode == http.StatusAccepted && isErr {
		return resp.StatusCode, e
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("wallet: decoding %s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

func idempotency(key string) http.Header {
	if key == "" {
		return nil
	}
	return http.Header{IdempotencyHeader: {key}}
}

func walletPath(ref string, rest ...string) string {
	return "/v1/wallets/" + url.PathEscape(ref) + strings.Join(rest, "")
}

// Status reads GET /v1/status.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var s Status
	_, err := c.do(ctx, http.MethodGet, "/v1/status", nil, nil, &s)
	return s, err
}

// CreateWallet creates a wallet (POST /v1/wallets).
func (c *Client) CreateWallet(ctx context.Context, name, kind string) (Wallet, error) {
	var w Wallet
	_, err := c.do(ctx, http.MethodPost, "/v1/wallets", nil, CreateWalletRequest{Name: name, Kind: kind}, &w)
	return w, err
}

// Wallets lists the wallets (GET /v1/wallets).
func (c *Client) Wallets(ctx context.Context) ([]Wallet, error) {
	var out struct {
		Wallets []Wallet `json:"wallets"`
	}
	_, err := c.do(ctx, http.MethodGet, "/v1/wallets", nil, nil, &out)
	return out.Wallets, err
}

// View reads a wallet and its balances (GET /v1/wallets/{wallet}).
func (c *Client) View(ctx context.Context, ref string) (View, error) {
	var v View
	_, err := c.do(ctx, http.MethodGet, walletPath(ref), nil, nil, &v)
	return v, err
}

// Records reads a wallet's records (GET /v1/wallets/{wallet}/records).
func (c *Client) Records(ctx context.Context, ref string, limit int) ([]Record, error) {
	var out struct {
		Records []Record `json:"records"`
	}
	path := walletPath(ref, "/records")
	if limit > 0 {
		path += fmt.Sprintf("?limit=%d", limit)
	}
	_, err := c.do(ctx, http.MethodGet, path, nil, nil, &out)
	return out.Records, err
}

// Deposit deposits into a member account under an idempotency key.
func (c *Client) Deposit(ctx context.Context, ref, key string, req DepositRequest) (Deposit, error) {
	var d Deposit
	_, err := c.do(ctx, http.MethodPost, walletPath(ref, "/deposits"), idempotency(key), req, &d)
	return d, err
}

// Move moves a member balance into the wallet; key may be "".
func (c *Client) Move(ctx context.Context, ref, key string, req MoveRequest) (Move, error) {
	var m Move
	_, err := c.do(ctx, http.MethodPost, walletPath(ref, "/moves"), idempotency(key), req, &m)
	return m, err
}

// Pay pays from a wallet; key may be "".
func (c *Client) Pay(ctx context.Context, ref, key string, req PayRequest) (Payment, error) {
	var p Payment
	_, err := c.do(ctx, http.MethodPost, walletPath(ref, "/payments"), idempotency(key), req, &p)
	return p, err
}

// FeeDeposit deposits into a wallet's prepaid fee account.
func (c *Client) FeeDeposit(ctx context.Context, ref, amount string) (Payment, error) {
	var p Payment
	_, err := c.do(ctx, http.MethodPost, walletPath(ref, "/fee-deposits"), nil, FeeDepositRequest{Amount: amount}, &p)
	return p, err
}

// CreateCheckout creates a payment request; key may be "".
func (c *Client) CreateCheckout(ctx context.Context, key string, req CheckoutRequest) (Checkout, error) {
	var co Checkout
	_, err := c.do(ctx, http.MethodPost, "/v1/checkouts", idempotency(key), req, &co)
	return co, err
}

// Checkout reads a payment request.
func (c *Client) Checkout(ctx context.Context, id string) (Checkout, error) {
	var co Checkout
	_, err := c.do(ctx, http.MethodGet, "/v1/checkouts/"+url.PathEscape(id), nil, nil, &co)
	return co, err
}
