package client

import (
	"context"

	"github.com/pegledger/peg/internal/ledger"
)

// KYCLimit is one limit of a KYC tier: Max, or None for no limit.
type KYCLimit struct {
	Max  *Value `json:"max,omitempty"`
	None bool   `json:"none,omitempty"`
}

// KYCTier is the limits of one KYC level.
type KYCTier struct {
	Level      uint8    `json:"level"`
	PerPayment KYCLimit `json:"per_payment"`
	PerDay     KYCLimit `json:"per_day"`
	Balance    KYCLimit `json:"balance"`
}

// KYCTiers is GET /v1/tokens/{id}/kyc: a token's KYC tiers, level 0
// (accounts without a valid certificate) first.
type KYCTiers struct {
	Token string    `json:"token"`
	Tiers []KYCTier `json:"tiers"`
}

// KYCAccount is GET /v1/accounts/{address}/kyc/{token}: an account's KYC
// level at the latest block's time, the tier that applies to it (the top
// tier, for a level above it), and its
// usage: what it holds on this chain and what it has paid others today
// (the calendar day, UTC, of the latest block).
type KYCAccount struct {
	Address string  `json:"address"`
	Token   string  `json:"token"`
	Level   uint8   `json:"level"`
	Tier    KYCTier `json:"tier"`
	Held    Value   `json:"held"`
	// Day is the latest block's calendar day (UTC) as YYYY-MM-DD.
	Day       string `json:"day"`
	PaidToday Value  `json:"paid_today"`
	// LeftToday is what the account may still pay today, absent when its
	// tier has no daily limit.
	LeftToday *Value `json:"left_today,omitempty"`
}

// KYCTiers returns a token's KYC tiers.
func (c *Client) KYCTiers(ctx context.Context, tok ledger.TokenID) (*KYCTiers, error) {
	var v KYCTiers
	return &v, c.get(ctx, "/v1/tokens/"+string(tok)+"/kyc", nil, &v)
}

// KYCAccount returns an account's KYC level and usage of a token.
func (c *Client) KYCAccount(ctx context.Context, addr ledger.Address, tok ledger.TokenID) (*KYCAccount, error) {
	var v KYCAccount
	return &v, c.get(ctx, "/v1/accounts/"+addr.String()+"/kyc/"+string(tok), nil, &v)
}
