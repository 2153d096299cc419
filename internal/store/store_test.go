package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// openDB opens a database in dir and closes it when the test ends.
func openDB(t *testing.T, dir string) *DB {
	t.Helper()
	db, err := Open(dir, quiet)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newDB(t *testing.T) *DB { return openDB(t, t.TempDir()) }

// commit commits a block of sets ("k=v") and deletions ("-k") at height.
func commit(t *testing.T, db *DB, height uint64, writes ...string) []byte {
	t.Helper()
	b := db.NewBlock()
	apply(b, writes...)
	if err := b.Commit(height); err != nil {
		t.Fatalf("Commit(%d): %v", height, err)
	}
	return db.AppHash()
}

// apply performs writes given as "k=v" (set) or "-k" (delete).
func apply(b *Block, writes ...string) {
	for _, w := range writes {
		if k, ok := strings.CutPrefix(w, "-"); ok {
			b.Delete([]byte(k))
			continue
		}
		k, v, _ := strings.Cut(w, "=")
		b.Set([]byte(k), []byte(v))
	}
}

// mustPanic fails the test unless fn panics.
func mustPanic(t *testing.T, what string, fn func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", what)
		}
	}()
	fn()
}

func TestNewDatabase(t *testing.T) {
	db := newDB(t)
	if db.Initialized() || db.Height() != 0 || db.AppHash() != nil {
		t.Fatalf("fresh database: initialized %v height %d app hash %x, want false 0 nil", db.Initialized(), db.Height(), db.AppHash())
	}
	s := db.Snapshot()
	defer s.Close()
	if s.Height != 0 || s.AppHash != nil {
		t.Errorf("fresh snapshot: height %d app hash %x, want 0 nil", s.Height, s.AppHash)
	}
}

func TestBlockWritesInvisibleUntilCommit(t *testing.T) {
	db := newDB(t)
	commit(t, db, 0, "a=1", "b=2")

	before := db.Snapshot()
	defer before.Close()
	b := db.NewBlock()
	apply(b, "a=10", "c=3", "-b")

	for _, tc := range []struct{ key, block, committed string }{
		{"a", "10", "1"},
		{"b", "", "2"},
		{"c", "3", ""},
	} {
		if got := string(b.Get([]byte(tc.key))); got != tc.block {
			t.Errorf("block Get(%s) = %q, want %q", tc.key, got, tc.block)
		}
		if got := string(db.Get([]byte(tc.key))); got != tc.committed {
			t.Errorf("before commit, DB.Get(%s) = %q, want %q", tc.key, got, tc.committed)
		}
		if got := string(before.Get([]byte(tc.key))); got != tc.committed {
			t.Errorf("before commit, Snapshot.Get(%s) = %q, want %q", tc.key, got, tc.committed)
		}
	}
	if b.Get([]byte("b")) != nil {
		t.Errorf("block Get(b) after Delete is not nil")
	}

	if err := b.Commit(1); err != nil {
		t.Fatal(err)
	}
	after := db.Snapshot()
	defer after.Close()
	for _, tc := range []struct{ key, want string }{{"a", "10"}, {"b", ""}, {"c", "3"}} {
		if got := string(after.Get([]byte(tc.key))); got != tc.want {
			t.Errorf("after commit, Snapshot.Get(%s) = %q, want %q", tc.key, got, tc.want)
		}
		if got := string(before.Get([]byte(tc.key))); tc.key == "a" && got != "1" {
			t.Errorf("snapshot taken before commit now reads a = %q, want %q", got, "1")
		}
	}
	if after.Get([]byte("b")) != nil {
		t.Errorf("deleted key b still present after commit")
	}
	if after.Height != 1 || !bytes.Equal(after.AppHash, db.AppHash()) {
		t.Errorf("snapshot height %d app hash %x, want 1 %x", after.Height, after.AppHash, db.AppHash())
	}
}

