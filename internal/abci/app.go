// Package abci adapts Peg's state machine to CometBFT's ABCI: it decodes each
// transaction, applies it to the state, keeps the block's writes in one store
// batch, and commits them with the height and the chained app hash.
package abci

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/proof"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/store"
	"github.com/pegledger/peg/internal/tx"
)

// Version is the application's protocol version, reported to CometBFT. It moves
// up when the state machine's rules change, or what a block commits to
// (5: each consensus transaction's result commits to its receipts).
const Version = 5

// Codespace labels Peg's result codes in CometBFT's transaction results.
const Codespace = "peg"

// App is Peg's ABCI application. Its ABCI connections run beside one another,
// each with a lock of its own: CheckTx runs concurrently with FinalizeBlock,
// never with Commit (CometBFT locks the mempool across it), and Prepare runs
// concurrently with everything. mu guards what they and the API share.
type App struct {
	abcitypes.BaseApplication

	db      *store.DB
	chainID string
	region  ledger.Region
	log     *slog.Logger

	genesis *state.Genesis // loaded at InitChain or on open
	// lastTime is the time of the last finalized block, empty ones included:
	// the mempool's "now". The state records the time only of blocks with
	// transactions (an idle chain keeps its app hash), which on an idle
	// chain would let "now" fall behind the banks' clocks.
	lastTime time.Time
	block    *store.Block // the block between FinalizeBlock and Commit
	env      *state.Env
	// lastWrites is how many keys the last block wrote, to size the next.
	lastWrites int

	mu          sync.Mutex
	committed   chan struct{}           // closed and replaced at each commit
	blockEvents map[int64][]state.Event // recent blocks' own events, by height
	eventsFrom  int64                   // the first height blockEvents holds: the first this process committed
	listings    map[int64][]tx.Listing  // recent blocks' transactions, by height
	verified    *verified               // signatures checked on mempool entry
	preparing   chan struct{}           // a slot for each Prepare running (PrepareCores)
	held        int                     // slots the executing block holds (holdCores)
	checkTokens *state.TokenCache       // decoded tokens for CheckTx
	blockTokens *state.TokenCache       // decoded tokens for FinalizeBlock
	proofs      *proof.Cache            // other regions' proofs verified, for CheckTx and FinalizeBlock
	pending     []state.Event           // the finalized block's events, until Commit
	listing     []tx.Listing            // the finalized block's transactions, until Commit
	// replays follows the committed refusals, so that payments skip the
	// lookup of their own receipt (see state.Replays).
	replays *state.Replays
	// unspent holds the committed state's unspent coins (see
	// state.Unspent).
	unspent *state.Unspent
	// leaves gathers a consensus transaction's receipt leaves in
	// FinalizeBlock, its buffer kept from one to the next.
	leaves Leaves
}

// MaxBlockEventsKept bounds how many recent blocks' block-level events (reserve
// status changes found at the end of a block) the app keeps in memory for the
// API's event stream and block pages. Older ones, and those of blocks
// committed before the process started, are in the consensus engine's
// store of block results (see node's chain.BlockEvents).
const MaxBlockEventsKept = 4096

// BlockEvents returns the block-level events of a recent committed block,
// and whether the app holds them: false for a block committed before this
// process started or more than MaxBlockEventsKept blocks ago.
func (a *App) BlockEvents(height int64) ([]state.Event, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.eventsFrom == 0 || height < a.eventsFrom || height <= int64(a.db.Height())-MaxBlockEventsKept {
		return nil, false
	}
	return a.blockEvents[height], true
}

// MaxListingsKept bounds how many recent blocks' listings the app keeps
// (Listing): some 360 KB a full block, a few seconds of blocks at full speed.
const MaxListingsKept = 16

// Listing returns the transactions of a recent committed block, batches
// unpacked, as tx.List lists their encodings: taken from the transactions
// the block parsed, so that a client following the chain costs the node
// neither the block's loading nor a hash of each transaction. ok is false
// for a block too old or not yet committed. The slice is shared: callers
// read it and do not change it.
func (a *App) Listing(height int64) (listed []tx.Listing, ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	listed, ok = a.listings[height]
	return listed, ok
}

