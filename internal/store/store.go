// Package store owns Peg's application state on disk: a Pebble database written
// once per block in one synced batch that holds the block's writes, the height and
// the app hash together, so that a crash leaves either the whole block or none
// of it. The app hash chains the previous one with a hash of the block's writes.
//
// A read error from the disk panics: a node that cannot read its state must stop
// rather than answer differently from its peers.
package store

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
)

// CacheSize is the block cache of the state database: enough to keep the
// index and filter blocks and the hot coins of a large ledger in memory.
const CacheSize = 256 << 20

// MemTableSize is the state database's memtable: a few blocks of writes at
// full speed, so that the coins and receipts of recent blocks are read from
// memory and flushes (and the compactions after them) are few and large.
const MemTableSize = 64 << 20

// SeparatedValueSize is the smallest value kept out of the LSM tree, in
// blob files: receipts (a payment's is 225 to 292 bytes) but not coins
// (about 55 bytes) or spent marks (32), which a spend reads.
const SeparatedValueSize = 128

// MaxBlobReferenceDepth bounds how many blob files one table's values may be
// spread over before a compaction copies them into new ones. Each flush
// writes a blob file, and each compaction out of level 0 adds its
// sublevels' files to the tables it writes: at Pebble's usual 10,
// compactions copied the receipts again every few minutes at full speed,
// which undid the point of separating them. Receipts are read one at a
// time, by key (only a comparison of two whole states, state.Diff, scans
// them), so how many files their neighbours are spread over costs little.
const MaxBlobReferenceDepth = 1000

// MaxCachedReads bounds the committed-state values the read cache holds
// (see readCache), some 200 bytes each with their keys: what checks and
// blocks read besides the coins they spend (state.Unspent holds those), such
// as the freeze records of payers and payees, most of them misses.
const MaxCachedReads = 1 << 17

// Keys under metaPrefix describe the store itself and are not part of the hashed
// state.
const metaPrefix = "\x00meta/"

var (
	keyHeight  = []byte(metaPrefix + "height")
	keyAppHash = []byte(metaPrefix + "apphash")
)

// DB is the application's database.
type DB struct {
	db *pebble.DB
	// mu guards the committed position, which Commit moves while the
	// mempool and the API read it.
	mu          sync.RWMutex
	initialized bool // a height record exists: genesis, at least, is committed
	height      uint64
	appHash     []byte
	reads       *readCache
}

// readCache holds values of the committed state that blocks have read, misses
// included (a nil value), and follows each committed block's writes, so that
// it always agrees with the committed state. The mempool's checks and the block
// that later includes the same transactions read the same keys (the coins
// spent, the receipts that must not exist yet): the block finds them here.
// gen counts commits: a value read from the database is kept only if no
// commit happened since the read began.
//
// It keeps two generations, each of up to limit values: when the
// newer fills, it becomes the older and the older is dropped, so what was
// read or written recently stays however long the node runs. A value found
// in the older generation moves to the newer.
type readCache struct {
	mu    sync.RWMutex
	gen   uint64
	limit int               // values per generation
	m     map[string][]byte // the newer generation
	old   map[string][]byte
}

func newReadCache(limit int) *readCache {
	return &readCache{limit: limit, m: make(map[string][]byte), old: make(map[string][]byte)}
}

func (c *readCache) get(key []byte) (v []byte, ok bool, gen uint64) {
	c.mu.RLock()
	v, ok = c.m[string(key)]
	fromOld := false
	if !ok {
		v, ok = c.old[string(key)]
		fromOld = ok
	}
	gen = c.gen
	c.mu.RUnlock()
	if fromOld {
		c.put(key, v, gen)
	}
	return v, ok, gen
}

func (c *readCache) put(key, v []byte, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	c.set(string(key), v)
}

// set caches v at k in the newer generation, first turning the generations
// over if it is full. c.mu is held.
func (c *readCache) set(k string, v []byte) {
	if len(c.m) >= c.limit {
		c.old, c.m = c.m, make(map[string][]byte, len(c.m))
	}
	c.m[k] = v
	delete(c.old, k)
}

// commit brings the cache up to date with a committed block's writes: a
// deleted key is known absent; a value set is dropped if cached, to be read
// again if it is wanted (most are not: a receipt is read again only by a
// replay), which keeps the cache to what blocks read.
func (c *readCache) commit(writes []keyWrite) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, w := range writes {
		k := w.key
		_, inNew := c.m[k]
		_, inOld := c.old[k]
		switch {
		case !inNew && !inOld:
		case w.del:
			c.set(k, nil)
		default:
			delete(c.m, k)
			delete(c.old, k)
		}
	}
}

