package state

import (
	"bytes"
	"cmp"
	"crypto/ed25519"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/store"
)

// TestUnspentCoins holds Unspent to its promise: it follows the committed
// state's unspent coins, and a check or block reading coins through it
// answers as one reading the store does.
func TestUnspentCoins(t *testing.T) {
	db, err := store.Open(t.TempDir(), quietLog)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	owner := ledger.NewAddress(scenarioRegion, ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public().(ed25519.PublicKey))
	coin := func(n byte, tok ledger.TokenID) Coin {
		return Coin{ID: ledger.NewCoinID(ledger.TxID{n}, 0), Token: tok, Owner: owner, Amount: money.FromUint64(uint64(n))}
	}
	live, gone, other, fresh, unknown := coin(1, "gbpt"), coin(2, "gbpt"), coin(3, "usdt"), coin(4, "gbpt"), coin(5, "gbpt")
	spend := func(b *store.Block, c Coin) {
		b.Set(coinKey(c.ID), make([]byte, ledger.HashSize)) // the spent mark
	}
	height := uint64(0)
	commit := func(b *store.Block, u *Unspent) {
		height++
		if err := b.Commit(height); err != nil {
			t.Fatal(err)
		}
		if u != nil {
			u.Commit(b, height)
		}
	}
	verify := func(u *Unspent, want int) {
		t.Helper()
		snap := db.Snapshot()
		defer snap.Close()
		if err := u.Verify(snap); err != nil {
			t.Error(err)
		}
		if u.Len() != want {
			t.Errorf("Unspent holds %d coins, want %d", u.Len(), want)
		}
	}

	b := db.NewBlock()
	for _, c := range []Coin{live, gone, other} {
		b.Set(coinKey(c.ID), c.encode())
	}
	commit(b, nil)
	b = db.NewBlock()
	spend(b, gone)
	commit(b, nil)
	snap := db.Snapshot()
	u, err := LoadUnspent(snap, snap.Height)
	snap.Close()
	if err != nil {
		t.Fatal(err)
	}
	verify(u, 2) // live and other; gone is spent

	// reads answers every coin as a check or block with u, and one
	// without, see it.
	reads := func(what string, w func() *store.Block, check bool, want map[Coin]ledger.Code) {
		t.Helper()
		for _, held := range []*Unspent{u, nil} {
			x := &exec{w: w(), env: &Env{Check: check, Unspent: held}}
			for c, code := range want {
				got, rej := x.coin(c.ID)
				switch {
				case code == ledger.OK && (rej != nil || got != c):
					t.Errorf("%s (unspent held: %v) reads %s as %+v, %v; want %+v", what, held != nil, c.ID, got, rej, c)
				case code != ledger.OK && (rej == nil || rej.Code != code):
					t.Errorf("%s (unspent held: %v) reads %s: %v, want %s", what, held != nil, c.ID, rej, code.Name())
				}
			}
		}
	}
	reads("a check", db.NewBlock, true, map[Coin]ledger.Code{live: ledger.OK, other: ledger.OK,
		gone: ledger.CodeCoinSpent, unknown: ledger.CodeUnknownCoin})
	// A block that has itself spent live and created fresh reads both from
	// its own writes, although u holds live and not fresh.
	written := func() *store.Block {
		b := db.NewBlock()
		spend(b, live)
		b.Set(coinKey(fresh.ID), fresh.encode())
		return b
	}
	reads("a block", written, false, map[Coin]ledger.Code{live: ledger.CodeCoinSpent, fresh: ledger.OK,
		other: ledger.OK, gone: ledger.CodeCoinSpent})

	// Committed, that block's writes are followed: fresh is held, live is
	// not.
	commit(written(), u)
	verify(u, 2) // other and fresh
	reads("the next block", db.NewBlock, false, map[Coin]ledger.Code{live: ledger.CodeCoinSpent, fresh: ledger.OK,
		other: ledger.OK})

	// Verify finds a coin the store has and u lacks, or the reverse.
	commit(db.NewBlock(), u)
	b = db.NewBlock()
	spend(b, other)
	commit(b, nil) // not followed
	snap = db.Snapshot()
	defer snap.Close()
	if err := u.Verify(snap); err == nil || !strings.Contains(err.Error(), "2 coins held in memory, 1 unspent") {
		t.Errorf("Verify of a set holding a spent coin: %v", err)
	}
}

