package wallet

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/pegledger/peg/internal/sqldb"
)

//go:embed migrations/*.sql
var migrations embed.FS

// db is the wallet server's database (internal/sqldb): SQLite in a file by
// default, PostgreSQL when the server is given a postgres:// URL.
type db struct{ *sqldb.DB }

// openDB opens the database at where, a postgres:// (or postgresql://) URL
// or the path of an SQLite file, and brings its schema up to date.
func openDB(ctx context.Context, where string) (*db, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	d, err := sqldb.Open(ctx, "wallet", where, sub)
	if err != nil {
		return nil, err
	}
	return &db{d}, nil
}

// inTx runs fn in one SQL transaction, committed if fn returns nil.
func (d *db) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	return d.InTx(ctx, "wallet", fn)
}

// queryer is what reads need: a *sql.DB or a *sql.Tx.
type queryer = sqldb.Queryer

// getMeta reads a meta value; ok is false when it is not set.
func getMeta(ctx context.Context, q queryer, name string) (string, bool, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM meta WHERE name = $1`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("wallet: reading %s: %w", name, err)
	}
	return v, true, nil
}

// setMeta writes a meta value, replacing any.
func setMeta(ctx context.Context, q queryer, name, value string) error {
	_, err := q.ExecContext(ctx, `INSERT INTO meta (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	if err != nil {
		return fmt.Errorf("wallet: writing %s: %w", name, err)
	}
	return nil
}
