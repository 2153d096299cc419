package abci

import (
	"crypto/sha256"
	"fmt"
	"sync"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/tx"
)

// MaxVerified bounds the transactions the admission cache holds: the
// mempool's transactions between a few blocks at full speed. Each entry keeps a
// parsed transaction, about 1 KiB.
const MaxVerified = 200_000

// verified remembers the consensus transactions (single ones and batches)
// that this node parsed and whose signatures it checked when they entered the
// mempool, so that the block that includes them neither parses nor verifies
// them again. It is keyed by the hash of the whole encoded consensus
// transaction (bodies and signatures), not by a transaction id, which covers
// a body only: the same body with other signatures is another entry. Parsing
// is a pure function of the bytes, so a hit gives exactly what parsing would;
// a miss only costs the work, so the cache never changes a block's outcome.
type verified struct {
	mu    sync.Mutex
	m     map[[sha256.Size]byte][]*tx.Tx
	order [][sha256.Size]byte // insertion order, for eviction
	held  int                 // transactions held, batches unpacked
}

func newVerified() *verified {
	return &verified{m: make(map[[sha256.Size]byte][]*tx.Tx)}
}

// get returns the parsed, verified transactions of raw, if it was admitted;
// with take, it also forgets them.
func (v *verified) get(raw []byte, take bool) ([]*tx.Tx, bool) {
	k := sha256.Sum256(raw)
	v.mu.Lock()
	defer v.mu.Unlock()
	txs, ok := v.m[k]
	if ok && take {
		delete(v.m, k)
		v.held -= len(txs)
	}
	return txs, ok
}

// add records that raw parsed as txs and every signature verified, evicting
// the oldest entries beyond MaxVerified.
func (v *verified) add(raw []byte, txs []*tx.Tx) {
	k := sha256.Sum256(raw)
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.m[k]; ok {
		return
	}
	v.m[k] = txs
	v.order = append(v.order, k)
	v.held += len(txs)
	// order may name entries a block has taken since; they are gone from m.
	for (v.held > MaxVerified || len(v.order) > 2*len(v.m)) && len(v.order) > 1 {
		old := v.order[0]
		v.order = v.order[1:]
		v.held -= len(v.m[old])
		delete(v.m, old)
	}
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

// Prepare parses raws, each one encoded transaction, and verifies their
// signatures in parallel batches. It may run concurrently with anything, so
// the API's requests prepare their batches on every core at once.
func (a *App) Prepare(raws [][]byte) *Prepared {
	p := &Prepared{a: a, raws: raws, txs: make([]*tx.Tx, len(raws)), Rejections: make([]*ledger.Rejection, len(raws))}
	for i, r := range raws {
		p.txs[i], p.Rejections[i] = tx.Parse(r, a.chainID)
	}
	var u unverified
	u.add(p.txs, p.Rejections)
	u.verify()
	return p
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

// Withdraw forgets env, a batch of p's that the mempool did not take. A miss
// later only costs parsing and verifying again.
func (p *Prepared) Withdraw(env []byte) { p.a.verified.drop(env) }

// drop forgets raw, which CheckTx refused: it will not be in a block.
func (v *verified) drop(raw []byte) { v.get(raw, true) }
