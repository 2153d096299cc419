package abci

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/ed25519"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmtversion "github.com/cometbft/cometbft/proto/tendermint/version"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/cometbft/cometbft/version"
	"pgregory.net/rapid"

	"github.com/pegledger/peg/internal/api"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/network"
	"github.com/pegledger/peg/internal/proof"
	"github.com/pegledger/peg/internal/relay"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/store"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// The two-region property test: GB and HK are each a real App over its own
// store, with its own chain id and validators, and the same genesis naming
// both as the regions of one network. Each finalizes its own blocks; the
// test makes each block's header as CometBFT does (types.MakeBlock) and
// signs its commit with the region's validator keys (types.MakeExtCommit),
// so that the receipt proofs it carries between the regions, as a relayer
// would, are proofs of the blocks the Apps executed.

var netHiro = newActor("hiro", "HK")

var (
	netRegions = []ledger.Region{"GB", "HK"}
	netChains  = map[ledger.Region]string{"GB": ledgerChain, "HK": hkChain}
	netHolders = map[ledger.Region][]actor{"GB": {cast.alice, cast.bob}, "HK": {hana, netHiro}}
	netAll     = []actor{cast.alice, cast.bob, hana, netHiro}
	netTokens  = []ledger.TokenID{"gbpt", "eurt"} // both at home in GB
	netNames   = map[ledger.Address]string{cast.alice.addr: "alice", cast.bob.addr: "bob", hana.addr: "hana", netHiro.addr: "hiro",
		cast.minter.addr: "minter", cast.freezer.addr: "freezer", cast.pauser.addr: "pauser", cast.mallory.addr: "mallory",
		cast.issuer.addr: "issuer", cast.attestor.addr: "attestor"}
)

// regionValidators are n validator keys of region, in the order of their
// set, and the set.
func regionValidators(tb failer, region ledger.Region, n int) ([]cmttypes.PrivValidator, *cmttypes.ValidatorSet) {
	keys := make([]ed25519.PrivKey, n)
	vals := make([]*cmttypes.Validator, n)
	for i := range keys {
		keys[i] = ed25519.GenPrivKeyFromSecret(fmt.Appendf(nil, "%s validator %d", region, i))
		vals[i] = cmttypes.NewValidator(keys[i].PubKey(), 10)
	}
	set := cmttypes.NewValidatorSet(vals)
	pvs := make([]cmttypes.PrivValidator, n)
	for _, k := range keys {
		i, _ := set.GetByAddress(k.PubKey().Address())
		if i < 0 {
			tb.Fatalf("validator %X is not in its set", k.PubKey().Address())
		}
		pvs[i] = cmttypes.NewMockPVWithParams(k, false, false)
	}
	return pvs, set
}

// chainRegion is one region of the test's network: its App, its validators,
// and the blocks it committed with their signed headers.
type chainRegion struct {
	code        ledger.Region
	chainID     string
	d           *driver
	pvs         []cmttypes.PrivValidator
	vals        *cmttypes.ValidatorSet
	genesisHash []byte // the app hash after InitChain, which block 1's header carries
	blocks      []*chainBlock
	nonce       uint64
	// times are the blocks' times, which the API reads (BlockTime) from
	// its own goroutines.
	mu    sync.Mutex
	times []time.Time
}

// chainBlock is a committed block: its transactions, their results, the
// app hash after it, and its header with the commit that signed it.
type chainBlock struct {
	txs     [][]byte
	results []*abcitypes.ExecTxResult
	appHash []byte
	id      cmttypes.BlockID
	header  *cmttypes.SignedHeader
}

func (g *chainRegion) height() int64 { return int64(len(g.blocks)) }

// commit finalizes and commits the next block of txs at time at, and makes
// and signs its header: block h's header carries the app hash and the
// results hash of block h-1, as CometBFT's do.
func (g *chainRegion) commit(tb failer, at time.Time, txs [][]byte) *abcitypes.ResponseFinalizeBlock {
	res := g.d.block(at, txs)
	h := g.height() + 1
	lastID, lastCommit, appHash, lastResults := cmttypes.BlockID{}, &cmttypes.Commit{}, g.genesisHash, cmttypes.NewResults(nil).Hash()
	if h > 1 {
		prev := g.blocks[h-2]
		lastID, lastCommit, appHash, lastResults = prev.id, prev.header.Commit, prev.appHash, cmttypes.NewResults(prev.results).Hash()
	}
	blk := cmttypes.MakeBlock(h, cmttypes.ToTxs(txs), lastCommit, nil)
	blk.Header.Populate(cmtversion.Consensus{Block: version.BlockProtocol}, g.chainID, at, lastID, g.vals.Hash(), g.vals.Hash(),
		cmttypes.DefaultConsensusParams().Hash(), appHash, lastResults, g.vals.Proposer.Address)
	parts, err := blk.MakePartSet(cmttypes.BlockPartSizeBytes)
	if err != nil {
		tb.Fatal(err)
	}
	id := cmttypes.BlockID{Hash: blk.Hash(), PartSetHeader: parts.Header()}
	votes := cmttypes.NewVoteSet(g.chainID, h, 0, cmtproto.PrecommitType, g.vals)
	ext, err := cmttypes.MakeExtCommit(id, h, 0, votes, g.pvs, at, false)
	if err != nil {
		tb.Fatal(err)
	}
	g.mu.Lock()
	g.times = append(g.times, at)
	g.mu.Unlock()
	g.blocks = append(g.blocks, &chainBlock{txs: txs, results: res.TxResults, appHash: res.AppHash, id: id,
		header: &cmttypes.SignedHeader{Header: &blk.Header, Commit: ext.ToCommit()}})
	return res
}

