package abci

import (
	"crypto/sha256"
	"sync"

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