// cachedGet reads the committed state through the read cache.
func (d *DB) cachedGet(key []byte) []byte {
	v, ok, gen := d.reads.get(key)
	if ok {
		return v
	}
	v = d.get(key)
	d.reads.put(key, v, gen)
	return v
}

// Open opens or creates the database in dir.
func Open(dir string, log *slog.Logger) (*DB, error) {
	cache := pebble.NewCache(CacheSize)
	defer cache.Unref() // the DB holds its own reference
	opts := &pebble.Options{Logger: pebbleLogger{log}, Cache: cache, MemTableSize: MemTableSize,
		FormatMajorVersion: pebble.FormatValueSeparation}
	// Receipts, one per transaction and written once, are most of the bytes
	// a block writes. In blob files of their own they are not rewritten by
	// every compaction that moves their keys down a level.
	opts.Experimental.ValueSeparationPolicy = func() pebble.ValueSeparationPolicy {
		return pebble.ValueSeparationPolicy{
			Enabled:               true,
			MinimumSize:           SeparatedValueSize,
			MaxBlobReferenceDepth: MaxBlobReferenceDepth,
			RewriteMinimumAge:     5 * time.Minute,
			TargetGarbageRatio:    0.2,
		}
	}
	for i := range opts.Levels {
		// Lookups that miss ("was this transaction seen", "is this account
		// frozen", a coin that never existed) are answered by a Bloom
		// filter without reading a block. (Without filters on the bottom
		// level, compactions spent as long on filters as with them: most
		// of their work is above it.)
		opts.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	db, err := pebble.Open(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("store: opening %s: %w", dir, err)
	}
	d := &DB{db: db, reads: newReadCache(MaxCachedReads / 2)}
	if v := d.get(keyHeight); v != nil {
		if len(v) != 8 {
			db.Close()
			return nil, fmt.Errorf("store: height record has %d bytes", len(v))
		}
		d.initialized = true
		d.height = binary.BigEndian.Uint64(v)
		d.appHash = d.get(keyAppHash)
	}
	return d, nil
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// Height is the last committed block height; 0 when only genesis (or nothing)
// is committed.
func (d *DB) Height() uint64 {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.height
}

// Initialized reports whether genesis has been committed.
func (d *DB) Initialized() bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.initialized
}

// AppHash is the app hash as of Height.
func (d *DB) AppHash() []byte {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return slices.Clone(d.appHash)
}

func (d *DB) get(key []byte) []byte {
	v, closer, err := d.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil
	}
	if err != nil {
		panic(fmt.Sprintf("store: reading %q: %v", key, err))
	}
	defer closer.Close()
	return slices.Clone(v)
}

// write is a pending change: a value, or a deletion.
type write struct {
	val []byte
	del bool
}

// keyWrite is a block's last write to key.
type keyWrite struct {
	key string
	write
}

// Block gathers one block's writes in memory. Reads see the block's own writes,
// and inside a transaction (Begin) the transaction's writes, which Discard drops
// and Keep folds into the block. Nothing reaches the disk before Commit.
//
// The writes are kept in a slice, in the order the block first wrote each
// key, with a map to find them. Once the block has ended, Hash sorts their
// keys, for the hash and for Pebble, whose memtable takes keys in order
// several times faster than in any other.
type Block struct {
	db     *DB
	writes []keyWrite     // the last write to each key, in order of first write
	index  map[string]int // key → its position in writes
	sorted []keyAt        // the keys in order, once the block has ended
	inTx   bool           // between Begin and Keep or Discard
	mark   int            // len(writes) at Begin: later keys are the transaction's own
	undo   []undo         // what the transaction overwrote of keys before mark
	hash   []byte
	ended  bool // Hash was taken: no more writes
}

// NewBlock starts gathering a block's writes on top of the committed state.
func (d *DB) NewBlock() *Block { return d.NewBlockSized(0) }

// NewBlockSized is NewBlock with room for about writes writes, so that a
// large block's writes do not grow by copying and rehashing as it fills.
func (d *DB) NewBlockSized(writes int) *Block {
	return &Block{db: d, writes: make([]keyWrite, 0, writes), index: make(map[string]int, writes)}
}

// Writes is the number of keys the block has written so far.
func (b *Block) Writes() int { return len(b.writes) }

// Get returns the value at key, or nil if there is none. Callers must not
// modify the returned slice.
func (b *Block) Get(key []byte) []byte {
	if i, ok := b.index[string(key)]; ok {
		return b.writes[i].val
	}
	return b.db.cachedGet(key)
}

// Wrote reports whether the block has written key (set or deleted it), so
// that Get answers from the block rather than from the committed state.
func (b *Block) Wrote(key []byte) bool {
	_, ok := b.index[string(key)]
	return ok
}