// TestUnspentRefusesCorruptRecords: a coin record that does not decode stops
// the node, as every corrupt state read does, whether or not its class was
// seen before.
func TestUnspentRefusesCorruptRecords(t *testing.T) {
	owner := ledger.NewAddress(scenarioRegion, ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public().(ed25519.PublicKey))
	good := Coin{ID: ledger.CoinID{1}, Token: "gbpt", Owner: owner, Amount: money.FromUint64(5)}.encode()
	u := newUnspent()
	u.addRecord(ledger.CoinID{1}, good)
	badRegion := append([]byte(nil), good...)
	badRegion[len(badRegion)-ledger.KeyHashSize-1] = '!' // the region's last letter
	for name, b := range map[string][]byte{"short": good[:20], "truncated": good[:len(good)-1], "bad region": badRegion} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s record held without a panic", name)
				}
			}()
			u.addRecord(ledger.CoinID{2}, b)
		}()
	}
}

// BenchmarkUnspentMemory reports the heap an Unspent of 1,050,000 coins (one
// token, one region, 5,000 owners as in peg bench's memory run) holds per
// coin, its owner index included, as BENCHMARKS.md cites it; one op builds
// the whole set.
func BenchmarkUnspentMemory(b *testing.B) {
	const coins, owners = 1_050_000, 5_000
	records := make([][]byte, coins)
	ids := make([]ledger.CoinID, coins)
	for i := range coins {
		owner := ledger.AddressOf(scenarioRegion, [ledger.KeyHashSize]byte{byte(i % owners), byte(i % owners >> 8)})
		c := Coin{ID: ledger.NewCoinID(ledger.TxID{byte(i), byte(i >> 8), byte(i >> 16)}, 0), Token: "gbpt", Owner: owner,
			Amount: money.FromUint64(uint64(i))}
		ids[i], records[i] = c.ID, c.encode()
	}
	var perCoin float64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		u := newUnspent()
		for i := range coins {
			u.addRecord(ids[i], records[i])
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perCoin = float64(after.HeapAlloc-before.HeapAlloc) / float64(u.Len())
		runtime.KeepAlive(u)
	}
	b.ReportMetric(perCoin, "B/coin")
}

// coinsOf lists owner's unspent coins in s, of one token if tok is not
// empty, in (token, coin id) order, by reading every coin: what
// Unspent.CoinsOf must answer.
func coinsOf(s Scanner, owner ledger.Address, tok ledger.TokenID) []Coin {
	var out []Coin
	scanUnspent(s, func(id ledger.CoinID, b []byte) {
		if c := decodeCoin(id, b); c.Owner == owner && (tok == "" || c.Token == tok) {
			out = append(out, c)
		}
	})
	slices.SortFunc(out, func(a, b Coin) int {
		return cmp.Or(strings.Compare(string(a.Token), string(b.Token)), bytes.Compare(a.ID[:], b.ID[:]))
	})
	return out
}

// sums adds coins, in token order, into one Balance a token.
func sums(coins []Coin) []Balance {
	var out []Balance
	for _, c := range coins {
		if len(out) == 0 || out[len(out)-1].Token != c.Token {
			out = append(out, Balance{Token: c.Token})
		}
		b := &out[len(out)-1]
		b.Amount, _ = b.Amount.Add(c.Amount)
		b.Coins++
	}
	return out
}