// The state marks membership (issuer, registered, frozen) with an empty value
// and tests it with Get != nil, so an empty value must read as present wherever
// it is read: in the transaction, in the block and after commit.
func TestEmptyValueIsPresent(t *testing.T) {
	db := newDB(t)
	b := db.NewBlock()
	b.Set([]byte("nil"), nil)
	b.Set([]byte("empty"), []byte{})
	b.Begin()
	b.Set([]byte("tx"), nil)
	for _, k := range []string{"nil", "empty", "tx"} {
		if b.Get([]byte(k)) == nil {
			t.Errorf("inside the transaction, Get(%s) = nil, want an empty value", k)
		}
	}
	b.Keep()
	for _, k := range []string{"nil", "empty", "tx"} {
		if b.Get([]byte(k)) == nil {
			t.Errorf("in the block, Get(%s) = nil, want an empty value", k)
		}
	}
	if err := b.Commit(1); err != nil {
		t.Fatal(err)
	}
	s := db.Snapshot()
	defer s.Close()
	for _, k := range []string{"nil", "empty", "tx"} {
		if db.Get([]byte(k)) == nil {
			t.Errorf("after commit, DB.Get(%s) = nil, want an empty value", k)
		}
		if s.Get([]byte(k)) == nil {
			t.Errorf("after commit, Snapshot.Get(%s) = nil, want an empty value", k)
		}
	}
}

func TestTransactionKeepAndDiscard(t *testing.T) {
	db := newDB(t)
	commit(t, db, 0, "base=0", "gone=0")
	b := db.NewBlock()
	apply(b, "block=1")

	b.Begin()
	apply(b, "discarded=1", "block=overwritten", "-base")
	if got := string(b.Get([]byte("discarded"))); got != "1" {
		t.Errorf("inside the transaction, Get(discarded) = %q, want %q", got, "1")
	}
	if got := b.Get([]byte("base")); got != nil {
		t.Errorf("inside the transaction, Get(base) after Delete = %q, want nil", got)
	}
	b.Discard()
	for _, tc := range []struct{ key, want string }{{"discarded", ""}, {"block", "1"}, {"base", "0"}} {
		if got := string(b.Get([]byte(tc.key))); got != tc.want {
			t.Errorf("after Discard, Get(%s) = %q, want %q", tc.key, got, tc.want)
		}
	}

	b.Begin()
	apply(b, "kept=1", "block=2", "-gone")
	b.Keep()
	for _, tc := range []struct{ key, want string }{{"kept", "1"}, {"block", "2"}, {"gone", ""}} {
		if got := string(b.Get([]byte(tc.key))); got != tc.want {
			t.Errorf("after Keep, Get(%s) = %q, want %q", tc.key, got, tc.want)
		}
	}

	// Folding a transaction into the block hashes like writing to it directly.
	direct := newDB(t)
	commit(t, direct, 0, "base=0", "gone=0")
	d := direct.NewBlock()
	apply(d, "block=2", "kept=1", "-gone")
	if got, want := b.Hash(), d.Hash(); !bytes.Equal(got, want) {
		t.Errorf("hash after Discard and Keep = %x, want %x as with the kept writes alone", got, want)
	}
}

func TestTransactionMisuse(t *testing.T) {
	db := newDB(t)
	b := db.NewBlock()
	b.Begin()
	mustPanic(t, "nested Begin", b.Begin)
	mustPanic(t, "Hash inside a transaction", func() { b.Hash() })
	b.Discard()
	b.Hash()
	mustPanic(t, "Set after Hash", func() { b.Set([]byte("k"), []byte("v")) })
	mustPanic(t, "Delete after Hash", func() { b.Delete([]byte("k")) })
	mustPanic(t, "Set in a transaction after Hash", func() {
		b.Begin()
		defer b.Discard()
		b.Set([]byte("k"), []byte("v"))
	})
}

