package state

import (
	"crypto/sha256"
	"slices"
	"strconv"
	"time"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/token"
	"github.com/pegledger/peg/internal/trade"
	"github.com/pegledger/peg/internal/tx"
)

// TradePool is the keyless address of trade id's holding pool on region's
// chain: nobody can sign for it, no freeze may name it, and only the trade's
// own steps move its one coin.
func TradePool(region ledger.Region, id ledger.TxID) ledger.Address {
	return ledger.ContractAddress(region, sha256.Sum256(append([]byte("peg trade pool/"), id[:]...)))
}

// TradeRulesOf returns the chain's trade rules, or nil before the operator
// set any.
func TradeRulesOf(r Reader) *trade.Rules {
	b := r.Get(keyTradeRules)
	if b == nil {
		return nil
	}
	var rules trade.Rules
	decode(keyTradeRules, b, &rules)
	return &rules
}

// TradeOf returns the trade id, or nil.
func TradeOf(r Reader, id ledger.TxID) *trade.Trade {
	k := tradeKey(id)
	b := r.Get(k)
	if b == nil {
		return nil
	}
	return decodeTrade(k, b)
}

func (x *exec) saveTrade(t *trade.Trade) { x.w.Set(tradeKey(t.ID), encodeTrade(t)) }

// blockNanos is the block time in Unix nanoseconds, as trade records keep it.
func (x *exec) blockNanos() int64 { return x.env.Time.UnixNano() }

func (x *exec) setTradeRules(m tx.SetTradeRules) *ledger.Rejection {
	if rej := x.requireOperator(); rej != nil {
		return rej
	}
	if err := m.Rules.Validate(); err != nil {
		return ledger.Reject(ledger.CodeTradeRules, "%v", err)
	}
	for _, l := range m.Rules.Limits {
		if _, rej := x.viewToken(l.Token); rej != nil {
			return rej
		}
	}
	x.w.Set(keyTradeRules, encode(m.Rules))
	x.emit("trade.rules", "max_rounds", strconv.FormatUint(uint64(m.Rules.MaxRounds), 10),
		"max_version_open", m.Rules.MaxVersionOpen.String(), "tokens", strconv.Itoa(len(m.Rules.Limits)))
	return nil
}

// checkVersion checks a version's terms, in order: the rules
// (trade.CheckTerms), the arbiter at home here and neither party, the token
// exists and the amount is a transfer it allows, between registered parties
// if its transfer rule says so, and the certificates of the buyer, the
// seller and the arbiter at block time.
func (x *exec) checkVersion(rules *trade.Rules, buyer, seller ledger.Address, t trade.Terms) *ledger.Rejection {
	if rej := trade.CheckTerms(t, *rules, x.blockNanos()); rej != nil {
		return rej
	}
	if t.Arbiter == buyer || t.Arbiter == seller {
		return ledger.Reject(ledger.CodeInvalidArgument, "the arbiter %s must be neither the buyer nor the seller", t.Arbiter)
	}
	if rej := x.home(t.Arbiter, "arbiter"); rej != nil {
		return rej
	}
	tok, rej := x.viewToken(t.Token)
	if rej != nil {
		return rej
	}
	if rej := tok.Contract.CheckTransfer(t.Amount); rej != nil {
		return rej
	}
	for _, a := range []ledger.Address{buyer, seller} {
		if tok.Contract.TransferRule == token.TransferRegistered && !x.isRegistered(a) {
			return ledger.Reject(ledger.CodeNotRegistered, "%s moves between registered accounts only; %s is not registered", t.Token, a)
		}
	}
	for _, p := range []struct {
		a    ledger.Address
		role string
	}{{buyer, "buyer"}, {seller, "seller"}, {t.Arbiter, "arbiter"}} {
		if _, rej := x.certified(p.a, p.role); rej != nil {
			return rej
		}
	}
	return nil
}

