// Package trade owns the rules of trade agreements (S1.2, S1.4, S1.5, S1.7):
// the chain's trade rule set (counter-offer rounds, how long a version stays
// open, position-holding limits), the terms a version of an offer carries,
// the trade's record, and its state machine, whose every transition is one
// row of Table. It is pure: block time comes in as Unix nanoseconds, nothing
// is read or written; internal/state sequences the checks, moves the coins
// and keeps the records.
//
// A trade between a buyer (the importer) and a seller (the exporter) goes
//
//	offer → counter-offers → accept → fund → ship → confirm → settle
//	                                    └──────── dispute → resolve (arbiter)
//
// and lapses when a version is not accepted by its expiry or an accepted
// trade is not funded by its fund_by; a funded trade not shipped by its
// ship_by may be cancelled by the buyer for a refund.
package trade

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

// Limits on rules, terms and records.
const (
	// MaxRoundsLimit bounds a rule set's MaxRounds: a trade keeps every
	// version of its terms, and is read and written whole on every step.
	MaxRoundsLimit = 32
	// MaxVersionOpenLimit bounds a rule set's MaxVersionOpen.
	MaxVersionOpenLimit = 90 * 24 * time.Hour
	// MaxHorizon bounds how far ahead of block time a version's ship_by may be.
	MaxHorizon = 366 * 24 * time.Hour
	// MaxConfirmWindow bounds how long after shipment the buyer has to
	// confirm or dispute.
	MaxConfirmWindow = 90 * 24 * time.Hour
	// MinConfirmWindow is the shortest confirmation window: the buyer must
	// have time to look at the documents.
	MinConfirmWindow = time.Minute
	// MaxOpenTrades bounds the open trades one party is in: its position
	// is summed over them on every offer, counter-offer and acceptance.
	MaxOpenTrades = 64
	// MaxLimits bounds the tokens a rule set names.
	MaxLimits = 32
	// MaxDescriptionLen bounds a description of goods, a dispute's reason
	// and a resolution's reason.
	MaxDescriptionLen = 256
	// MaxDeliveryLen bounds the delivery terms ("FOB Shanghai, Incoterms 2020").
	MaxDeliveryLen = 128
)

// Hash is a SHA-256 document hash (an offer's goods document, an invoice, a
// bill of lading, a dispute's evidence), written as hex.
type Hash [32]byte

// MarshalText writes the hash as hex.
func (h Hash) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(h[:])), nil }

// UnmarshalText reads a hash written by MarshalText.
func (h *Hash) UnmarshalText(b []byte) error {
	if hex.DecodedLen(len(b)) != len(h) {
		return fmt.Errorf("trade: a hash is %d hex digits, not %d", 2*len(h), len(b))
	}
	_, err := hex.Decode(h[:], b)
	return err
}

// IsZero reports whether no hash was given.
func (h Hash) IsZero() bool { return h == Hash{} }

// Limit is the most one party may hold in open trades of Token (Σ of the
// amounts of its open trades, as buyer or seller).
type Limit struct {
	Token ledger.TokenID `json:"token"`
	Max   money.Amount   `json:"max"`
}

// Rules are the chain's trade rules (S1.4), set by the operator: how many
// counter-offers a trade may see, how long a version may stay open, and the
// position-holding limit of each token that may be traded. A token the rules
// do not name may not be traded.
type Rules struct {
	MaxRounds      uint32        `json:"max_rounds"`
	MaxVersionOpen time.Duration `json:"max_version_open"`
	Limits         []Limit       `json:"limits"`
}