// prove is the receipt proof, as JSON, of the transaction at index of block
// height, made as a node makes it: the leaves rebuilt from the stored
// receipts, the next block's signed header, and the validators.
func (g *chainRegion) prove(tb failer, height int64, index int) []byte {
	b := g.blocks[height-1]
	snap := g.d.db.Snapshot()
	leaves := BlockLeaves(snap, uint64(height), b.txs)[index]
	snap.Close()
	p, err := proof.Make(proof.Parts{Leaves: leaves, Results: b.results, Tx: index, SignedHeader: g.blocks[height].header, Validators: g.vals})
	if err != nil {
		tb.Fatal(err)
	}
	raw, err := json.Marshal(p)
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// sign fills body's envelope for this region's chain and signs it as a.
func (g *chainRegion) sign(tb failer, a actor, body *txpb.Body) ([]byte, ledger.TxID) {
	g.nonce++
	body.ChainId, body.ExpiryHeight, body.Signer, body.Nonce = g.chainID, uint64(g.height())+100, a.addr.String(), g.nonce
	raw, id, err := tx.Sign(body, a.priv)
	if err != nil {
		tb.Fatal(err)
	}
	return raw, id
}

// auditedChain serves, from a region's App, the API's reads of its
// committed state and its blocks' times: those of the network audit (GET
// /v1/audit and GET /v1/transfers). The test submits through
// FinalizeBlock, not the API, so the interface's other methods are left to
// the embedded nil api.Chain.
type auditedChain struct {
	api.Chain
	g *chainRegion
}

func (c auditedChain) ChainID() string            { return c.g.chainID }
func (c auditedChain) Region() ledger.Region      { return c.g.code }
func (c auditedChain) Snapshot() *store.Snapshot  { return c.g.d.db.Snapshot() }
func (c auditedChain) Unspent() *state.Unspent    { return c.g.d.app.Unspent() }
func (c auditedChain) Committed() <-chan struct{} { return c.g.d.app.Committed() }

func (c auditedChain) BlockTime(height int64) (time.Time, bool, error) {
	c.g.mu.Lock()
	defer c.g.mu.Unlock()
	if height < 1 || height > int64(len(c.g.times)) {
		return time.Time{}, false, nil
	}
	return c.g.times[height-1], true, nil
}

// netRef is the reference ledger of both regions: a deliberately simple
// model, written from docs/transactions.md, of the kinds the test drives,
// with each kind's checks in the order its spec lists them, and the
// receipts a relayer can carry from one region to the other.
type netRef struct {
	regions map[ledger.Region]*netRefRegion
	relays  []relayItem
}

type netRefRegion struct {
	code     ledger.Region
	tokens   map[ledger.TokenID]*netRefToken
	coins    map[ledger.CoinID]refCoin // unspent
	spent    map[ledger.CoinID]bool
	receipts map[ledger.TxID]ledger.Code
	out, in  map[ledger.CoinID]*netTransfer
	books    map[ledger.TokenID]*netBooks
}

type netRefToken struct {
	home                                bool
	allowance, supply, minted, redeemed uint64
	paused                              bool
	frozen                              map[ledger.Address]bool
}

type netBooks struct{ sent, received, refunded, delivered uint64 }

// netTransfer is a transfer record: outbound on the payer's region,
// inbound on the payee's.
type netTransfer struct {
	token        ledger.TokenID
	payer, payee ledger.Address
	amount       uint64
	status       string
	reason       ledger.Code
	coin         ledger.CoinID
}

// txAt is where a transaction was executed: its region, block and index.
type txAt struct {
	region ledger.Region
	height int64
	index  int
}

// relayItem is what a relayer can carry: to region to, a transaction of
// kind proven by the receipt of the transaction at: a delivery of transfer
// xfer (the payment that sent it), a refund or an ack of it (the
// transfer_in that recorded it, returned or delivered), or the import of
// token (its deployment). If refused, the proven transaction was refused: a payment,
// or a transfer_in of a transfer done already.
type relayItem struct {
	kind    string // transfer-in, transfer-refund, transfer-ack, token-import
	to      ledger.Region
	xfer    ledger.CoinID
	token   ledger.TokenID
	at      txAt
	refused bool
}

// netTx is a transaction as the test means it.
type netTx struct {
	kind    string // deploy, attest, mint, pay, redeem, freeze, unfreeze, pause, unpause, or a relayItem's kind
	signer  actor
	token   ledger.TokenID
	account ledger.Address // mint's recipient, freeze's account
	inputs  []ledger.CoinID
	outputs []refOutput
	amount  uint64
	relay   relayItem
}

func newNetRef() *netRef {
	n := &netRef{regions: map[ledger.Region]*netRefRegion{}}
	for _, code := range netRegions {
		n.regions[code] = &netRefRegion{code: code, tokens: map[ledger.TokenID]*netRefToken{}, coins: map[ledger.CoinID]refCoin{},
			spent: map[ledger.CoinID]bool{}, receipts: map[ledger.TxID]ledger.Code{},
			out: map[ledger.CoinID]*netTransfer{}, in: map[ledger.CoinID]*netTransfer{}, books: map[ledger.TokenID]*netBooks{}}
	}
	return n
}

func (r *netRefRegion) booksOf(id ledger.TokenID) *netBooks {
	if r.books[id] == nil {
		r.books[id] = &netBooks{}
	}
	return r.books[id]
}

// apply runs t, the transaction id at at, and returns its code; every
// transaction the test sends has a sound envelope, so each leaves its first
// receipt.
func (n *netRef) apply(t netTx, id ledger.TxID, at txAt) ledger.Code {
	r := n.regions[at.region]
	if _, seen := r.receipts[id]; seen {
		return ledger.CodeReplayed
	}
	code := n.run(r, t, id, at)
	r.receipts[id] = code
	if code != ledger.OK {
		n.refusedRelays(r, t, id, at, code)
	}
	return code
}

// refusedRelays records what a relayer could carry of t, which r refused:
// the receipt of a payment to other regions, or of a transfer_in of a
// transfer done already. Proofs of refused receipts verify, and are
// refused as PROOF_REFUSED where they are carried.
func (n *netRef) refusedRelays(r *netRefRegion, t netTx, id ledger.TxID, at txAt, code ledger.Code) {
	switch {
	case t.kind == "pay":
		for i, o := range t.outputs {
			if o.owner.Region() != r.code {
				n.relays = append(n.relays, relayItem{kind: "transfer-in", to: o.owner.Region(), xfer: ledger.NewCoinID(id, uint32(i)),
					token: t.token, at: at, refused: true})
			}
		}
	case t.kind == "transfer-in" && code == ledger.CodeTransferDone:
		for _, kind := range []string{"transfer-refund", "transfer-ack"} {
			n.relays = append(n.relays, relayItem{kind: kind, to: t.relay.at.region, xfer: t.relay.xfer, token: t.token, at: at, refused: true})
		}
	}
}

func (n *netRef) run(r *netRefRegion, t netTx, id ledger.TxID, at txAt) ledger.Code {
	switch t.kind {
	case "deploy": // the setup's, of a new token by its issuer
		r.tokens[t.token] = &netRefToken{home: true, allowance: testAllowance, frozen: map[ledger.Address]bool{}}
		n.relays = append(n.relays, relayItem{kind: "token-import", to: "HK", token: t.token, at: at})
		return ledger.OK
	case "transfer-in":
		return n.transferIn(r, t.relay, id, at)
	case "transfer-refund":
		return n.transferRefund(r, t.relay, id)
	case "transfer-ack":
		return n.transferAck(r, t.relay)
	case "token-import":
		if r.tokens[t.relay.token] != nil {
			return ledger.CodeTokenExists
		}
		r.tokens[t.relay.token] = &netRefToken{frozen: map[ledger.Address]bool{}}
		return ledger.OK
	}
	tok := r.tokens[t.token]
	if tok == nil {
		return ledger.CodeUnknownToken
	}
	switch t.kind {
	case "mint":
		return r.mint(tok, t, id)
	case "pay":
		return n.pay(r, tok, t, id, at)
	case "redeem":
		return r.redeem(tok, t, id)
	case "freeze":
		tok.frozen[t.account] = true
	case "unfreeze":
		delete(tok.frozen, t.account)
	case "pause", "unpause":
		tok.paused = t.kind == "pause"
	}
	return ledger.OK // and the setup's attestations, of a reserve well above every mint
}

func (r *netRefRegion) mint(tok *netRefToken, t netTx, id ledger.TxID) ledger.Code {
	switch {
	case tok.paused:
		return ledger.CodePaused
	case tok.frozen[t.signer.addr] || tok.frozen[t.account]:
		return ledger.CodeFrozen
	case t.account.Region() != r.code:
		return ledger.CodeForeignRegion
	case t.amount > tok.allowance:
		return ledger.CodeMinterAllowance
	}
	tok.allowance -= t.amount
	tok.supply += t.amount
	tok.minted += t.amount
	r.coins[ledger.NewCoinID(id, 0)] = refCoin{token: t.token, owner: t.account, amount: t.amount}
	return ledger.OK
}

// inputs checks the coins t's signer spends and returns their total.
func (r *netRefRegion) inputs(t netTx) (uint64, ledger.Code) {
	for i, c := range t.inputs {
		if slices.Contains(t.inputs[:i], c) {
			return 0, ledger.CodeDuplicateInput
		}
	}
	var total uint64
	for _, id := range t.inputs {
		c, ok := r.coins[id]
		switch {
		case !ok && r.spent[id]:
			return 0, ledger.CodeCoinSpent
		case !ok:
			return 0, ledger.CodeUnknownCoin
		case c.token != t.token:
			return 0, ledger.CodeWrongCoinToken
		case c.owner != t.signer.addr:
			return 0, ledger.CodeNotCoinOwner
		}
		total += c.amount
	}
	return total, ledger.OK
}

func (r *netRefRegion) spend(ids []ledger.CoinID) {
	for _, id := range ids {
		delete(r.coins, id)
		r.spent[id] = true
	}
}

func (n *netRef) pay(r *netRefRegion, tok *netRefToken, t netTx, id ledger.TxID, at txAt) ledger.Code {
	if tok.paused {
		return ledger.CodePaused
	}
	if tok.frozen[t.signer.addr] || slices.ContainsFunc(t.outputs, func(o refOutput) bool { return tok.frozen[o.owner] }) {
		return ledger.CodeFrozen
	}
	in, code := r.inputs(t)
	if code != ledger.OK {
		return code
	}
	var out, toOthers uint64
	for _, o := range t.outputs {
		if o.amount%testMinUnit != 0 {
			return ledger.CodeNotMinUnitMultiple
		}
		out += o.amount
		if o.owner != t.signer.addr {
			toOthers += o.amount
		}
	}
	switch {
	case toOthers > testMaxTransfer:
		return ledger.CodeAboveMaxTransfer
	case in != out:
		return ledger.CodeNotConserved
	}
	r.spend(t.inputs)
	for i, o := range t.outputs {
		cid := ledger.NewCoinID(id, uint32(i))
		if o.owner.Region() == r.code {
			r.coins[cid] = refCoin{token: t.token, owner: o.owner, amount: o.amount}
			continue
		}
		r.out[cid] = &netTransfer{token: t.token, payer: t.signer.addr, payee: o.owner, amount: o.amount, status: state.TransferPending}
		r.booksOf(t.token).sent += o.amount
		n.relays = append(n.relays, relayItem{kind: "transfer-in", to: o.owner.Region(), xfer: cid, token: t.token, at: at})
	}
	return ledger.OK
}

func (r *netRefRegion) redeem(tok *netRefToken, t netTx, id ledger.TxID) ledger.Code {
	if tok.paused {
		return ledger.CodePaused
	}
	if tok.frozen[t.signer.addr] {
		return ledger.CodeFrozen
	}
	in, code := r.inputs(t)
	switch {
	case code != ledger.OK:
		return code
	case t.amount%testMinUnit != 0:
		return ledger.CodeNotMinUnitMultiple
	case t.amount > testMaxTransfer:
		return ledger.CodeAboveMaxTransfer
	case t.amount < testMinRedeem:
		return ledger.CodeRedeemBelowMinimum
	case in < t.amount:
		return ledger.CodeNotConserved
	}
	r.spend(t.inputs)
	if change := in - t.amount; change > 0 {
		r.coins[ledger.NewCoinID(id, 0)] = refCoin{token: t.token, owner: t.signer.addr, amount: change}
	}
	tok.supply -= t.amount
	tok.redeemed += t.amount
	return ledger.OK
}

// transferIn delivers, or returns, the transfer that the payment at it.at
// sent, on region r: refused with PROOF_WRONG_CHAIN on the payer's own
// region, PROOF_REFUSED if the payment was refused, TRANSFER_DONE if r
// recorded the transfer already.
func (n *netRef) transferIn(r *netRefRegion, it relayItem, id ledger.TxID, at txAt) ledger.Code {
	switch {
	case it.at.region == r.code:
		return ledger.CodeProofWrongChain
	case it.refused:
		return ledger.CodeProofRefused
	case r.in[it.xfer] != nil:
		return ledger.CodeTransferDone
	}
	o := n.regions[it.at.region].out[it.xfer]
	rec := &netTransfer{token: o.token, payer: o.payer, payee: o.payee, amount: o.amount}
	r.in[it.xfer] = rec
	// Whatever the transaction records, a relayer can carry it back: a
	// refund proven by a delivery is refused, and an ack proven by a return.
	for _, kind := range []string{"transfer-refund", "transfer-ack"} {
		n.relays = append(n.relays, relayItem{kind: kind, to: it.at.region, xfer: it.xfer, token: o.token, at: at})
	}
	tok := r.tokens[o.token]
	switch {
	case tok == nil:
		rec.reason = ledger.CodeUnknownToken
	case tok.paused:
		rec.reason = ledger.CodePaused
	case tok.frozen[o.payee]:
		rec.reason = ledger.CodeFrozen
	}
	if rec.reason != ledger.OK {
		rec.status = state.TransferReturned
		return ledger.OK
	}
	rec.status, rec.coin = state.TransferDelivered, ledger.NewCoinID(id, 0)
	r.coins[rec.coin] = refCoin{token: o.token, owner: o.payee, amount: o.amount}
	r.booksOf(o.token).received += o.amount
	return ledger.OK
}

// transferRefund refunds, on region r, the transfer whose record the
// transfer_in at it.at wrote on the payee's region.
func (n *netRef) transferRefund(r *netRefRegion, it relayItem, id ledger.TxID) ledger.Code {
	o := r.out[it.xfer]
	if o == nil {
		return ledger.CodeTransferUnknown
	}
	in := n.regions[it.at.region].in[it.xfer]
	switch {
	case it.refused:
		return ledger.CodeProofRefused
	case in.status != state.TransferReturned:
		return ledger.CodeTransferNotProven
	case o.status != state.TransferPending:
		return ledger.CodeTransferDone
	}
	o.status, o.coin, o.reason = state.TransferRefunded, ledger.NewCoinID(id, 0), in.reason
	r.coins[o.coin] = refCoin{token: o.token, owner: o.payer, amount: o.amount}
	r.booksOf(o.token).refunded += o.amount
	return ledger.OK
}

// transferAck closes, on region r, the transfer that the transfer_in at
// it.at delivered on the payee's region: no coin moves.
func (n *netRef) transferAck(r *netRefRegion, it relayItem) ledger.Code {
	o := r.out[it.xfer]
	if o == nil {
		return ledger.CodeTransferUnknown
	}
	in := n.regions[it.at.region].in[it.xfer]
	switch {
	case it.refused:
		return ledger.CodeProofRefused
	case in.status != state.TransferDelivered:
		return ledger.CodeTransferNotProven
	case o.status != state.TransferPending:
		return ledger.CodeTransferDone
	}
	o.status = state.TransferDelivered
	r.booksOf(o.token).delivered += o.amount
	return ledger.OK
}

// proves tells whether it proves what its kind needs: a refund a return, an
// ack a delivery; anything else, what it carries.
func (n *netRef) proves(it relayItem) bool {
	switch it.kind {
	case "transfer-refund":
		return n.regions[it.at.region].in[it.xfer].status == state.TransferReturned
	case "transfer-ack":
		return n.regions[it.at.region].in[it.xfer].status == state.TransferDelivered
	}
	return true
}

// open tells whether carrying it would still change anything.
func (n *netRef) open(it relayItem) bool {
	to := n.regions[it.to]
	switch {
	case it.refused:
		return false
	case it.kind == "transfer-in":
		return to.in[it.xfer] == nil
	case it.kind == "transfer-refund":
		return to.out[it.xfer].status == state.TransferPending && n.regions[it.at.region].in[it.xfer].status == state.TransferReturned
	case it.kind == "transfer-ack":
		return to.out[it.xfer].status == state.TransferPending && n.regions[it.at.region].in[it.xfer].status == state.TransferDelivered
	}
	return to.tokens[it.token] == nil
}

// tokenTotals are a token's network books as `peg audit --network` adds
// them up: minted and redeemed at home, the unspent coins of both regions,
// and the transfers in flight (sent, and neither delivered nor refunded).
type tokenTotals struct {
	minted, redeemed, held, inFlight money.Amount
}

func (n *netRef) totals() map[ledger.TokenID]tokenTotals {
	sums := map[ledger.TokenID]*struct{ minted, redeemed, held, inFlight uint64 }{}
	for _, code := range netRegions {
		r := n.regions[code]
		for id, t := range r.tokens {
			if sums[id] == nil {
				sums[id] = &struct{ minted, redeemed, held, inFlight uint64 }{}
			}
			if t.home {
				sums[id].minted, sums[id].redeemed = t.minted, t.redeemed
			}
		}
	}
	for _, code := range netRegions {
		r := n.regions[code]
		for _, c := range r.coins {
			sums[c.token].held += c.amount
		}
		for xid, o := range r.out {
			if in := n.regions[o.payee.Region()].in[xid]; o.status == state.TransferPending && (in == nil || in.status == state.TransferReturned) {
				sums[o.token].inFlight += o.amount
			}
		}
	}
	out := map[ledger.TokenID]tokenTotals{}
	for id, s := range sums {
		out[id] = tokenTotals{money.FromUint64(s.minted), money.FromUint64(s.redeemed), money.FromUint64(s.held), money.FromUint64(s.inFlight)}
	}
	return out
}

// netRun is one test case: both regions, the reference, the network as
// `peg audit --network` reads it, and what each region was sent.
type netRun struct {
	rt      *rapid.T
	now     time.Time
	regions map[ledger.Region]*chainRegion
	ref     *netRef
	net     *network.Network
	sent    map[ledger.Region][]netSent
}

type netSent struct {
	raw  []byte
	id   ledger.TxID
	t    netTx
	what string
}

// newNetRun starts GB (two validators) and HK (three), each with its API
// on a loopback HTTP server for the network audit. stop closes them.
func newNetRun(rt *rapid.T) (n *netRun, stop func()) {
	n = &netRun{rt: rt, now: chainStart, regions: map[ledger.Region]*chainRegion{}, ref: newNetRef(), sent: map[ledger.Region][]netSent{}}
	var regions []state.NetworkRegion
	for i, code := range netRegions {
		g := &chainRegion{code: code, chainID: netChains[code]}
		g.pvs, g.vals = regionValidators(rt, code, 2+i)
		nr := state.NetworkRegion{Region: code, ChainID: g.chainID}
		for _, v := range g.vals.Validators {
			nr.Validators = append(nr.Validators, state.Validator{PubKey: v.PubKey.Bytes(), Power: v.VotingPower})
		}
		regions = append(regions, nr)
		n.regions[code] = g
	}
	gen := ledgerGenesis()
	gen.Network = regions
	endpoints := map[ledger.Region][]string{}
	var closers []func()
	stop = func() {
		for _, c := range slices.Backward(closers) {
			c()
		}
	}
	for _, code := range netRegions {
		g := n.regions[code]
		g.d = newRegionDriver(rt, gen, g.chainID, code)
		closers = append(closers, g.d.Close)
		snap := g.d.db.Snapshot()
		g.genesisHash = snap.AppHash
		snap.Close()
		h := api.New(auditedChain{g: g}, gen, nil)
		srv := httptest.NewServer(h)
		closers = append(closers, func() { srv.Close(); h.Close() })
		endpoints[code] = []string{srv.URL}
	}
	file, err := network.Encode(regions, endpoints)
	if err != nil {
		stop()
		rt.Fatal(err)
	}
	if n.net, err = network.Parse(file); err != nil {
		stop()
		rt.Fatal(err)
	}
	return n, stop
}

// encode signs t for region code, with the proof its relay carries.
func (n *netRun) encode(code ledger.Region, t netTx) netSent {
	b := &txpb.Body{}
	var pr []byte
	if t.relay.kind != "" {
		at := t.relay.at
		pr = n.regions[at.region].prove(n.rt, at.height, at.index)
	}
	switch t.kind {
	case "deploy":
		msgDeploy(ledgerDraft(string(t.token), strings.ToUpper(string(t.token)), currencyOf(t.token)))(b)
	case "attest":
		msgAttest(string(t.token), currencyOf(t.token), fmt.Sprint(t.amount), n.now)(b)
	case "mint":
		msgMint(string(t.token), t.account, fmt.Sprint(t.amount))(b)
	case "pay":
		outs := make([]*txpb.Output, len(t.outputs))
		for i, o := range t.outputs {
			outs[i] = outTo(o.owner, fmt.Sprint(o.amount))
		}
		msgPay(string(t.token), t.inputs, outs...)(b)
	case "redeem":
		msgRedeem(string(t.token), t.inputs, fmt.Sprint(t.amount))(b)
	case "freeze":
		b.Msg = &txpb.Body_Freeze{Freeze: &txpb.Freeze{Token: string(t.token), Account: t.account.String()}}
	case "unfreeze":
		b.Msg = &txpb.Body_Unfreeze{Unfreeze: &txpb.Unfreeze{Token: string(t.token), Account: t.account.String()}}
	case "pause":
		b.Msg = &txpb.Body_Pause{Pause: &txpb.Pause{Token: string(t.token)}}
	case "unpause":
		b.Msg = &txpb.Body_Unpause{Unpause: &txpb.Unpause{Token: string(t.token)}}
	case "transfer-in":
		b.Msg = &txpb.Body_TransferIn{TransferIn: &txpb.TransferIn{Proof: pr, Transfer: t.relay.xfer[:]}}
	case "transfer-refund":
		b.Msg = &txpb.Body_TransferRefund{TransferRefund: &txpb.TransferRefund{Proof: pr, Transfer: t.relay.xfer[:]}}
	case "transfer-ack":
		b.Msg = &txpb.Body_TransferAck{TransferAck: &txpb.TransferAck{Proof: pr, Transfer: t.relay.xfer[:]}}
	case "token-import":
		tok := t.relay.token
		b.Msg = &txpb.Body_TokenImport{TokenImport: &txpb.TokenImport{Proof: pr,
			Contract: tx.DraftToProto(ledgerDraft(string(tok), strings.ToUpper(string(tok)), currencyOf(tok)))}}
	default:
		n.rt.Fatalf("no transaction of kind %q", t.kind)
	}
	raw, id := n.regions[code].sign(n.rt, t.signer, b)
	return netSent{raw: raw, id: id, t: t, what: t.String()}
}

func (t netTx) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s by %s", t.kind, t.token, t.signer.name)
	if !t.account.IsZero() {
		fmt.Fprintf(&b, " account %s", netNames[t.account])
	}
	for _, in := range t.inputs {
		fmt.Fprintf(&b, " in %x", in[:4])
	}
	for _, o := range t.outputs {
		fmt.Fprintf(&b, " out %s:%d", netNames[o.owner], o.amount)
	}
	if t.amount != 0 {
		fmt.Fprintf(&b, " amount %d", t.amount)
	}
	if it := t.relay; it.kind != "" {
		fmt.Fprintf(&b, " for %s (transfer %x, token %s) proven by %s tx %d of block %d", it.to, it.xfer[:4], it.token, it.at.region, it.at.index, it.at.height)
	}
	return b.String()
}