// checkPositions checks that t, with terms, fits both parties' positions:
// a party in MaxOpenTrades other open trades takes no new one
// (TRADE_TOO_MANY_OPEN), and Σ of its other open trades of the token plus
// terms' amount is within the limit (TRADE_POSITION_LIMIT).
func (x *exec) checkPositions(rules *trade.Rules, t *trade.Trade, terms trade.Terms) *ledger.Rejection {
	limit, ok := rules.LimitOf(terms.Token)
	if !ok { // rules set since the version was proposed may no longer name its token
		return ledger.Reject(ledger.CodeTradeTokenNotAllowed, "the trade rules no longer set a position limit for %s, so it may not be traded", terms.Token)
	}
	tok, rej := x.viewToken(terms.Token)
	if rej != nil {
		return rej
	}
	format := func(a money.Amount) string { return tok.Contract.FormatAmount(a) + " " + tok.Contract.Symbol }
	now := x.blockNanos()
	for _, p := range []struct {
		a    ledger.Address
		role string
	}{{t.Buyer, "the buyer"}, {t.Seller, "the seller"}} {
		pos := tradePositionOf(x.w, p.a)
		if others := len(pos.Drop(t.ID, now)); others >= trade.MaxOpenTrades {
			return ledger.Reject(ledger.CodeTradeTooManyOpen, "%s %s is in %d open trades, the most allowed", p.role, p.a, others)
		}
		held := pos.Held(terms.Token, t.ID, now)
		if rej := trade.CheckPosition(p.role+" "+p.a.String(), held, terms.Amount, limit, format); rej != nil {
			return rej
		}
	}
	return nil
}

// hold writes t's holding, as it stands, into both parties' positions, or
// takes it out once t is closed; lapsed holdings go as each is written.
func (x *exec) hold(t *trade.Trade) {
	now := x.blockNanos()
	for _, a := range []ledger.Address{t.Buyer, t.Seller} {
		pos := tradePositionOf(x.w, a)
		if t.State.Closed() {
			pos = pos.Drop(t.ID, now)
		} else {
			pos = pos.Put(trade.HoldingOf(t), now)
		}
		k := tradePositionKey(a)
		if len(pos) == 0 {
			x.w.Delete(k)
			continue
		}
		x.w.Set(k, encodePosition(pos))
	}
}

func (x *exec) tradeOffer(m tx.TradeOffer) *ledger.Rejection {
	rules := TradeRulesOf(x.w)
	if rules == nil {
		return ledger.Reject(ledger.CodeTradeNoRules, "this chain has no trade rules yet; the operator sets them with set_trade_rules")
	}
	if x.tx.Signer != m.Buyer && x.tx.Signer != m.Seller {
		return ledger.Reject(ledger.CodeTradeNotParty, "an offer is made by its buyer %s or its seller %s, not %s", m.Buyer, m.Seller, x.tx.Signer)
	}
	if rej := x.home(m.Buyer, "buyer"); rej != nil {
		return rej
	}
	if rej := x.home(m.Seller, "seller"); rej != nil {
		return rej
	}
	if rej := x.checkVersion(rules, m.Buyer, m.Seller, m.Terms); rej != nil {
		return rej
	}
	t := &trade.Trade{ID: x.tx.ID, Buyer: m.Buyer, Seller: m.Seller, Pool: TradePool(x.env.Region, x.tx.ID), State: trade.Offered,
		Versions: []trade.Version{{N: 1, By: x.tx.Signer, TxID: x.tx.ID, Time: x.blockNanos(), Terms: m.Terms}}}
	if rej := x.checkPositions(rules, t, m.Terms); rej != nil {
		return rej
	}
	x.saveTrade(t)
	x.w.Set(tradePoolKey(t.Pool), t.ID[:])
	for _, a := range []ledger.Address{t.Buyer, t.Seller, m.Terms.Arbiter} {
		x.w.Set(tradePartyKey(a, x.env.Height, t.ID), nil)
	}
	x.hold(t)
	x.emitVersion("trade.offered", t)
	return nil
}

func (x *exec) emitVersion(typ string, t *trade.Trade) {
	if x.env.Check {
		return
	}
	v := t.Latest()
	x.emit(typ, "trade", t.ID.String(), "version", strconv.FormatUint(uint64(v.N), 10), "by", v.By.String(),
		"buyer", t.Buyer.String(), "seller", t.Seller.String(), "arbiter", v.Terms.Arbiter.String(),
		"token", string(v.Terms.Token), "amount", v.Terms.Amount.String(),
		"expires", time.Unix(0, v.Terms.Expires).UTC().Format(time.RFC3339))
}

