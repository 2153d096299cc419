package abci

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/proof"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/store"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// refLedger is the property test's reference: a deliberately simple ledger
// of coins in maps, written from the transaction specs (docs/transactions.md)
// for the kinds the test drives, with each kind's checks in the order its
// spec lists them. The App must agree with it on every transaction's code and,
// after every block, on every balance, coin and supply.
type refLedger struct {
	height   uint64
	now      time.Time
	tokens   map[ledger.TokenID]*refToken
	balances map[string]ledger.TokenID // currency → the token it backs: every test contract names one IBAN
	coins    map[ledger.CoinID]refCoin // unspent
	spent    map[ledger.CoinID]bool
	receipts map[ledger.TxID]ledger.Code
	fees     refFees
	aliases  refAliases
	xfers    refXfers
}

type refToken struct {
	currency                            string
	allowance, supply, minted, redeemed uint64
	// fiatScale is how many token minor units one fiat minor unit backs at
	// ratio 1 and 2 decimals: 1 for pence and cents, 100 for whole yen. It
	// is also the smallest redemption that pays whole fiat minor units.
	fiatScale uint64
	paused    bool
	frozen    map[ledger.Address]bool
	reading   *refReading
}

type refReading struct {
	balance  uint64
	bankTime time.Time
}

type refCoin struct {
	token  ledger.TokenID
	owner  ledger.Address
	amount uint64
}

// refTx is a transaction as the test means it; encode makes its bytes.
type refTx struct {
	kind    string // deploy, mint, pay, redeem, freeze, unfreeze, pause, unpause, attest
	signer  actor
	token   ledger.TokenID
	account ledger.Address // mint's recipient, freeze's account
	inputs  []ledger.CoinID
	outputs []refOutput
	amount  uint64    // mint, redeem; attest's balance
	bank    time.Time // attest
	expiry  uint64
	alias   int // alias-register, alias-revoke: which of propAliases
	// fault, if set, breaks the envelope: "bad-signature", "forged" (signed
	// by mallory for another signer) or "zero-amount".
	fault string
	// xfer is a transfer-in's, transfer-refund's or transfer-ack's transfer, hkTx the HK
	// transaction whose receipt proves it.
	xfer ledger.CoinID
	hkTx ledger.TxID
}

type refOutput struct {
	owner  ledger.Address
	amount uint64
}

func newRefLedger() *refLedger {
	return &refLedger{tokens: map[ledger.TokenID]*refToken{}, balances: map[string]ledger.TokenID{}, coins: map[ledger.CoinID]refCoin{},
		spent: map[ledger.CoinID]bool{}, receipts: map[ledger.TxID]ledger.Code{}, fees: refFees{accounts: map[ledger.Address][]refGrant{}},
		aliases: newRefAliases(),
		xfers:   newRefXfers()}
}

// apply runs one transaction of the block at m.height and m.now and returns
// its code. A transaction whose envelope is broken leaves no receipt; any
// other leaves its first one.
func (m *refLedger) apply(r refTx, id ledger.TxID) ledger.Code {
	switch r.fault {
	case "bad-signature":
		return ledger.CodeBadSignature
	case "forged":
		return ledger.CodeMissingSig
	case "zero-amount":
		return ledger.CodeInvalidAmount
	}
	var code ledger.Code
	_, seen := m.receipts[id]
	switch {
	case r.expiry < m.height:
		code = ledger.CodeExpired
	case r.expiry > m.height+ledgerGenesis().Params.MaxExpiryDelta:
		code = ledger.CodeExpiryTooFar
	case seen:
		code = ledger.CodeReplayed
	default:
		code = m.run(r, id)
	}
	if !seen {
		m.receipts[id] = code
	}
	return code
}

// run checks the fee r owes, runs r and charges the fee if r is accepted.
func (m *refLedger) run(r refTx, id ledger.TxID) ledger.Code {
	fee, now := m.fees.feeOf(r), m.now.UnixNano()
	if code := m.fees.check(r.signer.addr, fee, now); code != ledger.OK {
		return code
	}
	code := m.runKind(r, id)
	if code == ledger.OK && fee > 0 {
		m.fees.charge(r.signer.addr, fee, now)
	}
	return code
}

