package proof

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"sync"

	"github.com/cometbft/cometbft/crypto/merkle"

	"github.com/pegledger/peg/internal/ledger"
)

// MaxCachedProofs bounds the receipt proofs a Cache remembers: far more
// than relayers keep in flight between a transfer's mempool check and its
// block (some kilobytes each: the decoded header and leaf), few enough that
// the cache stays a few megabytes.
const MaxCachedProofs = 4096

// Cache remembers the receipt proofs that verified, so that a node verifies
// a proof once, when the transaction carrying it enters its mempool, and
// not again when its block executes it or when the mempool checks it again
// after each block. That costs a cross-region transfer the decoding of the
// proof's CometBFT JSON and the check of its commit's signatures.
//
// Verify is a pure function of the proof and the trust, so an entry is
// keyed by a hash of both: every field of the proof (the signed header and
// validators as the bytes they arrived as) and the trusted chain and
// validator set's hash. A proof checked against another trust, or altered
// in any byte, is a miss and is verified in full; only proofs that
// verified are kept, so a refusal is always found again by Verify itself,
// with its code. What a caller checks besides Verify from its own state
// (which set it trusts, how old a header may be) it still checks on every
// use. It is safe for concurrent use; when full it forgets the oldest
// entry.
type Cache struct {
	mu    sync.Mutex
	m     map[[sha256.Size]byte]*Verified
	order [][sha256.Size]byte // insertion order, for eviction
}

// NewCache returns an empty cache.
func NewCache() *Cache { return &Cache{m: make(map[[sha256.Size]byte]*Verified)} }

// Verify is Verify(p, trust), answered from the cache when this proof
// verified against this trust before. The Verified it returns is shared:
// callers do not change it. A nil Cache verifies every time.
func (c *Cache) Verify(p *Receipt, trust Trust) (*Verified, *ledger.Rejection) {
	if c == nil {
		return Verify(p, trust)
	}
	k := p.key(trust)
	c.mu.Lock()
	v, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	v, rej := Verify(p, trust)
	if rej != nil {
		return nil, rej
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; !ok {
		if len(c.order) >= MaxCachedProofs {
			delete(c.m, c.order[0])
			c.order = c.order[1:]
		}
		c.m[k] = v
		c.order = append(c.order, k)
	}
	return v, nil
}

// key hashes every field Verify reads of p and of trust, each variable one
// after its length, so that two different inputs never frame the same
// bytes.
func (p *Receipt) key(trust Trust) [sha256.Size]byte {
	w := keyWriter{h: sha256.New()}
	w.bytes([]byte(trust.ChainID))
	w.bytes(trust.Validators.Hash())
	w.int(int64(p.Version))
	w.bytes([]byte(p.ChainID))
	w.int(p.Height)
	w.bytes(p.Leaf)
	w.path(&p.LeafPath)
	w.int(int64(p.Result.Code))
	w.bytes(p.Result.Data)
	w.int(p.Result.GasWanted)
	w.int(p.Result.GasUsed)
	w.path(&p.ResultPath)
	w.bytes(p.SignedHeader)
	w.bytes(p.Validators)
	var k [sha256.Size]byte
	w.h.Sum(k[:0])
	return k
}

type keyWriter struct {
	h   hash.Hash
	buf [binary.MaxVarintLen64]byte
}

func (w *keyWriter) int(v int64) { w.h.Write(binary.AppendVarint(w.buf[:0], v)) }

func (w *keyWriter) bytes(b []byte) {
	w.int(int64(len(b)))
	w.h.Write(b)
}

func (w *keyWriter) path(p *merkle.Proof) {
	w.int(p.Total)
	w.int(p.Index)
	w.bytes(p.LeafHash)
	w.int(int64(len(p.Aunts)))
	for _, a := range p.Aunts {
		w.bytes(a)
	}
}