// Set stores value at key. The block keeps its own copy of key but value
// itself, which the caller must not modify afterwards: every write's value
// is made for it (an encoded record), and copying it was an allocation per
// write. An empty value is a value: Get returns it as an empty, non-nil
// slice.
func (b *Block) Set(key, value []byte) {
	if value == nil {
		value = []byte{}
	}
	b.write(string(key), write{val: value})
}

// EachWrite calls fn with each key under prefix the block has written, in
// the order it first wrote them, and the key's last value or its deletion.
// fn must not modify value.
func (b *Block) EachWrite(prefix string, fn func(key string, value []byte, deleted bool)) {
	for _, w := range b.writes {
		if strings.HasPrefix(w.key, prefix) {
			fn(w.key, w.val, w.del)
		}
	}
}

// Delete removes key.
func (b *Block) Delete(key []byte) {
	b.write(string(key), write{del: true})
}

// write records w at k, and inside a transaction what it replaced of a key
// the block wrote before, so that Discard can put it back.
func (b *Block) write(k string, w write) {
	if b.ended {
		panic("store: write after the block's hash was taken")
	}
	i, ok := b.index[k]
	if !ok {
		b.index[k] = len(b.writes)
		b.writes = append(b.writes, keyWrite{key: k, write: w})
		return
	}
	if b.inTx && i < b.mark {
		b.undo = append(b.undo, undo{at: i, prev: b.writes[i].write})
	}
	b.writes[i].write = w
}

// undo is what one write inside a transaction replaced of a key the block
// had written before the transaction began.
type undo struct {
	at   int // position in Block.writes
	prev write
}

// Begin starts a transaction's writes.
func (b *Block) Begin() {
	if b.inTx {
		panic("store: nested transaction")
	}
	b.inTx, b.mark = true, len(b.writes)
}

// Keep folds the transaction's writes into the block.
func (b *Block) Keep() {
	b.inTx, b.undo = false, b.undo[:0]
}

// Discard drops the transaction's writes: the keys it wrote first are
// forgotten, and the others get back, newest first, what each write
// replaced.
func (b *Block) Discard() {
	for i := len(b.undo) - 1; i >= 0; i-- {
		u := b.undo[i]
		b.writes[u.at].write = u.prev
	}
	for _, w := range b.writes[b.mark:] {
		delete(b.index, w.key)
	}
	clear(b.writes[b.mark:]) // drop the values for the collector
	b.writes = b.writes[:b.mark]
	b.inTx, b.undo = false, b.undo[:0]
}

// Hash ends the block and returns its app hash:
// SHA-256(previous app hash || SHA-256 of the block's writes in key order).
// Each write contributes its key length, key, a tag (1 set, 0 delete), and for a
// set the value length and value. A block that writes nothing leaves the app
// hash as it was, so that consensus need not make proof blocks for it and idle
// chains produce blocks only at the empty-block interval.
func (b *Block) Hash() []byte {
	if b.inTx {
		panic("store: block ended inside a transaction")
	}
	if b.ended {
		return b.hash
	}
	b.ended = true
	if len(b.writes) == 0 {
		b.hash = b.db.AppHash()
		return b.hash
	}
	b.sorted = make([]keyAt, len(b.writes))
	for i, v := range b.writes {
		b.sorted[i] = keyAt{head: keyHead(v.key), key: v.key, at: i}
	}
	// Sorting the keys with their positions (32 bytes each) moves two
	// thirds of the memory that sorting the writes (48 bytes) would, and
	// most comparisons end at the keys' first eight bytes.
	slices.SortFunc(b.sorted, func(x, y keyAt) int {
		if c := cmp.Compare(x.head, y.head); c != 0 {
			return c
		}
		return strings.Compare(x.key, y.key)
	})
	w := sha256.New()
	var rec []byte // one write's record, reused
	for _, k := range b.sorted {
		v := &b.writes[k.at]
		rec = binary.BigEndian.AppendUint64(rec[:0], uint64(len(v.key)))
		rec = append(rec, v.key...)
		if v.del {
			w.Write(append(rec, 0))
			continue
		}
		rec = binary.BigEndian.AppendUint64(append(rec, 1), uint64(len(v.val)))
		w.Write(rec)
		w.Write(v.val)
	}
	chain := sha256.New()
	chain.Write(b.db.AppHash())
	chain.Write(w.Sum(nil))
	b.hash = chain.Sum(nil)
	return b.hash
}

// keyAt is a written key and its position in Block.writes.
type keyAt struct {
	head uint64 // keyHead(key)
	key  string
	at   int
}

// keyHead is the first eight bytes of k as a big-endian number, zeros
// after a shorter key's end: keys whose heads differ are in the order of
// their heads; keys whose heads are equal need comparing in full.
func keyHead(k string) uint64 {
	var b [8]byte
	copy(b[:], k)
	return binary.BigEndian.Uint64(b[:])
}

