package abci

import (
	"context"
	"crypto/sha256"
	"fmt"
	"runtime"
	"sync"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/tx"
)

// MaxVerified bounds the backlog the gateway lets build up in the mempool
// (App.Room): about eight full blocks, four seconds at full speed. Each
// entry of the admission cache keeps a parsed payment, about 700 bytes
// (tx.BenchmarkParsedMemory), beside its 272 encoded bytes in the mempool.
// At 200,000, an overload held 300 MB more of live heap than the node at
// rest, which the collector's headroom doubled, and made every payment wait
// 20 s for its block.
const MaxVerified = 50_000

// MaxCached bounds the transactions the admission cache holds: twice
// MaxVerified, so that the batches of requests that passed Room together,
// and transactions gossiped from peers, find room. With no margin, a tenth
// of the batches at full speed raced past the last room and were parsed and
// verified again by CheckTx and by their block.
const MaxCached = 2 * MaxVerified

// MaxVerifiedAge is how many blocks an entry no block has taken stays in the
// admission cache: a transaction the mempool dropped, or one still waiting
// behind a longer backlog than that, which its block then parses again.
const MaxVerifiedAge = 1000

// verified remembers the consensus transactions (single ones and batches)
// that this node parsed and whose signatures it checked when they entered the
// mempool, so that the block that includes them neither parses nor verifies
// them again. It is keyed by the hash of the whole encoded consensus
// transaction (bodies and signatures), not by a transaction id, which covers
// a body only: the same body with other signatures is another entry. Parsing
// is a pure function of the bytes, so a hit gives exactly what parsing would;
// a miss only costs the work, so the cache never changes a block's outcome.
//
// When full it keeps what it holds and takes no more: the mempool hands
// blocks its oldest transactions first, so under a backlog deeper than the
// cache the next blocks find theirs here. (Dropping the oldest instead left
// every block of a deep backlog to parse its transactions again.)
type verified struct {
	mu      sync.Mutex
	m       map[[sha256.Size]byte]verifiedTxs
	order   []verifiedKey // insertion order, for expiry
	held    int           // transactions held, batches unpacked
	commits uint64        // blocks committed, to age entries
}

type verifiedTxs struct {
	txs []*tx.Tx
	at  uint64 // verified.commits when added
}

type verifiedKey struct {
	k  [sha256.Size]byte
	at uint64
}

func newVerified() *verified {
	return &verified{m: make(map[[sha256.Size]byte]verifiedTxs)}
}

// get returns the parsed, verified transactions of raw, if it was admitted;
// with take, it also forgets them.
func (v *verified) get(raw []byte, take bool) ([]*tx.Tx, bool) {
	k := sha256.Sum256(raw)
	v.mu.Lock()
	defer v.mu.Unlock()
	e, ok := v.m[k]
	if ok && take {
		delete(v.m, k)
		v.held -= len(e.txs)
	}
	return e.txs, ok
}

// add records that raw parsed as txs and every signature verified, unless
// the cache is full.
func (v *verified) add(raw []byte, txs []*tx.Tx) {
	k := sha256.Sum256(raw)
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.m[k]; ok {
		return
	}
	v.expire()
	if v.held+len(txs) > MaxCached {
		return
	}
	v.m[k] = verifiedTxs{txs: txs, at: v.commits}
	v.order = append(v.order, verifiedKey{k: k, at: v.commits})
	v.held += len(txs)
}

// expire forgets, oldest first, the entries MaxVerifiedAge blocks old, and
// drops from order the keys of entries that blocks have taken since. It stops
// at the oldest entry still held and younger. v.mu is held.
func (v *verified) expire() {
	for len(v.order) > 0 {
		o := v.order[0]
		e, ok := v.m[o.k]
		live := ok && e.at == o.at // not taken, nor taken and added again
		if live && v.commits-o.at < MaxVerifiedAge {
			return
		}
		if live {
			delete(v.m, o.k)
			v.held -= len(e.txs)
		}
		v.order = v.order[1:]
	}
}

// room reports whether n more transactions fit, and how many are held.
func (v *verified) room(n int) (bool, int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.expire()
	return v.held+n <= MaxVerified, v.held
}

// commit ages the entries by one block.
func (v *verified) commit() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.commits++
}

