package proof

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/pegledger/peg/internal/ledger"
)

// MaxCachedHeaders bounds the signed headers a Cache remembers: far more
// than the blocks of other regions whose receipts are in flight at once
// (some kilobytes each, decoded), few enough that the cache stays a few
// megabytes.
const MaxCachedHeaders = 1024

// Cache remembers the signed headers of receipt proofs that verified
// (Verify's steps 1 to 5: the header and validators decoded, of the
// trusted chain, the commit for the header, the set trusted, +2/3 of its
// power signed), so that a node decodes a header and checks its commit's
// signatures once: for the first proof of a block of another region that
// enters its mempool, and not again for the other receipts of that block
// the relayers carry, nor when the mempool checks them again after each
// block, nor when their block executes them. Each proof's own parts (its
// chain and height against the header, its paths, its leaf) are checked on
// every use.
//
// What was verified is a pure function of the signed header's and the
// validators' bytes and of the trust, so an entry is keyed by a hash of
// the three: the header and validators as the bytes they arrived as, and
// the trusted chain id and validator set's hash. A header checked against
// another trust, or altered in any byte, is a miss and is verified in
// full; only headers that verified are kept, so a refusal is always found
// again by the checks themselves, with its code. What a caller checks
// besides Verify from its own state (which set it trusts, how old a header
// may be) it still checks on every use. It is safe for concurrent use; when
// full it forgets the oldest entry.
type Cache struct {
	mu    sync.Mutex
	m     map[[sha256.Size]byte]*cmttypes.SignedHeader
	order [][sha256.Size]byte // insertion order, for eviction
}

// NewCache returns an empty cache.
func NewCache() *Cache { return &Cache{m: make(map[[sha256.Size]byte]*cmttypes.SignedHeader)} }

// Verify is Verify(p, trust), with p's signed header taken from the cache
// when it verified against this trust before. The Verified's Header is
// then shared: callers do not change it. A nil Cache verifies every time.
func (c *Cache) Verify(p *Receipt, trust Trust) (*Verified, *ledger.Rejection) {
	return verify(p, trust, c)
}

// key hashes what a header's verification depends on: its signed header's
// and validators' bytes and the trust, each after its length, so that two
// different inputs never frame the same bytes. A nil Cache needs none.
func (c *Cache) key(signedHeader, validators []byte, trust Trust) [sha256.Size]byte {
	var k [sha256.Size]byte
	if c == nil {
		return k
	}
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	for _, b := range [][]byte{[]byte(trust.ChainID), trust.Validators.Hash(), signedHeader, validators} {
		h.Write(binary.AppendUvarint(n[:0], uint64(len(b))))
		h.Write(b)
	}
	h.Sum(k[:0])
	return k
}

// get returns the signed header that verified under k, shared: callers do
// not change it.
func (c *Cache) get(k [sha256.Size]byte) (*cmttypes.SignedHeader, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	sh, ok := c.m[k]
	return sh, ok
}

// put records that sh verified under k.
func (c *Cache) put(k [sha256.Size]byte, sh *cmttypes.SignedHeader) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; ok {
		return
	}
	if len(c.order) >= MaxCachedHeaders {
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
	c.m[k] = sh
	c.order = append(c.order, k)
}
