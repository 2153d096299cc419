package index

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/sqldb"
	"github.com/pegledger/peg/internal/sqldb/sqltest"
	"github.com/pegledger/peg/internal/token"
)

// synthetic makes blocks of payments without a node: block 1 mints one
// coin to each of n accounts; each later block has every account pay its
// coin, a part to the next account and the rest back to itself, so that
// each account again holds one coin, in the proportions of peg bench's
// payments with change.
type synthetic struct {
	n      int
	height int64
	owners []string
	coins  []string // each account's coin
}

func newSynthetic(n int) *synthetic {
	s := &synthetic{n: n, owners: make([]string, n), coins: make([]string, n)}
	for i := range n {
		s.owners[i] = newKey(fmt.Sprint("account ", i)).Addr.String()
	}
	return s
}

func txID(height int64, i int) ledger.TxID {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(height))
	binary.BigEndian.PutUint64(b[8:], uint64(i))
	return sha256.Sum256(b[:])
}

func ev(typ string, kv ...string) client.Event {
	e := client.Event{Type: typ}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Attrs = append(e.Attrs, client.Attr{Key: kv[i], Value: kv[i+1]})
	}
	return e
}

// next is the next block.
func (s *synthetic) next() *client.BlockReceipts {
	s.height++
	h := s.height
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(h) * time.Second)
	hash := sha256.Sum256([]byte(fmt.Sprint("block ", h)))
	b := &client.BlockReceipts{Height: h, Time: at, Hash: hex.EncodeToString(hash[:]), AppHash: hex.EncodeToString(hash[:8]),
		Proposer: "5D6A5E3C0F1B2A3948576A6B7C8D9E0F1A2B3C4D", Txs: s.n, Receipts: make([]client.Receipt, s.n)}
	minter := newKey("minter").Addr
	for i := range s.n {
		id := txID(h, i)
		rc := client.Receipt{TxID: id, Height: uint64(h), Index: uint32(i), Time: at, Code: ledger.OK, Name: "OK"}
		if h == 1 {
			rc.Kind, rc.Signer = "mint", minter
			coin := ledger.NewCoinID(id, 0).String()
			rc.Events = []client.Event{
				ev("mint", "token", "gbpt", "minter", minter.String(), "to", s.owners[i], "amount", "100000"),
				ev("coin.created", "coin", coin, "owner", s.owners[i], "amount", "100000"),
			}
			s.coins[i] = coin
		} else {
			payer, payee := s.owners[i], s.owners[(i+1)%s.n]
			signer, _ := ledger.ParseAddress(payer)
			rc.Kind, rc.Signer = "pay", signer
			c0, c1 := ledger.NewCoinID(id, 0).String(), ledger.NewCoinID(id, 1).String()
			rc.Events = []client.Event{
				ev("pay", "token", "gbpt", "from", payer, "amount", "1"),
				ev("coin.spent", "coin", s.coins[i], "owner", payer, "amount", "100000"),
				ev("coin.created", "coin", c0, "owner", payee, "amount", "1"),
				ev("coin.created", "coin", c1, "owner", payer, "amount", "99999"),
				ev("fee.charged", "amount", "4"),
			}
			s.coins[i] = c1
		}
		b.Receipts[i] = rc
	}
	return b
}

func gbptContract(context.Context, ledger.TokenID) (token.Contract, error) {
	r, _ := token.ParseRatio("1")
	cur, _ := token.LookupCurrency("GBP")
	return token.Contract{ID: "gbpt", Decimals: 2, Ratio: r, Fiat: token.FiatAccount{Currency: cur}}, nil
}