// Prepared is a batch of encoded transactions that the gateway parsed and
// verified before offering them to the mempool. CometBFT runs CheckTx one at
// a time; what it then has left to do is the checks against the state.
type Prepared struct {
	a    *App
	raws [][]byte
	txs  []*tx.Tx
	// Rejections holds each transaction's refusal by parsing or by its
	// signatures, nil for those that passed: only those may be batched.
	Rejections []*ledger.Rejection
}

// PrepareCores is how many Prepares run at once between blocks: one on each
// of the machine's cores. While a block executes, from FinalizeBlock to the
// end of its Commit, the chain holds ExecutionCores of those slots itself
// (App.holdCores). Block execution is one goroutine, and Go's scheduler has
// no priorities: with a request preparing on every core, the consensus
// goroutine waited behind them each time it woke, 130 ms a block in all (the
// bench's scheduler latency profile), and blocks came that much later. With
// one slot always left to the chain, the gateway ran ahead of it under load
// and its requests queued for room (App.Room): the same rate, with payments
// waiting twice as long (BENCHMARKS.md, "Settings").
func PrepareCores() int { return runtime.GOMAXPROCS(0) }

// ExecutionCores is how many of the gateway's slots a block takes while it
// executes: one for the block's goroutine and one for what runs beside it
// (the unspent coins following its commit, the store's compactions). On a
// 2-core machine the gateway then waits for the block.
const ExecutionCores = 2

// holdCores takes the slots a block keeps while it executes, waiting for
// the Prepares that hold them to end (a few milliseconds each), unless it
// holds them already: a block's FinalizeBlock is followed by its Commit,
// which frees them, but a node that stops in between finalizes the block
// again when it starts.
func (a *App) holdCores() {
	for ; a.held < min(ExecutionCores, cap(a.preparing)); a.held++ {
		a.preparing <- struct{}{}
	}
}

// freeCores gives the gateway back the slots holdCores took.
func (a *App) freeCores() {
	for ; a.held > 0; a.held-- {
		<-a.preparing
	}
}

// Prepare parses raws, each one encoded transaction, and verifies their
// signatures in batches. It may run concurrently with anything, but at most
// PrepareCores at once, fewer while a block executes (holdCores), each on
// one core (a request of 2,000 payments would otherwise spread its
// signatures over the cores a slot does not stand for): the others wait
// their turn, or until ctx ends, which is Prepare's error.
func (a *App) Prepare(ctx context.Context, raws [][]byte) (*Prepared, error) {
	select {
	case a.preparing <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-a.preparing }()
	p := &Prepared{a: a, raws: raws, txs: make([]*tx.Tx, len(raws)), Rejections: make([]*ledger.Rejection, len(raws))}
	for i, r := range raws {
		p.txs[i], p.Rejections[i] = tx.Parse(r, a.chainID)
	}
	var u unverified
	u.add(p.txs, p.Rejections)
	u.verify(1)
	return p, nil
}

// Batch packs the transactions at indexes, which must have passed Prepare,
// into one consensus transaction, and records them in the admission cache
// under it, so that CheckTx neither parses nor verifies them again.
func (p *Prepared) Batch(indexes []int) ([]byte, error) {
	raws, txs := make([][]byte, len(indexes)), make([]*tx.Tx, len(indexes))
	for k, i := range indexes {
		if rej := p.Rejections[i]; rej != nil {
			return nil, fmt.Errorf("abci: transaction %d of the batch was refused: %s", i, rej)
		}
		raws[k], txs[k] = p.raws[i], p.txs[i]
	}
	env, err := tx.EncodeBatch(raws)
	if err != nil {
		return nil, err
	}
	p.a.verified.add(env, txs)
	return env, nil
}

// Room reports whether the admission cache has room for n more
// transactions, and how many it holds. The gateway refuses a batch that
// does not fit, as it refuses one the mempool has no room for: the mempool
// would take it, but CheckTx and then its block would parse it and verify
// its signatures again, each time on the chain's core. Under a backlog
// deeper than the cache, that was most of the work of every payment past
// it. So the cache, not the mempool's bytes, bounds the backlog the gateway
// builds up (transactions gossiped from peers are checked in full whatever
// its room).
func (a *App) Room(n int) (bool, int) { return a.verified.room(n) }

// Withdraw forgets env, a batch of p's that the mempool did not take. A miss
// later only costs parsing and verifying again.
func (p *Prepared) Withdraw(env []byte) { p.a.verified.drop(env) }

// drop forgets raw, which CheckTx refused: it will not be in a block.
func (v *verified) drop(raw []byte) { v.get(raw, true) }
