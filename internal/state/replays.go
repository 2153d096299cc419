package state

import (
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/tx"
)

// Replays spares a payment the lookup of its own receipt, a read that misses
// for every new transaction and is the dearest part of checking one.
//
// A transaction that spends coins (a payment, a spend on another's
// approval) and is accepted cannot have been accepted before: that would
// have spent its inputs, and a spent coin stays spent. So a receipt for its
// id can exist only if a block refused it, with its inputs left unspent.
// Such refusals are recorded in the state (rej/EXPIRY ID, written with the
// receipt) and, while they have not expired, held here. A spending
// transaction not held here is checked for replay only if it is refused:
// its receipt, if any, then makes the refusal REPLAYED, as the lookup up
// front would have.
//
// Replays is a view of the committed state, not state of its own: with it
// or without it (Env.Replays nil looks every receipt up), every transaction
// gets the same result. It is safe for concurrent use.
type Replays struct {
	mu     sync.RWMutex
	failed map[ledger.TxID]uint64 // refused spending transactions, by id: their expiry
}

// LoadReplays reads the refusals that have not expired at the committed
// height from s.
func LoadReplays(s Scanner, height uint64) (*Replays, error) {
	r := &Replays{failed: make(map[ledger.TxID]uint64)}
	err := s.Scan([]byte(prefixRejected), rejectedKey(height+1, ledger.TxID{}), func(k, _ []byte) bool {
		expiry, id := parseRejectedKey(k)
		r.failed[id] = expiry
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("state: loading refused transactions: %w", err)
	}
	return r, nil
}

// may reports whether id may have a receipt of a refusal.
func (r *Replays) may(id ledger.TxID) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	_, ok := r.failed[id]
	return ok
}

// Commit folds in a committed block's refusals (Env.Refused) and forgets
// those that expire before the next height.
func (r *Replays) Commit(height uint64, refused map[ledger.TxID]uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, expiry := range refused {
		r.failed[id] = expiry
	}
	for id, expiry := range r.failed { // in any order: only deletes
		if expiry <= height {
			delete(r.failed, id)
		}
	}
}

// spends reports whether t, if accepted, spends coins it names: then its
// acceptance proves it new (see Replays).
func spends(t *tx.Tx) bool {
	switch t.Msg.(type) {
	case tx.Pay, tx.SpendFrom:
		return true
	}
	return false
}

func rejectedKey(expiry uint64, id ledger.TxID) []byte {
	var e [8]byte
	binary.BigEndian.PutUint64(e[:], expiry)
	return cat([]byte(prefixRejected), e[:], id[:])
}

func parseRejectedKey(k []byte) (uint64, ledger.TxID) {
	k = k[len(prefixRejected):]
	var id ledger.TxID
	copy(id[:], k[8:])
	return binary.BigEndian.Uint64(k[:8]), id
}