func (m *refLedger) runKind(r refTx, id ledger.TxID) ledger.Code {
	if code, ok := m.aliases.run(r); ok {
		return code
	}
	switch r.kind {
	case "deploy":
		return m.deploy(r)
	case "set-fees":
		return m.setFees(r)
	case "fee-deposit":
		return m.feeDeposit(m.tokens[r.token], r, id)
	case "transfer-in":
		return m.transferIn(r, id)
	case "transfer-refund":
		return m.transferRefund(r, id)
	case "transfer-ack":
		return m.transferAck(r)
	}
	t := m.tokens[r.token]
	if t == nil {
		return ledger.CodeUnknownToken
	}
	switch r.kind {
	case "mint":
		return m.mint(t, r, id)
	case "pay":
		return m.pay(t, r, id)
	case "redeem":
		return m.redeem(t, r, id)
	case "freeze", "unfreeze":
		if r.signer.addr != cast.freezer.addr {
			return ledger.CodeUnauthorized
		}
		if r.kind == "freeze" {
			t.frozen[r.account] = true
		} else {
			delete(t.frozen, r.account)
		}
	case "pause", "unpause":
		if r.signer.addr != cast.pauser.addr {
			return ledger.CodeUnauthorized
		}
		t.paused = r.kind == "pause"
	case "attest":
		switch {
		case r.signer.addr != cast.attestor.addr:
			return ledger.CodeUnauthorized
		case r.bank.After(m.now.Add(5 * time.Minute)):
			return ledger.CodeAttestFuture
		case t.reading != nil && r.bank.Before(t.reading.bankTime):
			return ledger.CodeAttestOutdated
		}
		t.reading = &refReading{balance: r.amount, bankTime: r.bank}
	}
	return ledger.OK
}

func (m *refLedger) deploy(r refTx) ledger.Code {
	cur := currencyOf(r.token)
	switch {
	case r.signer.addr != cast.issuer.addr:
		return ledger.CodeIssuerUnauthorized
	case m.tokens[r.token] != nil:
		return ledger.CodeTokenExists
	case m.balances[cur] != "":
		return ledger.CodeFiatAccountInUse
	}
	scale := uint64(1)
	if cur == "JPY" {
		scale = 100
	}
	m.balances[cur] = r.token
	m.tokens[r.token] = &refToken{currency: cur, allowance: testAllowance, fiatScale: scale, frozen: map[ledger.Address]bool{}}
	return ledger.OK
}

func (m *refLedger) frozen(t *refToken, parties ...ledger.Address) bool {
	return slices.ContainsFunc(parties, func(a ledger.Address) bool { return t.frozen[a] })
}

func (m *refLedger) mint(t *refToken, r refTx, id ledger.TxID) ledger.Code {
	switch {
	case r.signer.addr != cast.minter.addr:
		return ledger.CodeUnauthorized
	case t.paused:
		return ledger.CodePaused
	case m.frozen(t, r.signer.addr, r.account):
		return ledger.CodeFrozen
	case r.account.Region() != "GB":
		return ledger.CodeForeignRegion
	case r.amount%testMinUnit != 0:
		return ledger.CodeNotMinUnitMultiple
	case r.amount > t.allowance:
		return ledger.CodeMinterAllowance
	case t.reading == nil:
		return ledger.CodeReserveUnattested
	case m.now.Sub(t.reading.bankTime) > testWindow:
		return ledger.CodeReserveStale
	case t.reading.balance*t.fiatScale < t.supply: // ratio 1
		return ledger.CodeReserveAtRisk
	case t.supply+r.amount > t.reading.balance*t.fiatScale:
		return ledger.CodeAboveReserve
	case t.supply+r.amount > testCap:
		return ledger.CodeAboveCap
	}
	t.allowance -= r.amount
	t.supply += r.amount
	t.minted += r.amount
	m.coins[ledger.NewCoinID(id, 0)] = refCoin{token: r.token, owner: r.account, amount: r.amount}
	return ledger.OK
}

// inputs checks the coins owner spends, as pay and redeem do, and returns
// their total.
func (m *refLedger) inputs(r refTx, owner ledger.Address) (uint64, ledger.Code) {
	for i, c := range r.inputs {
		if slices.Contains(r.inputs[:i], c) {
			return 0, ledger.CodeDuplicateInput
		}
	}
	var total uint64
	for _, id := range r.inputs {
		c, ok := m.coins[id]
		switch {
		case !ok && m.spent[id]:
			return 0, ledger.CodeCoinSpent
		case !ok:
			return 0, ledger.CodeUnknownCoin
		case c.token != r.token:
			return 0, ledger.CodeWrongCoinToken
		case c.owner != owner:
			return 0, ledger.CodeNotCoinOwner
		}
		total += c.amount
	}
	return total, ledger.OK
}

