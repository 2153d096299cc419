package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// The index's answers (GET /v1/history…, /v1/analytics/…, /v1/published…):
// what a node's index database (internal/index) holds of the chains it
// follows, read by internal/index/query. Amounts are decimal text: Amount
// in whole units of the token (Unit its symbol) when the node knows the
// token, Units the exact minor units always.

// HistoryQuery is the parameters of GET /v1/history; the zero value of a
// field leaves it out.
type HistoryQuery struct {
	// Account makes each item that address's entry in the transaction:
	// direction, amount_in, amount_out and counterparty.
	Account      string
	Counterparty string // needs Account
	Token        string
	Kind         string
	// From and To bound the block time, RFC 3339 or YYYY-MM-DD (To's day
	// included whole).
	From, To string
	// Min and Max bound the amount, in decimal units of Token.
	Min, Max    string
	Region      string
	TradeStatus string
	// Code is "ok" (the default), "refused" or "any".
	Code   string
	Limit  int
	Cursor string
}

// Values is q as the query string of GET /v1/history.
func (q HistoryQuery) Values() url.Values {
	v := url.Values{}
	for _, p := range []struct{ name, value string }{
		{"account", q.Account}, {"counterparty", q.Counterparty}, {"token", q.Token}, {"kind", q.Kind},
		{"from", q.From}, {"to", q.To}, {"min", q.Min}, {"max", q.Max}, {"region", q.Region},
		{"trade_status", q.TradeStatus}, {"code", q.Code}, {"cursor", q.Cursor},
	} {
		if p.value != "" {
			v.Set(p.name, p.value)
		}
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	return v
}

// HistoryItem is one indexed transaction. Direction, AmountIn, AmountOut
// and Counterparty are set when the query names an account: that
// account's side of it.
type HistoryItem struct {
	TxID        string    `json:"tx_id"`
	ChainID     string    `json:"chain_id"`
	Region      string    `json:"region"`
	Height      int64     `json:"height"`
	Index       int       `json:"index"`
	Time        time.Time `json:"time"`
	Kind        string    `json:"kind"`
	Code        uint32    `json:"code"`
	CodeName    string    `json:"code_name"`
	Signer      string    `json:"signer"`
	Token       string    `json:"token"`
	Amount      string    `json:"amount"`
	Units       string    `json:"units"`
	Unit        string    `json:"unit"`
	Payer       string    `json:"payer"`
	Payee       string    `json:"payee"`
	PayeeRegion string    `json:"payee_region"`
	Fee         string    `json:"fee"`

	Direction    string `json:"direction,omitempty"` // in, out or self
	AmountIn     string `json:"amount_in,omitempty"`
	AmountOut    string `json:"amount_out,omitempty"`
	Counterparty string `json:"counterparty,omitempty"`
}

// HistoryPage is GET /v1/history: a page of transactions, newest first;
// NextCursor fetches the next (older) page, empty after the last.
type HistoryPage struct {
	Items      []HistoryItem `json:"items"`
	NextCursor string        `json:"next_cursor"`
}

// HistoryTx is GET /v1/history/txs/{id}: one indexed transaction. Its
// receipt, with the events, is its chain's node's (GET /v1/txs/{id}).
type HistoryTx struct {
	HistoryItem
}

// HistoryBlock is one indexed block.
type HistoryBlock struct {
	ChainID  string    `json:"chain_id"`
	Region   string    `json:"region"`
	Height   int64     `json:"height"`
	Time     time.Time `json:"time"`
	Hash     string    `json:"hash"`
	Proposer string    `json:"proposer"`
	Txs      int       `json:"txs"`
}

// HistoryBlockPage is GET /v1/history/blocks: blocks newest first.
type HistoryBlockPage struct {
	Items      []HistoryBlock `json:"items"`
	NextCursor string         `json:"next_cursor"`
}

// HistoryCoin is GET /v1/history/coins/{id}: a coin as the index has it.
// SpentTx is empty and SpentHeight 0 while it is unspent.
type HistoryCoin struct {
	CoinID        string `json:"coin_id"`
	Owner         string `json:"owner"`
	Token         string `json:"token"`
	Amount        string `json:"amount"`
	Units         string `json:"units"`
	Unit          string `json:"unit"`
	CreatedTx     string `json:"created_tx"`
	CreatedHeight int64  `json:"created_height"`
	SpentTx       string `json:"spent_tx"`
	SpentHeight   int64  `json:"spent_height"`
}

// IndexChain is how far the index holds one chain.
type IndexChain struct {
	ChainID   string    `json:"chain_id"`
	Region    string    `json:"region"`
	Height    int64     `json:"height"`
	Time      time.Time `json:"time"`
	BlockHash string    `json:"block_hash"`
}

// IndexStatus is GET /v1/history/status: what the index holds.
type IndexStatus struct {
	Chains []IndexChain `json:"chains"`
}

// AnalyticsQuery is the parameters of the /v1/analytics endpoints; each
// takes those it documents and the zero value of a field leaves it out.
type AnalyticsQuery struct {
	Group    string // day or month
	Token    string
	Region   string
	From, To string // RFC 3339 or YYYY-MM-DD
	What     string // settlement: trade or credit
	Metric   string // trend: volume, count or active
	Window   string // trend: "30d"
}

// Values is q as a query string.
func (q AnalyticsQuery) Values() url.Values {
	v := url.Values{}
	for _, p := range []struct{ name, value string }{
		{"group", q.Group}, {"token", q.Token}, {"region", q.Region}, {"from", q.From}, {"to", q.To},
		{"what", q.What}, {"metric", q.Metric}, {"window", q.Window},
	} {
		if p.value != "" {
			v.Set(p.name, p.value)
		}
	}
	return v
}

// VolumeRow is the payments of one token in one region over one period.
type VolumeRow struct {
	Period string `json:"period"`
	Token  string `json:"token"`
	Region string `json:"region"`
	Count  int64  `json:"count"`
	Volume string `json:"volume"`
	Units  string `json:"units"`
	Unit   string `json:"unit"`
}

// Volumes is GET /v1/analytics/volumes.
type Volumes struct {
	Rows []VolumeRow `json:"rows"`
}

// CorridorRow is the payments of one token from one region to another.
type CorridorRow struct {
	FromRegion string `json:"from_region"`
	ToRegion   string `json:"to_region"`
	Token      string `json:"token"`
	Count      int64  `json:"count"`
	Volume     string `json:"volume"`
	Units      string `json:"units"`
	Unit       string `json:"unit"`
}

// Corridors is GET /v1/analytics/corridors.
type Corridors struct {
	Rows []CorridorRow `json:"rows"`
}

// ActiveRow is how many accounts were active in one period.
type ActiveRow struct {
	Period   string `json:"period"`
	Accounts int64  `json:"accounts"`
}

// ActiveAccounts is GET /v1/analytics/active.
type ActiveAccounts struct {
	Rows []ActiveRow `json:"rows"`
}

// SettlementBucket counts the settlements that took at most LESeconds.
type SettlementBucket struct {
	LESeconds int64 `json:"le_seconds"`
	Count     int64 `json:"count"`
}

// Settlement is GET /v1/analytics/settlement: the distribution of
// settlement times of trades (funded to settled) or credit (requested to
// paid).
type Settlement struct {
	What       string             `json:"what"`
	Count      int64              `json:"count"`
	P50Seconds float64            `json:"p50_seconds"`
	P90Seconds float64            `json:"p90_seconds"`
	P99Seconds float64            `json:"p99_seconds"`
	Buckets    []SettlementBucket `json:"buckets"`
}

// CoveragePoint is a token's supply and reserve after one of its events.
type CoveragePoint struct {
	Time     time.Time `json:"time"`
	Height   int64     `json:"height"`
	Supply   string    `json:"supply"`
	Reserve  string    `json:"reserve"`
	Required string    `json:"required"`
	Status   string    `json:"status"`
}

// Coverage is GET /v1/analytics/coverage.
type Coverage struct {
	Token    string          `json:"token"`
	Currency string          `json:"currency"`
	Points   []CoveragePoint `json:"points"`
	// Thinned says the range held more events than one answer carries:
	// the points are then the last of each of equal spans of the range and
	// every change of reserve status, with the point before it.
	Thinned bool `json:"thinned,omitempty"`
}

// TrendRow is one day's value of a trend's metric.
type TrendRow struct {
	Period string `json:"period"`
	Value  string `json:"value"`
}

// Trend is GET /v1/analytics/trend: a metric over the window ending at the
// last indexed block against the window before it. ChangePercent is empty
// when the previous window's value is zero.
type Trend struct {
	Metric        string     `json:"metric"`
	Window        string     `json:"window"`
	Current       string     `json:"current"`
	Previous      string     `json:"previous"`
	ChangePercent string     `json:"change_percent"`
	Rows          []TrendRow `json:"rows"`
}

// PublishedItem is one published report.
type PublishedItem struct {
	Name     string    `json:"name"`
	Kind     string    `json:"kind"`
	Period   string    `json:"period"`
	Height   int64     `json:"height"`
	ChainIDs []string  `json:"chain_ids"`
	Created  time.Time `json:"created"`
	SHA256   string    `json:"sha256"`
}

// PublishedPage is GET /v1/published: reports newest first.
type PublishedPage struct {
	Items      []PublishedItem `json:"items"`
	NextCursor string          `json:"next_cursor"`
}

// History returns a page of indexed transactions.
func (c *Client) History(ctx context.Context, q HistoryQuery) (*HistoryPage, error) {
	var v HistoryPage
	return &v, c.get(ctx, "/v1/history", q.Values(), &v)
}

// HistoryCSV returns the same page as History as CSV, with a header line,
// and the next page's cursor (empty after the last).
func (c *Client) HistoryCSV(ctx context.Context, q HistoryQuery) (csv []byte, next string, err error) {
	v := q.Values()
	v.Set("format", "csv")
	body, h, err := c.getHeader(ctx, "/v1/history", v, "text/csv")
	if err != nil {
		return nil, "", err
	}
	return body, h.Get("X-Next-Cursor"), nil
}

// HistoryBlocks returns a page of indexed blocks, of chainID only if it is
// not empty.
func (c *Client) HistoryBlocks(ctx context.Context, chainID, cursor string, limit int) (*HistoryBlockPage, error) {
	v := url.Values{}
	if chainID != "" {
		v.Set("chain_id", chainID)
	}
	if cursor != "" {
		v.Set("cursor", cursor)
	}
	if limit > 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	var p HistoryBlockPage
	return &p, c.get(ctx, "/v1/history/blocks", v, &p)
}

// HistoryTx returns an indexed transaction with its events.
func (c *Client) HistoryTx(ctx context.Context, id string) (*HistoryTx, error) {
	var v HistoryTx
	return &v, c.get(ctx, "/v1/history/txs/"+url.PathEscape(id), nil, &v)
}

// HistoryCoin returns a coin as the index has it.
func (c *Client) HistoryCoin(ctx context.Context, id string) (*HistoryCoin, error) {
	var v HistoryCoin
	return &v, c.get(ctx, "/v1/history/coins/"+url.PathEscape(id), nil, &v)
}

// IndexStatus returns what the node's index holds.
func (c *Client) IndexStatus(ctx context.Context) (*IndexStatus, error) {
	var v IndexStatus
	return &v, c.get(ctx, "/v1/history/status", nil, &v)
}

// Volumes returns payment volumes and counts by period, token and region.
func (c *Client) Volumes(ctx context.Context, q AnalyticsQuery) (*Volumes, error) {
	var v Volumes
	return &v, c.get(ctx, "/v1/analytics/volumes", q.Values(), &v)
}

// Corridors returns payment volumes by region → payee region.
func (c *Client) Corridors(ctx context.Context, q AnalyticsQuery) (*Corridors, error) {
	var v Corridors
	return &v, c.get(ctx, "/v1/analytics/corridors", q.Values(), &v)
}

// Active returns how many accounts were active per period.
func (c *Client) Active(ctx context.Context, q AnalyticsQuery) (*ActiveAccounts, error) {
	var v ActiveAccounts
	return &v, c.get(ctx, "/v1/analytics/active", q.Values(), &v)
}

// Settlement returns the distribution of settlement times.
func (c *Client) Settlement(ctx context.Context, q AnalyticsQuery) (*Settlement, error) {
	var v Settlement
	return &v, c.get(ctx, "/v1/analytics/settlement", q.Values(), &v)
}

// Coverage returns a token's supply against its reserve over time.
func (c *Client) Coverage(ctx context.Context, q AnalyticsQuery) (*Coverage, error) {
	var v Coverage
	return &v, c.get(ctx, "/v1/analytics/coverage", q.Values(), &v)
}

// Trend returns a metric over a window against the window before.
func (c *Client) Trend(ctx context.Context, q AnalyticsQuery) (*Trend, error) {
	var v Trend
	return &v, c.get(ctx, "/v1/analytics/trend", q.Values(), &v)
}

// Published returns a page of published reports, of kind only if it is not
// empty.
func (c *Client) Published(ctx context.Context, kind, cursor string, limit int) (*PublishedPage, error) {
	v := url.Values{}
	if kind != "" {
		v.Set("kind", kind)
	}
	if cursor != "" {
		v.Set("cursor", cursor)
	}
	if limit > 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	var p PublishedPage
	return &p, c.get(ctx, "/v1/published", v, &p)
}

// PublishedReport returns a published report's body as published and the
// SHA-256 the node keeps with it (hex).
func (c *Client) PublishedReport(ctx context.Context, name string) (body []byte, sha256 string, err error) {
	body, h, err := c.getHeader(ctx, "/v1/published/"+url.PathEscape(name), nil, "application/json")
	if err != nil {
		return nil, "", err
	}
	return body, h.Get("X-Content-SHA256"), nil
}

// getHeader performs a GET accepting accept and returns a 2xx answer's
// body and headers; any other answer is an *APIError.
func (c *Client) getHeader(ctx context.Context, path string, q url.Values, accept string) ([]byte, http.Header, error) {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("client: GET %s: %w", u, err)
	}
	req.Header.Set("Accept", accept)
	resp, err := c.http.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return nil, nil, &unreachableError{url: c.base, err: op}
		}
		return nil, nil, fmt.Errorf("client: GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	answer, err := readAnswer(resp)
	if err != nil {
		return nil, nil, fmt.Errorf("client: reading the answer to GET %s: %w", u, err)
	}
	if len(answer) > MaxResponseSize {
		return nil, nil, fmt.Errorf("client: the answer to GET %s exceeds %d bytes", u, MaxResponseSize)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, nil, apiError(resp, answer)
	}
	return answer, resp.Header, nil
}
