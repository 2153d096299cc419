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
// except in default, when the node lends nothing. Across regions (S4.1),
// with HK played by proofs: alice also asks the node to pay hana in HK
// (held here, its payment proven from HK becomes her debt here, repaid
// here), and hana in HK asks it to pay the payee here (written by proof,
// paid here on the payee's line for hana, repaid on HK as proofs say).
type refCredit struct {
	now    time.Time
	pool   uint64
	paid   uint64
	repaid uint64
	payee  uint64 // what the payee was paid
	// crossPaid is what the pool paid on hana's requests; crossBorrowed
	// what HK proved it paid on alice's requests to hana.
	crossPaid, crossBorrowed uint64
	hk                       byte             // HK's transaction ids made so far
	lastRepaidIn             func(*txpb.Body) // the last repaid-in accepted, to prove again
	reqs                     []*refRequest
	lineOwed                 map[string]uint64
	wallet                   map[string]ledger.CoinID // each payer's one coin
	coins                    map[string]uint64
}

type refRequest struct {
	id       ledger.TxID
	payer    actor
	cross    string // "to" HK (alice's to hana), "from" HK (hana's), or ""
	inHere   bool   // a request from HK written here by its proof
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

// debtsHere are payer's open debts this chain keeps: its own requests',
// not those HK keeps for hana.
func (m *refCredit) debtsHere(payer actor) []*refRequest {
	var out []*refRequest
	for _, r := range m.reqs {
		if r.payer.addr == payer.addr && r.cross != "from" && r.owed > 0 && (r.status == state.CreditPaid || r.status == state.CreditReceived) {
			out = append(out, r)
		}
	}
	return out
}

func (m *refCredit) inDefault(payer actor) bool {
	for _, r := range m.debtsHere(payer) {
		if m.now.After(r.due.Add(refGrace)) {
			return true
		}
	}
	return false
}

// open counts payer's open debts here and the requests to HK still held.
func (m *refCredit) open(payer actor) int {
	n := len(m.debtsHere(payer))
	for _, r := range m.reqs {
		if r.payer.addr == payer.addr && r.cross == "to" && r.status == state.CreditPending && !m.now.After(r.deadline.Add(time.Hour)) {
			n++
		}
	}
	return n
}

// hkID is HK's next transaction id.
func (m *refCredit) hkID() ledger.TxID {
	m.hk++
	return ledger.TxID{0x4b, m.hk}
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
		hana := newActor("hana", "HK")
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
		for _, p := range append(payers, hana) {
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
				raw, code := m.step(rt, sign, node, payee, payers, hana)
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
func (m *refCredit) step(rt *rapid.T, sign func(actor, func(*txpb.Body)) ([]byte, ledger.TxID), node, payee actor, payers []actor, hana actor) ([]byte, ledger.Code) {
	kind := rapid.SampledFrom([]string{"request", "confirm", "confirm", "receipt", "repay", "to-hk", "from-hk", "paid-in", "repaid-in"}).Draw(rt, "kind")
	if kind != "request" && kind != "to-hk" && kind != "from-hk" && len(m.reqs) == 0 {
		kind = "request"
	}
	switch kind {
	case "to-hk", "from-hk", "paid-in", "repaid-in":
		return m.crossStep(rt, kind, sign, node, payee, hana)
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
		case by.addr != payee.addr || r.cross == "to": // hana is the payee of alice's requests to HK
			code = ledger.CodeCreditNotPayee
		case r.status != state.CreditPending:
			code = ledger.CodeCreditNotPending
		case m.now.After(r.deadline):
			code = ledger.CodeCreditLapsed
		case r.cross == "" && len(m.debtsHere(r.payer)) >= 64:
			code = ledger.CodeCreditTooManyDebts
		case m.lineOwed[r.payer.name]+r.amount > refLine:
			code = ledger.CodeCreditOverLine
		case r.cross == "" && m.inDefault(r.payer):
			code = ledger.CodeCreditOverNodeLimit
		case m.pool < r.amount:
			code = ledger.CodeCreditPoolShort
		default:
			m.pool -= r.amount
			m.paid += r.amount
			m.payee += r.amount
			m.lineOwed[r.payer.name] += r.amount
			r.status, r.owed, r.due = state.CreditPaid, r.amount, m.now.Add(refTerm)
			if r.cross == "from" {
				m.crossPaid += r.amount
			}
		}
		return raw, code
	case "receipt":
		by := rapid.SampledFrom([]actor{payee, payee, r.payer}).Draw(rt, "by")
		raw, _ := sign(by, msgCreditReceipt(r.id))
		switch {
		case by.addr != payee.addr || r.cross == "to":
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
	if r.cross == "from" { // hana repays on HK
		return m.crossStep(rt, "repaid-in", sign, node, payee, hana)
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
	if r.cross == "" { // a request to HK has its line there
		m.lineOwed[r.payer.name] -= amt
	}
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
	if n.Balance != money.FromUint64(m.pool) || n.Paid != money.FromUint64(m.paid) || n.Repaid != money.FromUint64(m.repaid) ||
		n.CrossPaid != money.FromUint64(m.crossPaid) || n.CrossBorrowed != money.FromUint64(m.crossBorrowed) {
		rt.Fatalf("node books: pool %s paid %s repaid %s cross paid %s borrowed %s; reference %d %d %d %d %d", n.Balance, n.Paid, n.Repaid,
			n.CrossPaid, n.CrossBorrowed, m.pool, m.paid, m.repaid, m.crossPaid, m.crossBorrowed)
	}
	for i, r := range m.reqs {
		got := state.CreditRequestOf(snap, r.id)
		if r.cross == "from" && !r.inHere {
			if got != nil {
				rt.Fatalf("request %d of hana, never proven here, is recorded: %+v", i, got)
			}
			continue
		}
		if got == nil || got.Status != r.status || got.Owed != money.FromUint64(r.owed) {
			rt.Fatalf("request %d (%s of %d): ledger %+v; reference %s owing %d", i, r.payer.name, r.amount, got, r.status, r.owed)
		}
	}
	var received uint64
	coins, _ := d.app.Unspent().CoinsOf(payee.addr, "", nil, 0)
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

// crossStep draws a step of credit across regions, HK's part played by
// proofs (hkProof): alice's request to hana (held here; over the node's
// limit only in default, or with 64 debts and holds); HK's proof of a
// payment of one (paid-in: her debt here, due the term after, even once
// the hold ran out; once only); HK's proof of hana's request to the payee
// (from-hk: written here, once; lapsed past its deadline); HK's proof of a
// repayment by hana (repaid-in: lowers what it owes here; a repayment
// proven twice is refused).
func (m *refCredit) crossStep(rt *rapid.T, kind string, sign func(actor, func(*txpb.Body)) ([]byte, ledger.TxID), node, payee, hana actor) ([]byte, ledger.Code) {
	pick := func(cross string) *refRequest {
		var rs []*refRequest
		for _, r := range m.reqs {
			if r.cross == cross {
				rs = append(rs, r)
			}
		}
		if len(rs) == 0 {
			return nil
		}
		return rapid.SampledFrom(rs).Draw(rt, "cross request")
	}
	alice := cast.alice
	switch kind {
	case "paid-in":
		if r := pick("to"); r != nil {
			raw, _ := sign(cast.mallory, msgCreditPaidIn(hkCreditPaid(rt, m.hkID(), 3, r.id, node.addr, alice.addr, hana.addr, fmt.Sprint(r.amount), m.now), r.id))
			if r.status != state.CreditPending {
				return raw, ledger.CodeCreditProofDone
			}
			r.status, r.owed, r.due = state.CreditPaid, r.amount, m.now.Add(refTerm)
			m.crossBorrowed += r.amount
			return raw, ledger.OK
		}
	case "from-hk":
		if r := pick("from"); r != nil && rapid.IntRange(0, 3).Draw(rt, "again") == 0 {
			raw, _ := sign(cast.mallory, msgCreditRequestIn(hkCreditRequest(rt, r.id, 3, node.addr, hana.addr, payee.addr, fmt.Sprint(r.amount), r.deadline), r.id))
			switch {
			case r.inHere:
				return raw, ledger.CodeCreditProofDone
			case m.now.After(r.deadline):
				return raw, ledger.CodeCreditLapsed
			}
			r.inHere = true
			return raw, ledger.OK
		}
		amt := uint64(rapid.IntRange(1, 40).Draw(rt, "amount")) * 10
		r := &refRequest{id: m.hkID(), payer: hana, cross: "from", amount: amt, deadline: m.now.Add(time.Hour).Truncate(time.Second),
			status: state.CreditPending, inHere: true}
		m.reqs = append(m.reqs, r)
		raw, _ := sign(cast.mallory, msgCreditRequestIn(hkCreditRequest(rt, r.id, 3, node.addr, hana.addr, payee.addr, fmt.Sprint(amt), r.deadline), r.id))
		return raw, ledger.OK
	case "repaid-in":
		if m.lastRepaidIn != nil && rapid.IntRange(0, 3).Draw(rt, "again") == 0 {
			raw, _ := sign(cast.mallory, m.lastRepaidIn) // signed anew: another transaction, the same proof
			return raw, ledger.CodeCreditProofDone
		}
		if r := pick("from"); r != nil && r.inHere {
			amt := uint64(rapid.IntRange(1, 45).Draw(rt, "repay")) * 10
			if rapid.Bool().Draw(rt, "all") && r.owed > 0 {
				amt = r.owed
			}
			id := m.hkID()
			msg := msgCreditRepaidIn(hkCreditRepaid(rt, id, 3, r.id, node.addr, hana.addr, payee.addr, fmt.Sprint(amt), "0"), id)
			raw, _ := sign(cast.mallory, msg)
			if (r.status != state.CreditPaid && r.status != state.CreditReceived) || amt > r.owed {
				return raw, ledger.CodeCreditNotProven
			}
			m.lineOwed[hana.name] -= amt
			r.owed -= amt
			if r.owed == 0 && r.status == state.CreditReceived {
				r.status = state.CreditRepaid
			}
			m.lastRepaidIn = msg
			return raw, ledger.OK
		}
	}
	// to-hk, or a step with nothing to take it on: alice asks to pay hana.
	amt := uint64(rapid.IntRange(1, 40).Draw(rt, "amount")) * 10
	deadline := m.now.Add(time.Hour)
	raw, id := sign(alice, msgCreditRequest(node.addr, hana.addr, fmt.Sprint(amt), deadline))
	code := ledger.OK
	switch {
	case m.open(alice) >= 64:
		code = ledger.CodeCreditTooManyDebts
	case m.inDefault(alice):
		code = ledger.CodeCreditOverNodeLimit
	default:
		m.reqs = append(m.reqs, &refRequest{id: id, payer: alice, cross: "to", amount: amt, deadline: deadline.Truncate(time.Second),
			status: state.CreditPending})
	}
	return raw, code
}