func (m *refLedger) spend(ids []ledger.CoinID) {
	for _, id := range ids {
		delete(m.coins, id)
		m.spent[id] = true
	}
}

func (m *refLedger) pay(t *refToken, r refTx, id ledger.TxID) ledger.Code {
	parties := []ledger.Address{r.signer.addr}
	for _, o := range r.outputs {
		parties = append(parties, o.owner)
	}
	if t.paused {
		return ledger.CodePaused
	}
	if m.frozen(t, parties...) {
		return ledger.CodeFrozen
	}
	in, code := m.inputs(r, r.signer.addr)
	if code != ledger.OK {
		return code
	}
	var out, toOthers uint64
	for _, o := range r.outputs {
		if o.owner.Region() != "GB" && o.owner.Region() != "HK" {
			return ledger.CodeForeignRegion
		}
		if o.amount%testMinUnit != 0 {
			return ledger.CodeNotMinUnitMultiple
		}
		out += o.amount
		if o.owner != r.signer.addr {
			toOthers += o.amount
		}
	}
	if toOthers > testMaxTransfer {
		return ledger.CodeAboveMaxTransfer
	}
	if in != out {
		return ledger.CodeNotConserved
	}
	m.spend(r.inputs)
	for i, o := range r.outputs {
		if o.owner.Region() != "GB" {
			m.sendOut(r, id, i, o)
			continue
		}
		m.coins[ledger.NewCoinID(id, uint32(i))] = refCoin{token: r.token, owner: o.owner, amount: o.amount}
	}
	return ledger.OK
}

func (m *refLedger) redeem(t *refToken, r refTx, id ledger.TxID) ledger.Code {
	holder := r.signer.addr
	if t.paused {
		return ledger.CodePaused
	}
	if t.frozen[holder] {
		return ledger.CodeFrozen
	}
	in, code := m.inputs(r, holder)
	switch {
	case code != ledger.OK:
		return code
	case r.amount%testMinUnit != 0:
		return ledger.CodeNotMinUnitMultiple
	case r.amount > testMaxTransfer:
		return ledger.CodeAboveMaxTransfer
	case r.amount < testMinRedeem:
		return ledger.CodeRedeemBelowMinimum
	case r.amount%t.fiatScale != 0:
		return ledger.CodeRedeemFiatRemainder
	case in < r.amount:
		return ledger.CodeNotConserved
	}
	m.spend(r.inputs)
	if change := in - r.amount; change > 0 {
		m.coins[ledger.NewCoinID(id, 0)] = refCoin{token: r.token, owner: holder, amount: change}
	}
	t.supply -= r.amount
	t.redeemed += r.amount
	return ledger.OK
}

// sortedCoins lists the unspent coins that keep, in id order, so that draws
// from them do not depend on map order.
func (m *refLedger) sortedCoins(keep func(refCoin) bool) []ledger.CoinID {
	return sortedCoins(m.coins, keep)
}

