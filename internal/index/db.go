// Package index keeps the trade database (REQUIREMENTS S1.3, S1.9): what a
// region's committed blocks did, in SQL (SQLite by default, PostgreSQL by
// URL; internal/sqldb), for queries, analytics and published reports. Its
// schema is migrations/; the conventions for amounts and times are written
// at its top.
package index

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/pegledger/peg/internal/sqldb"
)

//go:embed migrations/*.sql
var migrations embed.FS

// SQLiteCacheKiB is the page cache of the writer's SQLite connection: the
// index's tables and their indexes are written all over as blocks come, and
// SQLite's default of 2 MiB would have every insert read its pages again.
const SQLiteCacheKiB = 1 << 20

// SQLiteMmapBytes is how much of the SQLite file the writer reads through
// memory mapping rather than a read call a page.
const SQLiteMmapBytes = 16 << 30

// SQLitePageBytes is the page size of an SQLite index the writer creates:
// half SQLite's default, because once the index outgrows its cache most
// inserts land each on a page of its own (keys by hash or by address), and
// every page a batch dirties is written twice, to the log and at the
// checkpoint. An index created before keeps its page size.
const SQLitePageBytes = 2048

// GCPercent is the indexer's garbage-collection target (GOGC) when the
// environment sets none: a batch's rows are short-lived garbage in the
// hundreds of megabytes, which the default of 100 collects several times a
// batch.
const GCPercent = 400

// Open opens the index at where (an SQLite file's path or a postgres://
// URL) for writing and brings its schema up to date. On SQLite, the
// writer's one connection gets a page cache of SQLiteCacheKiB, reads
// through a memory map of up to SQLiteMmapBytes, keeps temporary data
// in memory, and writes with synchronous=NORMAL: in WAL mode a commit is
// then durable against a killed process (what the index resumes from)
// though not against a power cut, after which the indexer writes the lost
// blocks again from the node.
func Open(ctx context.Context, where string) (*sqldb.DB, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	if !sqldb.IsURL(where) {
		if err := createSQLite(ctx, where); err != nil {
			return nil, err
		}
	}
	db, err := sqldb.Open(ctx, "index", where, sub)
	if err != nil || db.Postgres {
		return db, err
	}
	for _, p := range []string{fmt.Sprintf("PRAGMA cache_size = -%d", SQLiteCacheKiB), "PRAGMA synchronous = NORMAL", "PRAGMA temp_store = MEMORY", fmt.Sprintf("PRAGMA mmap_size = %d", SQLiteMmapBytes)} {
		if _, err := db.ExecContext(ctx, p); err != nil {
			db.Close()
			return nil, fmt.Errorf("index: %s: %w", p, err)
		}
	}
	return db, nil
}

// Rollups writes the analyses' rollups (payment_days, active_days) again
// from the rows of txs, entries and blocks, in one SQL transaction: for an
// index whose rows were written or repaired other than by a Writer, which
// keeps them as it goes.
func Rollups(ctx context.Context, db *sqldb.DB) error {
	return db.InTx(ctx, "index", func(tx *sql.Tx) error {
		for _, q := range []string{
			`DELETE FROM payment_days`,
			`INSERT INTO payment_days (day, chain_id, token, region, payee_region, payments, amt_hi, amt_lo)
				SELECT day, chain_id, token, region, payee_region, COUNT(*), SUM(amt_hi), SUM(amt_lo) FROM txs
				WHERE code = 0 AND kind IN ('pay', 'spend_from') GROUP BY day, chain_id, token, region, payee_region`,
			`DELETE FROM active_days`,
			`INSERT INTO active_days (day, address)
				SELECT DISTINCT b.day, e.address FROM entries e JOIN blocks b ON b.chain_id = e.chain_id AND b.height = e.height`,
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("index: rollups: %w", err)
			}
		}
		return nil
	})
}

// createSQLite creates an SQLite index that does not exist yet with pages
// of SQLitePageBytes: the page size is set before the file's first write,
// which here is its switch to WAL mode (sqldb.Open would switch it first).
func createSQLite(ctx context.Context, where string) error {
	if _, err := os.Stat(where); !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	db, err := sql.Open("sqlite", "file:"+where)
	if err != nil {
		return fmt.Errorf("index: creating %s: %w", where, err)
	}
	defer db.Close()
	for _, p := range []string{fmt.Sprintf("PRAGMA page_size = %d", SQLitePageBytes), "PRAGMA journal_mode = WAL"} {
		if _, err := db.ExecContext(ctx, p); err != nil {
			return fmt.Errorf("index: creating %s: %s: %w", where, p, err)
		}
	}
	return nil
}