// block signs ts for region code and commits them as its next block.
func (n *netRun) block(code ledger.Region, ts ...netTx) {
	sent := make([]netSent, len(ts))
	for i, t := range ts {
		sent[i] = n.encode(code, t)
	}
	n.commit(code, sent)
}

// commit delivers sent as the next block of region code, a second after the
// network's last block, to the App and to the reference, and compares
// them: every code, then both regions' state and the network's books.
func (n *netRun) commit(code ledger.Region, sent []netSent) {
	n.now = n.now.Add(time.Second)
	g := n.regions[code]
	raws := make([][]byte, len(sent))
	want := make([]ledger.Code, len(sent))
	var log strings.Builder
	for i, s := range sent {
		raws[i] = s.raw
		want[i] = n.ref.apply(s.t, s.id, txAt{region: code, height: g.height() + 1, index: i})
		fmt.Fprintf(&log, "  %d. %s → %s\n", i, s.what, want[i].Name())
	}
	// Admitted first, as on a validator, the block's transactions come
	// parsed and verified from the admission cache; otherwise the block
	// parses and verifies them itself.
	if rapid.Bool().Draw(n.rt, "admitted first") {
		g.d.admit(raws)
	}
	res := g.commit(n.rt, n.now, raws)
	n.sent[code] = append(n.sent[code], sent...)
	for i := range sent {
		if got := ledger.Code(res.TxResults[i].Code); got != want[i] {
			n.rt.Fatalf("%s height %d tx %d: the app answered %s (%s), the reference %s\nblock:\n%s",
				code, g.height(), i, got.Name(), res.TxResults[i].Log, want[i].Name(), &log)
		}
	}
	for _, c := range netRegions {
		if msg := n.compareRegion(c); msg != "" {
			n.rt.Fatalf("after %s height %d: %s: %s\nblock:\n%s", code, g.height(), c, msg, &log)
		}
	}
	if msg := n.compareNetwork(); msg != "" {
		n.rt.Fatalf("after %s height %d: network: %s\nblock:\n%s", code, g.height(), msg, &log)
	}
}