// sortedCoins lists the coins that keep, in id order.
func sortedCoins(coins map[ledger.CoinID]refCoin, keep func(refCoin) bool) []ledger.CoinID {
	var ids []ledger.CoinID
	for id, c := range coins {
		if keep(c) {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(a, b ledger.CoinID) int { return strings.Compare(string(a[:]), string(b[:])) })
	return ids
}

func currencyOf(tok ledger.TokenID) string {
	return map[ledger.TokenID]string{"gbpt": "GBP", "gbps": "GBP", "eurt": "EUR", "usdt": "USD", "jpyt": "JPY"}[tok]
}

// propRun is one test case: the App, the reference, and what was sent.
type propRun struct {
	rt      *rapid.T
	d       *driver
	s       *signer
	ref     *refLedger
	history []sentTx // every transaction sent, for replays
}

type sentTx struct {
	raw  []byte
	id   ledger.TxID
	r    refTx
	what string
}

// encode builds r's bytes and its id.
func (p *propRun) encode(r refTx) ([]byte, ledger.TxID) {
	b := &txpb.Body{}
	switch r.kind {
	case "deploy":
		msgDeploy(ledgerDraft(string(r.token), strings.ToUpper(string(r.token)), currencyOf(r.token)))(b)
	case "mint":
		amt := fmt.Sprint(r.amount)
		if r.fault == "zero-amount" {
			amt = "0"
		}
		msgMint(string(r.token), r.account, amt)(b)
	case "pay":
		outs := make([]*txpb.Output, len(r.outputs))
		for i, o := range r.outputs {
			outs[i] = outTo(o.owner, fmt.Sprint(o.amount))
		}
		msgPay(string(r.token), r.inputs, outs...)(b)
	case "redeem":
		msgRedeem(string(r.token), r.inputs, fmt.Sprint(r.amount))(b)
	case "freeze":
		b.Msg = &txpb.Body_Freeze{Freeze: &txpb.Freeze{Token: string(r.token), Account: r.account.String()}}
	case "unfreeze":
		b.Msg = &txpb.Body_Unfreeze{Unfreeze: &txpb.Unfreeze{Token: string(r.token), Account: r.account.String()}}
	case "pause":
		b.Msg = &txpb.Body_Pause{Pause: &txpb.Pause{Token: string(r.token)}}
	case "unpause":
		b.Msg = &txpb.Body_Unpause{Unpause: &txpb.Unpause{Token: string(r.token)}}
	case "attest":
		msgAttest(string(r.token), currencyOf(r.token), fmt.Sprint(r.amount), r.bank)(b)
	case "fee-deposit":
		msgFeeDeposit(string(r.token), r.inputs, fmt.Sprint(r.amount))(b)
	case "set-fees":
		msgSetFees(b)
	case "transfer-in", "transfer-refund", "transfer-ack":
		p.encodeTransfer(r, b)
	default:
		encodeAlias(r, b)
	}
	key := r.signer
	if r.fault == "forged" {
		key.priv = cast.mallory.priv
	}
	raw, id := p.s.sign(key, r.expiry, b)
	if r.fault == "bad-signature" {
		raw[len(raw)-3] ^= 1 // inside the signature, the envelope's last field
	}
	return raw, id
}

// actorNames maps the cast's addresses to their actorNames, for messages.
var actorNames = func() map[ledger.Address]string {
	m := map[ledger.Address]string{}
	for _, a := range []actor{cast.operator, cast.issuer, cast.pauser, cast.freezer, cast.attestor, cast.minter,
		cast.alice, cast.bob, cast.carol, cast.mallory, cast.foreigner, hana} {
		m[a.addr] = a.name
	}
	return m
}()

func (r refTx) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s by %s", r.kind, r.token, r.signer.name)
	if !r.account.IsZero() {
		fmt.Fprintf(&b, " account %s", actorNames[r.account])
	}
	for _, in := range r.inputs {
		fmt.Fprintf(&b, " in %x", in[:4])
	}
	for _, o := range r.outputs {
		fmt.Fprintf(&b, " out %s:%d", actorNames[o.owner], o.amount)
	}
	if r.amount != 0 {
		fmt.Fprintf(&b, " amount %d", r.amount)
	}
	if !r.bank.IsZero() {
		fmt.Fprintf(&b, " bank time %s", r.bank.Format(time.RFC3339))
	}
	if r.kind == "alias-register" || r.kind == "alias-revoke" {
		fmt.Fprintf(&b, " alias %d", r.alias)
	}
	fmt.Fprintf(&b, " expiry %d", r.expiry)
	if r.fault != "" {
		fmt.Fprintf(&b, " [%s]", r.fault)
	}
	return b.String()
}