func TestHashIsStable(t *testing.T) {
	db := newDB(t)
	commit(t, db, 0, "base=0")
	b := db.NewBlock()
	apply(b, "c=3", "a=1", "-base", "b=2")
	first := b.Hash()
	if again := b.Hash(); !bytes.Equal(first, again) {
		t.Errorf("second Hash = %x, want %x", again, first)
	}
	for _, tc := range []struct{ key, want string }{{"a", "1"}, {"b", "2"}, {"c", "3"}, {"base", ""}} {
		if got := string(b.Get([]byte(tc.key))); got != tc.want {
			t.Errorf("after Hash, Get(%s) = %q, want the block's write %q", tc.key, got, tc.want)
		}
	}
	if err := b.Commit(1); err != nil {
		t.Fatal(err)
	}
	if got := db.AppHash(); !bytes.Equal(got, first) {
		t.Errorf("committed app hash = %x, want the block's hash %x", got, first)
	}
}

func TestHashIgnoresWriteOrder(t *testing.T) {
	writes := []string{"coin/1=a", "own/x=b", "-spent/2", "tok/t=c", "rcpt/9="}
	reversed := make([]string, len(writes))
	for i, w := range writes {
		reversed[len(writes)-1-i] = w
	}
	overwritten := append([]string{"tok/t=old", "spent/2=x", "-coin/1"}, writes...)

	var hashes [][]byte
	for _, ws := range [][]string{writes, reversed, overwritten} {
		db := newDB(t)
		commit(t, db, 0, "genesis=1")
		b := db.NewBlock()
		apply(b, ws...)
		hashes = append(hashes, b.Hash())
	}
	for i, h := range hashes[1:] {
		if !bytes.Equal(h, hashes[0]) {
			t.Errorf("ordering %d hashes to %x, want %x", i+1, h, hashes[0])
		}
	}
}

// blockHash is the hash of one block of writes on top of a genesis block.
func blockHash(t *testing.T, writes ...string) []byte {
	t.Helper()
	db := newDB(t)
	commit(t, db, 0, "genesis=1")
	b := db.NewBlock()
	apply(b, writes...)
	return b.Hash()
}

func TestHashCoversEveryWrite(t *testing.T) {
	base := []string{"a=1", "b=2"}
	want := blockHash(t, base...)
	for _, tc := range []struct {
		name   string
		writes []string
	}{
		{"no writes", nil},
		{"other value", []string{"a=1", "b=3"}},
		{"other key", []string{"a=1", "c=2"}},
		{"extra write", []string{"a=1", "b=2", "c=3"}},
		{"missing write", []string{"a=1"}},
		{"delete instead of set", []string{"a=1", "-b"}},
		{"extra delete", []string{"a=1", "b=2", "-c"}},
		{"empty value", []string{"a=1", "b="}},
		{"key and value boundary moved", []string{"a=1", "b2="}},
		{"value with the next key", []string{"a=1b=2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := blockHash(t, tc.writes...); bytes.Equal(got, want) {
				t.Errorf("hash of %q equals hash of %q: %x", tc.writes, base, got)
			}
		})
	}
	if got := blockHash(t, "-a"); bytes.Equal(got, blockHash(t, "a=")) {
		t.Errorf("deleting a key hashes like setting it empty: %x", got)
	}
}

// The app hash format is consensus: every node must compute it the same way.
// This pins the documented encoding.
func TestHashFormat(t *testing.T) {
	db := newDB(t)
	prev := commit(t, db, 0, "genesis=1")
	b := db.NewBlock()
	apply(b, "k2=vv", "-k1")

	w := sha256.New()
	writeLen := func(n int) {
		var l [8]byte
		binary.BigEndian.PutUint64(l[:], uint64(n))
		w.Write(l[:])
	}
	writeLen(2)
	w.Write([]byte("k1"))
	w.Write([]byte{0})
	writeLen(2)
	w.Write([]byte("k2"))
	w.Write([]byte{1})
	writeLen(2)
	w.Write([]byte("vv"))
	chain := sha256.New()
	chain.Write(prev)
	chain.Write(w.Sum(nil))
	if got, want := b.Hash(), chain.Sum(nil); !bytes.Equal(got, want) {
		t.Errorf("Hash = %x, want SHA-256(previous || SHA-256(writes)) = %x", got, want)
	}
}

