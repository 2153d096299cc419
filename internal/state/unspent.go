package state

import (
	"bytes"
	"cmp"
	"container/heap"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

// Unspent holds every unspent coin of the committed state in memory, so that
// neither the mempool's checks nor blocks read from disk the coins they
// spend: a coin made long ago is out of every cache, and reading it from
// Pebble cost a tenth of a payment. It follows the committed state: it is
// loaded from it (LoadUnspent) and Commit applies each committed block's
// coin writes, so that a coin is in it exactly while the store holds the
// coin's record and not its spent mark.
//
// A coin it lacks is read from the store, which tells a spent coin from an
// unknown one; a coin the block (or check) has itself written is read from
// the block. A block answers the same with or without it.
//
// The mempool's checks read it while blocks are committed, so a check may
// find it a block ahead of the store, or behind: it may admit a payment of
// a coin the store does not hold yet, or a double spend of a coin just
// marked spent. Either payment's block, which reads it as the previous
// block left it, settles it, refusing the double spend with COIN_SPENT as it
// refuses two admitted payments of the same coin.
//
// It is also the owner index, which the store does not keep: each owner's
// coins, for the API's balances and coin listings (Balances, CoinsOf). Holding it in
// memory, derived from the coin records, spares every payment two or three
// keys of the store's tree (the index was nearly half of the bytes a payment
// wrote there) and of the app hash. Height names the committed block whose
// coins it holds, so that a query can pair it with a snapshot of the store
// at the same height.
//
// Its coins are held in slots, in pages of a fixed size, found by a map
// from coin id to slot; an owner's list holds slots, four bytes a coin. The
// slots hold no pointers, which keeps them out of the garbage collector's
// way: a coin's token and its owner's region, which many coins share, are
// interned together as the coin's class. Pages, unlike one slice, do not
// copy every coin when they grow. A spent coin's slot goes to the next coin
// created; pages are not given back, so a node whose coins fall far below
// their peak keeps the peak's slots (80 bytes a coin).
type Unspent struct {
	mu      sync.RWMutex
	height  uint64
	slotOf  map[ledger.CoinID]uint32
	pages   []*[unspentPage]unspentCoin
	free    []uint32                              // slots of coins spent, for the next coins
	owners  map[[ledger.KeyHashSize]byte][]uint32 // each key hash's coins' slots, in no order
	classes []coinClass
	classOf map[coinClass]uint32
	// recordClass finds a class from the bytes of a coin's record that
	// encode it, so that a record of a known class is held without
	// decoding (and validating again) its token and region.
	recordClass map[string]uint32
}

// unspentPage is the slots of one page: 4,096 coins, 320 KiB.
const unspentPage = 1 << 12

type unspentCoin struct {
	id     ledger.CoinID
	amount money.Amount
	owner  [ledger.KeyHashSize]byte
	class  uint32 // index in Unspent.classes
	at     uint32 // position in Unspent.owners[owner]
}

type coinClass struct {
	token  ledger.TokenID
	region ledger.Region
}

func newUnspent() *Unspent {
	return &Unspent{slotOf: make(map[ledger.CoinID]uint32), owners: make(map[[ledger.KeyHashSize]byte][]uint32),
		classOf: make(map[coinClass]uint32), recordClass: make(map[string]uint32)}
}

// slot is the coin in slot i. u.mu is held.
func (u *Unspent) slot(i uint32) *unspentCoin {
	return &u.pages[i/unspentPage][i%unspentPage]
}

// LoadUnspent reads the unspent coins of s, the committed state at height.
func LoadUnspent(s Scanner, height uint64) (*Unspent, error) {
	u := newUnspent()
	if err := scanUnspent(s, u.addRecord); err != nil {
		return nil, err
	}
	u.height = height
	return u, nil
}

// scanUnspent calls fn with the id and record of each unspent coin of s, in
// id order.
func scanUnspent(s Scanner, fn func(id ledger.CoinID, record []byte)) error {
	return s.Scan([]byte(prefixCoin), nil, func(k, v []byte) bool {
		if !isSpent(v) {
			fn(ledger.CoinID(k[len(prefixCoin):]), v)
		}
		return true
	})
}

// Len is the number of unspent coins.
func (u *Unspent) Len() int {
	u.mu.RLock()
	defer u.mu.RUnlock()
	return len(u.slotOf)
}

func (u *Unspent) get(id ledger.CoinID) (Coin, bool) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	i, ok := u.slotOf[id]
	if !ok {
		return Coin{}, false
	}
	return u.coin(u.slot(i)), true
}

// coin is the coin e holds. u.mu is held.
func (u *Unspent) coin(e *unspentCoin) Coin {
	cl := u.classes[e.class]
	return Coin{ID: e.id, Token: cl.token, Owner: ledger.AddressOf(cl.region, e.owner), Amount: e.amount}
}

