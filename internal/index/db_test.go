package index

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/sqldb/sqltest"
	"github.com/pressly/goose/v3"
)

// TestSchemaOnBoth: the one schema applies on SQLite and, when the tests
// are given one, on PostgreSQL, and applying it again changes nothing.
func TestSchemaOnBoth(t *testing.T) {
	for name, fresh := range sqltest.Databases(t, "index.db") {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			where := fresh(t)
			for range 2 {
				d, err := Open(ctx, where)
				if err != nil {
					t.Fatal(err)
				}
				var n int
				if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM chains`).Scan(&n); err != nil || n != 0 {
					t.Fatalf("chains: %d %v", n, err)
				}
				d.Close()
			}
		})
	}
}

// TestWritePathMigration: 00004 and 00005 keep an index's rows both
// ways; the rollups 00004 computes from them are those the writer keeps as
// it goes, and the id keys 00005 computes are the writer's (idkey.Of).
func TestWritePathMigration(t *testing.T) {
	for name, fresh := range sqltest.Databases(t, "index.db") {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := openFresh(t, fresh(t))
			w := NewWriter(db, "peg-synthetic", "GB", gbptContract)
			s := newSynthetic(7)
			for range 4 {
				if err := w.Write(ctx, []*client.BlockReceipts{s.next()}); err != nil {
					t.Fatal(err)
				}
			}
			dump := func() string {
				var b strings.Builder
				for _, q := range []string{
					`SELECT address, time_ns, chain_id, height, idx, region, tx_id, kind, token, counterparty, amount_in, amount_out, net_hi, net_lo FROM entries ORDER BY address, time_ns, chain_id, height, idx`,
					`SELECT day, chain_id, token, region, payee_region, payments, amt_hi, amt_lo FROM payment_days ORDER BY day, token, region, payee_region, chain_id`,
					`SELECT day, address FROM active_days ORDER BY day, address`,
					`SELECT tx_key, tx_id FROM txs ORDER BY chain_id, height, idx`,
					`SELECT coin_key, coin_id, owner, amount, created_tx, spent_tx FROM coins ORDER BY coin_id`,
				} {
					rows, err := db.QueryContext(ctx, q)
					if err != nil {
						t.Fatal(err)
					}
					cols, _ := rows.Columns()
					vals := make([]any, len(cols))
					for i := range vals {
						vals[i] = new(any)
					}
					for rows.Next() {
						if err := rows.Scan(vals...); err != nil {
							t.Fatal(err)
						}
						for _, v := range vals {
							fmt.Fprintf(&b, "%v|", *v.(*any))
						}
						b.WriteByte('\n')
					}
					rows.Close()
				}
				return b.String()
			}
			want := dump()
			// entries (a mint's minter and payee, a payment's two), one
			// day's payments, the 7 accounts and the minter, the
			// transactions and their coins (a mint's one, a payment's two).
			if strings.Count(want, "\n") != 7*2*4+1+8+7*4+7*(1+3*2) {
				t.Fatalf("the writer's rows:\n%s", want)
			}
			sub, err := fs.Sub(migrations, "migrations")
			if err != nil {
				t.Fatal(err)
			}
			dialect := goose.DialectSQLite3
			if db.Postgres {
				dialect = goose.DialectPostgres
			}
			p, err := goose.NewProvider(dialect, db.DB, sub)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.DownTo(ctx, 3); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM entries WHERE events IS NULL`).Scan(&n); err == nil {
				t.Fatal("entries has an events column")
			}
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM txs WHERE events = '[]'`).Scan(&n); err != nil || n != 7*4 {
				t.Fatalf("txs at version 3: %d rows with events '[]', %v", n, err)
			}
			if _, err := p.Up(ctx); err != nil {
				t.Fatal(err)
			}
			if got := dump(); got != want {
				t.Fatalf("after 00005 and 00004 down and up:\n%s\nthe writer's:\n%s", got, want)
			}
		})
	}
}

// TestSQLitePageSize: an SQLite index is created with pages of
// SQLitePageBytes, in WAL mode.
func TestSQLitePageSize(t *testing.T) {
	ctx := context.Background()
	where := filepath.Join(t.TempDir(), "index.db")
	db := openFresh(t, where)
	var size int
	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&size); err != nil || size != SQLitePageBytes {
		t.Fatalf("page size %d %v, want %d", size, err, SQLitePageBytes)
	}
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal mode %q %v", mode, err)
	}
}