func openFresh(t testing.TB, where string) *sqldb.DB {
	db, err := Open(context.Background(), where)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestWriteRefusals: blocks that do not follow on, a block in part and an
// amount the index cannot sum exactly are refused with a clear error, and
// nothing of them is written.
func TestWriteRefusals(t *testing.T) {
	for name, fresh := range sqltest.Databases(t, "index.db") {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := openFresh(t, fresh(t))
			w := NewWriter(db, "peg-synthetic", "GB", gbptContract)
			s := newSynthetic(3)
			b1, b2 := s.next(), s.next()
			if err := w.Write(ctx, []*client.BlockReceipts{b2}); err == nil || !strings.Contains(err.Error(), "block 2 given where block 1 comes next") {
				t.Errorf("block 2 first: %v", err)
			}
			if err := w.Write(ctx, []*client.BlockReceipts{b1}); err != nil {
				t.Fatal(err)
			}
			if err := w.Write(ctx, []*client.BlockReceipts{b1}); err == nil || !strings.Contains(err.Error(), "block 1 given where block 2 comes next") {
				t.Errorf("block 1 again: %v", err)
			}
			part := *b2
			part.NextIndex = 1
			if err := w.Write(ctx, []*client.BlockReceipts{&part}); err == nil || !strings.Contains(err.Error(), "in part") {
				t.Errorf("a block in part: %v", err)
			}
			huge := *b2
			huge.Receipts = append([]client.Receipt(nil), b2.Receipts...)
			huge.Receipts[0].Events = append([]client.Event(nil), b2.Receipts[0].Events...)
			huge.Receipts[0].Events[2] = ev("coin.created", "coin", "ab", "owner", s.owners[1], "amount", "9300000000000000000000000000")
			if err := w.Write(ctx, []*client.BlockReceipts{&huge}); err == nil || !strings.Contains(err.Error(), "9300000000000000000000000000 is beyond") {
				t.Errorf("an amount past the split: %v", err)
			}
			var txs, height int
			db.QueryRow(`SELECT COUNT(*) FROM txs`).Scan(&txs)
			db.QueryRow(`SELECT height FROM chains`).Scan(&height)
			if txs != 3 || height != 1 {
				t.Errorf("after the refusals: %d transactions, height %d; want block 1's 3 and 1", txs, height)
			}
			// Blocks 2 and 3 in one transaction: each coin spent once, the
			// second block's spends of the first's coins included.
			if err := w.Write(ctx, []*client.BlockReceipts{b2, s.next()}); err != nil {
				t.Fatal(err)
			}
			var unspent, spent int
			db.QueryRow(`SELECT COUNT(*) FROM coins WHERE spent_height IS NULL`).Scan(&unspent)
			db.QueryRow(`SELECT COUNT(*) FROM coins WHERE spent_height IS NOT NULL`).Scan(&spent)
			// 3 minted, 6 created by each payment block; block 2 spends the
			// mints, block 3 block 2's change.
			if unspent != 9 || spent != 6 {
				t.Errorf("coins: %d unspent, %d spent; want 9 and 6", unspent, spent)
			}
		})
	}
}

// BenchmarkWrite measures the writer alone: blocks of 5,000 synthetic
// payments (one coin spent, two created, a fee) into a fresh database,
// one block a SQL transaction, reported as payments and rows per second.
func BenchmarkWrite(b *testing.B) {
	const perBlock = 5000
	dbs := map[string]func(b *testing.B) string{"sqlite": func(b *testing.B) string { return filepath.Join(b.TempDir(), "index.db") }}
	if base := os.Getenv(sqltest.PostgresEnv); base != "" {
		dbs["postgres"] = func(b *testing.B) string { return sqltest.FreshPostgres(b, base) }
	}
	for name, fresh := range dbs {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			db := openFresh(b, fresh(b))
			w := NewWriter(db, "peg-synthetic", "GB", gbptContract)
			s := newSynthetic(perBlock)
			if err := w.Write(ctx, []*client.BlockReceipts{s.next()}); err != nil {
				b.Fatal(err)
			}
			blocks := make([]*client.BlockReceipts, b.N)
			for i := range blocks {
				blocks[i] = s.next()
			}
			b.ResetTimer()
			for _, blk := range blocks {
				if err := w.Write(ctx, []*client.BlockReceipts{blk}); err != nil {
					b.Fatal(err)
				}
			}
			secs := b.Elapsed().Seconds()
			// A payment writes a txs row, two entries (payer and payee),
			// two coins and a spend.
			b.ReportMetric(float64(b.N*perBlock)/secs, "payments/s")
			b.ReportMetric(float64(b.N*perBlock*6)/secs, "rows/s")
		})
	}
}
