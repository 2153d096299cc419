package abci

import (
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// refCredit is the reference for credit payments: a deliberately simple
// model of one node lending to two payers through one payee, whose line
// (500 units each) binds before the node's limit (its base is its cap) does,
// except in default, when the node lends nothing.
type refCredit struct {
	now      time.Time
	pool     uint64
	paid     uint64
	repaid   uint64
	payee    uint64 // what the payee was paid
	reqs     []*refRequest
	lineOwed map[string]uint64
	wallet   map[string]ledger.CoinID // each payer's one coin
	coins    map[string]uint64
}

type refRequest struct {
	id       ledger.TxID
	payer    actor
	amount   uint64
	deadline time.Time
	due      time.Time
	status   string
	owed     uint64
}

const (
	refLine  = 500
	refTerm  = 7 * 24 * time.Hour // testCreditParams
	refGrace = 24 * time.Hour
)

func (m *refCredit) inDefault(payer actor) bool {
	for _, r := range m.reqs {
		if r.payer.addr == payer.addr && r.owed > 0 && (r.status == state.CreditPaid || r.status == state.CreditReceived) &&
			m.now.After(r.due.Add(refGrace)) {
			return true
		}
	}
	return false
}

// TestCreditAgreesWithReference drives random credit steps — requests,
// confirmations by the payee and by others, receipts, partial and full
// repayments, repayments too large or by the wrong party, with time
// jumping past deadlines, due dates and grace — through the App, and after
// every block holds the ledger to the reference: each step's code, each
// request's status and debt, the node's pool and books, the payee's
// balance, and a clean state.Audit (Σ debts = paid − repaid per node).
func TestCreditAgreesWithReference(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		d := newDriver(rt, ledgerGenesis())
		defer d.Close()
		s := &signer{tb: rt}
		m := &refCredit{now: chainStart, lineOwed: map[string]uint64{}, wallet: map[string]ledger.CoinID{}, coins: map[string]uint64{}}
		node, payee, payers := cast.carol, cast.bob, []actor{cast.alice, cast.mallory}
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
		mintNode, mintNodeID := sign(cast.minter, msgMint("gbpt", node.addr, "5000"))
		setup = append(setup, mintNode)
		for _, p := range payers {
			mint, id := sign(cast.minter, msgMint("gbpt", p.addr, "5000"))
			setup = append(setup, mint)
			m.wallet[p.name], m.coins[p.name] = ledger.NewCoinID(id, 0), 5000
		}
		certs := [][]byte{}
		for i, a := range []actor{payee, payers[0], payers[1]} {
			c, _ := sign(a, msgRegisterCertFor(a, uint64(i+1)))
			certs = append(certs, c)
		}
		reg, _ := sign(cast.operator, func(b *txpb.Body) {
			b.Msg = &txpb.Body_RegisterCreditNode{RegisterCreditNode: &txpb.RegisterCreditNode{Node: node.addr.String(), Token: "gbpt",
				Params: &txpb.CreditParams{Cap: "100000", Base: "100000", RepaidPermille: 500, LatePermille: 1000,
					WindowSeconds: 30 * 24 * 3600, TermSeconds: int64(refTerm / time.Second), GraceSeconds: int64(refGrace / time.Second)}}}
		})
		mustOK(append(append(setup, certs...), reg)...)
		fund, _ := sign(node, msgCreditFund([]ledger.CoinID{ledger.NewCoinID(mintNodeID, 0)}, "2000"))
		lines := [][]byte{fund}
		for _, p := range payers {
			l, _ := sign(payee, msgCreditLine(node.addr, p.addr, fmt.Sprint(refLine)))
			lines = append(lines, l)
		}
		mustOK(lines...)
		m.pool = 2000

		for blk := range rapid.IntRange(1, 15).Draw(rt, "blocks") {
			if rapid.IntRange(0, 4).Draw(rt, "jump") == 0 {
				m.now = m.now.Add(rapid.SampledFrom([]time.Duration{2 * time.Hour, 8 * 24 * time.Hour}).Draw(rt, "by"))
			}
			m.now = m.now.Add(time.Second) // the block's time, as commit sets it
			var txs [][]byte
			var want []ledger.Code
			for range rapid.IntRange(1, 5).Draw(rt, "steps") {
				raw, code := m.step(rt, sign, node, payee, payers)
				txs, want = append(txs, raw), append(want, code)
			}
			m.now = m.now.Add(-time.Second)
			got := commit(txs)
			for i := range txs {
				if ledger.Code(got[i]) != want[i] {
					rt.Fatalf("block %d step %d: ledger %s, reference %s", blk, i, ledger.Code(got[i]).Name(), want[i].Name())
				}
			}
			m.check(rt, d, node, payee)
		}
	})
}