// addRecord holds the coin id whose record (Coin.encode) is b. What lies
// between the record's amount and its owner's key hash (the token, and the
// owner's address up to its region) is its class's encoding: only a record
// of a class not seen before is decoded in full, which also checks that it
// is well formed. u.mu is held, or u is not yet shared.
func (u *Unspent) addRecord(id ledger.CoinID, b []byte) {
	if len(b) < 16+ledger.KeyHashSize {
		panic(fmt.Sprintf("state: coin %s record is corrupt", id))
	}
	class := b[16 : len(b)-ledger.KeyHashSize]
	i, ok := u.recordClass[string(class)]
	if !ok {
		c := decodeCoin(id, b) // a malformed record panics here
		i = u.class(coinClass{token: c.Token, region: c.Owner.Region()})
		u.recordClass[string(class)] = i
	}
	amount, _ := money.FromBytes(b[:16])
	owner := [ledger.KeyHashSize]byte(b[len(b)-ledger.KeyHashSize:])
	if _, dup := u.slotOf[id]; dup {
		panic(fmt.Sprintf("state: coin %s held twice", id))
	}
	var at uint32
	if n := len(u.free); n > 0 {
		at, u.free = u.free[n-1], u.free[:n-1]
	} else {
		at = uint32(len(u.slotOf))
		if at%unspentPage == 0 {
			u.pages = append(u.pages, new([unspentPage]unspentCoin))
		}
	}
	list := u.owners[owner]
	*u.slot(at) = unspentCoin{id: id, amount: amount, owner: owner, class: i, at: uint32(len(list))}
	u.slotOf[id] = at
	u.owners[owner] = append(list, at)
}

// remove forgets coin id, if held: the last of its owner's coins takes its
// place in the owner's list, and its slot is free for the next coin. u.mu
// is held.
func (u *Unspent) remove(id ledger.CoinID) {
	at, ok := u.slotOf[id]
	if !ok {
		return
	}
	delete(u.slotOf, id)
	e := u.slot(at)
	list := u.owners[e.owner]
	last := len(list) - 1
	if moved := list[last]; int(e.at) != last {
		list[e.at] = moved
		u.slot(moved).at = e.at
	}
	switch {
	case last == 0:
		delete(u.owners, e.owner)
	case cap(list) >= 4*last && cap(list) > 16: // give back what an owner that spent most of its coins held
		u.owners[e.owner] = slices.Clone(list[:last])
	default:
		u.owners[e.owner] = list[:last]
	}
	*e = unspentCoin{}
	u.free = append(u.free, at)
}

// CoinPlace is a place in an owner's coins, which are listed in (token,
// coin id) order: a page's last coin, for the page after it.
type CoinPlace struct {
	Token ledger.TokenID
	ID    ledger.CoinID
}

// CoinsOf lists owner's unspent coins, of one token if tok is not empty, in
// (token, coin id) order, those after the place after if it is not nil, at
// most limit of them (0 means all), and the height whose coins they are.
// With a limit it keeps only the first limit coins as it reads the owner's
// list: a page of an owner of a million coins costs a pass over its slots
// and a heap of the page's size, not a sort of a million coins (31 ms,
// BenchmarkOwnerOfAMillion), while a commit waits.
func (u *Unspent) CoinsOf(owner ledger.Address, tok ledger.TokenID, after *CoinPlace, limit int) ([]Coin, uint64) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	page := &slotHeap{u: u}
	for _, at := range u.owners[owner.KeyHash()] {
		if !u.holds(at, owner, tok) || (after != nil && u.placeOf(at).compare(after) <= 0) {
			continue
		}
		switch {
		case limit == 0 || len(page.slots) < limit:
			heap.Push(page, at)
		case page.less(at, page.slots[0]):
			page.slots[0] = at
			heap.Fix(page, 0)
		}
	}
	slices.SortFunc(page.slots, func(a, b uint32) int { return page.compare(a, b) })
	out := make([]Coin, len(page.slots))
	for i, at := range page.slots {
		out[i] = u.coin(u.slot(at))
	}
	return out, u.height
}

// Balances sums owner's unspent coins by token, of one token if tok is not
// empty, in token order, and gives the height whose coins they are.
func (u *Unspent) Balances(owner ledger.Address, tok ledger.TokenID) ([]Balance, uint64, error) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	byClass := make(map[uint32]*Balance)
	for _, at := range u.owners[owner.KeyHash()] {
		if !u.holds(at, owner, tok) {
			continue
		}
		e := u.slot(at)
		b := byClass[e.class]
		if b == nil {
			b = &Balance{Token: u.classes[e.class].token}
			byClass[e.class] = b
		}
		sum, ok := b.Amount.Add(e.amount)
		if !ok {
			return nil, u.height, fmt.Errorf("state: balance of %s in %s overflows", owner, b.Token)
		}
		b.Amount, b.Coins = sum, b.Coins+1
	}
	out := make([]Balance, 0, len(byClass)) // one class a token: the owner's region is fixed
	for _, b := range byClass {
		out = append(out, *b)
	}
	slices.SortFunc(out, func(a, b Balance) int { return strings.Compare(string(a.Token), string(b.Token)) })
	return out, u.height, nil
}

