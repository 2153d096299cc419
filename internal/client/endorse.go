package client

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"github.com/pegledger/peg/internal/ledger"
)

// EndorsePolicy is GET /v1/tokens/{id}/endorsement: a token's endorsement
// policy (S1.6). A mint of more than Threshold waits for Required of
// Endorsers to endorse it within Window.
type EndorsePolicy struct {
	Token     string   `json:"token"`
	Threshold Value    `json:"threshold"`
	Endorsers []string `json:"endorsers"`
	Required  uint32   `json:"required"`
	Window    Duration `json:"window"`
}

// MintRequest is GET /v1/mint-requests/{id}: a mint above its token's
// endorsement threshold, with its status judged at the latest block
// (lapsed) beside the one recorded. ID is the mint transaction's id.
type MintRequest struct {
	ID             string    `json:"id"`
	Token          string    `json:"token"`
	Minter         string    `json:"minter"`
	To             string    `json:"to"`
	Amount         Value     `json:"amount"`
	Endorsers      []string  `json:"endorsers"`
	Required       uint32    `json:"required"`
	Endorsed       []string  `json:"endorsed"`
	Status         string    `json:"status"`
	RecordedStatus string    `json:"recorded_status"`
	Height         uint64    `json:"height"`
	Opened         time.Time `json:"opened"`
	Deadline       time.Time `json:"deadline"`
	// ClosedBy is the transaction that executed, refused or cancelled
	// the request, signed by Closer; Code and Log a refused mint's result.
	ClosedAt *time.Time `json:"closed_at,omitempty"`
	ClosedBy string     `json:"closed_by,omitempty"`
	Closer   string     `json:"closer,omitempty"`
	Code     string     `json:"code,omitempty"`
	Log      string     `json:"log,omitempty"`
}

// MintRequestList is GET /v1/tokens/{id}/mint-requests: one page of a
// token's open mint requests, oldest first; Next is the cursor of the next
// page (empty after the last).
type MintRequestList struct {
	Token    string        `json:"token"`
	Requests []MintRequest `json:"requests"`
	Next     string        `json:"next,omitempty"`
}

// EndorsePolicy returns token's endorsement policy.
func (c *Client) EndorsePolicy(ctx context.Context, token ledger.TokenID) (*EndorsePolicy, error) {
	var v EndorsePolicy
	return &v, c.get(ctx, "/v1/tokens/"+string(token)+"/endorsement", nil, &v)
}

// MintRequest returns a mint request by its id (its mint's transaction id).
func (c *Client) MintRequest(ctx context.Context, id ledger.TxID) (*MintRequest, error) {
	var v MintRequest
	return &v, c.get(ctx, "/v1/mint-requests/"+id.String(), nil, &v)
}

// MintRequests returns a page of at most limit (0: the server's default)
// of token's open mint requests, from cursor after (empty: the oldest).
func (c *Client) MintRequests(ctx context.Context, token ledger.TokenID, after string, limit int) (*MintRequestList, error) {
	var v MintRequestList
	q := url.Values{}
	if after != "" {
		q.Set("after", after)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	return &v, c.get(ctx, "/v1/tokens/"+string(token)+"/mint-requests", q, &v)
}