// compareRegion reads a region's committed state back through
// internal/state's queries and returns what disagrees with the reference,
// or "".
func (n *netRun) compareRegion(code ledger.Region) string {
	g, r := n.regions[code], n.ref.regions[code]
	snap := g.d.db.Snapshot()
	defer snap.Close()
	for _, id := range netTokens {
		if msg := compareNetToken(snap, id, r.tokens[id]); msg != "" {
			return msg
		}
		b := r.booksOf(id)
		want := state.Books{Sent: money.FromUint64(b.sent), Received: money.FromUint64(b.received), Refunded: money.FromUint64(b.refunded), Delivered: money.FromUint64(b.delivered)}
		if got := state.BooksOf(snap, id); got != want {
			return fmt.Sprintf("books of %s: the app has %+v, the reference %+v", id, got, want)
		}
	}
	for _, a := range netAll {
		if msg := n.compareCoins(g, r, a); msg != "" {
			return msg
		}
	}
	for _, dir := range []string{state.TransferOut, state.TransferIn} {
		want := map[string]*netTransfer{}
		recs := r.out
		if dir == state.TransferIn {
			recs = r.in
		}
		for id, t := range recs {
			want[id.String()] = t
		}
		var msg string
		err := state.ListTransfers(snap, dir, "", nil, func(t state.Transfer) bool {
			w := want[t.ID.String()]
			delete(want, t.ID.String())
			type view struct {
				status       string
				token        ledger.TokenID
				amount       money.Amount
				payer, payee ledger.Address
				coin         ledger.CoinID
				reason       ledger.Code
			}
			got := view{t.Status, t.Token, t.Amount, t.Payer, t.Payee, t.Coin, t.Reason}
			if w == nil || got != (view{w.status, w.token, money.FromUint64(w.amount), w.payer, w.payee, w.coin, w.reason}) {
				msg = fmt.Sprintf("%s transfer %x: the app has %+v, the reference %+v", dir, t.ID[:4], got, w)
				return false
			}
			return true
		})
		switch {
		case err != nil:
			return fmt.Sprintf("%s transfers: %v", dir, err)
		case msg != "":
			return msg
		case len(want) > 0:
			return fmt.Sprintf("the app lacks %d %s transfers of the reference's", len(want), dir)
		}
	}
	for _, s := range n.sent[code] {
		rc := state.ReceiptByID(snap, s.id)
		want, ok := r.receipts[s.id]
		switch {
		case rc == nil || !ok:
			return fmt.Sprintf("receipt of %s: the app has one: %v, the reference: %v", s.what, rc != nil, ok)
		case rc.Code != want:
			return fmt.Sprintf("receipt %s for %s; the reference has %s", rc.Code.Name(), s.what, want.Name())
		}
	}
	return ""
}