// step draws one credit step, returns it signed with the code the
// reference expects, and applies its effect to the reference at once (the
// steps of a block run in order, each seeing the ones before).
func (m *refCredit) step(rt *rapid.T, sign func(actor, func(*txpb.Body)) ([]byte, ledger.TxID), node, payee actor, payers []actor) ([]byte, ledger.Code) {
	kind := rapid.SampledFrom([]string{"request", "confirm", "confirm", "receipt", "repay"}).Draw(rt, "kind")
	if kind != "request" && len(m.reqs) == 0 {
		kind = "request"
	}
	switch kind {
	case "request":
		p := rapid.SampledFrom(payers).Draw(rt, "payer")
		amt := uint64(rapid.IntRange(1, 40).Draw(rt, "amount")) * 10
		deadline := m.now.Add(time.Hour)
		raw, id := sign(p, msgCreditRequest(node.addr, payee.addr, fmt.Sprint(amt), deadline))
		m.reqs = append(m.reqs, &refRequest{id: id, payer: p, amount: amt, deadline: deadline.Truncate(time.Second), status: state.CreditPending})
		return raw, ledger.OK
	}
	r := rapid.SampledFrom(m.reqs).Draw(rt, "request")
	switch kind {
	case "confirm":
		by := rapid.SampledFrom([]actor{payee, payee, r.payer}).Draw(rt, "by")
		raw, _ := sign(by, msgCreditConfirm(r.id))
		code := ledger.OK
		switch {
		case by.addr != payee.addr:
			code = ledger.CodeCreditNotPayee
		case r.status != state.CreditPending:
			code = ledger.CodeCreditNotPending
		case m.now.After(r.deadline):
			code = ledger.CodeCreditLapsed
		case m.lineOwed[r.payer.name]+r.amount > refLine:
			code = ledger.CodeCreditOverLine
		case m.inDefault(r.payer):
			code = ledger.CodeCreditOverNodeLimit
		case m.pool < r.amount:
			code = ledger.CodeCreditPoolShort
		default:
			m.pool -= r.amount
			m.paid += r.amount
			m.payee += r.amount
			m.lineOwed[r.payer.name] += r.amount
			r.status, r.owed, r.due = state.CreditPaid, r.amount, m.now.Add(refTerm)
		}
		return raw, code
	case "receipt":
		by := rapid.SampledFrom([]actor{payee, payee, r.payer}).Draw(rt, "by")
		raw, _ := sign(by, msgCreditReceipt(r.id))
		switch {
		case by.addr != payee.addr:
			return raw, ledger.CodeCreditNotPayee
		case r.status != state.CreditPaid:
			return raw, ledger.CodeCreditNotPending
		}
		r.status = state.CreditReceived
		if r.owed == 0 {
			r.status = state.CreditRepaid
		}
		return raw, ledger.OK
	}
	by := rapid.SampledFrom([]actor{r.payer, r.payer, payee}).Draw(rt, "by")
	amt := uint64(rapid.IntRange(1, 45).Draw(rt, "repay")) * 10
	if rapid.Bool().Draw(rt, "all") {
		amt = r.owed
	}
	wallet := m.wallet[r.payer.name]
	raw, id := sign(by, msgCreditRepay(r.id, []ledger.CoinID{wallet}, fmt.Sprint(amt)))
	switch {
	case amt == 0: // the decoder's refusal, before any state is read
		return raw, ledger.CodeInvalidAmount
	case by.addr != r.payer.addr:
		return raw, ledger.CodeCreditNotPayer
	case r.status != state.CreditPaid && r.status != state.CreditReceived:
		return raw, ledger.CodeCreditNotPending
	case amt > r.owed:
		return raw, ledger.CodeCreditRepayTooMuch
	case m.coins[r.payer.name] == 0: // the wallet coin was spent whole
		return raw, ledger.CodeUnknownCoin
	case amt > m.coins[r.payer.name]:
		return raw, ledger.CodeNotConserved
	}
	m.pool += amt
	m.repaid += amt
	m.lineOwed[r.payer.name] -= amt
	r.owed -= amt
	if r.owed == 0 && r.status == state.CreditReceived {
		r.status = state.CreditRepaid
	}
	m.coins[r.payer.name] -= amt
	m.wallet[r.payer.name] = ledger.NewCoinID(id, 0)
	return raw, ledger.OK
}

// check holds the ledger's committed state to the reference.
func (m *refCredit) check(rt *rapid.T, d *driver, node, payee actor) {
	snap := d.db.Snapshot()
	defer snap.Close()
	n := state.CreditNodeOf(snap, node.addr)
	if n.Balance != money.FromUint64(m.pool) || n.Paid != money.FromUint64(m.paid) || n.Repaid != money.FromUint64(m.repaid) {
		rt.Fatalf("node books: pool %s paid %s repaid %s; reference %d %d %d", n.Balance, n.Paid, n.Repaid, m.pool, m.paid, m.repaid)
	}
	for i, r := range m.reqs {
		got := state.CreditRequestOf(snap, r.id)
		if got == nil || got.Status != r.status || got.Owed != money.FromUint64(r.owed) {
			rt.Fatalf("request %d (%s of %d): ledger %+v; reference %s owing %d", i, r.payer.name, r.amount, got, r.status, r.owed)
		}
	}
	var received uint64
	coins, _ := d.app.Unspent().CoinsOf(payee.addr, "", 0)
	for _, c := range coins {
		v, _ := c.Amount.Uint64()
		received += v
	}
	if received != m.payee {
		rt.Fatalf("the payee holds %d; reference %d", received, m.payee)
	}
	rep, err := state.Audit(snap, "GB")
	if err != nil || !rep.OK() {
		rt.Fatalf("audit: %v %v", err, rep.Problems)
	}
}
