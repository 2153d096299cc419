package abci

import (
	"crypto/ed25519"
	"fmt"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/pegledger/peg/internal/cert"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// refLimit is a KYC limit in the reference: none, or at most max units.
type refLimit struct {
	none bool
	max  uint64
}

func (l refLimit) allows(v uint64) bool { return l.none || v <= l.max }

// atLeast is "allows everything lower allows".
func (l refLimit) atLeast(lower refLimit) bool { return l.none || (!lower.none && l.max >= lower.max) }

func (l refLimit) wire() *txpb.KycLimit {
	if l.none {
		return &txpb.KycLimit{None: true}
	}
	return &txpb.KycLimit{Max: fmt.Sprint(l.max)}
}

// refTier is one level's limits: per payment, per day, on the balance.
type refTier [3]refLimit

// refKYC is the reference for KYC tiers (docs/transactions.md, "KYC tiers"):
// one tiered token; each account's level is fixed by the certificate it
// registered at the start; each account holds one coin (or none) whose
// amount is its balance; a day is block time's Unix seconds ÷ 86400.
type refKYC struct {
	now   time.Time
	tiers []refTier
	level map[string]int
	coins map[string][]ledger.CoinID
	held  map[string]uint64
	day   map[string]int64
	paid  map[string]uint64
	// disputed are trades funded and disputed, waiting for their
	// arbiter, whose pool holds amount.
	disputed []refDisputed
}

// refDisputed is a disputed trade of the reference.
type refDisputed struct {
	id                     ledger.TxID
	buyer, seller, arbiter actor
	amount                 uint64
}

// kycActors are the accounts of the KYC property test: alice at level 1,
// bob at 2, carol without a certificate (0), mallory at 3 (above the top
// tier when there are fewer).
var kycActors = []actor{cast.alice, cast.bob, cast.carol, cast.mallory}

// kycTraders are the certified ones, who may trade.
var kycTraders = []actor{cast.alice, cast.bob, cast.mallory}

func (m *refKYC) tier(a actor) refTier {
	l := m.level[a.name]
	if l >= len(m.tiers) {
		l = len(m.tiers) - 1
	}
	return m.tiers[l]
}

func (m *refKYC) today() int64 { return m.now.Unix() / 86400 }

func (m *refKYC) paidToday(a actor) uint64 {
	if m.day[a.name] != m.today() {
		return 0
	}
	return m.paid[a.name]
}

// valid is set_kyc_tiers' rule: 1 to 10 levels, none allowing less than
// the one below.
func validTiers(ts []refTier) bool {
	if len(ts) == 0 || len(ts) > 10 {
		return false
	}
	for i := 1; i < len(ts); i++ {
		for j := range ts[i] {
			if !ts[i][j].atLeast(ts[i-1][j]) {
				return false
			}
		}
	}
	return true
}

func drawTiers(rt *rapid.T) []refTier {
	limit := func(label string) refLimit {
		v := rapid.SampledFrom([]int{-1, 0, 100, 300, 600, 1000, 3000}).Draw(rt, label)
		if v < 0 {
			return refLimit{none: true}
		}
		return refLimit{max: uint64(v)}
	}
	ts := make([]refTier, rapid.IntRange(1, 3).Draw(rt, "levels"))
	for i := range ts {
		ts[i] = refTier{limit("per_payment"), limit("per_day"), limit("balance")}
	}
	if rapid.IntRange(0, 3).Draw(rt, "sorted") > 0 { // mostly valid: each limit the largest so far
		for i := 1; i < len(ts); i++ {
			for j := range ts[i] {
				if !ts[i][j].atLeast(ts[i-1][j]) {
					ts[i][j] = ts[i-1][j]
				}
			}
		}
	}
	return ts
}

func msgTiers(ts []refTier) func(*txpb.Body) {
	return func(b *txpb.Body) {
		m := &txpb.SetKycTiers{Token: "gbpt"}
		for _, t := range ts {
			m.Tiers = append(m.Tiers, &txpb.KycTier{PerPayment: t[0].wire(), PerDay: t[1].wire(), Balance: t[2].wire()})
		}
		b.Msg = &txpb.Body_SetKycTiers{SetKycTiers: m}
	}
}

// msgRegisterCertLevel registers a's certificate stating level.
func msgRegisterCertLevel(a actor, serial uint64, level uint8) func(*txpb.Body) {
	ca := testCA()
	der, err := ca.Issue(testCAKey, cert.Request{Identity: cert.Identity{Name: a.name + " Ltd", Registration: "1", Country: "GB"},
		Address: a.addr, Public: a.priv.Public().(ed25519.PublicKey), Serial: serial, NotBefore: ca.NotBefore, NotAfter: ca.NotAfter, Level: level})
	if err != nil {
		panic(err)
	}
	return func(b *txpb.Body) {
		b.Msg = &txpb.Body_RegisterCertificate{RegisterCertificate: &txpb.RegisterCertificate{Certificate: der}}
	}
}

// TestKYCAgreesWithReference runs random blocks of mints, payments, new
// tiers and trades (funded and disputed in one step, resolved by their
// arbiter in a later one, to the seller, back to the buyer or split) on a
// tiered token, across calendar days, against refKYC: every result code,
// and after every block each account's holding and the day's payments in
// its usage record.
func TestKYCAgreesWithReference(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		d := newDriver(rt, ledgerGenesis())
		defer d.Close()
		s := &signer{tb: rt}
		m := &refKYC{now: chainStart, level: map[string]int{"alice": 1, "bob": 2, "carol": 0, "mallory": 3},
			coins: map[string][]ledger.CoinID{}, held: map[string]uint64{}, day: map[string]int64{}, paid: map[string]uint64{}}
		sign := func(a actor, msg func(*txpb.Body)) ([]byte, ledger.TxID) {
			b := &txpb.Body{}
			msg(b)
			return s.sign(a, uint64(d.height)+100, b)
		}
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
		mustOK := func(txs ...[]byte) {
			for i, c := range commit(txs) {
				if c != 0 {
					rt.Fatalf("setup tx %d: code %s", i, ledger.Code(c).Name())
				}
			}
		}
		deploy, _ := sign(cast.issuer, msgDeploy(ledgerDraft("gbpt", "GBPT", "GBP")))
		attest, _ := sign(cast.attestor, msgAttest("gbpt", "GBP", "300000", m.now))
		m.tiers = drawTiers(rt)
		for !validTiers(m.tiers) {
			m.tiers = drawTiers(rt)
		}
		tiers, _ := sign(cast.issuer, msgTiers(m.tiers))
		rules, _ := sign(cast.operator, msgTradeRules(3, "100000000"))
		var certs [][]byte
		for i, a := range kycActors {
			if l := m.level[a.name]; l > 0 {
				c, _ := sign(a, msgRegisterCertLevel(a, uint64(i+1), uint8(l)))
				certs = append(certs, c)
			}
		}
		mustOK(deploy, attest)
		mustOK(append(certs, tiers, rules)...)

		for blk := range rapid.IntRange(1, 15).Draw(rt, "blocks") {
			if rapid.IntRange(0, 3).Draw(rt, "jump") == 0 {
				m.now = m.now.Add(rapid.SampledFrom([]time.Duration{6 * time.Hour, 24 * time.Hour}).Draw(rt, "by"))
			}
			m.now = m.now.Add(time.Second) // the block's time, as commit sets it
			var txs [][]byte
			var want []ledger.Code
			for range rapid.IntRange(1, 5).Draw(rt, "steps") {
				raws, codes := m.step(rt, sign)
				txs, want = append(txs, raws...), append(want, codes...)
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

// step draws a mint, a payment, new tiers, a trade or a resolution,
// returns its transactions signed with the codes the reference expects,
// and applies their effect to the reference.
func (m *refKYC) step(rt *rapid.T, sign func(actor, func(*txpb.Body)) ([]byte, ledger.TxID)) ([][]byte, []ledger.Code) {
	switch rapid.SampledFrom([]string{"mint", "pay", "pay", "pay", "tiers", "trade", "resolve"}).Draw(rt, "kind") {
	case "trade":
		return m.trade(rt, sign)
	case "resolve":
		return m.resolve(rt, sign)
	}
	raw, code := m.simple(rt, sign)
	return [][]byte{raw}, []ledger.Code{code}
}

// simple draws a mint, a payment or new tiers.
func (m *refKYC) simple(rt *rapid.T, sign func(actor, func(*txpb.Body)) ([]byte, ledger.TxID)) ([]byte, ledger.Code) {
	switch rapid.SampledFrom([]string{"mint", "pay", "pay", "pay", "tiers"}).Draw(rt, "kind") {
	case "tiers":
		ts := drawTiers(rt)
		raw, _ := sign(cast.issuer, msgTiers(ts))
		if !validTiers(ts) {
			return raw, ledger.CodeKYCTiers
		}
		m.tiers = ts
		return raw, ledger.OK
	case "mint":
		to := rapid.SampledFrom(kycActors).Draw(rt, "to")
		amount := 10 * uint64(rapid.IntRange(1, 200).Draw(rt, "mint"))
		raw, id := sign(cast.minter, msgMint("gbpt", to.addr, fmt.Sprint(amount)))
		if !m.tier(to)[2].allows(m.held[to.name] + amount) {
			return raw, ledger.CodeKYCBalanceLimit
		}
		// The new coin joins the old one at the next payment, which spends both.
		m.receive(to, ledger.NewCoinID(id, 0), amount)
		return raw, ledger.OK
	}
	from := rapid.SampledFrom(kycActors).Draw(rt, "from")
	to := rapid.SampledFrom(kycActors).Draw(rt, "payee")
	held := m.held[from.name]
	if held == 0 || from.name == to.name {
		raw, _ := sign(cast.issuer, msgTiers(m.tiers)) // the same tiers again: a step that changes nothing
		return raw, ledger.OK
	}
	amount := min(10*uint64(rapid.IntRange(1, 500).Draw(rt, "amount")), held, 5000) // held is a multiple of 10
	inputs := m.inputs(from)
	outs := []*txpb.Output{outTo(to.addr, fmt.Sprint(amount))}
	if held > amount {
		outs = append(outs, outTo(from.addr, fmt.Sprint(held-amount)))
	}
	raw, id := sign(from, msgPay("gbpt", inputs, outs...))
	t := m.tier(from)
	switch {
	case !t[0].allows(amount):
		return raw, ledger.CodeKYCPaymentLimit
	case !t[1].allows(m.paidToday(from) + amount):
		return raw, ledger.CodeKYCDailyLimit
	case !m.tier(to)[2].allows(m.held[to.name] + amount):
		return raw, ledger.CodeKYCBalanceLimit
	}
	m.paid[from.name], m.day[from.name] = m.paidToday(from)+amount, m.today()
	m.spend(from)
	m.receive(to, ledger.NewCoinID(id, 0), amount)
	if held > amount {
		m.receive(from, ledger.NewCoinID(id, 1), held-amount)
	}
	return raw, ledger.OK
}

// trade draws a trade between two certified accounts before the third,
// offered by the seller, accepted and funded by the buyer — a payment by the
// buyer into the pool, held to its per-payment and daily limits — shipped
// and disputed; the disputed trade waits for a resolution step. A refused
// funding leaves the trade accepted, and the step ends there.
func (m *refKYC) trade(rt *rapid.T, sign func(actor, func(*txpb.Body)) ([]byte, ledger.TxID)) ([][]byte, []ledger.Code) {
	parties := rapid.Permutation(kycTraders).Draw(rt, "parties")
	buyer, seller, arbiter := parties[0], parties[1], parties[2]
	held := m.held[buyer.name]
	if held == 0 {
		return m.step(rt, sign)
	}
	amount := min(10*uint64(rapid.IntRange(1, 500).Draw(rt, "amount")), held, 5000)
	offer, id := sign(seller, msgTradeOffer(buyer.addr, seller.addr, tradeTerms(fmt.Sprint(amount), "confirmation", arbiter.addr, m.now)))
	accept, _ := sign(buyer, msgTradeAccept(id, 1))
	fund, fundID := sign(buyer, msgTradeFund(id, m.inputs(buyer), fmt.Sprint(amount)))
	txs, codes := [][]byte{offer, accept, fund}, []ledger.Code{ledger.OK, ledger.OK, ledger.OK}
	t := m.tier(buyer)
	switch {
	case !t[0].allows(amount):
		codes[2] = ledger.CodeKYCPaymentLimit
		return txs, codes
	case !t[1].allows(m.paidToday(buyer) + amount):
		codes[2] = ledger.CodeKYCDailyLimit
		return txs, codes
	}
	m.paid[buyer.name], m.day[buyer.name] = m.paidToday(buyer)+amount, m.today()
	m.spend(buyer)
	if held > amount {
		m.receive(buyer, ledger.NewCoinID(fundID, 0), held-amount)
	}
	ship, _ := sign(seller, msgTradeShip(id))
	dispute, _ := sign(buyer, msgTradeDispute(id))
	m.disputed = append(m.disputed, refDisputed{id: id, buyer: buyer, seller: seller, arbiter: arbiter, amount: amount})
	return append(txs, ship, dispute), append(codes, ledger.OK, ledger.OK)
}

// resolve draws a disputed trade and its arbiter's decision: all to the
// seller, all back to the buyer, or split. The seller's share is held to
// its balance limit (KYC_BALANCE_LIMIT), the buyer's refund to its own
// (KYC_REFUND_LIMIT) and to no payment limit; a refused resolution leaves
// the trade disputed, to be tried again.
func (m *refKYC) resolve(rt *rapid.T, sign func(actor, func(*txpb.Body)) ([]byte, ledger.TxID)) ([][]byte, []ledger.Code) {
	if len(m.disputed) == 0 {
		return m.step(rt, sign)
	}
	i := rapid.IntRange(0, len(m.disputed)-1).Draw(rt, "disputed")
	d := m.disputed[i]
	toSeller := rapid.SampledFrom([]uint64{0, d.amount, d.amount / 20 * 10}).Draw(rt, "to_seller")
	refund := d.amount - toSeller
	raw, id := sign(d.arbiter, msgTradeResolve(d.id, fmt.Sprint(toSeller)))
	switch {
	case toSeller > 0 && !m.tier(d.seller)[2].allows(m.held[d.seller.name]+toSeller):
		return [][]byte{raw}, []ledger.Code{ledger.CodeKYCBalanceLimit}
	case refund > 0 && !m.tier(d.buyer)[2].allows(m.held[d.buyer.name]+refund):
		return [][]byte{raw}, []ledger.Code{ledger.CodeKYCRefundLimit}
	}
	if toSeller > 0 {
		m.receive(d.seller, ledger.NewCoinID(id, 0), toSeller)
	}
	if refund > 0 {
		m.receive(d.buyer, ledger.NewCoinID(id, 1), refund)
	}
	m.disputed = slices.Delete(m.disputed, i, i+1)
	return [][]byte{raw}, []ledger.Code{ledger.OK}
}

// The reference keeps each account's coins as a list, spent all at once.
func (m *refKYC) inputs(a actor) []ledger.CoinID { return m.coins[a.name] }

func (m *refKYC) receive(a actor, c ledger.CoinID, amount uint64) {
	m.coins[a.name] = append(m.coins[a.name], c)
	m.held[a.name] += amount
}

func (m *refKYC) spend(a actor) { m.coins[a.name], m.held[a.name] = nil, 0 }

// check holds each account's usage record to the reference.
func (m *refKYC) check(rt *rapid.T, d *driver) {
	snap := d.db.Snapshot()
	defer snap.Close()
	for _, a := range kycActors {
		u := state.KYCUsageOf(snap, "gbpt", a.addr)
		if got, ok := u.Held.Uint64(); !ok || got != m.held[a.name] {
			rt.Fatalf("%s holds %s; the reference says %d", a.name, u.Held, m.held[a.name])
		}
		if got, _ := u.PaidOn(m.today()).Uint64(); got != m.paidToday(a) {
			rt.Fatalf("%s paid %d today; the reference says %d", a.name, got, m.paidToday(a))
		}
	}
}