func compareNetToken(snap *store.Snapshot, id ledger.TokenID, want *netRefToken) string {
	got := state.TokenByID(snap, id)
	switch {
	case got == nil && want == nil:
		return ""
	case got == nil || want == nil:
		return fmt.Sprintf("token %s: the app has it: %v, the reference: %v", id, got != nil, want != nil)
	}
	type view struct {
		home                                bool
		supply, minted, redeemed, allowance money.Amount
		paused                              bool
		frozen                              uint64
	}
	g := view{got.Home == "", got.Supply, got.Minted, got.Redeemed, money.Amount{}, got.Paused, got.Frozen}
	w := view{want.home, money.FromUint64(want.supply), money.FromUint64(want.minted), money.FromUint64(want.redeemed),
		money.Amount{}, want.paused, uint64(len(want.frozen))}
	if want.home {
		g.allowance, w.allowance = got.Minters[0].Allowance, money.FromUint64(want.allowance)
	}
	if g != w {
		return fmt.Sprintf("token %s: the app has %+v, the reference %+v", id, g, w)
	}
	return ""
}

// compareCoins holds a's coins and balances on region r to the reference's.
func (n *netRun) compareCoins(g *chainRegion, r *netRefRegion, a actor) string {
	coins, _ := g.d.app.Unspent().CoinsOf(a.addr, "", nil, 0)
	return compareHoldings(g.d.app, coins, r.coins, a)
}

