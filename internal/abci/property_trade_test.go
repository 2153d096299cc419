package abci

import (
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/trade"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// refTrades is the reference for trade agreements: a deliberately simple
// model of two buyers trading with one seller before one arbiter, under
// rules of two counter-offers and a position limit of refTradeLimit, each
// step's outcome written out case by case rather than read from the
// ledger's table.
type refTrades struct {
	now    time.Time
	trades []*refTrade
	seller uint64 // what the seller was paid
	wallet map[string]ledger.CoinID
	coins  map[string]uint64
}

type refTrade struct {
	id                       ledger.TxID
	buyer                    actor
	proposer                 actor
	version                  uint32
	amount                   uint64
	rule                     string
	expires, fundBy, shipBy  time.Time
	confirmBy                time.Time
	state                    trade.State
	held, released, refunded uint64
}

const (
	refTradeLimit  = 1000
	refTradeRounds = 2
)

// open reports whether t counts in its parties' positions now.
func (m *refTrades) open(t *refTrade) bool {
	switch t.state {
	case trade.Offered:
		return !m.now.After(t.expires)
	case trade.Accepted:
		return !m.now.After(t.fundBy)
	case trade.Funded, trade.Shipped, trade.Confirmed, trade.Disputed:
		return true
	}
	return false
}

// position is what a holds in open trades other than except.
func (m *refTrades) position(a actor, except *refTrade) uint64 {
	var sum uint64
	for _, t := range m.trades {
		if t != except && m.open(t) && (t.buyer.addr == a.addr || a.addr == cast.bob.addr) {
			sum += t.amount
		}
	}
	return sum
}

// fits is the code of the positions check of t at amount.
func (m *refTrades) fits(t *refTrade, amount uint64) ledger.Code {
	if m.position(t.buyer, t)+amount > refTradeLimit || m.position(cast.bob, t)+amount > refTradeLimit {
		return ledger.CodeTradePositionLimit
	}
	return ledger.OK
}

// TestTradesAgreeWithReference drives random trade steps — offers,
// counter-offers (stale, over the rounds, by the wrong party), acceptances,
// fundings short, over and exact, shipments, confirmations, settlements by
// anyone, disputes, resolutions and cancellations, by parties, the arbiter
// and strangers, with time jumping past expiries and deadlines — through the
// App, and after every block holds the ledger to the reference: each step's
// code, each trade's state, version and pool, the seller's balance, and a
// clean state.Audit (each pool holds funded − released − refunded).
func TestTradesAgreeWithReference(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		d := newDriver(rt, ledgerGenesis())
		defer d.Close()
		s := &signer{tb: rt}
		m := &refTrades{now: chainStart, wallet: map[string]ledger.CoinID{}, coins: map[string]uint64{}}
		buyers := []actor{cast.alice, cast.mallory}
		commit := func(txs [][]byte) []uint32 {
			m.now = m.now.Add(time.Second)
			d.admit(txs)
			res := d.block(m.now, txs)
			codes := make([]uint32, len(res.TxResults))
			for i, r := range res.TxResults {
				codes[i] = r.Code
			}
			return codes
		}
		sign := func(a actor, msg func(*txpb.Body)) ([]byte, ledger.TxID) {
			b := &txpb.Body{}
			msg(b)
			return s.sign(a, uint64(d.height)+100, b)
		}
		mustOK := func(txs ...[]byte) {
			for i, c := range commit(txs) {
				if c != 0 {
					rt.Fatalf("setup tx %d: code %s", i, ledger.Code(c).Name())
				}
			}
		}
		deploy, _ := sign(cast.issuer, msgDeploy(ledgerDraft("gbpt", "GBPT", "GBP")))
		mustOK(deploy)
		attest, _ := sign(cast.attestor, msgAttest("gbpt", "GBP", "300000", m.now))
		mustOK(attest)
		var setup [][]byte
		for i, a := range []actor{cast.alice, cast.mallory, cast.bob, cast.carol} {
			c, _ := sign(a, msgRegisterCertFor(a, uint64(i+1)))
			setup = append(setup, c)
		}
		for _, b := range buyers {
			mint, id := sign(cast.minter, msgMint("gbpt", b.addr, "5000"))
			setup = append(setup, mint)
			m.wallet[b.name], m.coins[b.name] = ledger.NewCoinID(id, 0), 5000
		}
		rules, _ := sign(cast.operator, msgTradeRules(refTradeRounds, fmt.Sprint(refTradeLimit)))
		mustOK(append(setup, rules)...)

		for blk := range rapid.IntRange(1, 15).Draw(rt, "blocks") {
			if rapid.IntRange(0, 3).Draw(rt, "jump") == 0 {
				m.now = m.now.Add(rapid.SampledFrom([]time.Duration{30 * time.Minute, 2 * time.Hour, 4 * time.Hour}).Draw(rt, "by"))
			}
			m.now = m.now.Add(time.Second) // the block's time, as commit sets it
			var txs [][]byte
			var want []ledger.Code
			for range rapid.IntRange(1, 6).Draw(rt, "steps") {
				raw, code := m.step(rt, sign, buyers)
				txs, want = append(txs, raw), append(want, code)
			}
			m.now = m.now.Add(-time.Second)
			got := commit(txs)
			for i := range txs {
				if ledger.Code(got[i]) != want[i] {
					rt.Fatalf("block %d step %d: ledger %s, reference %s", blk, i, ledger.Code(got[i]).Name(), want[i].Name())
				}
			}
			m.check(rt, d)
		}
	})
}