// Validate checks a rule set: 0 to MaxRoundsLimit rounds (0: an offer is
// taken or left), a version open from one minute to MaxVersionOpenLimit,
// 1 to MaxLimits tokens in strict order, each with a limit above zero.
func (r Rules) Validate() error {
	switch {
	case r.MaxRounds > MaxRoundsLimit:
		return fmt.Errorf("trade: max_rounds %d is above %d", r.MaxRounds, MaxRoundsLimit)
	case r.MaxVersionOpen < time.Minute || r.MaxVersionOpen > MaxVersionOpenLimit:
		return fmt.Errorf("trade: max_version_open %s must be 1m to %s", r.MaxVersionOpen, MaxVersionOpenLimit)
	case len(r.Limits) == 0 || len(r.Limits) > MaxLimits:
		return fmt.Errorf("trade: the rules name %d tokens; 1 to %d", len(r.Limits), MaxLimits)
	}
	for i, l := range r.Limits {
		if l.Max.IsZero() {
			return fmt.Errorf("trade: the position limit of %s must be above zero", l.Token)
		}
		if i > 0 && r.Limits[i-1].Token >= l.Token {
			return fmt.Errorf("trade: the limits' tokens are not in strict order at %s", l.Token)
		}
	}
	return nil
}

// LimitOf is the position limit of tok, and whether the rules name it.
func (r Rules) LimitOf(tok ledger.TokenID) (money.Amount, bool) {
	i, ok := slices.BinarySearchFunc(r.Limits, tok, func(l Limit, t ledger.TokenID) int {
		switch {
		case l.Token < t:
			return -1
		case l.Token > t:
			return 1
		}
		return 0
	})
	if !ok {
		return money.Amount{}, false
	}
	return r.Limits[i].Max, true
}

// PaymentRule says when a shipped trade's payment is released to the seller.
type PaymentRule string

// The payment rules.
const (
	// RuleConfirmation releases the payment once the documents are
	// presented (shipped) and the buyer confirms, or once the confirmation
	// window passes without a dispute.
	RuleConfirmation PaymentRule = "confirmation"
	// RuleDocuments releases the payment once the documents are presented,
	// as a documentary collection does; the buyer may still dispute until
	// someone settles.
	RuleDocuments PaymentRule = "documents"
)

// ParsePaymentRule reads a payment rule's name.
func ParsePaymentRule(s string) (PaymentRule, error) {
	switch r := PaymentRule(s); r {
	case RuleConfirmation, RuleDocuments:
		return r, nil
	}
	return "", fmt.Errorf("trade: payment rule %q is neither %q nor %q", s, RuleConfirmation, RuleDocuments)
}

// Terms are what one version of an offer proposes (S1.5): the goods, the
// money, delivery and payment, the deadlines (block time, Unix nanoseconds)
// and the arbiter who decides a dispute.
type Terms struct {
	Description   string         `json:"description"`
	DocumentHash  Hash           `json:"document_hash"`
	Token         ledger.TokenID `json:"token"`
	Amount        money.Amount   `json:"amount"`
	Delivery      string         `json:"delivery"`
	PaymentRule   PaymentRule    `json:"payment_rule"`
	ConfirmWindow time.Duration  `json:"confirm_window"`
	Expires       int64          `json:"expires"` // the version may be accepted until then
	FundBy        int64          `json:"fund_by"`
	ShipBy        int64          `json:"ship_by"`
	Arbiter       ledger.Address `json:"arbiter"`
}

// CheckTerms checks a version's terms against the rules at block time now,
// in order: the token may be traded (TRADE_TOKEN_NOT_ALLOWED); now <
// expires ≤ now + MaxVersionOpen, expires ≤ fund_by ≤ ship_by ≤ now +
// MaxHorizon (TRADE_DEADLINE).
func CheckTerms(t Terms, r Rules, now int64) *ledger.Rejection {
	if _, ok := r.LimitOf(t.Token); !ok {
		return ledger.Reject(ledger.CodeTradeTokenNotAllowed, "the trade rules set no position limit for %s, so it may not be traded", t.Token)
	}
	at := func(n int64) string { return time.Unix(0, n).UTC().Format(time.RFC3339) }
	switch {
	case t.Expires <= now || t.Expires-now > int64(r.MaxVersionOpen):
		return ledger.Reject(ledger.CodeTradeDeadline, "expires %s must be after the block's time %s and within %s of it (the trade rules)",
			at(t.Expires), at(now), r.MaxVersionOpen)
	case t.FundBy < t.Expires || t.ShipBy < t.FundBy:
		return ledger.Reject(ledger.CodeTradeDeadline, "deadlines out of order: expires %s, fund_by %s, ship_by %s must not decrease",
			at(t.Expires), at(t.FundBy), at(t.ShipBy))
	case t.ShipBy-now > int64(MaxHorizon):
		return ledger.Reject(ledger.CodeTradeDeadline, "ship_by %s is more than %s after the block's time %s", at(t.ShipBy), MaxHorizon, at(now))
	}
	return nil
}