func TestAppHashChains(t *testing.T) {
	a, b := newDB(t), newDB(t)
	commit(t, a, 0, "genesis=a")
	commit(t, b, 0, "genesis=b")
	ha := commit(t, a, 1, "k=v")
	hb := commit(t, b, 1, "k=v")
	if bytes.Equal(ha, hb) {
		t.Fatalf("the same block on different previous app hashes gave the same hash %x", ha)
	}
	// A block that writes nothing leaves the app hash alone; the next write
	// chains on from it.
	e1 := commit(t, a, 2)
	e2 := commit(t, a, 3)
	if !bytes.Equal(e1, ha) || !bytes.Equal(e2, ha) {
		t.Errorf("empty blocks changed the app hash: %x, %x, %x", ha, e1, e2)
	}
	if h := commit(t, a, 4, "k=w"); bytes.Equal(h, ha) {
		t.Errorf("a write after empty blocks left the app hash at %x", h)
	}
	if db := a; db.Height() != 4 {
		t.Errorf("height after empty blocks = %d, want 4", db.Height())
	}
}

func TestCommitSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, quiet)
	if err != nil {
		t.Fatal(err)
	}
	commit(t, db, 0, "genesis=1")
	if !db.Initialized() || db.Height() != 0 {
		t.Fatalf("after genesis: initialized %v height %d, want true 0", db.Initialized(), db.Height())
	}
	commit(t, db, 1, "a=1", "b=2")
	want := commit(t, db, 2, "-a", "c=3")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openDB(t, dir)
	if !db.Initialized() || db.Height() != 2 || !bytes.Equal(db.AppHash(), want) {
		t.Fatalf("reopened: initialized %v height %d app hash %x, want true 2 %x", db.Initialized(), db.Height(), db.AppHash(), want)
	}
	for _, tc := range []struct{ key, want string }{{"genesis", "1"}, {"a", ""}, {"b", "2"}, {"c", "3"}} {
		if got := string(db.Get([]byte(tc.key))); got != tc.want {
			t.Errorf("reopened Get(%s) = %q, want %q", tc.key, got, tc.want)
		}
	}
	// The chain continues from the persisted app hash.
	next := commit(t, db, 3, "d=4")
	other := newDB(t)
	commit(t, other, 0, "genesis=1")
	commit(t, other, 1, "a=1", "b=2")
	commit(t, other, 2, "-a", "c=3")
	if got := commit(t, other, 3, "d=4"); !bytes.Equal(got, next) {
		t.Errorf("height 3 after reopening = %x, without reopening = %x", next, got)
	}
}

func TestCommitHeightMustRise(t *testing.T) {
	db := newDB(t)
	commit(t, db, 0)
	commit(t, db, 1)
	for _, h := range []uint64{0, 1} {
		b := db.NewBlock()
		mustPanic(t, fmt.Sprintf("Commit(%d) at height 1", h), func() { b.Commit(h) })
	}
	commit(t, db, 3) // heights may skip: CometBFT may start above 1
}

