package proof

import (
	"fmt"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

// Coin proves a coin's creation: the coin as the proof names it, and the
// receipt proof of the transaction that created it. Whether the coin is
// still unspent is not in it: only the coin's region can say that, online.
type Coin struct {
	Version int      `json:"version"`
	Coin    CoinInfo `json:"coin"`
	Receipt Receipt  `json:"receipt"`
}

// CoinInfo is a coin's fields as the proof claims them, amount in minor
// units of the token.
type CoinInfo struct {
	ID     ledger.CoinID  `json:"id"`
	Token  ledger.TokenID `json:"token"`
	Owner  ledger.Address `json:"owner"`
	Amount money.Amount   `json:"amount"`
	// Output is the coin's position among its transaction's outputs: its
	// id is ledger.NewCoinID(the transaction's id, Output).
	Output uint32 `json:"output"`
}

// VerifiedCoin is what a coin proof proves.
type VerifiedCoin struct {
	Coin CoinInfo
	*Verified
}

// VerifyCoin checks a coin proof against trust: its receipt proof (Verify),
// then that the transaction was accepted (PROOF_REFUSED) and created
// exactly the coin the proof names (PROOF_NOT_COIN): its id derives from the
// transaction's id and the output's position, a coin.created event names
// that id with the same owner and amount, and the receipt's events name
// the one token the proof names. Creation is a permanent fact, so an old
// proof verifies as well as a new one.
func VerifyCoin(p *Coin, trust Trust) (*VerifiedCoin, *ledger.Rejection) {
	if p.Version != Version {
		return nil, reject(ledger.CodeProofMalformed, "coin proof version %d; this verifier reads %d", p.Version, Version)
	}
	v, rej := Verify(&p.Receipt, trust)
	if rej != nil {
		return nil, rej
	}
	l := v.Leaf
	if l.Code != ledger.OK {
		return nil, reject(ledger.CodeProofRefused, "transaction %s was refused with %s (%d): it created no coin", l.TxID, l.Code.Name(), uint32(l.Code))
	}
	if rej := creates(l, p.Coin); rej != nil {
		return nil, rej
	}
	return &VerifiedCoin{Coin: p.Coin, Verified: v}, nil
}

// creates checks that the accepted transaction of l created c.
func creates(l *Leaf, c CoinInfo) *ledger.Rejection {
	if want := ledger.NewCoinID(l.TxID, c.Output); c.ID != want {
		return reject(ledger.CodeProofNotCoin, "coin %s is not output %d of transaction %s, which is coin %s", c.ID, c.Output, l.TxID, want)
	}
	token, rej := tokenOf(l)
	if rej != nil {
		return rej
	}
	if token != c.Token {
		return reject(ledger.CodeProofNotCoin, "transaction %s moved token %s, not %s", l.TxID, token, c.Token)
	}
	for _, e := range l.Events {
		if e.Type != "coin.created" || attr(e, "coin") != c.ID.String() {
			continue
		}
		if owner := attr(e, "owner"); owner != c.Owner.String() {
			return reject(ledger.CodeProofNotCoin, "coin %s was created for %s, not %s", c.ID, owner, c.Owner)
		}
		if amount := attr(e, "amount"); amount != c.Amount.String() {
			return reject(ledger.CodeProofNotCoin, "coin %s was created with %s minor units, not %s", c.ID, amount, c.Amount)
		}
		return nil
	}
	return reject(ledger.CodeProofNotCoin, "transaction %s created no coin %s", l.TxID, c.ID)
}

// tokenOf is the token a receipt's events name: every transaction that
// creates coins moves one token, which its events name (pay, mint, redeem,
// seize, spend_from, fee_deposit, fee_collect). Events naming two tokens, or
// none, name no coin's token.
func tokenOf(l *Leaf) (ledger.TokenID, *ledger.Rejection) {
	var token string
	for _, e := range l.Events {
		t := attr(e, "token")
		switch {
		case t == "" || t == token:
		case token == "":
			token = t
		default:
			return "", reject(ledger.CodeProofNotCoin, "transaction %s names tokens %s and %s", l.TxID, token, t)
		}
	}
	if token == "" {
		return "", reject(ledger.CodeProofNotCoin, "transaction %s names no token", l.TxID)
	}
	return ledger.TokenID(token), nil
}

func attr(e ledger.Event, key string) string {
	for _, a := range e.Attrs {
		if a.Key == key {
			return a.Value
		}
	}
	return ""
}

// CoinFromLeaf is the coin output of an accepted transaction's leaf
// created, for a node making a coin proof.
func CoinFromLeaf(l *Leaf, output uint32) (CoinInfo, error) {
	id := ledger.NewCoinID(l.TxID, output)
	token, rej := tokenOf(l)
	if rej != nil {
		return CoinInfo{}, fmt.Errorf("proof: %s", rej.Message)
	}
	for _, e := range l.Events {
		if e.Type != "coin.created" || attr(e, "coin") != id.String() {
			continue
		}
		owner, err := ledger.ParseAddress(attr(e, "owner"))
		if err != nil {
			return CoinInfo{}, fmt.Errorf("proof: coin %s owner: %w", id, err)
		}
		amount, err := money.ParseUnits(attr(e, "amount"))
		if err != nil {
			return CoinInfo{}, fmt.Errorf("proof: coin %s amount: %w", id, err)
		}
		return CoinInfo{ID: id, Token: token, Owner: owner, Amount: amount, Output: output}, nil
	}
	return CoinInfo{}, fmt.Errorf("proof: transaction %s created no output %d", l.TxID, output)
}