// TestUnspentOwnerIndex follows coins created and spent over many blocks,
// of two tokens, for owners that share a key hash across two regions, and
// holds CoinsOf to a reading of every coin in the store.
func TestUnspentOwnerIndex(t *testing.T) {
	db, err := store.Open(t.TempDir(), quietLog)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var owners []ledger.Address
	for _, r := range []ledger.Region{"GB", "SG"} {
		for k := range byte(3) {
			owners = append(owners, ledger.AddressOf(r, [ledger.KeyHashSize]byte{k}))
		}
	}
	toks := []ledger.TokenID{"gbpt", "usdt"}
	rng := rand.New(rand.NewPCG(1, 2))
	u := newUnspent()
	var live []ledger.CoinID
	n := 0
	for height := uint64(1); height <= 60; height++ {
		b := db.NewBlock()
		for range rng.IntN(30) {
			n++
			c := Coin{ID: ledger.NewCoinID(ledger.TxID{byte(n), byte(n >> 8)}, 0), Token: toks[rng.IntN(2)],
				Owner: owners[rng.IntN(len(owners))], Amount: money.FromUint64(uint64(n))}
			b.Set(coinKey(c.ID), c.encode())
			live = append(live, c.ID)
		}
		for range rng.IntN(25) {
			if len(live) == 0 {
				break
			}
			i := rng.IntN(len(live))
			b.Set(coinKey(live[i]), make([]byte, ledger.HashSize)) // the spent mark
			live[i] = live[len(live)-1]
			live = live[:len(live)-1]
		}
		if err := b.Commit(height); err != nil {
			t.Fatal(err)
		}
		u.Commit(b, height)

		snap := db.Snapshot()
		if err := u.Verify(snap); err != nil {
			t.Fatalf("height %d: %v", height, err)
		}
		for _, o := range owners {
			for _, tok := range []ledger.TokenID{"", "gbpt"} {
				want := coinsOf(snap, o, tok)
				got, h := u.CoinsOf(o, tok, nil, 0)
				if h != height || !slices.Equal(got, want) {
					t.Fatalf("height %d: CoinsOf(%s, %q) = %v at %d, want %v", height, o, tok, got, h, want)
				}
				for _, limit := range []int{1, 3, len(want) + 1} {
					if page, _ := u.CoinsOf(o, tok, nil, limit); !slices.Equal(page, want[:min(limit, len(want))]) {
						t.Fatalf("height %d: CoinsOf(%s, %q, %d) = %v, want %v", height, o, tok, limit, page, want[:min(limit, len(want))])
					}
					// Page by page, each after the last coin of the one before.
					var walked []Coin
					var after *CoinPlace
					for {
						page, _ := u.CoinsOf(o, tok, after, limit)
						walked = append(walked, page...)
						if len(page) < limit {
							break
						}
						last := page[len(page)-1]
						after = &CoinPlace{Token: last.Token, ID: last.ID}
					}
					if !slices.Equal(walked, want) {
						t.Fatalf("height %d: CoinsOf(%s, %q) in pages of %d = %v, want %v", height, o, tok, limit, walked, want)
					}
				}
				bals, h, err := u.Balances(o, tok)
				if err != nil || h != height || !slices.Equal(bals, sums(want)) {
					t.Fatalf("height %d: Balances(%s, %q) = %v at %d, %v; want %v", height, o, tok, bals, h, err, sums(want))
				}
			}
		}
		snap.Close()
	}
	if u.Len() != len(live) {
		t.Errorf("Unspent holds %d coins, want %d", u.Len(), len(live))
	}
}

// BenchmarkOwnerOfAMillion measures what the API's listings cost for an
// owner of 1,000,000 coins: one op is a page of DefaultCoinsPage (100)
// coins, or the owner's balances.
func BenchmarkOwnerOfAMillion(b *testing.B) {
	owner := ledger.AddressOf(scenarioRegion, [ledger.KeyHashSize]byte{1})
	u := newUnspent()
	for i := range 1_000_000 {
		c := Coin{ID: ledger.NewCoinID(ledger.TxID{byte(i), byte(i >> 8), byte(i >> 16)}, 0), Token: "gbpt", Owner: owner,
			Amount: money.FromUint64(uint64(i + 1))}
		u.addRecord(c.ID, c.encode())
	}
	b.Run("page", func(b *testing.B) {
		for b.Loop() {
			if coins, _ := u.CoinsOf(owner, "", nil, 100); len(coins) != 100 {
				b.Fatalf("%d coins", len(coins))
			}
		}
	})
	b.Run("balances", func(b *testing.B) {
		for b.Loop() {
			if bals, _, err := u.Balances(owner, ""); err != nil || bals[0].Coins != 1_000_000 {
				b.Fatalf("%v, %v", bals, err)
			}
		}
	})
}