// holds reports whether slot at, in the list of owner's key hash, is a coin
// of owner (its region too) and, if tok is not empty, of tok. u.mu is held.
func (u *Unspent) holds(at uint32, owner ledger.Address, tok ledger.TokenID) bool {
	cl := u.classes[u.slot(at).class]
	return cl.region == owner.Region() && (tok == "" || cl.token == tok)
}

// placeOf is the place of the coin in slot at. u.mu is held.
func (u *Unspent) placeOf(at uint32) CoinPlace {
	e := u.slot(at)
	return CoinPlace{Token: u.classes[e.class].token, ID: e.id}
}

func (p CoinPlace) compare(q *CoinPlace) int {
	return cmp.Or(strings.Compare(string(p.Token), string(q.Token)), bytes.Compare(p.ID[:], q.ID[:]))
}

// slotHeap holds slots with the greatest, in (token, coin id) order, on
// top, so that CoinsOf can drop it for a smaller one. u.mu is held.
type slotHeap struct {
	u     *Unspent
	slots []uint32
}

func (h *slotHeap) compare(a, b uint32) int {
	ea, eb := h.u.slot(a), h.u.slot(b)
	ta, tb := h.u.classes[ea.class].token, h.u.classes[eb.class].token
	return cmp.Or(strings.Compare(string(ta), string(tb)), bytes.Compare(ea.id[:], eb.id[:]))
}

func (h *slotHeap) less(a, b uint32) bool { return h.compare(a, b) < 0 }
func (h *slotHeap) Len() int              { return len(h.slots) }
func (h *slotHeap) Less(i, j int) bool    { return h.less(h.slots[j], h.slots[i]) } // the greatest on top
func (h *slotHeap) Swap(i, j int)         { h.slots[i], h.slots[j] = h.slots[j], h.slots[i] }
func (h *slotHeap) Push(x any)            { h.slots = append(h.slots, x.(uint32)) }
func (h *slotHeap) Pop() any {
	x := h.slots[len(h.slots)-1]
	h.slots = h.slots[:len(h.slots)-1]
	return x
}

// class is the index of cl in u.classes, which it joins if new. u.mu is
// held, or u is not yet shared.
func (u *Unspent) class(cl coinClass) uint32 {
	i, ok := u.classOf[cl]
	if !ok {
		i = uint32(len(u.classes))
		u.classes = append(u.classes, cl)
		u.classOf[cl] = i
	}
	return i
}

// BlockWrites is a committed block's writes, as store.Block gives them.
type BlockWrites interface {
	EachWrite(prefix string, fn func(key string, value []byte, deleted bool))
}

// Commit applies the coin writes of the block at height: a coin created is
// held, a coin marked spent is forgotten. The caller runs it once the
// block's writes are final, while or after the store commits them, and
// before the next block begins.
func (u *Unspent) Commit(b BlockWrites, height uint64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	b.EachWrite(prefixCoin, func(k string, v []byte, deleted bool) {
		var id ledger.CoinID
		copy(id[:], k[len(prefixCoin):])
		if deleted || isSpent(v) {
			u.remove(id)
			return
		}
		u.addRecord(id, v)
	})
	u.height = height
}

// Verify checks that u holds exactly the unspent coins of s.
func (u *Unspent) Verify(s Scanner) error {
	u.mu.RLock()
	defer u.mu.RUnlock()
	n := 0
	var bad error
	err := scanUnspent(s, func(id ledger.CoinID, b []byte) {
		c := decodeCoin(id, b)
		n++
		if bad != nil {
			return
		}
		at, ok := u.slotOf[c.ID]
		if !ok {
			bad = fmt.Errorf("state: unspent coin %s is not held in memory", c.ID)
			return
		}
		if got := u.coin(u.slot(at)); got != c {
			bad = fmt.Errorf("state: coin %s is held as %+v, stored as %+v", c.ID, got, c)
		}
	})
	switch {
	case err != nil:
		return err
	case bad != nil:
		return bad
	case n != len(u.slotOf):
		return fmt.Errorf("state: %d coins held in memory, %d unspent in the store", len(u.slotOf), n)
	case len(u.pages) != (len(u.slotOf)+len(u.free)+unspentPage-1)/unspentPage:
		return fmt.Errorf("state: %d coins and %d free slots in %d pages", len(u.slotOf), len(u.free), len(u.pages))
	}
	listed := 0
	for owner, list := range u.owners {
		listed += len(list)
		for i, at := range list {
			if e := u.slot(at); e.owner != owner || int(e.at) != i || u.slotOf[e.id] != at {
				return fmt.Errorf("state: the owner index lists slot %d at %d of %x, which holds coin %s of %x at %d", at, i, owner, e.id, e.owner, e.at)
			}
		}
	}
	if listed != len(u.slotOf) {
		return fmt.Errorf("state: the owner index lists %d coins of the %d held", listed, len(u.slotOf))
	}
	return nil
}