// compareNetwork audits the network as `peg audit --network` does, through
// both regions' APIs (relay.AuditNetwork): it must find conservation
// across the regions and each region's own audit clean, and add up every
// token's books to the reference's.
func (n *netRun) compareNetwork() string {
	a, err := relay.AuditNetwork(context.Background(), n.net)
	if err != nil {
		return fmt.Sprintf("audit: %v", err)
	}
	if !a.OK {
		return fmt.Sprintf("the network audit found %q", a.Problems)
	}
	want := n.ref.totals()
	for _, t := range a.Tokens {
		got := tokenTotals{t.Minted, t.Redeemed, t.Held, t.InFlight}
		if got != want[t.Token] {
			return fmt.Sprintf("token %s: the network audit has %+v, the reference %+v", t.Token, got, want[t.Token])
		}
		delete(want, t.Token)
	}
	if len(want) > 0 {
		return fmt.Sprintf("the network audit lacks tokens %v", want)
	}
	return ""
}

// TestRegionsAgreeWithReference runs two real regions, GB and HK, and
// carries transfers between them as a relayer does, with real receipt
// proofs of their blocks: payments within and across regions both ways,
// mints and redemptions at the tokens' home, freezes and pauses that make
// the payee's region return transfers and the payer's refund them, relays
// delayed, duplicated (TRANSFER_DONE), reordered, replayed (REPLAYED),
// carried to the wrong chain, or proven by a refused transaction
// (PROOF_REFUSED), a refund proven by a delivery or an ack by a return
// (TRANSFER_NOT_PROVEN), acks and refunds of transfers closed already, and
// a token imported late or twice. After every block both regions must agree with the
// reference on every code, receipt, coin, balance, token, transfer record
// and book, and the network audit of `peg audit --network`, read from both
// regions' APIs, must find every token conserved with the reference's
// transfers in flight. At the end every transfer is carried until it is
// refunded, or delivered and acked, and nothing stays in flight.
func TestRegionsAgreeWithReference(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n, stop := newNetRun(rt)
		defer stop()
		n.setup()
		for range rapid.IntRange(1, 20).Draw(rt, "blocks") {
			n.randomBlock()
		}
		n.drain()
	})
}