// role checks who signs a step that one role takes (role "buyer",
// "seller", "party", "proposer's other"), in the table's order.
func (m *refTrades) role(t *refTrade, by actor, role string) ledger.Code {
	if by.addr != t.buyer.addr && by.addr != cast.bob.addr {
		return ledger.CodeTradeNotParty
	}
	switch role {
	case "buyer":
		if by.addr != t.buyer.addr {
			return ledger.CodeTradeWrongParty
		}
	case "seller":
		if by.addr != cast.bob.addr {
			return ledger.CodeTradeWrongParty
		}
	case "responder":
		if by.addr == t.proposer.addr {
			return ledger.CodeTradeWrongParty
		}
	}
	return ledger.OK
}

func firstOf(codes ...ledger.Code) ledger.Code {
	for _, c := range codes {
		if c != ledger.OK {
			return c
		}
	}
	return ledger.OK
}

func (m *refTrades) terms(amount uint64, rule string) *txpb.TradeTerms {
	return tradeTerms(fmt.Sprint(amount), rule, cast.carol.addr, m.now)
}

// renew sets t's deadlines as tradeTerms writes them at the block's time.
func (m *refTrades) renew(t *refTrade) {
	t.expires, t.fundBy, t.shipBy = m.now.Add(time.Hour), m.now.Add(2*time.Hour), m.now.Add(24*time.Hour)
}

// refNext lists the steps each open state allows, to draw them more often.
var refNext = map[trade.State][]string{
	trade.Offered:   {"counter", "accept", "accept", "cancel"},
	trade.Accepted:  {"fund", "fund", "cancel"},
	trade.Funded:    {"ship", "ship", "dispute", "cancel"},
	trade.Shipped:   {"confirm", "settle", "settle", "dispute"},
	trade.Confirmed: {"settle"},
	trade.Disputed:  {"resolve"},
}

