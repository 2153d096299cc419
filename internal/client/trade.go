package client

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"github.com/pegledger/peg/internal/ledger"
)

// TradeTerms are one version of a trade's terms (S1.5).
type TradeTerms struct {
	Description   string    `json:"description"`
	DocumentHash  string    `json:"document_hash"`
	Token         string    `json:"token"`
	Amount        Value     `json:"amount"`
	Delivery      string    `json:"delivery"`
	PaymentRule   string    `json:"payment_rule"`
	ConfirmWindow Duration  `json:"confirm_window"`
	Expires       time.Time `json:"expires"`
	FundBy        time.Time `json:"fund_by"`
	ShipBy        time.Time `json:"ship_by"`
	Arbiter       string    `json:"arbiter"`
}

// TradeVersion is the offer (1) or a counter-offer, by the party who
// proposed it, in the transaction TxID.
type TradeVersion struct {
	N     uint32     `json:"n"`
	By    string     `json:"by"`
	TxID  string     `json:"tx_id"`
	Time  time.Time  `json:"time"`
	Terms TradeTerms `json:"terms"`
}

// TradeMovement is one money movement of a trade (S1.7): its transaction,
// the coin it created, and the issuance (the token's deployment) the coins
// belong to.
type TradeMovement struct {
	Step     string    `json:"step"`
	TxID     string    `json:"tx_id"`
	Time     time.Time `json:"time"`
	From     string    `json:"from"`
	To       string    `json:"to"`
	Amount   Value     `json:"amount"`
	Coin     string    `json:"coin"`
	Issuance string    `json:"issuance"`
}

// TradeDispute is a party's dispute.
type TradeDispute struct {
	By       string    `json:"by"`
	TxID     string    `json:"tx_id"`
	Time     time.Time `json:"time"`
	Reason   string    `json:"reason"`
	Evidence string    `json:"evidence"`
}

// Trade is GET /v1/trades/{id}: a trade agreement, with its status judged
// at the latest block (LAPSED) beside the one recorded.
type Trade struct {
	ID             string          `json:"id"`
	Buyer          string          `json:"buyer"`
	Seller         string          `json:"seller"`
	Pool           string          `json:"pool"`
	Status         string          `json:"status"`
	RecordedStatus string          `json:"recorded_status"`
	Terms          TradeTerms      `json:"terms"`
	Versions       []TradeVersion  `json:"versions"`
	AcceptedAt     *time.Time      `json:"accepted_at,omitempty"`
	FundedAt       *time.Time      `json:"funded_at,omitempty"`
	ShippedAt      *time.Time      `json:"shipped_at,omitempty"`
	ConfirmBy      *time.Time      `json:"confirm_by,omitempty"`
	ConfirmedAt    *time.Time      `json:"confirmed_at,omitempty"`
	ClosedAt       *time.Time      `json:"closed_at,omitempty"`
	Invoice        string          `json:"invoice,omitempty"`
	BillOfLading   string          `json:"bill_of_lading,omitempty"`
	Dispute        *TradeDispute   `json:"dispute,omitempty"`
	Resolution     string          `json:"resolution,omitempty"`
	Held           Value           `json:"held"`
	Funded         Value           `json:"funded"`
	Released       Value           `json:"released"`
	Refunded       Value           `json:"refunded"`
	Movements      []TradeMovement `json:"movements"`
}

// TradePosition is what an account holds in open trades of one token.
type TradePosition struct {
	Token string `json:"token"`
	Held  Value  `json:"held"`
}

// TradeList is GET /v1/accounts/{address}/trades: the trades naming the
// account, newest first, one page, with its open positions; Next is the
// cursor of the next page (empty after the last).
type TradeList struct {
	Address   string          `json:"address"`
	Open      int             `json:"open"`
	Positions []TradePosition `json:"positions"`
	Trades    []Trade         `json:"trades"`
	Next      string          `json:"next,omitempty"`
}

// TradeLimit is a token's position limit.
type TradeLimit struct {
	Token string `json:"token"`
	Max   Value  `json:"max"`
}

// TradeRules is GET /v1/trade-rules: the chain's trade rules.
type TradeRules struct {
	MaxRounds      uint32       `json:"max_rounds"`
	MaxVersionOpen Duration     `json:"max_version_open"`
	Limits         []TradeLimit `json:"limits"`
}

// Trade returns a trade by its id (its offer's transaction id).
func (c *Client) Trade(ctx context.Context, id ledger.TxID) (*Trade, error) {
	var v Trade
	return &v, c.get(ctx, "/v1/trades/"+id.String(), nil, &v)
}

// Trades returns a page of at most limit (0: the server's default) of the
// trades naming addr, from cursor before (empty: the newest).
func (c *Client) Trades(ctx context.Context, addr ledger.Address, before string, limit int) (*TradeList, error) {
	var v TradeList
	return &v, c.get(ctx, "/v1/accounts/"+addr.String()+"/trades", pageQuery(before, limit), &v)
}

// pageQuery is the query of a party's page of trades or credit requests.
func pageQuery(before string, limit int) url.Values {
	q := url.Values{}
	if before != "" {
		q.Set("before", before)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	return q
}

// TradeRules returns the chain's trade rules.
func (c *Client) TradeRules(ctx context.Context) (*TradeRules, error) {
	var v TradeRules
	return &v, c.get(ctx, "/v1/trade-rules", nil, &v)
}
