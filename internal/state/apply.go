package state

import (
	"encoding/binary"
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/proof"
	"github.com/pegledger/peg/internal/tx"
)

// Env is what Apply knows besides the state: the chain and the block.
type Env struct {
	ChainID string
	Region  ledger.Region
	Height  uint64
	Time    time.Time
	Genesis Genesis
	// Tally gathers the block's coin flows for CheckTally.
	Tally Tally
	// Tokens, if set, saves decoding token records again.
	Tokens *TokenCache
	// Check marks the mempool's checks, whose writes are thrown away and
	// whose outcome is all that counts: no events are rendered, and a
	// receipt is only a marker that makes a repeat within the same check
	// a replay.
	Check bool
	// Replays, if set, spares accepted payments the lookup of their own
	// receipt (see Replays). Refused records the spending transactions this
	// block (or check) refused, with their expiry, for Replays.Commit.
	Replays *Replays
	Refused map[ledger.TxID]uint64
	// Unspent, if set, holds the committed state's unspent coins, read
	// from it instead of the store.
	Unspent *Unspent
	// Proofs, if set, remembers the other regions' receipt proofs that
	// verified, so that a node verifies each once (proof.Cache).
	Proofs *proof.Cache
}

// mayBeReplay reports whether t's receipt must be looked up before it is
// applied: always, unless Replays shows that only a refusal could have left
// one and none did.
func (e *Env) mayBeReplay(t *tx.Tx) bool {
	if e.Replays == nil || !spends(t) {
		return true
	}
	if _, ok := e.Refused[t.ID]; ok {
		return true
	}
	return e.Replays.may(t.ID)
}

// checkReceipt is the receipt a check writes (see Env.Check).
var checkReceipt = []byte{}

// InitGenesis writes the genesis state.
func InitGenesis(w Writer, g Genesis) error {
	if err := g.Validate(); err != nil {
		return err
	}
	w.Set(keyGenesis, encode(g))
	for _, a := range g.Issuers {
		w.Set(issuerKey(a), nil)
	}
	for _, a := range g.Registered {
		w.Set(registeredKey(a), nil)
	}
	for _, a := range g.Registrars {
		w.Set(registrarKey(a), nil)
	}
	if g.Fees != nil {
		w.Set(keyFees, encode(*g.Fees))
	}
	return nil
}

// LoadGenesis reads the genesis written by InitGenesis.
func LoadGenesis(r Reader) (Genesis, error) {
	b := r.Get(keyGenesis)
	if b == nil {
		return Genesis{}, fmt.Errorf("state: no genesis in the store")
	}
	var g Genesis
	decode(keyGenesis, b, &g)
	return g, nil
}

// Check runs the checks that depend on the state but not on the transaction's
// message: expiry and, unless Env.Replays shows it needless, replay.
func Check(r Reader, env *Env, t *tx.Tx) *ledger.Rejection {
	if t.Expiry < env.Height {
		return ledger.Reject(ledger.CodeExpired, "transaction expired at height %d; the chain is at %d", t.Expiry, env.Height)
	}
	if max := env.Height + env.Genesis.Params.MaxExpiryDelta; t.Expiry > max {
		return ledger.Reject(ledger.CodeExpiryTooFar, "expiry height %d is beyond %d (height %d + %d)",
			t.Expiry, max, env.Height, env.Genesis.Params.MaxExpiryDelta)
	}
	if env.mayBeReplay(t) {
		return replayed(r, t)
	}
	return nil
}

func replayed(r Reader, t *tx.Tx) *ledger.Rejection {
	if r.Get(receiptKey(t.ID)) != nil {
		return ledger.Reject(ledger.CodeReplayed, "transaction %s is already in a block", t.ID)
	}
	return nil
}

// Apply checks t against the state and, if it is accepted, performs its writes.
// A rejected transaction writes nothing. The caller records the receipt with
// WriteReceipt in either case.
func Apply(w Writer, env *Env, t *tx.Tx) Result {
	if rej := Check(w, env, t); rej != nil {
		return rejected(rej)
	}
	x := &exec{w: w, env: env, tx: t}
	if !env.Check {
		x.events = make([]Event, 0, eventsPerTx)
	}
	due, rej := x.feeDue()
	if rej == nil {
		rej = x.run()
	}
	if rej != nil {
		// A payment Check did not look up may be a replay, refused for
		// the coins it spent the first time.
		if !env.mayBeReplay(t) {
			if r := replayed(w, t); r != nil {
				rej = r
			}
		}
		return rejected(rej)
	}
	if due != nil {
		x.chargeFee(due)
	}
	return Result{Code: ledger.OK, Events: x.events}
}