// step draws one trade step, returns it signed with the code the reference
// expects, and applies its effect to the reference at once.
func (m *refTrades) step(rt *rapid.T, sign func(actor, func(*txpb.Body)) ([]byte, ledger.TxID), buyers []actor) ([]byte, ledger.Code) {
	kind := "step"
	if len(m.trades) == 0 || rapid.IntRange(0, 4).Draw(rt, "offer") == 0 {
		kind = "offer"
	}
	amount := uint64(rapid.IntRange(10, 60).Draw(rt, "amount")) * 10
	if kind == "offer" {
		b := rapid.SampledFrom(buyers).Draw(rt, "buyer")
		by := rapid.SampledFrom([]actor{b, b, cast.bob, cast.carol}).Draw(rt, "by")
		rule := rapid.SampledFrom([]string{"confirmation", "documents"}).Draw(rt, "rule")
		raw, id := sign(by, msgTradeOffer(b.addr, cast.bob.addr, m.terms(amount, rule)))
		t := &refTrade{id: id, buyer: b, proposer: by, version: 1, amount: amount, rule: rule, state: trade.Offered}
		m.renew(t)
		code := ledger.OK
		if by.addr != b.addr && by.addr != cast.bob.addr {
			code = ledger.CodeTradeNotParty
		}
		if code = firstOf(code, m.fits(t, amount)); code == ledger.OK {
			m.trades = append(m.trades, t)
		}
		return raw, code
	}
	pool := m.trades
	var live []*refTrade
	for _, t := range m.trades {
		if !t.state.Closed() {
			live = append(live, t)
		}
	}
	if len(live) > 0 && rapid.IntRange(0, 4).Draw(rt, "closed") > 0 { // mostly a trade still open
		pool = live
	}
	t := rapid.SampledFrom(pool).Draw(rt, "trade")
	kinds := []string{"counter", "accept", "fund", "ship", "confirm", "settle", "dispute", "resolve", "cancel"}
	if next := refNext[t.state]; next != nil && rapid.IntRange(0, 3).Draw(rt, "next") > 0 { // mostly a step the state allows
		kinds = next
	}
	kind = rapid.SampledFrom(kinds).Draw(rt, "kind")
	stranger := buyers[0]
	if t.buyer.addr == stranger.addr {
		stranger = buyers[1]
	}
	by := rapid.SampledFrom([]actor{t.buyer, t.buyer, cast.bob, cast.bob, cast.carol, stranger}).Draw(rt, "by")
	closed := ledger.OK
	if t.state.Closed() {
		closed = ledger.CodeTradeClosed
	}
	wrongState := func(want ...trade.State) ledger.Code {
		for _, s := range want {
			if t.state == s {
				return ledger.OK
			}
		}
		return ledger.CodeTradeWrongState
	}
	late := func(deadline time.Time) ledger.Code {
		if m.now.After(deadline) {
			return ledger.CodeTradeLapsed
		}
		return ledger.OK
	}
	early := func(deadline time.Time) ledger.Code {
		if !m.now.After(deadline) {
			return ledger.CodeTradeNotDue
		}
		return ledger.OK
	}
	switch kind {
	case "counter", "accept":
		version := t.version
		if rapid.IntRange(0, 5).Draw(rt, "stale") == 0 {
			version--
		}
		stale := ledger.OK
		if version != t.version {
			stale = ledger.CodeTradeStaleVersion
		}
		if kind == "accept" {
			raw, _ := sign(by, msgTradeAccept(t.id, version))
			code := firstOf(closed, wrongState(trade.Offered), m.role(t, by, "responder"), late(t.expires), stale, m.fits(t, t.amount))
			if code == ledger.OK {
				t.state = trade.Accepted
			}
			return raw, code
		}
		raw, _ := sign(by, msgTradeCounter(t.id, version, m.terms(amount, t.rule)))
		rounds := ledger.OK
		if t.version > refTradeRounds {
			rounds = ledger.CodeTradeRoundLimit
		}
		code := firstOf(closed, wrongState(trade.Offered), m.role(t, by, "responder"), late(t.expires), stale, rounds, m.fits(t, amount))
		if code == ledger.OK {
			t.version, t.proposer, t.amount = t.version+1, by, amount
			m.renew(t)
		}
		return raw, code
	case "fund":
		units := t.amount + uint64(rapid.IntRange(-1, 1).Draw(rt, "off"))*10
		raw, id := sign(by, msgTradeFund(t.id, []ledger.CoinID{m.wallet[t.buyer.name]}, fmt.Sprint(units)))
		code := firstOf(closed, wrongState(trade.Accepted), m.role(t, by, "buyer"), late(t.fundBy))
		switch {
		case code != ledger.OK:
		case units < t.amount:
			code = ledger.CodeTradeUnderfunded
		case units > t.amount:
			code = ledger.CodeTradeOverfunded
		case m.coins[t.buyer.name] == 0:
			code = ledger.CodeUnknownCoin
		case units > m.coins[t.buyer.name]:
			code = ledger.CodeNotConserved
		default:
			t.state, t.held = trade.Funded, units
			m.coins[t.buyer.name] -= units
			m.wallet[t.buyer.name] = ledger.NewCoinID(id, 0)
		}
		return raw, code
	case "ship":
		raw, _ := sign(by, msgTradeShip(t.id))
		code := firstOf(closed, wrongState(trade.Funded), m.role(t, by, "seller"), late(t.shipBy))
		if code == ledger.OK {
			t.state, t.confirmBy = trade.Shipped, m.now.Add(time.Hour)
		}
		return raw, code
	case "confirm":
		raw, _ := sign(by, msgTradeConfirm(t.id))
		code := firstOf(closed, wrongState(trade.Shipped), m.role(t, by, "buyer"), late(t.confirmBy))
		if code == ledger.OK {
			t.state = trade.Confirmed
		}
		return raw, code
	case "settle":
		raw, _ := sign(by, msgTradeSettle(t.id))
		code := firstOf(closed, wrongState(trade.Shipped, trade.Confirmed))
		if code == ledger.OK && t.state == trade.Shipped && t.rule == "confirmation" && !m.now.After(t.confirmBy) {
			code = ledger.CodeTradeRuleNotMet
		}
		if code == ledger.OK {
			m.seller += t.held
			t.released, t.held, t.state = t.held, 0, trade.Settled
		}
		return raw, code
	case "dispute":
		raw, _ := sign(by, msgTradeDispute(t.id))
		code := firstOf(closed, wrongState(trade.Funded, trade.Shipped), m.role(t, by, "party"))
		if code == ledger.OK && t.state == trade.Shipped {
			code = late(t.confirmBy)
		}
		if code == ledger.OK {
			t.state = trade.Disputed
		}
		return raw, code
	case "resolve":
		toSeller := uint64(rapid.IntRange(0, 70).Draw(rt, "to seller")) * 10
		raw, _ := sign(by, msgTradeResolve(t.id, fmt.Sprint(toSeller)))
		code := firstOf(closed, wrongState(trade.Disputed))
		if code == ledger.OK && by.addr != cast.carol.addr {
			code = ledger.CodeTradeNotParty
		}
		if code == ledger.OK && toSeller > t.held {
			code = ledger.CodeTradeOverAmount
		}
		if code == ledger.OK {
			m.seller += toSeller
			t.released, t.refunded, t.held, t.state = toSeller, t.held-toSeller, 0, trade.Resolved
		}
		return raw, code
	}
	raw, _ := sign(by, msgTradeCancel(t.id))
	code := firstOf(closed, wrongState(trade.Offered, trade.Accepted, trade.Funded))
	switch {
	case code != ledger.OK:
	case t.state == trade.Offered:
		code = m.role(t, by, "party")
	case t.state == trade.Accepted:
		code = firstOf(m.role(t, by, "party"), early(t.fundBy))
	default:
		code = firstOf(m.role(t, by, "buyer"), early(t.shipBy))
	}
	if code == ledger.OK {
		t.state = trade.Cancelled
		if t.held > 0 {
			t.refunded, t.held, t.state = t.held, 0, trade.Refunded
		}
	}
	return raw, code
}

// check holds the ledger's committed state to the reference.
func (m *refTrades) check(rt *rapid.T, d *driver) {
	snap := d.db.Snapshot()
	defer snap.Close()
	for i, r := range m.trades {
		got := state.TradeOf(snap, r.id)
		if got == nil || got.State != r.state || got.Latest().N != r.version || got.Terms().Amount != money.FromUint64(r.amount) ||
			got.Held() != money.FromUint64(r.held) || got.Released != money.FromUint64(r.released) || got.Refunded != money.FromUint64(r.refunded) {
			rt.Fatalf("trade %d (%s, %d): ledger %+v; reference %+v", i, r.buyer.name, r.amount, got, r)
		}
	}
	var received uint64
	coins, _ := d.app.Unspent().CoinsOf(cast.bob.addr, "", nil, 0)
	for _, c := range coins {
		v, _ := c.Amount.Uint64()
		received += v
	}
	if received != m.seller {
		rt.Fatalf("the seller holds %d; reference %d", received, m.seller)
	}
	rep, err := state.Audit(snap, "GB")
	if err != nil || !rep.OK() {
		rt.Fatalf("audit: %v %v", err, rep.Problems)
	}
}