// setup deploys and attests both tokens in GB, mints to its holders,
// imports gbpt into HK, and gives HK's holders coins by transfers.
func (n *netRun) setup() {
	n.block("GB", netTx{kind: "deploy", signer: cast.issuer, token: "gbpt"}, netTx{kind: "deploy", signer: cast.issuer, token: "eurt"})
	n.block("GB", netTx{kind: "attest", signer: cast.attestor, token: "gbpt", amount: 300_000},
		netTx{kind: "attest", signer: cast.attestor, token: "eurt", amount: 300_000})
	var mints []netTx
	for _, h := range netHolders["GB"] {
		for _, c := range []struct {
			tok    ledger.TokenID
			amount uint64
		}{{"gbpt", 2_000}, {"gbpt", 2_000}, {"eurt", 1_000}} {
			mints = append(mints, netTx{kind: "mint", signer: cast.minter, token: c.tok, account: h.addr, amount: c.amount})
		}
	}
	n.block("GB", mints...)
	n.block("HK", netTx{kind: "token-import", signer: cast.mallory, token: "gbpt", relay: n.ref.relays[0]})
	var pays []netTx
	for i, h := range netHolders["GB"] {
		in := n.ref.regions["GB"].sortedCoins(func(c refCoin) bool { return c.owner == h.addr && c.token == "gbpt" })[0]
		pays = append(pays, netTx{kind: "pay", signer: h, token: "gbpt", inputs: []ledger.CoinID{in},
			outputs: []refOutput{{owner: netHolders["HK"][i].addr, amount: 1_000}, {owner: h.addr, amount: 1_000}}})
	}
	n.block("GB", pays...)
	n.block("GB")
	var ins []netTx
	for _, it := range n.ref.relays {
		if it.kind == "transfer-in" {
			ins = append(ins, netTx{kind: "transfer-in", signer: cast.mallory, token: it.token, relay: it})
		}
	}
	n.block("HK", ins...)
}

// sortedCoins lists r's unspent coins that keep, in id order, so that
// draws from them do not depend on map order.
func (r *netRefRegion) sortedCoins(keep func(refCoin) bool) []ledger.CoinID {
	return sortedCoins(r.coins, keep)
}

// drain carries every open transfer, deliveries then acks and refunds, each
// after a block of its proven region that lets its receipt be proven; then
// a late relayer carries everything once more, which must change nothing.
// It requires every outbound transfer in both Apps to have ended refunded,
// or delivered on both sides (acked on the payer's), and nothing in flight.
func (n *netRun) drain() {
	for _, late := range []bool{false, false, true} {
		for _, code := range netRegions {
			n.block(code)
		}
		for _, code := range netRegions {
			var ts []netTx
			for _, it := range n.ref.relays {
				if it.to == code && it.kind != "token-import" && n.provable(it) && (late || n.ref.open(it)) {
					ts = append(ts, netTx{kind: it.kind, signer: cast.mallory, token: it.token, relay: it})
				}
			}
			n.block(code, ts...)
		}
	}
	for _, code := range netRegions {
		snap := n.regions[code].d.db.Snapshot()
		var open []string
		err := state.ListTransfers(snap, state.TransferOut, "", nil, func(t state.Transfer) bool {
			if t.Status == state.TransferRefunded {
				return true
			}
			other := n.regions[t.To].d.db.Snapshot()
			in, ok := state.LoadTransfer(other, state.TransferIn, t.ID)
			other.Close()
			if t.Status != state.TransferDelivered || !ok || in.Status != state.TransferDelivered {
				open = append(open, fmt.Sprintf("%x %s", t.ID[:4], t.Status))
			}
			return true
		})
		snap.Close()
		if err != nil || len(open) > 0 {
			n.rt.Fatalf("%s: after every relay, transfers neither delivered nor refunded: %q (%v)", code, open, err)
		}
	}
	a, err := relay.AuditNetwork(context.Background(), n.net)
	if err != nil {
		n.rt.Fatal(err)
	}
	for _, t := range a.Tokens {
		if !t.InFlight.IsZero() {
			n.rt.Fatalf("token %s: %s still in flight after every relay", t.Token, t.InFlight)
		}
	}
}

// provable tells whether the receipt it carries can be proven: its block
// has a successor, whose header commits to its result.
func (n *netRun) provable(it relayItem) bool { return n.regions[it.at.region].height() > it.at.height }

// randomBlock draws a region and a block of up to five transactions for it.
func (n *netRun) randomBlock() {
	code := rapid.SampledFrom(netRegions).Draw(n.rt, "region")
	k := rapid.IntRange(0, 5).Draw(n.rt, "transactions")
	sent := make([]netSent, 0, k)
	for range k {
		sent = append(sent, n.randomTx(code, sent))
	}
	n.commit(code, sent)
}

var netKinds = map[ledger.Region][]string{
	"GB": {"pay", "pay", "pay", "pay", "mint", "redeem", "freeze", "unfreeze", "unfreeze", "pause", "unpause", "unpause",
		"relay", "relay", "relay", "relay", "replay"},
	"HK": {"pay", "pay", "pay", "pay", "pay", "freeze", "unfreeze", "unfreeze", "pause", "unpause", "unpause",
		"relay", "relay", "relay", "relay", "replay"},
}