// TestLedgerAgreesWithReference drives random blocks of valid and invalid
// transactions — mints, payments with change, redemptions, double spends,
// wrong and forged signers, amounts over the limits or off the minimum unit,
// frozen accounts, paused and unknown tokens, stale and short reserves,
// replays, expired and badly signed transactions, registrars binding and
// revoking aliases — through the App's ABCI
// interface, and after every block holds it to the reference ledger: each
// transaction's code and receipt, every account's coins and balances, every
// token's supply, the alias directory, and a clean state.Audit. rapid prints the seed of a
// failing case; the failure says at which height what diverged.
func TestLedgerAgreesWithReference(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		p := &propRun{rt: rt, d: newDriver(rt, ledgerGenesis()), s: &signer{tb: rt}, ref: newRefLedger()}
		defer p.d.Close()
		p.ref.now = chainStart
		p.block([]refTx{
			{kind: "deploy", signer: cast.issuer, token: "gbpt"},
			{kind: "deploy", signer: cast.issuer, token: "eurt"},
			{kind: "deploy", signer: cast.issuer, token: "jpyt"},
		})
		attest := []refTx{{kind: "attest", signer: cast.attestor, token: "gbpt", amount: 300_000},
			{kind: "attest", signer: cast.attestor, token: "jpyt", amount: 3_000}}
		if rapid.Bool().Draw(rt, "eurt attested") {
			attest = append(attest, refTx{kind: "attest", signer: cast.attestor, token: "eurt", amount: 300_000})
		}
		p.block(attest)
		var mints []refTx
		for _, h := range propHolders {
			for _, c := range []struct {
				tok    ledger.TokenID
				amount uint64
			}{{"gbpt", 2_000}, {"gbpt", 2_000}, {"gbpt", 500}, {"eurt", 1_000}, {"jpyt", 2_000}, {"jpyt", 550}} {
				mints = append(mints, refTx{kind: "mint", signer: cast.minter, token: c.tok, account: h.addr, amount: c.amount})
			}
		}
		p.block(mints)
		if rapid.Bool().Draw(rt, "fees from the start") {
			p.block([]refTx{{kind: "set-fees", signer: cast.operator}})
		}
		if rapid.Bool().Draw(rt, "aliases from the start") {
			p.block(aliasesFromTheStart())
		}
		for range rapid.IntRange(1, 12).Draw(rt, "blocks") {
			p.randomBlock()
		}
	})
}

// block commits the next block of rs, made one second after the last, and
// checks it.
func (p *propRun) block(rs []refTx) {
	p.ref.now = p.ref.now.Add(time.Second)
	p.ref.height++
	for i := range rs {
		if rs[i].expiry == 0 {
			rs[i].expiry = p.ref.height + 500
		}
		if rs[i].kind == "attest" && rs[i].bank.IsZero() {
			rs[i].bank = p.ref.now.Add(-time.Second)
		}
	}
	sent := make([]sentTx, len(rs))
	for i, r := range rs {
		raw, id := p.encode(r)
		sent[i] = sentTx{raw: raw, id: id, r: r, what: r.String()}
	}
	p.commit(sent)
}

// commit delivers sent as one block to the App and to the reference, and
// compares them.
func (p *propRun) commit(sent []sentTx) {
	raws := make([][]byte, len(sent))
	want := make([]ledger.Code, len(sent))
	for i, st := range sent {
		raws[i] = st.raw
		want[i] = p.ref.apply(st.r, st.id)
	}
	p.history = append(p.history, sent...)
	// Admitted first, as on a validator, the block's transactions come
	// parsed and verified from the admission cache; otherwise the block
	// parses and verifies them itself.
	if rapid.Bool().Draw(p.rt, "admitted first") {
		p.d.admit(raws)
	}
	res := p.d.block(p.ref.now, raws)
	var log strings.Builder
	for i, st := range sent {
		fmt.Fprintf(&log, "  %d. %s → %s\n", i, st.what, want[i].Name())
	}
	for i := range sent {
		if got := ledger.Code(res.TxResults[i].Code); got != want[i] {
			p.rt.Fatalf("height %d tx %d: the app answered %s (%s), the reference %s\nblock:\n%s",
				p.ref.height, i, got.Name(), res.TxResults[i].Log, want[i].Name(), &log)
		}
	}
	// Each result commits to the receipts its transaction wrote, as the
	// node rebuilds them to prove one.
	snap := p.d.db.Snapshot()
	leaves := BlockLeaves(snap, uint64(p.d.height), raws)
	snap.Close()
	for i := range sent {
		if got := proof.Root(leaves[i]); !bytes.Equal(got, res.TxResults[i].Data) {
			p.rt.Fatalf("height %d tx %d: %d leaves rebuilt hash to %X, the result's data is %X\nblock:\n%s",
				p.ref.height, i, len(leaves[i]), got, res.TxResults[i].Data, &log)
		}
	}
	if msg := p.compare(); msg != "" {
		p.rt.Fatalf("height %d: %s\nblock:\n%s", p.ref.height, msg, &log)
	}
}

