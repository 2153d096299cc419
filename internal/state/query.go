package state

import (
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

// Queries read committed state for the API and the audit. They take a snapshot,
// never the block being built.

// TokenByID returns a token, or nil if there is none.
func TokenByID(r Reader, id ledger.TokenID) *Token {
	k := tokenKey(id)
	b := r.Get(k)
	if b == nil {
		return nil
	}
	var t Token
	decode(k, b, &t)
	return &t
}

// Tokens lists every token in id order.
func Tokens(s Scanner) ([]Token, error) {
	var out []Token
	err := s.Scan([]byte(prefixToken), nil, func(k, v []byte) bool {
		var t Token
		decode(k, v, &t)
		out = append(out, t)
		return true
	})
	return out, err
}

// Balance is what an owner holds of one token.
type Balance struct {
	Token  ledger.TokenID
	Amount money.Amount
	Coins  int
}

// CoinByID returns an unspent coin, or nil.
func CoinByID(r Reader, id ledger.CoinID) *Coin {
	b := r.Get(coinKey(id))
	if b == nil || isSpent(b) {
		return nil
	}
	c := decodeCoin(id, b)
	return &c
}

// ReceiptByID returns the receipt of a transaction in a block, or nil.
func ReceiptByID(r Reader, id ledger.TxID) *Receipt {
	b := r.Get(receiptKey(id))
	if b == nil {
		return nil
	}
	return decodeReceipt(id, b)
}

// Account is what the ledger knows of an address besides its coins.
type Account struct {
	Issuer     bool
	Registered bool
	Frozen     []ledger.TokenID
}

// AccountOf reads an account's standing; frozen lists the tokens among toks
// that have frozen it.
func AccountOf(r Reader, a ledger.Address, toks []ledger.TokenID) Account {
	acc := Account{Issuer: r.Get(issuerKey(a)) != nil, Registered: r.Get(registeredKey(a)) != nil}
	for _, id := range toks {
		if r.Get(frozenKey(id, a)) != nil {
			acc.Frozen = append(acc.Frozen, id)
		}
	}
	return acc
}

// Approval is how much spender may spend of owner's tok.
func Approval(r Reader, tok ledger.TokenID, owner, spender ledger.Address) money.Amount {
	b := r.Get(approvalKey(tok, owner, spender))
	if b == nil {
		return money.Amount{}
	}
	a, err := money.FromBytes(b)
	if err != nil {
		panic("state: approval record: " + err.Error())
	}
	return a
}

// Redemptions lists a token's redemptions in block order.
func Redemptions(s Scanner, tok ledger.TokenID) ([]Redemption, error) {
	var out []Redemption
	err := s.Scan([]byte(prefixRedemption+string(tok)+"/"), nil, func(k, v []byte) bool {
		var r Redemption
		decode(k, v, &r)
		out = append(out, r)
		return true
	})
	return out, err
}
