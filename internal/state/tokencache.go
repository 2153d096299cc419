package state

import (
	"bytes"
	"slices"

	"github.com/pegledger/peg/internal/ledger"
)

// TokenCache keeps decoded token records, and the decoded fee policy, so that
// the transactions of a block that only read a token (payments, mostly) do
// not decode the same record each time. An entry is used only if the stored bytes are the same as those it was
// decoded from, so it can never answer with a stale or discarded version. It
// hands out its own copy, which callers must not change (loadToken copies it
// for the handlers that do). It is not safe for concurrent use: give each
// caller its own.
type TokenCache struct {
	m map[ledger.TokenID]cachedToken
	// feesRaw and fees are the fee policy's stored bytes and its decoding.
	feesRaw []byte
	fees    *Fees
}

func (c *TokenCache) viewFees(raw []byte) *Fees {
	if c.fees == nil || !bytes.Equal(c.feesRaw, raw) {
		return nil
	}
	return c.fees
}

func (c *TokenCache) putFees(raw []byte, f *Fees) { c.feesRaw, c.fees = slices.Clone(raw), f }

type cachedToken struct {
	raw []byte
	tok *Token
}

// MaxCachedTokens bounds a TokenCache; beyond it, the cache starts afresh.
const MaxCachedTokens = 1024

// NewTokenCache returns an empty cache.
func NewTokenCache() *TokenCache { return &TokenCache{m: make(map[ledger.TokenID]cachedToken)} }

// view returns the token decoded from raw, if cached. The caller must not
// change it.
func (c *TokenCache) view(id ledger.TokenID, raw []byte) *Token {
	e, ok := c.m[id]
	if !ok || !bytes.Equal(e.raw, raw) {
		return nil
	}
	return e.tok
}

func (c *TokenCache) put(id ledger.TokenID, raw []byte, t *Token) {
	if len(c.m) >= MaxCachedTokens {
		clear(c.m)
	}
	c.m[id] = cachedToken{raw: slices.Clone(raw), tok: t.clone()}
}

// clone copies t deeply enough that changing the copy's live state leaves t
// alone.
func (t *Token) clone() *Token {
	c := *t
	c.Minters = slices.Clone(t.Minters)
	c.KYC = slices.Clone(t.KYC)
	if t.Reading != nil {
		r := *t.Reading
		c.Reading = &r
	}
	return &c
}