// Version is one version of a trade's terms: the offer (1) or a
// counter-offer, by the party who proposed it.
type Version struct {
	N     uint32         `json:"n"`
	By    ledger.Address `json:"by"`
	TxID  ledger.TxID    `json:"tx_id"`
	Time  int64          `json:"time"`
	Terms Terms          `json:"terms"`
}

// Movement is one money movement of a trade (S1.7): the transaction that
// made it, the coins it moved, and the issuance the coins belong to: the
// token's deployment, under which every coin of the token was minted.
type Movement struct {
	Step     Step           `json:"step"`
	TxID     ledger.TxID    `json:"tx_id"`
	Time     int64          `json:"time"`
	From     ledger.Address `json:"from"`
	To       ledger.Address `json:"to"`
	Amount   money.Amount   `json:"amount"`
	Coin     ledger.CoinID  `json:"coin"` // the coin it created
	Issuance ledger.TxID    `json:"issuance"`
}

// Claim is a party's dispute of a trade.
type Claim struct {
	By       ledger.Address `json:"by"`
	TxID     ledger.TxID    `json:"tx_id"`
	Time     int64          `json:"time"`
	Reason   string         `json:"reason"`
	Evidence Hash           `json:"evidence"`
}

// Trade is a trade agreement's record: its parties, every version of its
// terms, where it stands, its documents and the money it holds and moved.
// Held() = Funded − Released − Refunded is what its pool coin holds.
type Trade struct {
	ID           ledger.TxID    `json:"id"`
	Buyer        ledger.Address `json:"buyer"`
	Seller       ledger.Address `json:"seller"`
	Pool         ledger.Address `json:"pool"`
	State        State          `json:"state"`
	Versions     []Version      `json:"versions"`
	AcceptedAt   int64          `json:"accepted_at,omitempty"`
	FundedAt     int64          `json:"funded_at,omitempty"`
	ShippedAt    int64          `json:"shipped_at,omitempty"`
	ConfirmBy    int64          `json:"confirm_by,omitempty"`
	ConfirmedAt  int64          `json:"confirmed_at,omitempty"`
	ClosedAt     int64          `json:"closed_at,omitempty"`
	Invoice      Hash           `json:"invoice"`
	BillOfLading Hash           `json:"bill_of_lading"`
	Dispute      *Claim         `json:"dispute,omitempty"`
	Resolution   string         `json:"resolution,omitempty"`
	PoolCoin     ledger.CoinID  `json:"pool_coin"` // zero while the pool holds nothing
	Funded       money.Amount   `json:"funded"`
	Released     money.Amount   `json:"released"`
	Refunded     money.Amount   `json:"refunded"`
	Movements    []Movement     `json:"movements"`
}

// Terms are the latest version's terms: those an acceptance agrees to.
func (t *Trade) Terms() Terms { return t.Versions[len(t.Versions)-1].Terms }

// Latest is the latest version.
func (t *Trade) Latest() Version { return t.Versions[len(t.Versions)-1] }

// Rounds is how many counter-offers the trade has seen.
func (t *Trade) Rounds() int { return len(t.Versions) - 1 }

// Held is what the trade's pool holds: Funded − Released − Refunded.
func (t *Trade) Held() money.Amount {
	out, ok := t.Released.Add(t.Refunded)
	held, ok2 := t.Funded.Sub(out)
	if !ok || !ok2 {
		panic("trade: trade " + t.ID.String() + " paid out more than it was funded")
	}
	return held
}

