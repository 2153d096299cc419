package state

import (
	"sync"

	"github.com/pegledger/peg/internal/ledger"
)

// MaxAdmittedCoins bounds the coins Admitted holds: the inputs of the
// mempool's payments, a few blocks' worth at full speed.
const MaxAdmittedCoins = 1 << 18

// Admitted remembers unspent coins that the mempool's checks read from the
// committed state, so that the block spending them need not read them again:
// with a deep mempool, the coin has often left the store's read cache by
// then, and reading it from disk was a fifth of a block's time.
//
// A coin's record never changes: a coin is created once (its id hashes its
// transaction's id, which the replay check makes unique) and, once spent,
// gives way to a spent mark. So a coin Admitted holds is as the store has it for as long as no
// committed block has spent it, and Commit forgets the coins each block
// spent. A check's read that a commit overtook is not kept (see put). Within
// a block, a coin the block itself has written (spent, or created) is read
// from the block as before. A block answers the same whatever Admitted
// holds: a coin it lacks is read from the store.
//
// It keeps two generations of coins, as the store's read cache does; a block
// takes out the coins it spends.
type Admitted struct {
	mu      sync.Mutex
	commits uint64 // Commit calls, to tell a read a commit overtook
	limit   int    // coins per generation
	m       map[ledger.CoinID]Coin
	old     map[ledger.CoinID]Coin
}

// NewAdmitted returns an empty Admitted of at most MaxAdmittedCoins coins.
func NewAdmitted() *Admitted {
	return &Admitted{limit: MaxAdmittedCoins / 2, m: make(map[ledger.CoinID]Coin), old: make(map[ledger.CoinID]Coin)}
}

// since is the position to pass put for a read about to begin.
func (a *Admitted) since() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.commits
}

// put keeps c, read from the committed state by a read that began at since,
// unless a block was committed in between: that block may have spent it.
func (a *Admitted) put(c Coin, since uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.commits != since {
		return
	}
	if len(a.m) >= a.limit {
		a.old, a.m = a.m, make(map[ledger.CoinID]Coin, len(a.m))
	}
	a.m[c.ID] = c
}

// take returns the coin id if it is held, and forgets it.
func (a *Admitted) take(id ledger.CoinID) (Coin, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if c, ok := a.m[id]; ok {
		delete(a.m, id)
		return c, true
	}
	c, ok := a.old[id]
	delete(a.old, id)
	return c, ok
}

// Commit forgets the coins a committed block spent (Env.Spent). The caller
// runs it once the block's writes are committed, before the next block.
func (a *Admitted) Commit(spent []ledger.CoinID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.commits++
	for _, id := range spent {
		delete(a.m, id)
		delete(a.old, id)
	}
}

// wrote reports whether w has itself written key: w is a block or a check's
// scratch block and Get answers from its own writes, not the committed state.
// A writer that cannot tell is taken to have written it.
func wrote(w Reader, key []byte) bool {
	b, ok := w.(interface{ Wrote(key []byte) bool })
	return !ok || b.Wrote(key)
}