// tradeStep loads trade id for step and checks the table allows the signer
// to take it now (trade.Next).
func (x *exec) tradeStep(id ledger.TxID, step trade.Step) (*trade.Trade, trade.Transition, *ledger.Rejection) {
	t := TradeOf(x.w, id)
	if t == nil {
		return nil, trade.Transition{}, ledger.Reject(ledger.CodeTradeNoTrade, "no trade %s", id)
	}
	tr, rej := trade.Next(t, step, x.tx.Signer, x.blockNanos())
	return t, tr, rej
}

func staleVersion(t *trade.Trade, v uint32) *ledger.Rejection {
	if latest := t.Latest().N; v != latest {
		return ledger.Reject(ledger.CodeTradeStaleVersion, "trade %s is at version %d; this answers version %d", t.ID, latest, v)
	}
	return nil
}

func (x *exec) tradeCounter(m tx.TradeCounter) *ledger.Rejection {
	t, _, rej := x.tradeStep(m.Trade, trade.Counter)
	if rej != nil {
		return rej
	}
	if rej := staleVersion(t, m.Version); rej != nil {
		return rej
	}
	rules := TradeRulesOf(x.w)
	if t.Rounds() >= int(rules.MaxRounds) {
		return ledger.Reject(ledger.CodeTradeRoundLimit, "trade %s has had %d counter-offers, the most the trade rules allow", t.ID, t.Rounds())
	}
	if rej := x.checkVersion(rules, t.Buyer, t.Seller, m.Terms); rej != nil {
		return rej
	}
	if rej := x.checkPositions(rules, t, m.Terms); rej != nil {
		return rej
	}
	if !slices.ContainsFunc(t.Versions, func(v trade.Version) bool { return v.Terms.Arbiter == m.Terms.Arbiter }) {
		x.w.Set(tradePartyKey(m.Terms.Arbiter, x.env.Height, t.ID), nil) // a new arbiter's history lists the trade once
	}
	t.Versions = append(t.Versions, trade.Version{N: m.Version + 1, By: x.tx.Signer, TxID: x.tx.ID, Time: x.blockNanos(), Terms: m.Terms})
	x.saveTrade(t)
	x.hold(t)
	x.emitVersion("trade.countered", t)
	return nil
}

func (x *exec) tradeAccept(m tx.TradeAccept) *ledger.Rejection {
	t, tr, rej := x.tradeStep(m.Trade, trade.Accept)
	if rej != nil {
		return rej
	}
	if rej := staleVersion(t, m.Version); rej != nil {
		return rej
	}
	if rej := x.certifiedParties(t); rej != nil {
		return rej
	}
	if rej := x.checkPositions(TradeRulesOf(x.w), t, t.Terms()); rej != nil {
		return rej
	}
	t.State, t.AcceptedAt = tr.To, x.blockNanos()
	x.saveTrade(t)
	x.hold(t)
	x.emit("trade.accepted", "trade", t.ID.String(), "version", strconv.FormatUint(uint64(m.Version), 10), "by", x.tx.Signer.String(),
		"buyer", t.Buyer.String(), "seller", t.Seller.String(), "fund_by", time.Unix(0, t.Terms().FundBy).UTC().Format(time.RFC3339))
	return nil
}

// certifiedParties checks the buyer's certificate, then the seller's, at
// block time.
func (x *exec) certifiedParties(t *trade.Trade) *ledger.Rejection {
	if _, rej := x.certified(t.Buyer, "buyer"); rej != nil {
		return rej
	}
	_, rej := x.certified(t.Seller, "seller")
	return rej
}

