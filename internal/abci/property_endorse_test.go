package abci

import (
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/pegledger/peg/internal/endorse"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// refEndorse is the reference for the endorsement service: a deliberately
// simple model of gbpt's policy, its minter's allowance, its supply against
// the attested reserve, and every mint request, each step's outcome
// written out case by case rather than read from internal/endorse.
type refEndorse struct {
	now      time.Time
	policy   *refEndorsePolicy
	left     uint64 // the minter's allowance
	supply   uint64
	requests []*refMintRequest
}

type refEndorsePolicy struct {
	threshold uint64
	endorsers []actor
	required  int
	window    time.Duration
}

type refMintRequest struct {
	id        ledger.TxID
	amount    uint64
	endorsers []actor
	required  int
	deadline  time.Time
	endorsed  int
	by        map[string]bool
	status    endorse.Status
}

// The reference token: ledgerDraft's gbpt, whose minter may mint 2000.00
// and whose attested reserve backs 3000.00.
const (
	refAllowance = 200000
	refReserve   = 300000
)

// mint is the code of a mint of amount executed now, and its effect.
func (m *refEndorse) mint(amount uint64) ledger.Code {
	switch {
	case amount > m.left:
		return ledger.CodeMinterAllowance
	case m.supply+amount > refReserve:
		return ledger.CodeAboveReserve
	}
	m.left -= amount
	m.supply += amount
	return ledger.OK
}

func (m *refEndorse) openRequests() int {
	n := 0
	for _, q := range m.requests {
		if q.status == endorse.Open && m.now.Before(q.deadline) {
			n++
		}
	}
	return n
}

// TestEndorsementAgreesWithReference drives random steps — policies set,
// changed and cleared (by the owner and by a stranger, some breaking the
// rules), mints below and above the threshold (by the minter and by a
// stranger), endorsements by endorsers, non-endorsers, the minter and twice,
// cancellations by the minter, the owner and strangers, of open, closed and
// unknown requests — with time jumping past deadlines, through the App,
// and after every block holds the ledger to the reference: each step's
// code, each request's status and endorsements, the supply, the minter's
// allowance, and a clean state.Audit (a request moves no coin until it
// executes; only executed requests add to the supply).
func TestEndorsementAgreesWithReference(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		d := newDriver(rt, ledgerGenesis())
		defer d.Close()
		s := &signer{tb: rt}
		m := &refEndorse{now: chainStart, left: refAllowance}
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
		deploy, _ := sign(cast.issuer, msgDeploy(ledgerDraft("gbpt", "GBPT", "GBP")))
		attest, _ := sign(cast.attestor, msgAttest("gbpt", "GBP", "300000", m.now))
		for i, c := range commit([][]byte{deploy, attest}) {
			if c != 0 {
				rt.Fatalf("setup tx %d: code %s", i, ledger.Code(c).Name())
			}
		}
		for blk := range rapid.IntRange(1, 15).Draw(rt, "blocks") {
			if rapid.IntRange(0, 3).Draw(rt, "jump") == 0 {
				m.now = m.now.Add(rapid.SampledFrom([]time.Duration{30 * time.Minute, time.Hour - time.Second, 3 * time.Hour}).Draw(rt, "by"))
			}
			m.now = m.now.Add(time.Second) // the block's time, as commit sets it
			var txs [][]byte
			var want []ledger.Code
			for range rapid.IntRange(1, 6).Draw(rt, "steps") {
				raw, code := m.step(rt, sign)
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

// refEndorsers are the accounts a policy draws its endorsers from; the
// minter among them may never endorse its own request.
var refEndorsers = []actor{cast.carol, cast.bob, cast.alice, cast.minter}

// step draws one step, returns it signed with the code the reference
// expects, and applies its effect to the reference at once.
func (m *refEndorse) step(rt *rapid.T, sign func(actor, func(*txpb.Body)) ([]byte, ledger.TxID)) ([]byte, ledger.Code) {
	kind := rapid.SampledFrom([]string{"policy", "mint", "mint", "endorse", "endorse", "endorse", "cancel"}).Draw(rt, "kind")
	if m.policy == nil && rapid.Bool().Draw(rt, "set first") {
		kind = "policy"
	}
	if len(m.requests) == 0 && (kind == "endorse" || kind == "cancel") {
		kind = "mint"
	}
	switch kind {
	case "policy":
		return m.setPolicy(rt, sign)
	case "mint":
		amount := uint64(rapid.IntRange(1, 60).Draw(rt, "amount")) * 100
		by := rapid.SampledFrom([]actor{cast.minter, cast.minter, cast.minter, cast.mallory}).Draw(rt, "minter")
		raw, id := sign(by, msgMint("gbpt", cast.alice.addr, money.FromUint64(amount).String()))
		switch {
		case by.addr != cast.minter.addr:
			return raw, ledger.CodeUnauthorized
		case m.policy == nil || amount <= m.policy.threshold:
			return raw, m.mint(amount)
		case m.openRequests() >= endorse.MaxOpenRequests:
			return raw, ledger.CodeMintRequestLimit
		}
		p := m.policy
		m.requests = append(m.requests, &refMintRequest{id: id, amount: amount, endorsers: p.endorsers, required: p.required,
			deadline: m.now.Add(p.window), by: map[string]bool{}, status: endorse.Open})
		return raw, ledger.OK
	}
	var q *refMintRequest
	id := ledger.TxID{0xee}
	if rapid.IntRange(0, 9).Draw(rt, "unknown") > 0 {
		q = rapid.SampledFrom(m.requests).Draw(rt, "request")
		id = q.id
	}
	closed := func() ledger.Code {
		switch {
		case q == nil:
			return ledger.CodeMintRequestUnknown
		case q.status != endorse.Open:
			return ledger.CodeMintRequestClosed
		case !m.now.Before(q.deadline):
			return ledger.CodeMintRequestLapsed
		}
		return ledger.OK
	}
	if kind == "cancel" {
		by := rapid.SampledFrom([]actor{cast.minter, cast.issuer, cast.carol}).Draw(rt, "canceller")
		raw, _ := sign(by, msgCancelMintRequest(id))
		code := closed()
		if code == ledger.OK && by.addr == cast.carol.addr {
			code = ledger.CodeNotRequestParty
		}
		if code == ledger.OK {
			q.status = endorse.Cancelled
		}
		return raw, code
	}
	by := rapid.SampledFrom(append([]actor{cast.mallory}, refEndorsers...)).Draw(rt, "endorser")
	raw, _ := sign(by, msgEndorseMint(id))
	code := closed()
	switch {
	case code != ledger.OK:
	case !slices.ContainsFunc(q.endorsers, func(a actor) bool { return a.addr == by.addr }):
		code = ledger.CodeNotEndorser
	case by.addr == cast.minter.addr:
		code = ledger.CodeEndorseOwnRequest
	case q.by[by.name]:
		code = ledger.CodeEndorsedTwice
	}
	if code != ledger.OK {
		return raw, code
	}
	q.by[by.name] = true
	q.endorsed++
	if q.endorsed == q.required {
		q.status = endorse.Executed
		if m.mint(q.amount) != ledger.OK {
			q.status = endorse.Refused
		}
	}
	return raw, ledger.OK
}

// setPolicy draws a policy, sometimes by a stranger, sometimes one that
// breaks a rule (more required than endorsers), sometimes a clearing.
func (m *refEndorse) setPolicy(rt *rapid.T, sign func(actor, func(*txpb.Body)) ([]byte, ledger.TxID)) ([]byte, ledger.Code) {
	by := rapid.SampledFrom([]actor{cast.issuer, cast.issuer, cast.issuer, cast.mallory}).Draw(rt, "owner")
	if rapid.IntRange(0, 5).Draw(rt, "clear") == 0 {
		raw, _ := sign(by, func(b *txpb.Body) {
			b.Msg = &txpb.Body_SetEndorsePolicy{SetEndorsePolicy: &txpb.SetEndorsePolicy{Token: "gbpt", Clear: true}}
		})
		if by.addr != cast.issuer.addr {
			return raw, ledger.CodeUnauthorized
		}
		m.policy = nil
		return raw, ledger.OK
	}
	endorsers := rapid.Permutation(refEndorsers).Draw(rt, "endorsers")[:rapid.IntRange(1, len(refEndorsers)).Draw(rt, "n")]
	p := &refEndorsePolicy{threshold: uint64(rapid.IntRange(0, 4).Draw(rt, "threshold")) * 1000, endorsers: endorsers,
		required: rapid.IntRange(1, len(endorsers)+1).Draw(rt, "required"),
		window:   rapid.SampledFrom([]time.Duration{time.Hour, 2 * time.Hour}).Draw(rt, "window")}
	addrs := make([]ledger.Address, len(endorsers))
	for i, e := range endorsers {
		addrs[i] = e.addr
	}
	raw, _ := sign(by, func(b *txpb.Body) {
		msgEndorsePolicy("gbpt", money.FromUint64(p.threshold).String(), uint32(p.required), addrs...)(b)
		b.GetSetEndorsePolicy().WindowSeconds = int64(p.window / time.Second)
	})
	switch {
	case by.addr != cast.issuer.addr:
		return raw, ledger.CodeUnauthorized
	case p.required > len(endorsers):
		return raw, ledger.CodeEndorsePolicy
	}
	m.policy = p
	return raw, ledger.OK
}

// check holds the ledger's committed state to the reference.
func (m *refEndorse) check(rt *rapid.T, d *driver) {
	snap := d.db.Snapshot()
	defer snap.Close()
	for i, r := range m.requests {
		got := state.MintRequestOf(snap, r.id)
		if got == nil || got.Status != r.status || len(got.Endorsed) != r.endorsed || got.Amount != money.FromUint64(r.amount) ||
			int(got.Required) != r.required || got.Deadline != r.deadline.UnixNano() {
			rt.Fatalf("request %d (%d): ledger %+v; reference %+v", i, r.amount, got, r)
		}
	}
	tok := state.TokenByID(snap, "gbpt")
	if tok.Supply != money.FromUint64(m.supply) || tok.Minters[0].Allowance != money.FromUint64(m.left) {
		rt.Fatalf("gbpt: supply %s, allowance %s; reference %d, %d", tok.Supply, tok.Minters[0].Allowance, m.supply, m.left)
	}
	if (tok.Endorsement == nil) != (m.policy == nil) {
		rt.Fatalf("gbpt's policy: ledger %+v; reference %+v", tok.Endorsement, m.policy)
	}
	rep, err := state.Audit(snap, "GB")
	if err != nil || !rep.OK() {
		rt.Fatalf("audit: %v %v", err, rep.Problems)
	}
}