// Commit writes the block, its height and its app hash in one synced batch.
func (b *Block) Commit(height uint64) error {
	if b.db.Initialized() && height <= b.db.Height() {
		panic(fmt.Sprintf("store: committing height %d on top of %d", height, b.db.Height()))
	}
	hash := b.Hash()
	batch := b.db.db.NewBatch()
	defer batch.Close()
	for _, k := range b.sorted {
		v := &b.writes[k.at]
		var err error
		if v.del {
			err = batch.Delete([]byte(v.key), nil)
		} else {
			err = batch.Set([]byte(v.key), v.val, nil)
		}
		if err != nil {
			return fmt.Errorf("store: batching %q: %w", v.key, err)
		}
	}
	var h [8]byte
	binary.BigEndian.PutUint64(h[:], height)
	if err := batch.Set(keyHeight, h[:], nil); err != nil {
		return fmt.Errorf("store: batching height: %w", err)
	}
	if err := batch.Set(keyAppHash, hash, nil); err != nil {
		return fmt.Errorf("store: batching app hash: %w", err)
	}
	if err := batch.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("store: committing height %d: %w", height, err)
	}
	b.db.reads.commit(b.writes)
	b.db.mu.Lock()
	b.db.initialized, b.db.height, b.db.appHash = true, height, hash
	b.db.mu.Unlock()
	return nil
}

// Snapshot is a consistent read-only view of the committed state, for queries.
type Snapshot struct {
	snap    *pebble.Snapshot
	Height  uint64
	AppHash []byte
}

// Snapshot opens a view of the state as last committed. Close it when done.
func (d *DB) Snapshot() *Snapshot {
	s := d.db.NewSnapshot()
	sn := &Snapshot{snap: s}
	if v := sn.Get(keyHeight); len(v) == 8 {
		sn.Height = binary.BigEndian.Uint64(v)
		sn.AppHash = sn.Get(keyAppHash)
	}
	return sn
}

// Close releases the snapshot.
func (s *Snapshot) Close() error { return s.snap.Close() }

// Get returns the value at key, or nil.
func (s *Snapshot) Get(key []byte) []byte {
	v, closer, err := s.snap.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil
	}
	if err != nil {
		panic(fmt.Sprintf("store: reading %q: %v", key, err))
	}
	defer closer.Close()
	return slices.Clone(v)
}

// Scan calls fn for each key with prefix in key order, from the first key at or
// after start (nil for the beginning), until fn returns false. The slices are
// valid only during the call.
func (s *Snapshot) Scan(prefix, start []byte, fn func(key, value []byte) bool) error {
	it, err := s.snap.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return fmt.Errorf("store: scanning %q: %w", prefix, err)
	}
	ok := it.First()
	if start != nil && bytes.Compare(start, prefix) > 0 {
		ok = it.SeekGE(start)
	}
	return walk(it, prefix, ok, it.Next, fn)
}

// ScanReverse calls fn for each key with prefix below before (nil for every
// key) in reverse key order, until fn returns false. The slices are valid
// only during the call.
func (s *Snapshot) ScanReverse(prefix, before []byte, fn func(key, value []byte) bool) error {
	upper := prefixEnd(prefix)
	if before != nil && (upper == nil || bytes.Compare(before, upper) < 0) {
		upper = before
	}
	it, err := s.snap.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: upper})
	if err != nil {
		return fmt.Errorf("store: scanning %q: %w", prefix, err)
	}
	return walk(it, prefix, it.Last(), it.Prev, fn)
}

// walk calls fn on it's entries, from where it is (ok if it is on one) on
// through step, until fn returns false, and closes it.
func walk(it *pebble.Iterator, prefix []byte, ok bool, step func() bool, fn func(key, value []byte) bool) error {
	for ; ok; ok = step() {
		v, err := it.ValueAndErr()
		if err != nil {
			it.Close()
			return fmt.Errorf("store: scanning %q: %w", prefix, err)
		}
		if !fn(it.Key(), v) {
			break
		}
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("store: scanning %q: %w", prefix, err)
	}
	return nil
}

// prefixEnd is the smallest key greater than every key with prefix, or nil.
func prefixEnd(prefix []byte) []byte {
	end := slices.Clone(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

type pebbleLogger struct{ log *slog.Logger }

func (l pebbleLogger) Infof(format string, args ...any) {
	l.log.Debug(fmt.Sprintf(format, args...), "module", "pebble")
}

func (l pebbleLogger) Errorf(format string, args ...any) {
	l.log.Error(fmt.Sprintf(format, args...), "module", "pebble")
}

func (l pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	l.log.Error(msg, "module", "pebble")
	panic("store: pebble: " + msg)
}

// Get reads the committed state: the value at key, or nil.
func (d *DB) Get(key []byte) []byte { return d.get(key) }