// New returns an application over db for a chain in region.
func New(db *store.DB, chainID string, region ledger.Region, log *slog.Logger) (*App, error) {
	a := &App{db: db, chainID: chainID, region: region, log: log, committed: make(chan struct{}),
		blockEvents: make(map[int64][]state.Event), listings: make(map[int64][]tx.Listing), verified: newVerified(),
		preparing:   make(chan struct{}, PrepareCores()),
		checkTokens: state.NewTokenCache(), blockTokens: state.NewTokenCache(), proofs: proof.NewCache()}
	start, snap := time.Now(), db.Snapshot()
	u, err := state.LoadUnspent(snap, snap.Height)
	snap.Close()
	if err != nil {
		return nil, err
	}
	a.unspent = u
	log.Info("unspent coins loaded", "coins", u.Len(), "took", time.Since(start).Round(time.Millisecond))
	if db.Initialized() {
		g, err := state.LoadGenesis(db)
		if err != nil {
			return nil, err
		}
		a.genesis = &g
		if err := a.loadReplays(); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// loadReplays reads the refusals of the committed state.
func (a *App) loadReplays() error {
	snap := a.db.Snapshot()
	defer snap.Close()
	r, err := state.LoadReplays(snap, snap.Height)
	if err != nil {
		return err
	}
	a.replays = r
	return nil
}

// ChainID is the chain this application serves.
func (a *App) ChainID() string { return a.chainID }

// Unspent is the committed state's unspent coins, with their owner index.
func (a *App) Unspent() *state.Unspent { return a.unspent }

// Region is the region this chain serves.
func (a *App) Region() ledger.Region { return a.region }

// Committed returns a channel closed at the next commit.
func (a *App) Committed() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.committed
}

// Info tells CometBFT where the application's state stands, so that it replays
// the blocks the application lacks.
func (a *App) Info(context.Context, *abcitypes.RequestInfo) (*abcitypes.ResponseInfo, error) {
	res := &abcitypes.ResponseInfo{Data: "peg", Version: fmt.Sprint(Version), AppVersion: Version}
	if a.db.Initialized() && a.db.Height() > 0 {
		res.LastBlockHeight = int64(a.db.Height())
		res.LastBlockAppHash = a.db.AppHash()
	}
	return res, nil
}

// InitChain writes the genesis state and commits it at height 0. If genesis is
// already committed (a restart before the first block), it answers the same
// app hash again.
func (a *App) InitChain(_ context.Context, req *abcitypes.RequestInitChain) (*abcitypes.ResponseInitChain, error) {
	if req.ChainId != a.chainID {
		return nil, fmt.Errorf("abci: genesis is for chain %q, node configured for %q", req.ChainId, a.chainID)
	}
	if a.db.Initialized() {
		return &abcitypes.ResponseInitChain{AppHash: a.db.AppHash()}, nil
	}
	var g state.Genesis
	dec := json.NewDecoder(bytes.NewReader(req.AppStateBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&g); err != nil {
		return nil, fmt.Errorf("abci: genesis app_state: %w", err)
	}
	if err := g.CheckMember(a.chainID, a.region); err != nil {
		return nil, err
	}
	blk := a.db.NewBlock()
	if err := state.InitGenesis(blk, g); err != nil {
		return nil, err
	}
	if err := blk.Commit(0); err != nil {
		return nil, err
	}
	a.genesis = &g
	if err := a.loadReplays(); err != nil {
		return nil, err
	}
	a.log.Info("genesis committed", "chain", a.chainID, "operator", g.Operator, "app_hash", fmt.Sprintf("%X", a.db.AppHash()))
	return &abcitypes.ResponseInitChain{AppHash: a.db.AppHash()}, nil
}

// CheckTx admits a transaction, or a batch of them, to the mempool if each
// decodes, its signatures verify and it would apply to the committed state as
// it stands (a batch's transactions in order, each seeing the ones before).
// A batch is admitted whole or not at all: if any of its transactions is
// refused, the answer is BATCH_REJECTED with every transaction's own result in
// Data (see EncodeBatchResults), so that the gateway can drop the refused ones
// and submit the rest.
func (a *App) CheckTx(_ context.Context, req *abcitypes.RequestCheckTx) (*abcitypes.ResponseCheckTx, error) {
	if a.genesis == nil {
		return &abcitypes.ResponseCheckTx{Code: uint32(ledger.CodeUnknownMessage), Log: "chain not initialised", Codespace: Codespace}, nil
	}
	txs, rejs, rej := a.decode(req.Tx)
	if rej != nil {
		return &abcitypes.ResponseCheckTx{Code: uint32(rej.Code), Log: rej.Message, Codespace: Codespace}, nil
	}
	env := a.checkEnv()
	blk := a.db.NewBlockSized(len(txs) * checkWritesPerTx)
	refused := 0
	for i, t := range txs {
		if rejs[i] != nil {
			refused++
			continue
		}
		// Deliver, not Apply: the receipt it writes to this scratch block
		// makes a transaction sent twice in one batch a replay.
		if res := state.Deliver(blk, env, t, uint32(i)); res.Code != ledger.OK {
			rejs[i] = &ledger.Rejection{Code: res.Code, Message: res.Log}
			refused++
		}
	}
	if refused > 0 {
		a.verified.drop(req.Tx)
	}
	if !tx.IsBatch(req.Tx) {
		if rejs[0] != nil {
			return &abcitypes.ResponseCheckTx{Code: uint32(rejs[0].Code), Log: rejs[0].Message, Codespace: Codespace}, nil
		}
	} else if refused > 0 {
		first := slices.IndexFunc(rejs, func(r *ledger.Rejection) bool { return r != nil })
		return &abcitypes.ResponseCheckTx{Code: uint32(ledger.CodeBatchRejected), Codespace: Codespace,
			Log:  fmt.Sprintf("%d of the batch's %d transactions refused; the first, %d: %s", refused, len(txs), first, rejs[first]),
			Data: EncodeBatchResults(rejs)}, nil
	}
	a.verified.add(req.Tx, txs)
	return &abcitypes.ResponseCheckTx{Codespace: Codespace}, nil
}

// checkWritesPerTx sizes a check's scratch block: a payment with change
// writes eight keys.
const checkWritesPerTx = 8

// checkEnv is the environment of mempool checks: the next height, and the
// time of the last block, empty ones included.
func (a *App) checkEnv() *state.Env {
	now := state.LastBlockTime(a.db)
	a.mu.Lock()
	if a.lastTime.After(now) {
		now = a.lastTime
	}
	a.mu.Unlock()
	return &state.Env{ChainID: a.chainID, Region: a.region, Height: a.db.Height() + 1, Time: now, Genesis: *a.genesis,
		Tokens: a.checkTokens, Check: true, Replays: a.replays, Unspent: a.unspent, Proofs: a.proofs}
}

// FinalizeBlock applies the block's transactions in order, batches unpacked,
// and returns their results and the new app hash. Nothing is written to disk
// until Commit. A batch's result is the batch's own (OK unless its envelope is
// malformed); each transaction in it has its own receipt.
func (a *App) FinalizeBlock(_ context.Context, req *abcitypes.RequestFinalizeBlock) (*abcitypes.ResponseFinalizeBlock, error) {
	if a.genesis == nil {
		return nil, fmt.Errorf("abci: block %d before genesis", req.Height)
	}
	a.holdCores()
	env := &state.Env{ChainID: a.chainID, Region: a.region, Height: uint64(req.Height), Time: req.Time, Genesis: *a.genesis,
		Tokens: a.blockTokens, Replays: a.replays, Unspent: a.unspent, Proofs: a.proofs}
	// A block writes about as many keys as the one before it did.
	blk := a.db.NewBlockSized(a.lastWrites)
	results := make([]*abcitypes.ExecTxResult, len(req.Txs))
	index := uint32(0)
	decoded := a.decodeBlock(req.Txs)
	n := 0
	for _, d := range decoded {
		n += max(1, len(d.txs))
	}
	listing := make([]tx.Listing, 0, n)
	for i, d := range decoded {
		listing = d.list(listing, req.Txs[i])
		if d.rej != nil {
			results[i] = &abcitypes.ExecTxResult{Code: uint32(d.rej.Code), Log: d.rej.Message, Codespace: Codespace}
			continue
		}
		if !d.batch {
			results[i] = a.deliver(blk, env, index, d.txs[0], d.rejs[0])
			index++
			continue
		}
		accepted := 0
		for k, t := range d.txs {
			if a.deliverInBatch(blk, env, index, t, d.rejs[k]) {
				accepted++
			}
			index++
		}
		results[i] = &abcitypes.ExecTxResult{Codespace: Codespace, Data: a.leaves.root(),
			Log: fmt.Sprintf("batch of %d transactions: %d accepted", len(d.txs), accepted)}
	}
	env.CheckTally()
	blockEvents := state.EndBlock(blk, env, index > 0)
	a.mu.Lock()
	a.lastTime = req.Time
	a.mu.Unlock()
	a.block, a.env, a.lastWrites = blk, env, blk.Writes()
	a.logReserve(blockEvents)
	a.pending, a.listing = blockEvents, listing
	return &abcitypes.ResponseFinalizeBlock{TxResults: results, Events: abciEvents(blockEvents), AppHash: blk.Hash()}, nil
}

// deliver applies one transaction. A transaction that does not decode or whose
// signatures fail leaves no receipt: otherwise anyone could burn the id of a
// transaction they cannot sign. A replay leaves the first receipt alone. The
// result's Data commits to the receipt it wrote (Leaves).
func (a *App) deliver(blk *store.Block, env *state.Env, i uint32, t *tx.Tx, rej *ledger.Rejection) *abcitypes.ExecTxResult {
	if rej != nil {
		return &abcitypes.ExecTxResult{Code: uint32(rej.Code), Log: rej.Message, Codespace: Codespace}
	}
	res := state.Deliver(blk, env, t, i)
	a.logReserve(res.Events)
	a.leaves.Add(t, env.Height, res)
	return &abcitypes.ExecTxResult{Code: uint32(res.Code), Log: res.Log, Codespace: Codespace, Data: a.leaves.root(), Events: events(t, res)}
}

// deliverInBatch applies one transaction of a batch and reports whether it
// was accepted. Its outcome and events are in its receipt; the batch's result
// carries none of them, and its Data commits to the receipts (Leaves).
func (a *App) deliverInBatch(blk *store.Block, env *state.Env, i uint32, t *tx.Tx, rej *ledger.Rejection) bool {
	if rej != nil {
		return false
	}
	res := state.Deliver(blk, env, t, i)
	a.logReserve(res.Events)
	a.leaves.Add(t, env.Height, res)
	return res.Code == ledger.OK
}

// decode parses a consensus transaction, a single one or a batch, and
// verifies the signatures of its transactions in parallel batches. It
// returns each transaction with its own rejection (nil if it parsed and
// verified), or a rejection of the whole when a batch's envelope is wrong.
func (a *App) decode(raw []byte) ([]*tx.Tx, []*ledger.Rejection, *ledger.Rejection) {
	var u unverified
	d := a.parse(raw, &u, false)
	u.verify(runtime.GOMAXPROCS(0))
	return d.txs, d.rejs, d.rej
}

// decodedTx is one consensus transaction, decoded.
type decodedTx struct {
	batch bool
	rej   *ledger.Rejection // the batch's envelope is wrong
	txs   []*tx.Tx
	rejs  []*ledger.Rejection // each transaction's own rejection
}

// parse decodes raw, from the admission cache if this node admitted it, and
// otherwise by parsing it and leaving its signatures to u. A block takes its
// transactions out of the cache: once executed they are not wanted again
// (a replay is refused by its receipt), and the memory is the mempool's.
func (a *App) parse(raw []byte, u *unverified, take bool) decodedTx {
	d := decodedTx{batch: tx.IsBatch(raw)}
	if cached, ok := a.verified.get(raw, take); ok {
		d.txs, d.rejs = cached, make([]*ledger.Rejection, len(cached))
		return d
	}
	inner := [][]byte{raw}
	if d.batch {
		if inner, d.rej = tx.SplitBatch(raw); d.rej != nil {
			return d
		}
	}
	d.txs, d.rejs = make([]*tx.Tx, len(inner)), make([]*ledger.Rejection, len(inner))
	for k, r := range inner {
		d.txs[k], d.rejs[k] = tx.Parse(r, a.chainID)
	}
	u.add(d.txs, d.rejs)
	return d
}

// list appends to out the listing of raw, decoded as d: from its parsed
// transactions when all of them parsed and verified, and otherwise from raw.
func (d decodedTx) list(out []tx.Listing, raw []byte) []tx.Listing {
	if d.rej != nil || slices.ContainsFunc(d.rejs, func(r *ledger.Rejection) bool { return r != nil }) {
		return tx.AppendListings(out, raw)
	}
	for _, t := range d.txs {
		out = append(out, t.Listing())
	}
	return out
}

// decodeBlock decodes a block's transactions, verifying the signatures of
// those this node has not admitted itself together, in parallel batches.
func (a *App) decodeBlock(raws [][]byte) []decodedTx {
	var u unverified
	out := make([]decodedTx, len(raws))
	for i, raw := range raws {
		out[i] = a.parse(raw, &u, true)
	}
	u.verify(runtime.GOMAXPROCS(0))
	return out
}

// unverified gathers parsed transactions whose signatures are to be verified
// together, with where each one's rejection goes.
type unverified struct {
	txs []*tx.Tx
	at  []**ledger.Rejection
}

// add takes the transactions of txs that parsed (rejs[i] is nil).
func (u *unverified) add(txs []*tx.Tx, rejs []*ledger.Rejection) {
	for i, t := range txs {
		if rejs[i] == nil {
			u.txs, u.at = append(u.txs, t), append(u.at, &rejs[i])
		}
	}
}

// verify checks every gathered signature on at most cores goroutines and
// records each failure as its transaction's rejection.
func (u *unverified) verify(cores int) {
	for k, rej := range tx.VerifyBatch(u.txs, cores) {
		*u.at[k] = rej
	}
}

func events(t *tx.Tx, res state.Result) []abcitypes.Event {
	out := []abcitypes.Event{{Type: "tx", Attributes: []abcitypes.EventAttribute{
		{Key: "id", Value: t.ID.String(), Index: true},
		{Key: "kind", Value: t.Msg.Kind(), Index: true},
		{Key: "signer", Value: t.Signer.String(), Index: true},
	}}}
	return append(out, abciEvents(res.Events)...)
}

func abciEvents(es []state.Event) []abcitypes.Event {
	out := make([]abcitypes.Event, 0, len(es))
	for _, e := range es {
		ev := abcitypes.Event{Type: e.Type}
		for _, at := range e.Attrs {
			ev.Attributes = append(ev.Attributes, abcitypes.EventAttribute{Key: at.Key, Value: at.Value})
		}
		out = append(out, ev)
	}
	return out
}

// logReserve writes a structured line for each change of a reserve's status:
// a warning when a reserve enters AT_RISK or STALE, so that log-based alerting
// sees it even without the monitor.
func (a *App) logReserve(es []state.Event) {
	for _, e := range es {
		if e.Type != "reserve.status" {
			continue
		}
		level := slog.LevelInfo
		for _, at := range e.Attrs {
			if at.Key == "to" && at.Value != "OK" {
				level = slog.LevelWarn
			}
		}
		a.log.Log(context.Background(), level, "reserve status changed", eventAttrs(e)...)
	}
}

// eventAttrs renders an event as slog attributes, for the structured log line
// an operator's alerting can match.
func eventAttrs(e state.Event) []any {
	kv := []any{"event", e.Type}
	for _, at := range e.Attrs {
		kv = append(kv, at.Key, at.Value)
	}
	return kv
}

// Commit writes the finalized block to disk in one synced batch. The
// in-memory unspent coins follow the block's writes meanwhile, on another
// core: both are done before the next block begins. If the store fails, the
// node stops, and the coins are loaded from the store again when it starts.
func (a *App) Commit(context.Context, *abcitypes.RequestCommit) (*abcitypes.ResponseCommit, error) {
	if a.block == nil {
		return nil, fmt.Errorf("abci: commit without a finalized block")
	}
	defer a.freeCores()
	followed := make(chan struct{})
	go func() {
		defer close(followed)
		a.unspent.Commit(a.block, a.env.Height)
	}()
	err := a.block.Commit(a.env.Height)
	<-followed
	if err != nil {
		return nil, err
	}
	a.replays.Commit(a.env.Height, a.env.Refused)
	a.verified.commit()
	a.block, a.env = nil, nil
	auditCommitted(a.db, a.region, a.unspent)
	a.mu.Lock()
	h := int64(a.db.Height())
	if a.eventsFrom == 0 {
		a.eventsFrom = h
	}
	if len(a.pending) > 0 {
		a.blockEvents[h] = a.pending
	}
	delete(a.blockEvents, h-MaxBlockEventsKept)
	a.listings[h] = a.listing
	delete(a.listings, h-MaxListingsKept)
	a.pending, a.listing = nil, nil
	close(a.committed)
	a.committed = make(chan struct{})
	a.mu.Unlock()
	return &abcitypes.ResponseCommit{}, nil
}