func (x *exec) tradeFund(m tx.TradeFund) *ledger.Rejection {
	t, tr, rej := x.tradeStep(m.Trade, trade.Fund)
	if rej != nil {
		return rej
	}
	terms := t.Terms()
	if m.Token != terms.Token {
		return ledger.Reject(ledger.CodeTradeWrongToken, "trade %s is paid in %s, not %s", t.ID, terms.Token, m.Token)
	}
	tok, rej := x.viewToken(terms.Token)
	if rej != nil {
		return rej
	}
	format := func(a money.Amount) string { return tok.Contract.FormatAmount(a) + " " + tok.Contract.Symbol }
	if d, short := terms.Amount.Sub(m.Amount); short && !d.IsZero() {
		return ledger.Reject(ledger.CodeTradeUnderfunded, "trade %s is for %s; %s is short by %s", t.ID, format(terms.Amount), format(m.Amount), format(d))
	}
	if d, over := m.Amount.Sub(terms.Amount); over && !d.IsZero() {
		return ledger.Reject(ledger.CodeTradeOverfunded, "trade %s is for %s; %s is over by %s", t.ID, format(terms.Amount), format(m.Amount), format(d))
	}
	if rej := x.certifiedParties(t); rej != nil {
		return rej
	}
	if rej := x.movable(tok, t.Buyer, t.Pool); rej != nil {
		return rej
	}
	coins, in, rej := x.inputs(tok, t.Buyer, m.Inputs)
	if rej != nil {
		return rej
	}
	if rej := tok.Contract.CheckTransfer(m.Amount); rej != nil {
		return rej
	}
	change, ok := in.Sub(m.Amount)
	if !ok {
		return ledger.Reject(ledger.CodeNotConserved, "inputs total %s, less than the %s to fund", format(in), format(m.Amount))
	}
	if tok.KYC != nil {
		if rej := x.kycPays(tok, t.Buyer, m.Amount); rej != nil {
			return rej
		}
		x.kycPaid(tok, t.Buyer, m.Amount)
	}
	for _, c := range coins {
		x.destroy(c)
	}
	if !change.IsZero() {
		x.create(terms.Token, 0, t.Buyer, change)
	}
	pool := x.create(terms.Token, 1, t.Pool, m.Amount)
	t.PoolCoin, t.Funded = pool.ID, m.Amount
	t.Movements = append(t.Movements, x.movement(trade.Fund, tok, t.Buyer, pool))
	t.State, t.FundedAt = tr.To, x.blockNanos()
	x.saveTrade(t)
	x.hold(t)
	x.emit("trade.funded", "trade", t.ID.String(), "buyer", t.Buyer.String(), "seller", t.Seller.String(), "pool", t.Pool.String(),
		"amount", m.Amount.String(), "ship_by", time.Unix(0, terms.ShipBy).UTC().Format(time.RFC3339))
	return nil
}

// movement records coin c, created from what from held, as one of the
// trade's money movements (S1.7).
func (x *exec) movement(step trade.Step, tok *Token, from ledger.Address, c Coin) trade.Movement {
	return trade.Movement{Step: step, TxID: x.tx.ID, Time: x.blockNanos(), From: from, To: c.Owner, Amount: c.Amount, Coin: c.ID, Issuance: tok.DeployTx}
}

func (x *exec) tradeShip(m tx.TradeShip) *ledger.Rejection {
	t, tr, rej := x.tradeStep(m.Trade, trade.Ship)
	if rej != nil {
		return rej
	}
	now := x.blockNanos()
	t.Invoice, t.BillOfLading = m.Invoice, m.BillOfLading
	t.State, t.ShippedAt, t.ConfirmBy = tr.To, now, now+int64(t.Terms().ConfirmWindow)
	x.saveTrade(t)
	x.emit("trade.shipped", "trade", t.ID.String(), "buyer", t.Buyer.String(), "seller", t.Seller.String(),
		"invoice", hexHash(m.Invoice), "bill_of_lading", hexHash(m.BillOfLading),
		"confirm_by", time.Unix(0, t.ConfirmBy).UTC().Format(time.RFC3339))
	return nil
}

func hexHash(h trade.Hash) string {
	b, _ := h.MarshalText()
	return string(b)
}

func (x *exec) tradeConfirm(m tx.TradeConfirm) *ledger.Rejection {
	t, tr, rej := x.tradeStep(m.Trade, trade.Confirm)
	if rej != nil {
		return rej
	}
	t.State, t.ConfirmedAt = tr.To, x.blockNanos()
	x.saveTrade(t)
	x.emit("trade.confirmed", "trade", t.ID.String(), "buyer", t.Buyer.String(), "seller", t.Seller.String())
	return nil
}

