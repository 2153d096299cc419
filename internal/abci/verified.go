package abci

import (
	"crypto/sha256"
	"sync"
)

// MaxVerified bounds the signature cache: enough for the mempool's
// transactions between two blocks at full speed, about 6 MiB of hashes.
const MaxVerified = 200_000

// verified remembers transactions whose signatures this node checked when
// they entered the mempool, so that the block that includes them does not
// check them again. It is keyed by the hash of the whole encoded transaction
// (body and signatures), not by the transaction id, which covers the body
// only: the same body with other signatures is another entry. A miss only
// costs a verification, so the cache never changes a block's outcome.
type verified struct {
	mu   sync.Mutex
	set  map[[sha256.Size]byte]struct{}
	ring [][sha256.Size]byte // insertion order, for eviction
	next int
}

func newVerified() *verified {
	return &verified{set: make(map[[sha256.Size]byte]struct{}, MaxVerified)}
}

func (v *verified) has(raw []byte) bool {
	k := sha256.Sum256(raw)
	v.mu.Lock()
	defer v.mu.Unlock()
	_, ok := v.set[k]
	return ok
}

func (v *verified) add(raw []byte) {
	k := sha256.Sum256(raw)
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.set[k]; ok {
		return
	}
	if len(v.ring) < MaxVerified {
		v.ring = append(v.ring, k)
	} else {
		delete(v.set, v.ring[v.next])
		v.ring[v.next] = k
		v.next = (v.next + 1) % MaxVerified
	}
	v.set[k] = struct{}{}
}
