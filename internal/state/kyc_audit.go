package state

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/pegledger/peg/internal/kyc"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

// auditKYC checks the KYC records (S1.6): each tiered token's tiers keep
// kyc's rules; every usage record is of a tiered token and holds what its
// account's unspent coins of it total, and every account holding coins of
// a tiered token has a record.
func auditKYC(s Scanner, rep *AuditReport, tokens []Token) error {
	tiered := make(map[ledger.TokenID]bool)
	for _, t := range tokens {
		if t.KYC == nil {
			continue
		}
		tiered[t.Contract.ID] = true
		if err := t.KYC.Validate(); err != nil {
			rep.problem("token %s: %v", t.Contract.ID, err)
		}
	}
	held := make(map[string]money.Amount) // usage key → coins held
	if len(tiered) > 0 {
		err := s.Scan([]byte(prefixCoin), nil, func(k, v []byte) bool {
			if isSpent(v) || len(k) != len(prefixCoin)+ledger.HashSize {
				return true // auditCoins reports a bad key
			}
			var id ledger.CoinID
			copy(id[:], k[len(prefixCoin):])
			var c Coin
			if recovered(func() { c = decodeCoin(id, v) }) != "" || !tiered[c.Token] {
				return true
			}
			key := string(kycUsageKey(c.Token, c.Owner))
			held[key], _ = held[key].Add(c.Amount) // within the token's sum, which auditCoins bounds
			return true
		})
		if err != nil {
			return err
		}
	}
	seen := make(map[string]bool, len(held))
	err := s.Scan([]byte(prefixKYCUsage), nil, func(k, v []byte) bool {
		key := string(k)
		seen[key] = true
		var u kyc.Usage
		if msg := recovered(func() { decode(k, v, &u) }); msg != "" {
			rep.problem("%s", msg)
			return true
		}
		tok, who := usageKeyParts(k)
		if !tiered[tok] {
			rep.problem("KYC usage record of %s for %q: the token has no tiers", who, tok)
		}
		if u.Held != held[key] {
			rep.problem("KYC usage record of %s for %s holds %s; its coins total %s", who, tok, u.Held, held[key])
		}
		return true
	})
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(held))
	for k := range held {
		if !seen[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		tok, who := usageKeyParts([]byte(k))
		rep.problem("%s holds %s in coins of %s, which has tiers, and no KYC usage record", who, held[k], tok)
	}
	return nil
}

// usageKeyParts names the token and the account of a usage record's key,
// the account as its address or, for a damaged key, its bytes.
func usageKeyParts(k []byte) (ledger.TokenID, string) {
	tok, addr, _ := bytes.Cut(k[len(prefixKYCUsage):], []byte("/"))
	if a, err := ledger.AddressFromBytes(addr); err == nil {
		return ledger.TokenID(tok), a.String()
	}
	return ledger.TokenID(tok), fmt.Sprintf("%q", addr)
}