// randomTx draws a transaction for region code; earlier is what its block
// holds so far.
func (n *netRun) randomTx(code ledger.Region, earlier []netSent) netSent {
	rt := n.rt
	t := netTx{kind: rapid.SampledFrom(netKinds[code]).Draw(rt, "kind"), token: rapid.SampledFrom(netTokens).Draw(rt, "token")}
	switch t.kind {
	case "replay":
		if all := append(slices.Clone(n.sent[code]), earlier...); len(all) > 0 {
			return all[rapid.IntRange(0, len(all)-1).Draw(rt, "replayed")]
		}
		t = n.randomPay(code, t)
	case "relay":
		var ok bool
		if t, ok = n.randomRelay(code); !ok {
			t = n.randomPay(code, netTx{token: rapid.SampledFrom(netTokens).Draw(rt, "token")})
		}
	case "pay":
		t = n.randomPay(code, t)
	case "mint":
		t.signer = cast.minter
		t.account = rapid.SampledFrom(netAll).Draw(rt, "to").addr
		t.amount = rapid.Uint64Range(1, 300).Draw(rt, "minted") * testMinUnit
	case "redeem":
		t.signer = rapid.SampledFrom(netHolders[code]).Draw(rt, "holder")
		var in uint64
		t.inputs, in = n.randomInputs(code, t.signer, t.token)
		t.amount = max(testMinRedeem, rapid.SampledFrom([]uint64{testMinRedeem, in, in + testMinUnit, min(in, testMaxTransfer)}).Draw(rt, "redeemed"))
	case "freeze", "unfreeze":
		t.signer = cast.freezer
		t.account = rapid.SampledFrom(netHolders[code]).Draw(rt, "account").addr
	case "pause", "unpause":
		t.signer = cast.pauser
	}
	return n.encode(code, t)
}

// randomInputs draws one or two of owner's coins of tok on region code,
// now and then with a spent coin or one coin twice, and returns them and
// the total of the unspent ones.
func (n *netRun) randomInputs(code ledger.Region, owner actor, tok ledger.TokenID) ([]ledger.CoinID, uint64) {
	r := n.ref.regions[code]
	own := r.sortedCoins(func(c refCoin) bool { return c.owner == owner.addr && c.token == tok })
	var ins []ledger.CoinID
	var total uint64
	for range rapid.IntRange(1, 2).Draw(n.rt, "inputs") {
		if len(own) == 0 {
			break
		}
		i := rapid.IntRange(0, len(own)-1).Draw(n.rt, "coin")
		ins = append(ins, own[i])
		total += r.coins[own[i]].amount
		own = slices.Delete(own, i, i+1)
	}
	spent := slices.Collect(func(yield func(ledger.CoinID) bool) {
		for id := range r.spent {
			if !yield(id) {
				return
			}
		}
	})
	slices.SortFunc(spent, func(a, b ledger.CoinID) int { return strings.Compare(string(a[:]), string(b[:])) })
	switch fault := rapid.IntRange(0, 9).Draw(n.rt, "input fault"); {
	case (fault == 0 || len(ins) == 0) && len(spent) > 0:
		ins = append(ins, spent[rapid.IntRange(0, len(spent)-1).Draw(n.rt, "spent coin")])
	case fault == 1 && len(ins) > 0:
		ins = append(ins, ins[0])
	case len(ins) == 0:
		ins = append(ins, ledger.NewCoinID(ledger.TxID{0xee}, 0)) // a coin no region made
	}
	return ins, total
}

// randomPay draws a payment on region code by one of its holders to anyone
// of either region, mostly with change and within the limits, sometimes of
// all its inputs or over the transfer limit.
func (n *netRun) randomPay(code ledger.Region, t netTx) netTx {
	t.kind = "pay"
	t.signer = rapid.SampledFrom(netHolders[code]).Draw(n.rt, "payer")
	var in uint64
	t.inputs, in = n.randomInputs(code, t.signer, t.token)
	payee := rapid.SampledFrom(netAll).Draw(n.rt, "payee")
	var x uint64
	switch size := rapid.IntRange(0, 9).Draw(n.rt, "amount"); {
	case size == 0 || in < testMinUnit:
		x = max(in, testMinUnit) // all of it
	case size == 1:
		x = testMaxTransfer + testMinUnit // over the limit
	default:
		x = rapid.Uint64Range(1, min(in, testMaxTransfer)/testMinUnit).Draw(n.rt, "part") * testMinUnit
	}
	t.outputs = []refOutput{{owner: payee.addr, amount: x}}
	if x < in && rapid.IntRange(0, 7).Draw(n.rt, "change") > 0 {
		t.outputs = append(t.outputs, refOutput{owner: t.signer.addr, amount: in - x})
	}
	return t
}

// randomRelay draws something a relayer can carry to region code whose
// receipt can be proven (its block has a successor): mostly one still
// open, sometimes one carried already (a duplicate), or any (a refund
// proven by a delivery, a proof of a refused transaction), and now and then one meant for the
// other region (the wrong chain); false if there is none.
func (n *netRun) randomRelay(code ledger.Region) (netTx, bool) {
	wrong := rapid.IntRange(0, 7).Draw(n.rt, "wrong chain") == 0
	pools := map[string][]relayItem{}
	for _, it := range n.ref.relays {
		if (it.to == code) == wrong || !n.provable(it) {
			continue
		}
		pools["any"] = append(pools["any"], it)
		switch {
		case n.ref.open(it):
			pools["open"] = append(pools["open"], it)
		case !it.refused && n.ref.proves(it):
			pools["done"] = append(pools["done"], it)
		}
	}
	pool := pools[rapid.SampledFrom([]string{"open", "open", "open", "open", "done", "any"}).Draw(n.rt, "relay pool")]
	if len(pool) == 0 {
		pool = pools["any"]
	}
	if len(pool) == 0 {
		return netTx{}, false
	}
	it := pool[rapid.IntRange(0, len(pool)-1).Draw(n.rt, "relayed")]
	relayer := rapid.SampledFrom([]actor{cast.mallory, hana}).Draw(n.rt, "relayer") // anyone, of either region
	return netTx{kind: it.kind, signer: relayer, token: it.token, relay: it}, true
}
