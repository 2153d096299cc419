package state

import (
	"crypto/ed25519"
	"testing"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/store"
)

// TestAdmittedCoins holds Admitted to its promise: a block that takes a coin
// from it answers as reading the coin would.
func TestAdmittedCoins(t *testing.T) {
	db, err := store.Open(t.TempDir(), quietLog)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	owner := ledger.NewAddress(scenarioRegion, ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public().(ed25519.PublicKey))
	coin := func(n byte) Coin {
		return Coin{ID: ledger.NewCoinID(ledger.TxID{n}, 0), Token: "gbpt", Owner: owner, Amount: money.FromUint64(uint64(n))}
	}
	live, gone, fresh, late := coin(1), coin(2), coin(3), coin(4)
	adm := NewAdmitted()
	height := uint64(0)
	// commit commits b's writes, and tells adm which coins it spent, as
	// the ABCI app does.
	commit := func(b *store.Block, spent ...ledger.CoinID) {
		height++
		if err := b.Commit(height); err != nil {
			t.Fatal(err)
		}
		adm.Commit(spent)
	}
	spend := func(b *store.Block, c Coin) {
		b.Set(coinKey(c.ID), make([]byte, ledger.HashSize)) // the spent mark
	}
	b := db.NewBlock()
	for _, c := range []Coin{live, gone, late} {
		b.SetHot(coinKey(c.ID), c.encode())
	}
	commit(b)

	check := &exec{w: db.NewBlock(), env: &Env{Check: true, Admitted: adm}}
	check.w.Set(coinKey(fresh.ID), fresh.encode()) // created by an earlier transaction of the check
	for _, c := range []Coin{live, gone, fresh} {
		if got, rej := check.coin(c.ID); rej != nil || got != c {
			t.Fatalf("check reads coin %s as %+v, %v; want %+v", c.ID, got, rej, c)
		}
	}
	if _, ok := adm.m[fresh.ID]; ok {
		t.Error("a coin the check itself created was taken for committed")
	}
	if len(adm.m) != 2 {
		t.Errorf("Admitted holds %d coins, want the 2 read from the committed state", len(adm.m))
	}
	// A read that a commit overtook is not kept.
	since := adm.since()
	commit(db.NewBlock())
	adm.put(late, since)
	if _, ok := adm.m[late.ID]; ok {
		t.Error("a coin read before a commit was kept after it")
	}

	// A block spends gone without taking it from Admitted, as a block of
	// transactions this node did not check would.
	b = db.NewBlock()
	spend(b, gone)
	commit(b, gone.ID)
	if _, ok := adm.m[gone.ID]; ok {
		t.Error("a coin a committed block spent is still held")
	}

	blk := &exec{w: db.NewBlock(), env: &Env{Admitted: adm}}
	if got, rej := blk.coin(live.ID); rej != nil || got != live {
		t.Errorf("block takes live as %+v, %v; want %+v", got, rej, live)
	}
	if _, rej := blk.coin(gone.ID); rej == nil || rej.Code != ledger.CodeCoinSpent {
		t.Errorf("block reads a spent coin: %v, want COIN_SPENT", rej)
	}
	if len(adm.m) != 0 {
		t.Errorf("Admitted still holds %d coins the block took", len(adm.m))
	}
	// Spent in the block itself, live is refused the second time even if
	// Admitted has it again.
	spend(blk.w.(*store.Block), live)
	adm.put(live, adm.since())
	if _, rej := blk.coin(live.ID); rej == nil || rej.Code != ledger.CodeCoinSpent {
		t.Errorf("a coin the block spent is taken again: %v, want COIN_SPENT", rej)
	}
}