func TestScan(t *testing.T) {
	db := newDB(t)
	commit(t, db, 0, "a/1=x", "a/2=y", "a/3=z", "ab=no", "b/1=no", "a\xff\xff=ff", "\xff\xff=top", "\xff\xff\x00=top2")
	s := db.Snapshot()
	defer s.Close()

	scan := func(reverse bool, prefix, from string, limit int) string {
		t.Helper()
		var got []string
		var f []byte
		if from != "" {
			f = []byte(from)
		}
		fn := func(k, v []byte) bool {
			got = append(got, fmt.Sprintf("%q=%s", k, v))
			return limit == 0 || len(got) < limit
		}
		var err error
		if reverse {
			err = s.ScanReverse([]byte(prefix), f, fn)
		} else {
			err = s.Scan([]byte(prefix), f, fn)
		}
		if err != nil {
			t.Fatalf("scan(%q, %q): %v", prefix, from, err)
		}
		return strings.Join(got, " ")
	}
	for _, tc := range []struct {
		name, prefix, from string
		reverse            bool
		limit              int
		want               string
	}{
		{"prefix", "a/", "", false, 0, `"a/1"=x "a/2"=y "a/3"=z`},
		{"start inside", "a/", "a/2", false, 0, `"a/2"=y "a/3"=z`},
		{"start between keys", "a/", "a/15", false, 0, `"a/2"=y "a/3"=z`},
		{"start before prefix", "a/", "0", false, 0, `"a/1"=x "a/2"=y "a/3"=z`},
		{"start past prefix", "a/", "a0", false, 0, ``},
		{"stop early", "a/", "", false, 2, `"a/1"=x "a/2"=y`},
		{"no match", "c/", "", false, 0, ``},
		{"prefix ending in 0xff", "a\xff", "", false, 0, `"a\xff\xff"=ff`},
		{"all 0xff prefix", "\xff\xff", "", false, 0, `"\xff\xff"=top "\xff\xff\x00"=top2`},
		{"reverse prefix", "a/", "", true, 0, `"a/3"=z "a/2"=y "a/1"=x`},
		{"reverse before a key", "a/", "a/3", true, 0, `"a/2"=y "a/1"=x`},
		{"reverse before between keys", "a/", "a/25", true, 0, `"a/2"=y "a/1"=x`},
		{"reverse before past prefix", "a/", "a0", true, 0, `"a/3"=z "a/2"=y "a/1"=x`},
		{"reverse stop early", "a/", "", true, 1, `"a/3"=z`},
		{"reverse all 0xff prefix", "\xff\xff", "", true, 0, `"\xff\xff\x00"=top2 "\xff\xff"=top`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := scan(tc.reverse, tc.prefix, tc.from, tc.limit); got != tc.want {
				t.Errorf("scan(reverse %v, %q, %q) = %s, want %s", tc.reverse, tc.prefix, tc.from, got, tc.want)
			}
		})
	}
}

// TestReadCacheFollowsCommits: a block reads what the last commit left,
// whether the key was read (and cached) before that commit or not, and
// whether the commit set it, deleted it or left it alone.
func TestReadCacheFollowsCommits(t *testing.T) {
	db := newDB(t)
	commit(t, db, 1, "kept=1", "changed=1", "deleted=1")
	read := func(keys ...string) map[string]string {
		b := db.NewBlock()
		out := make(map[string]string, len(keys))
		for _, k := range keys {
			if v := b.Get([]byte(k)); v != nil {
				out[k] = string(v)
			}
		}
		return out
	}
	keys := []string{"kept", "changed", "deleted", "created", "absent"}
	read(keys...) // every key cached, "created" and "absent" as misses
	commit(t, db, 2, "changed=2", "-deleted", "created=2")
	got := read(keys...)
	want := map[string]string{"kept": "1", "changed": "2", "created": "2"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after commit 2: %v, want %v", got, want)
	}
	s := db.Snapshot()
	defer s.Close()
	if string(s.Get([]byte("changed"))) != "2" || s.Get([]byte("deleted")) != nil {
		t.Errorf("snapshot disagrees with the cache")
	}
}