func rejected(r *ledger.Rejection) Result { return Result{Code: r.Code, Log: r.Message} }

// Batch is a Writer that can keep one transaction's writes apart until it is
// accepted.
type Batch interface {
	Writer
	Begin()
	Keep()
	Discard()
}

// Deliver applies t as transaction index of a block: its writes are kept if it
// is accepted and dropped if not, and its receipt is recorded either way (a
// replay keeps the first receipt).
func Deliver(b Batch, env *Env, t *tx.Tx, index uint32) Result {
	b.Begin()
	res := Apply(b, env, t)
	if res.Code == ledger.OK {
		b.Keep()
	} else {
		b.Discard()
	}
	res.Recorded = WriteReceipt(b, env, t, index, res)
	return res
}

// WriteReceipt records the outcome of t at position index of the block. The
// first receipt of an id is never replaced: a replay refused later (as
// REPLAYED, or as EXPIRED, which is checked first) leaves it as it is. An
// accepted transaction has none yet: Apply made sure of it. A refused
// spending transaction is also recorded for Replays. It reports whether it
// wrote a receipt.
func WriteReceipt(w Writer, env *Env, t *tx.Tx, index uint32, res Result) bool {
	if res.Code != ledger.OK {
		if w.Get(receiptKey(t.ID)) != nil {
			return false
		}
		if spends(t) && t.Expiry >= env.Height {
			w.Set(rejectedKey(t.Expiry, t.ID), nil)
			if env.Refused == nil {
				env.Refused = make(map[ledger.TxID]uint64)
			}
			env.Refused[t.ID] = t.Expiry
		}
	}
	if env.Check {
		w.Set(receiptKey(t.ID), checkReceipt)
		return true
	}
	w.Set(receiptKey(t.ID), encodeReceipt(&Receipt{
		TxID: t.ID, Height: env.Height, Index: index, Time: env.Time.UnixNano(),
		Kind: t.Msg.Kind(), Signer: t.Signer, Code: res.Code, Log: res.Log, Events: res.Events,
	}))
	return true
}

// exec applies one transaction: each handler checks everything first and only
// then writes.
type exec struct {
	w      Writer
	env    *Env
	tx     *tx.Tx
	events []Event
	// lastToken is the token this transaction last read or wrote, which
	// tiered consults before reading the token again.
	lastToken *Token
}

// eventsPerTx is the room made for a transaction's events: a payment with
// change emits four (one coin spent, two created, the payment).
const eventsPerTx = 4

// emit records an event, unless the transaction is only being checked.
// Callers whose attributes cost something to render test x.env.Check first.
func (x *exec) emit(typ string, kv ...string) {
	if !x.env.Check {
		x.events = append(x.events, event(typ, kv...))
	}
}