func (x *exec) tradeSettle(m tx.TradeSettle) *ledger.Rejection {
	t, tr, rej := x.tradeStep(m.Trade, trade.Settle)
	if rej != nil {
		return rej
	}
	if rej := x.payOut(t, trade.Settle, t.Held(), money.Amount{}); rej != nil {
		return rej
	}
	x.closeTrade(t, tr.To)
	x.emit("trade.settled", "trade", t.ID.String(), "buyer", t.Buyer.String(), "seller", t.Seller.String(), "amount", t.Released.String())
	return nil
}

func (x *exec) tradeDispute(m tx.TradeDispute) *ledger.Rejection {
	t, tr, rej := x.tradeStep(m.Trade, trade.Dispute)
	if rej != nil {
		return rej
	}
	t.Dispute = &trade.Claim{By: x.tx.Signer, TxID: x.tx.ID, Time: x.blockNanos(), Reason: m.Reason, Evidence: m.Evidence}
	t.State = tr.To
	x.saveTrade(t)
	x.emit("trade.disputed", "trade", t.ID.String(), "by", x.tx.Signer.String(), "arbiter", t.Terms().Arbiter.String(),
		"buyer", t.Buyer.String(), "seller", t.Seller.String())
	return nil
}

func (x *exec) tradeResolve(m tx.TradeResolve) *ledger.Rejection {
	t, tr, rej := x.tradeStep(m.Trade, trade.Resolve)
	if rej != nil {
		return rej
	}
	held := t.Held()
	refund, ok := held.Sub(m.SellerAmount)
	if !ok {
		return ledger.Reject(ledger.CodeTradeOverAmount, "trade %s's pool holds %s; the seller cannot be paid %s", t.ID, held, m.SellerAmount)
	}
	if _, rej := x.certified(t.Terms().Arbiter, "arbiter"); rej != nil {
		return rej
	}
	if rej := x.payOut(t, trade.Resolve, m.SellerAmount, refund); rej != nil {
		return rej
	}
	t.Resolution = m.Reason
	x.closeTrade(t, tr.To)
	x.emit("trade.resolved", "trade", t.ID.String(), "arbiter", x.tx.Signer.String(), "buyer", t.Buyer.String(), "seller", t.Seller.String(),
		"released", m.SellerAmount.String(), "refunded", refund.String())
	return nil
}

func (x *exec) tradeCancel(m tx.TradeCancel) *ledger.Rejection {
	t, tr, rej := x.tradeStep(m.Trade, trade.Cancel)
	if rej != nil {
		return rej
	}
	if tr.To == trade.Refunded {
		if rej := x.payOut(t, trade.Cancel, money.Amount{}, t.Held()); rej != nil {
			return rej
		}
	}
	x.closeTrade(t, tr.To)
	x.emit("trade.cancelled", "trade", t.ID.String(), "by", x.tx.Signer.String(), "buyer", t.Buyer.String(), "seller", t.Seller.String(),
		"state", string(tr.To), "refunded", t.Refunded.String())
	return nil
}