// Names reports whether a is the trade's buyer or seller.
func (t *Trade) Names(a ledger.Address) bool { return a == t.Buyer || a == t.Seller }

// StatusAt is the trade's state judged at block time now: an offer past its
// version's expiry, or an accepted trade past its fund_by, has LAPSED
// (closed, nothing moved) though its record keeps the last state written.
func (t *Trade) StatusAt(now int64) State {
	switch {
	case t.State == Offered && now > t.Terms().Expires,
		t.State == Accepted && now > t.Terms().FundBy:
		return Lapsed
	}
	return t.State
}

// Until is the block time after which t lapses unless it moves on: its
// version's expiry while OFFERED, its fund_by while ACCEPTED, and 0 (never)
// once funded.
func (t *Trade) Until() int64 {
	switch t.State {
	case Offered:
		return t.Terms().Expires
	case Accepted:
		return t.Terms().FundBy
	}
	return 0
}

// Holding is one open trade in a party's position: what it counts, and
// until when (Trade.Until).
type Holding struct {
	Trade  ledger.TxID    `json:"trade"`
	Token  ledger.TokenID `json:"token"`
	Amount money.Amount   `json:"amount"`
	Until  int64          `json:"until,omitempty"`
}

// HoldingOf is the holding open trade t puts in its parties' positions.
func HoldingOf(t *Trade) Holding {
	return Holding{Trade: t.ID, Token: t.Terms().Token, Amount: t.Terms().Amount, Until: t.Until()}
}

// OpenAt reports whether the holding still counts at block time now.
func (h Holding) OpenAt(now int64) bool { return h.Until == 0 || now <= h.Until }

// Position is a party's open trades (S1.4), in trade id order, so that its
// position is summed without reading the trades. A holding whose trade has
// lapsed stays until the position is next written, and counts for nothing.
type Position []Holding

// Open is the holdings that count at block time now.
func (p Position) Open(now int64) Position {
	var out Position
	for _, h := range p {
		if h.OpenAt(now) {
			out = append(out, h)
		}
	}
	return out
}

// Held sums the amounts of tok in the holdings open at block time now, but
// for trade except's.
func (p Position) Held(tok ledger.TokenID, except ledger.TxID, now int64) money.Amount {
	var sum money.Amount
	for _, h := range p {
		if h.Trade == except || !h.OpenAt(now) || h.Token != tok {
			continue
		}
		var ok bool
		if sum, ok = sum.Add(h.Amount); !ok {
			panic("trade: a position overflows the amount range")
		}
	}
	return sum
}

// Put is the position open at block time now with h in place of its
// trade's holding, or added, in trade id order.
func (p Position) Put(h Holding, now int64) Position {
	out := append(p.Drop(h.Trade, now), h)
	slices.SortFunc(out, func(a, b Holding) int { return bytes.Compare(a.Trade[:], b.Trade[:]) })
	return out
}

// Drop is the position open at block time now without trade id's holding.
func (p Position) Drop(id ledger.TxID, now int64) Position {
	var out Position
	for _, h := range p.Open(now) {
		if h.Trade != id {
			out = append(out, h)
		}
	}
	return out
}

// CheckPosition refuses amount more in a position that already holds held
// when it would pass limit (TRADE_POSITION_LIMIT), saying by how much; role
// names the party ("the buyer peg1…") and format writes an amount.
func CheckPosition(role string, held, amount, limit money.Amount, format func(money.Amount) string) *ledger.Rejection {
	total, ok := held.Add(amount)
	if ok && total.Cmp(limit) <= 0 {
		return nil
	}
	if !ok {
		return ledger.Reject(ledger.CodeTradePositionLimit, "%s would hold more than the amount range in open trades", role)
	}
	over, _ := total.Sub(limit)
	return ledger.Reject(ledger.CodeTradePositionLimit, "%s would hold %s in open trades, over the position limit %s by %s (it holds %s)",
		role, format(total), format(limit), format(over), format(held))
}