// compare reads the App's committed state back through internal/state's
// queries and returns what disagrees with the reference, or "".
func (p *propRun) compare() string {
	snap := p.d.db.Snapshot()
	defer snap.Close()
	for _, id := range []ledger.TokenID{"gbpt", "gbps", "eurt", "usdt", "jpyt"} {
		if msg := compareToken(snap, id, p.ref.tokens[id]); msg != "" {
			return msg
		}
	}
	for _, a := range []actor{cast.alice, cast.bob, cast.carol, cast.mallory, cast.minter, cast.pauser, cast.foreigner} {
		if msg := p.compareHolder(snap, a); msg != "" {
			return msg
		}
	}
	for _, st := range p.history {
		rc := state.ReceiptByID(snap, st.id)
		want, ok := p.ref.receipts[st.id]
		switch {
		case rc == nil && ok:
			return fmt.Sprintf("no receipt for %s; the reference has %s", st.what, want.Name())
		case rc != nil && !ok:
			return fmt.Sprintf("a receipt %s for %s; the reference has none", rc.Code.Name(), st.what)
		case rc != nil && rc.Code != want:
			return fmt.Sprintf("receipt %s for %s; the reference has %s", rc.Code.Name(), st.what, want.Name())
		}
	}
	if msg := p.compareFees(snap); msg != "" {
		return msg
	}
	if msg := p.ref.aliases.compare(snap); msg != "" {
		return msg
	}
	if msg := p.compareBooks(snap); msg != "" {
		return msg
	}
	rep, err := state.Audit(snap, "GB")
	if err != nil {
		return fmt.Sprintf("audit: %v", err)
	}
	if !rep.OK() {
		return fmt.Sprintf("audit found %q", rep.Problems)
	}
	return ""
}

func compareToken(snap *store.Snapshot, id ledger.TokenID, want *refToken) string {
	got := state.TokenByID(snap, id)
	switch {
	case got == nil && want == nil:
		return ""
	case got == nil || want == nil:
		return fmt.Sprintf("token %s: the app has %v, the reference %v", id, got != nil, want != nil)
	}
	type view struct {
		supply, minted, redeemed, allowance money.Amount
		paused                              bool
		frozen                              uint64
	}
	g := view{got.Supply, got.Minted, got.Redeemed, money.Amount{}, got.Paused, got.Frozen}
	if len(got.Minters) == 1 {
		g.allowance = got.Minters[0].Allowance
	}
	w := view{money.FromUint64(want.supply), money.FromUint64(want.minted), money.FromUint64(want.redeemed),
		money.FromUint64(want.allowance), want.paused, uint64(len(want.frozen))}
	if g != w {
		return fmt.Sprintf("token %s: the app has %+v, the reference %+v", id, g, w)
	}
	return ""
}

func (p *propRun) compareHolder(snap *store.Snapshot, a actor) string {
	coins, height := p.d.app.Unspent().CoinsOf(a.addr, "", nil, 0)
	if height != snap.Height {
		return fmt.Sprintf("the coins in memory are at height %d, the store at %d", height, snap.Height)
	}
	return compareHoldings(p.d.app, coins, p.ref.coins, a)
}