// payOut empties t's pool: toSeller to the seller (coin 0), toBuyer back to
// the buyer (coin 1), neither when zero; they add up to what it holds. The
// token's rules for the pool and the receivers are checked first.
func (x *exec) payOut(t *trade.Trade, step trade.Step, toSeller, toBuyer money.Amount) *ledger.Rejection {
	tok, rej := x.viewToken(t.Terms().Token)
	if rej != nil {
		return rej
	}
	var to []ledger.Address
	if !toSeller.IsZero() {
		to = append(to, t.Seller)
	}
	if !toBuyer.IsZero() {
		to = append(to, t.Buyer)
	}
	if rej := x.movable(tok, append(to, t.Pool)...); rej != nil {
		return rej
	}
	if tok.KYC != nil {
		if rej := x.kycReceives(tok, t.Seller, toSeller); rej != nil {
			return rej
		}
		if rej := x.kycRefunded(tok, t.Buyer, toBuyer); rej != nil {
			return rej
		}
	}
	held := t.Held()
	c, rej := x.coin(t.PoolCoin)
	if sum, ok := toSeller.Add(toBuyer); !ok || sum != held || rej != nil || c.Owner != t.Pool || c.Amount != held {
		panic("state: trade " + t.ID.String() + "'s pool coin is not its books'")
	}
	x.destroy(c)
	t.PoolCoin = ledger.CoinID{}
	if !toSeller.IsZero() {
		out := x.create(tok.Contract.ID, 0, t.Seller, toSeller)
		t.Released = mustAdd(t.Released, toSeller)
		t.Movements = append(t.Movements, x.movement(step, tok, t.Pool, out))
	}
	if !toBuyer.IsZero() {
		out := x.create(tok.Contract.ID, 1, t.Buyer, toBuyer)
		t.Refunded = mustAdd(t.Refunded, toBuyer)
		t.Movements = append(t.Movements, x.movement(step, tok, t.Pool, out))
	}
	return nil
}

// closeTrade writes t closed in state s and takes it out of its parties'
// positions.
func (x *exec) closeTrade(t *trade.Trade, s trade.State) {
	t.State, t.ClosedAt = s, x.blockNanos()
	x.saveTrade(t)
	x.hold(t)
}

// tradePoolOf refuses a trade's pool, whose coin only trade steps move.
func (x *exec) tradePoolOf(a ledger.Address) *ledger.Rejection {
	if x.w.Get(tradePoolKey(a)) != nil {
		return ledger.Reject(ledger.CodeTradePoolEarmarked, "%s is a trade's holding pool: its coins move only by trade transactions", a)
	}
	return nil
}

func tradePositionOf(r Reader, a ledger.Address) trade.Position {
	k := tradePositionKey(a)
	if b := r.Get(k); b != nil {
		return decodePosition(k, b)
	}
	return nil
}

// TradePositionOf returns a's open trades at block time now and, per token,
// what it holds in them.
func TradePositionOf(r Reader, a ledger.Address, now time.Time) (trade.Position, map[ledger.TokenID]money.Amount) {
	open := tradePositionOf(r, a).Open(now.UnixNano())
	held := make(map[ledger.TokenID]money.Amount)
	for _, h := range open {
		held[h.Token] = mustAdd(held[h.Token], h.Amount)
	}
	return open, held
}

// MaxTradeHistory bounds the trades one page of TradeHistory lists.
const MaxTradeHistory = 100

// TradeHistory lists the trades that name a (buyer, seller or arbiter),
// newest first, at most limit (1 to MaxTradeHistory) of them, from the
// cursor a previous page returned (nil: the newest). It returns the cursor
// of the next page, nil after the last.
func TradeHistory(s ReverseScanner, a ledger.Address, cursor []byte, limit int) ([]trade.Trade, []byte, error) {
	return partyPage(s, tradePartyPrefix(a), cursor, min(max(limit, 1), MaxTradeHistory), func(id ledger.TxID) *trade.Trade {
		return TradeOf(s, id)
	})
}

// PartyCursor is the length of the cursor of a party's page of trades or
// credit requests: a height and an id.
const PartyCursor = 8 + len(ledger.TxID{})

// partyPage lists the records of a party's index p (keys p HEIGHT(8) ID),
// newest first, limit of them, from cursor (nil: the newest); of reads a
// record by its id. It returns the cursor of the next page, nil after the
// last.
func partyPage[T any](s ReverseScanner, p, cursor []byte, limit int, of func(ledger.TxID) *T) ([]T, []byte, error) {
	var out []T
	var next, last []byte
	var before []byte
	if cursor != nil {
		before = cat(p, cursor)
	}
	err := s.ScanReverse(p, before, func(k, _ []byte) bool {
		if len(out) == limit {
			next = last // the next page starts below the last key of this one
			return false
		}
		var id ledger.TxID
		copy(id[:], k[len(p)+8:])
		if r := of(id); r != nil {
			out = append(out, *r)
		}
		last = slices.Clone(k[len(p):])
		return true
	})
	return out, next, err
}
