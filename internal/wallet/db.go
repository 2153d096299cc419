package wallet

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, pure Go
)

//go:embed migrations/*.sql
var migrations embed.FS

// db is the wallet server's database: SQLite in a file by default, PostgreSQL
// when the server is given a postgres:// URL. Every query is written once, in
// the SQL both accept, with $N placeholders.
type db struct {
	*sql.DB
	postgres bool
}

// openDB opens the database at where, a postgres:// (or postgresql://) URL
// or the path of an SQLite file, and brings its schema up to date.
func openDB(ctx context.Context, where string) (*db, error) {
	d, err := connect(where)
	if err != nil {
		return nil, err
	}
	if err := d.migrate(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func connect(where string) (*db, error) {
	if where == "" {
		return nil, errors.New("wallet: no database given")
	}
	if strings.HasPrefix(where, "postgres://") || strings.HasPrefix(where, "postgresql://") {
		sqldb, err := sql.Open("pgx", where)
		if err != nil {
			return nil, fmt.Errorf("wallet: opening PostgreSQL: %w", err)
		}
		return &db{DB: sqldb, postgres: true}, nil
	}
	// One connection: SQLite has one writer, and the server sequences its
	// writes itself; WAL lets a reader in another process (sqlite3) look on.
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(FULL)")
	sqldb, err := sql.Open("sqlite", "file:"+where+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("wallet: opening SQLite %s: %w", where, err)
	}
	sqldb.SetMaxOpenConns(1)
	return &db{DB: sqldb}, nil
}

// migrate applies the migrations the database has not had, with goose's
// Provider over the embedded files: one set for both databases.
func (d *db) migrate(ctx context.Context) error {
	dialect := goose.DialectSQLite3
	if d.postgres {
		dialect = goose.DialectPostgres
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(dialect, d.DB, sub)
	if err != nil {
		return fmt.Errorf("wallet: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("wallet: migrating the database: %w", err)
	}
	return nil
}

// inTx runs fn in one SQL transaction, committed if fn returns nil.
func (d *db) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := d.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("wallet: database: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("wallet: database: %w", err)
	}
	return nil
}

// queryer is what reads need: a *sql.DB or a *sql.Tx.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

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