// compareHoldings holds a's coins (as the app lists them) and balances to
// the reference's unspent coins.
func compareHoldings(app *App, coins []state.Coin, ref map[ledger.CoinID]refCoin, a actor) string {
	var got, want []string
	for _, c := range coins {
		got = append(got, fmt.Sprintf("%s %x %s", c.Token, c.ID[:4], c.Amount))
	}
	sums := map[ledger.TokenID]uint64{}
	for id, c := range ref {
		if c.owner == a.addr {
			want = append(want, fmt.Sprintf("%s %x %d", c.token, id[:4], c.amount))
			sums[c.token] += c.amount
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		return fmt.Sprintf("coins of %s: the app has %q, the reference %q", a.name, got, want)
	}
	bals, _, err := app.Unspent().Balances(a.addr, "")
	if err != nil {
		return fmt.Sprintf("balances of %s: %v", a.name, err)
	}
	for _, b := range bals {
		if b.Amount != money.FromUint64(sums[b.Token]) {
			return fmt.Sprintf("balance of %s in %s: the app has %s, the reference %d", a.name, b.Token, b.Amount, sums[b.Token])
		}
		delete(sums, b.Token)
	}
	if len(sums) > 0 {
		return fmt.Sprintf("balances of %s: the app lacks %v", a.name, sums)
	}
	return ""
}

// randomBlock draws and commits a block of up to six transactions, now and
// then after a wait long enough for every reserve to go stale.
func (p *propRun) randomBlock() {
	if rapid.IntRange(0, 14).Draw(p.rt, "long wait") == 0 {
		p.ref.now = p.ref.now.Add(testWindow)
	}
	if rapid.IntRange(0, 2).Draw(p.rt, "minutes pass") == 0 { // fee grants release over hours
		p.ref.now = p.ref.now.Add(5 * time.Minute)
	}
	p.ref.now = p.ref.now.Add(time.Second)
	p.ref.height++
	n := rapid.IntRange(0, 6).Draw(p.rt, "transactions")
	sent := make([]sentTx, 0, n)
	for range n {
		sent = append(sent, p.randomTx(sent))
	}
	p.commit(sent)
}

var (
	propHolders = []actor{cast.alice, cast.bob, cast.carol}
	propParties = []actor{cast.alice, cast.bob, cast.carol, cast.mallory, cast.minter, cast.foreigner, hana}
	propKinds   = []string{"mint", "mint", "pay", "pay", "pay", "pay", "pay", "pay", "redeem", "redeem", "redeem",
		"freeze", "unfreeze", "unfreeze", "pause", "unpause", "unpause", "attest", "replay", "replay", "expiry", "fault", "deploy",
		"fee-deposit", "fee-deposit", "set-fees",
		"set-registrar", "set-registrar", "unset-registrar", "alias-register", "alias-register", "alias-register", "alias-register",
		"alias-register", "alias-register", "alias-register", "alias-register", "alias-revoke", "transfer-in", "transfer-in", "transfer-refund", "transfer-refund", "transfer-ack", "transfer-ack"}
	propTokens = []ledger.TokenID{"gbpt", "gbpt", "gbpt", "eurt", "usdt", "jpyt"}
)

// randomTx draws one transaction; earlier is what the block holds so far.
func (p *propRun) randomTx(earlier []sentTx) sentTx {
	rt := p.rt
	kind := rapid.SampledFrom(propKinds).Draw(rt, "kind")
	if kind == "replay" {
		all := append(slices.Clone(p.history), earlier...)
		return all[rapid.IntRange(0, len(all)-1).Draw(rt, "replayed")]
	}
	r := refTx{kind: kind, token: rapid.SampledFrom(propTokens).Draw(rt, "token"), expiry: p.ref.height + 500}
	switch kind {
	case "expiry":
		r = p.randomMint(r)
		r.expiry = rapid.SampledFrom([]uint64{p.ref.height - 1, p.ref.height + 1001}).Draw(rt, "expiry")
	case "fault":
		r = p.randomMint(r)
		r.fault = rapid.SampledFrom([]string{"bad-signature", "forged", "zero-amount"}).Draw(rt, "fault")
	case "deploy":
		r.token = rapid.SampledFrom([]ledger.TokenID{"usdt", "gbps", "gbpt"}).Draw(rt, "deployed")
		r.signer = rapid.SampledFrom([]actor{cast.issuer, cast.issuer, cast.issuer, cast.alice}).Draw(rt, "deployer")
	case "fee-deposit":
		r = p.randomFeeDeposit(r)
	case "set-fees":
		r.signer = rapid.SampledFrom([]actor{cast.operator, cast.operator, cast.alice}).Draw(rt, "fee setter")
	case "set-registrar", "unset-registrar", "alias-register", "alias-revoke":
		r = p.randomAlias(r)
	case "mint":
		r = p.randomMint(r)
	case "pay":
		r = p.randomPay(r)
	case "transfer-in":
		r = p.randomTransferIn(r)
	case "transfer-refund", "transfer-ack":
		r = p.randomTransferRefund(r)
	case "redeem":
		r.signer = rapid.SampledFrom(propHolders).Draw(rt, "holder")
		r.inputs = p.randomInputs(r.signer, r.token)
		var in uint64
		for _, id := range r.inputs {
			in += p.ref.coins[id].amount
		}
		r.amount = randomAmount(rt, in)
	case "freeze", "unfreeze":
		r.signer = rapid.SampledFrom([]actor{cast.freezer, cast.freezer, cast.freezer, cast.alice}).Draw(rt, "signer")
		r.account = rapid.SampledFrom([]actor{cast.alice, cast.bob, cast.carol, cast.minter}).Draw(rt, "account").addr
	case "pause", "unpause":
		r.signer = rapid.SampledFrom([]actor{cast.pauser, cast.pauser, cast.pauser, cast.bob}).Draw(rt, "signer")
	case "attest":
		r.signer = rapid.SampledFrom([]actor{cast.attestor, cast.attestor, cast.attestor, cast.carol}).Draw(rt, "signer")
		r.amount = rapid.SampledFrom([]uint64{300_000, 100_000, 500, 1_000_000}).Draw(rt, "balance")
		r.bank = p.ref.now.Add(rapid.SampledFrom([]time.Duration{-time.Second, 10 * time.Minute, -48 * time.Hour}).Draw(rt, "bank time"))
	}
	raw, id := p.encode(r)
	return sentTx{raw: raw, id: id, r: r, what: r.String()}
}

func (p *propRun) randomMint(r refTx) refTx {
	r.kind = "mint"
	r.signer = rapid.SampledFrom([]actor{cast.minter, cast.minter, cast.minter, cast.minter, cast.pauser, cast.alice}).Draw(p.rt, "minter")
	r.account = rapid.SampledFrom(append(propHolders, propParties...)).Draw(p.rt, "to").addr
	switch rapid.IntRange(0, 3).Draw(p.rt, "mint size") {
	case 0:
		r.amount = rapid.Uint64Range(1, 40).Draw(p.rt, "big") * 10_000
	case 1:
		r.amount = rapid.Uint64Range(1, 5_000).Draw(p.rt, "ragged")
	default:
		r.amount = rapid.Uint64Range(1, 500).Draw(p.rt, "small") * testMinUnit
	}
	return r
}

// randomInputs draws one to three coins for owner to spend: mostly its own of
// tok, sometimes another's, a spent one, an unknown one or one twice.
func (p *propRun) randomInputs(owner actor, tok ledger.TokenID) []ledger.CoinID {
	own := p.ref.sortedCoins(func(c refCoin) bool { return c.owner == owner.addr && c.token == tok })
	all := p.ref.sortedCoins(func(refCoin) bool { return true })
	var spent []ledger.CoinID
	for id := range p.ref.spent {
		spent = append(spent, id)
	}
	slices.SortFunc(spent, func(a, b ledger.CoinID) int { return strings.Compare(string(a[:]), string(b[:])) })
	var ins []ledger.CoinID
	for i := range rapid.SampledFrom([]int{1, 1, 1, 2, 2, 3}).Draw(p.rt, "inputs") {
		src := rapid.SampledFrom([]string{"own", "own", "own", "own", "own", "any", "spent", "unknown", "twice"}).Draw(p.rt, "input")
		pool := map[string][]ledger.CoinID{"own": own, "any": all, "spent": spent, "twice": ins}[src]
		if src == "own" && len(own) == 0 {
			pool = all
		}
		if len(pool) == 0 {
			src = "unknown"
		}
		if src == "unknown" {
			ins = append(ins, sha256.Sum256(fmt.Appendf(nil, "unknown coin %d", i)))
			continue
		}
		ins = append(ins, pool[rapid.IntRange(0, len(pool)-1).Draw(p.rt, "coin")])
	}
	return ins
}

// randomAmount draws an amount against an available total: mostly within it
// and on the minimum unit, sometimes all of it, sometimes anything.
func randomAmount(rt *rapid.T, avail uint64) uint64 {
	switch mode := rapid.IntRange(0, 5).Draw(rt, "amount mode"); {
	case mode == 0 || avail < testMinUnit:
		return rapid.Uint64Range(1, 8_000).Draw(rt, "any amount")
	case mode == 1:
		return avail
	}
	return rapid.Uint64Range(1, avail/testMinUnit).Draw(rt, "part") * testMinUnit
}

func (p *propRun) randomPay(r refTx) refTx {
	r.signer = rapid.SampledFrom(propHolders).Draw(p.rt, "payer")
	r.inputs = p.randomInputs(r.signer, r.token)
	var in uint64
	for _, id := range r.inputs {
		in += p.ref.coins[id].amount // unknown and spent coins count nothing
	}
	payee := rapid.SampledFrom(append(propHolders, propParties...)).Draw(p.rt, "payee")
	x := randomAmount(p.rt, in)
	r.outputs = []refOutput{{owner: payee.addr, amount: x}}
	if x < in && rapid.IntRange(0, 5).Draw(p.rt, "change") > 0 {
		r.outputs = append(r.outputs, refOutput{owner: r.signer.addr, amount: in - x})
	}
	return r
}