func (x *exec) run() *ledger.Rejection {
	switch m := x.tx.Msg.(type) {
	case tx.AuthorizeIssuer:
		return x.authorizeIssuer(m)
	case tx.RegisterAccount:
		return x.registerAccount(m)
	case tx.DeployToken:
		return x.deployToken(m)
	case tx.Mint:
		return x.mint(m)
	case tx.Pay:
		return x.pay(m)
	case tx.Redeem:
		return x.redeem(m)
	case tx.Freeze:
		return x.freeze(m.Token, m.Account, true)
	case tx.Unfreeze:
		return x.freeze(m.Token, m.Account, false)
	case tx.Pause:
		return x.pause(m.Token, true)
	case tx.Unpause:
		return x.pause(m.Token, false)
	case tx.Seize:
		return x.seize(m)
	case tx.TransferOwnership:
		return x.transferOwnership(m)
	case tx.AcceptOwnership:
		return x.acceptOwnership(m)
	case tx.Approve:
		return x.approve(m)
	case tx.SpendFrom:
		return x.spendFrom(m)
	case tx.ConfigureMinter:
		return x.configureMinter(m)
	case tx.Attest:
		return x.attest(m)
	case tx.FeeDeposit:
		return x.feeDeposit(m)
	case tx.SetFeeSchedule:
		return x.setFeeSchedule(m)
	case tx.FeeCollect:
		return x.feeCollect(m)
	case tx.SetRegistrar:
		return x.setRegistrar(m)
	case tx.AliasRegister:
		return x.aliasRegister(m)
	case tx.AliasRevoke:
		return x.aliasRevoke(m)
	case tx.TransferIn:
		return x.transferIn(m)
	case tx.TransferRefund:
		return x.transferRefund(m)
	case tx.TransferAck:
		return x.transferAck(m)
	case tx.TokenImport:
		return x.tokenImport(m)
	case tx.RegionUpdate:
		return x.regionUpdate(m)
	case tx.RegisterCertificate:
		return x.registerCertificate(m)
	case tx.RevokeCertificate:
		return x.revokeCertificate(m)
	case tx.RegisterCreditNode:
		return x.registerCreditNode(m)
	case tx.CreditFund:
		return x.creditFund(m)
	case tx.SetCreditLine:
		return x.setCreditLine(m)
	case tx.CreditRequest:
		return x.creditRequest(m)
	case tx.CreditConfirm:
		return x.creditConfirm(m)
	case tx.CreditReceipt:
		return x.creditReceipt(m)
	case tx.CreditRepay:
		return x.creditRepay(m)
	case tx.CreditIncrease:
		return x.creditIncrease(m)
	case tx.CreditIncreaseDecision:
		return x.creditIncreaseDecision(m)
	case tx.CreditRequestIn:
		return x.creditRequestIn(m)
	case tx.CreditPaidIn:
		return x.creditPaidIn(m)
	case tx.CreditRepaidIn:
		return x.creditRepaidIn(m)
	case tx.SetTradeRules:
		return x.setTradeRules(m)
	case tx.SetKycTiers:
		return x.setKycTiers(m)
	case tx.TradeOffer:
		return x.tradeOffer(m)
	case tx.TradeCounter:
		return x.tradeCounter(m)
	case tx.TradeAccept:
		return x.tradeAccept(m)
	case tx.TradeFund:
		return x.tradeFund(m)
	case tx.TradeShip:
		return x.tradeShip(m)
	case tx.TradeConfirm:
		return x.tradeConfirm(m)
	case tx.TradeSettle:
		return x.tradeSettle(m)
	case tx.TradeDispute:
		return x.tradeDispute(m)
	case tx.TradeResolve:
		return x.tradeResolve(m)
	case tx.TradeCancel:
		return x.tradeCancel(m)
	case tx.SetEndorsePolicy:
		return x.setEndorsePolicy(m)
	case tx.EndorseMint:
		return x.endorseMint(m)
	case tx.CancelMintRequest:
		return x.cancelMintRequest(m)
	}
	return ledger.Reject(ledger.CodeUnknownMessage, "no handler for %s", x.tx.Msg.Kind())
}

func (e *Env) tally() Tally {
	if e.Tally == nil {
		e.Tally = make(Tally)
	}
	return e.Tally
}

// CheckTally asserts, at the end of a block, that for every token the coins
// created less the coins destroyed equal the supply minted less the supply
// redeemed, less what left for other regions, plus what came from them
// (deliveries and refunds). A mismatch is a bug that would create or lose money: it panics.
func (e *Env) CheckTally() {
	ids := make([]ledger.TokenID, 0, len(e.Tally))
	for id := range e.Tally {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		f := e.Tally[id]
		in := new(big.Int).Add(&f.Created, &f.Redeemed)
		in.Add(in, &f.Exported)
		out := new(big.Int).Add(&f.Destroyed, &f.Minted)
		out.Add(out, &f.Imported)
		if in.Cmp(out) != 0 {
			panic(fmt.Sprintf("state: block %d broke conservation of %s: created %s destroyed %s minted %s redeemed %s exported %s imported %s",
				e.Height, id, &f.Created, &f.Destroyed, &f.Minted, &f.Redeemed, &f.Exported, &f.Imported))
		}
	}
}

var keyBlockTime = []byte("blk/time")

// EndBlock ends a block: it judges the staleness of every watched reserve,
// and, for a block with transactions, records the block's time so that checks
// outside a block (the mempool's) measure time as the last block did, never by
// a clock. A block without transactions whose reserves keep their status
// writes nothing, so an idle chain keeps its app hash. It returns the events of
// the reserves whose status changed.
func EndBlock(w Writer, env *Env, hadTxs bool) []Event {
	x := &exec{w: w, env: env}
	for _, id := range watched(w) {
		t, rej := x.loadToken(id)
		if rej != nil {
			panic(fmt.Sprintf("state: watched token %s is missing", id))
		}
		status := t.ReserveStatus
		if x.judgeReserve(t) {
			x.saveToken(t)
			x.recordMonth(t, t.Supply, status, money.Amount{}, money.Amount{}, false)
		}
	}
	if hadTxs {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], uint64(env.Time.UnixNano()))
		w.Set(keyBlockTime, b[:])
	}
	return x.events
}

// LastBlockTime is the time of the last block that ran EndBlock; zero before
// the first.
func LastBlockTime(r Reader) time.Time {
	b := r.Get(keyBlockTime)
	if len(b) != 8 {
		return time.Time{}
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(b))).UTC()
}