// TestEachWrite: a block gives the keys it wrote under a prefix in the order
// it first wrote them, with their last values or deletions, and without the
// writes of a discarded transaction.
func TestEachWrite(t *testing.T) {
	b := newDB(t).NewBlock()
	b.Set([]byte("coin/b"), []byte("1"))
	b.Set([]byte("own/x"), []byte("1"))
	b.Set([]byte("coin/a"), []byte("1"))
	b.Delete([]byte("coin/c"))
	b.Set([]byte("coin/b"), []byte("2"))
	b.Begin()
	b.Set([]byte("coin/d"), []byte("1"))
	b.Delete([]byte("coin/a"))
	b.Discard()
	var got []string
	b.EachWrite("coin/", func(k string, v []byte, deleted bool) {
		if deleted {
			v = []byte("deleted")
		}
		got = append(got, k+"="+string(v))
	})
	if want := []string{"coin/b=2", "coin/a=1", "coin/c=deleted"}; !slices.Equal(got, want) {
		t.Errorf("EachWrite gave %q, want %q", got, want)
	}
}

// TestReadCacheGenerations: a full generation becomes the older one instead
// of being dropped, a value read from the older moves to the newer, and
// commits keep both in step with the state.
func TestReadCacheGenerations(t *testing.T) {
	c := newReadCache(2)
	val := func(k string) (string, bool) {
		v, ok, _ := c.get([]byte(k))
		return string(v), ok
	}
	for _, k := range []string{"a", "b", "c", "d"} {
		c.put([]byte(k), []byte(k), 0)
	}
	// a and b filled the first generation, c and d the second: a and b
	// are the older generation, still there.
	if _, ok := val("a"); !ok {
		t.Error("a dropped when the first generation filled")
	}
	// Reading a moved it to the newer generation (c, d), which was full:
	// c and d are now the older one and b, not read, is gone.
	if _, ok := val("b"); ok {
		t.Error("b outlived two turns without a read")
	}
	for _, k := range []string{"a", "c", "d"} {
		if v, ok := val(k); !ok || v != k {
			t.Errorf("%s = %q, %v; want it cached", k, v, ok)
		}
	}

	// A commit that deletes a cached key leaves it known absent; one that
	// sets it drops it, in whichever generation it is.
	c = newReadCache(2)
	c.put([]byte("gone"), []byte("1"), 0)
	c.put([]byte("changed"), []byte("1"), 0)
	c.put([]byte("fresh"), []byte("1"), 0) // gone, changed: the older generation
	c.commit([]keyWrite{{"changed", write{val: []byte("2")}}, {"gone", write{del: true}}})
	if v, ok, _ := c.get([]byte("gone")); !ok || v != nil {
		t.Errorf("deleted key: %q, %v; want known absent", v, ok)
	}
	if _, ok := val("changed"); ok {
		t.Error("a key set by a commit is still cached with its old value")
	}
	// A read that began before a commit is not cached.
	_, _, gen := c.get([]byte("late"))
	c.commit(nil)
	c.put([]byte("late"), []byte("stale"), gen)
	if _, ok := val("late"); ok {
		t.Error("a read from before a commit was cached")
	}
}

// TestHashSortsKeysBytewise: the keys a block hashes and commits are in
// bytewise order, whether they differ in their first eight bytes (the
// numbers the sort compares first) or only after them, are shorter than
// eight bytes, or end in zero bytes.
func TestHashSortsKeysBytewise(t *testing.T) {
	keys := []string{"own/GBxyz1", "own/GBxyz0", "own/GBx", "own/GB", "own/GB\x00", "own/GB\x00\x00\x00",
		"coin/\xff\xff\xff", "coin/\x00", "coin/", "a", "a\x00", "", "\xff\xff\xff\xff\xff\xff\xff\xff\x00", "\xff\xff\xff\xff\xff\xff\xff\xff"}
	db := newDB(t)
	b := db.NewBlock()
	for _, k := range keys {
		b.Set([]byte(k), []byte("v"))
	}
	b.Hash()
	got := make([]string, len(b.sorted))
	for i, k := range b.sorted {
		got[i] = k.key
	}
	want := slices.Clone(keys)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("sorted keys %q, want %q", got, want)
	}
}
