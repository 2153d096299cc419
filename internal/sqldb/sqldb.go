// Package sqldb opens the SQL databases Peg's services keep beside the
// chain (the wallet server's, the index): SQLite in a file by default,
// PostgreSQL when given a postgres:// URL, with the schema brought up to date
// by goose from migrations written once, in the SQL both accept, with $N
// placeholders.
package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"net/url"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, pure Go
)

// DB is an open database and which of the two it is.
type DB struct {
	*sql.DB
	Postgres bool
}

// IsURL reports whether where names a PostgreSQL database rather than an
// SQLite file.
func IsURL(where string) bool {
	return strings.HasPrefix(where, "postgres://") || strings.HasPrefix(where, "postgresql://")
}

// Open opens the database at where, a postgres:// (or postgresql://) URL or
// the path of an SQLite file, and applies the migrations in dir of
// migrations it has not had. what names the database in errors ("wallet").
//
// An SQLite database is opened with one connection, in WAL mode: it has one
// writer, which sequences its writes itself, and WAL lets readers in other
// processes (OpenReader, sqlite3) look on while it writes.
func Open(ctx context.Context, what, where string, migrations fs.FS) (*DB, error) {
	d, err := connect(what, where, false)
	if err != nil {
		return nil, err
	}
	if err := d.migrate(ctx, what, migrations); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// OpenReader opens the database at where for reading only, with conns
// connections, without migrating it: a reader in another process than the
// database's writer. It fails if the database does not exist.
func OpenReader(what, where string, conns int) (*DB, error) {
	d, err := connect(what, where, true)
	if err != nil {
		return nil, err
	}
	d.SetMaxOpenConns(conns)
	return d, nil
}

func connect(what, where string, readOnly bool) (*DB, error) {
	if where == "" {
		return nil, fmt.Errorf("%s: no database given", what)
	}
	if IsURL(where) {
		sqldb, err := sql.Open("pgx", where)
		if err != nil {
			return nil, fmt.Errorf("%s: opening PostgreSQL: %w", what, err)
		}
		return &DB{DB: sqldb, Postgres: true}, nil
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	if readOnly {
		q.Add("mode", "ro")
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "foreign_keys(1)")
		q.Add("_pragma", "synchronous(FULL)")
	}
	sqldb, err := sql.Open("sqlite", "file:"+where+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("%s: opening SQLite %s: %w", what, where, err)
	}
	if !readOnly {
		sqldb.SetMaxOpenConns(1)
	}
	return &DB{DB: sqldb}, nil
}

// migrate applies the migrations the database has not had, with goose's
// Provider over the embedded files: one set for both databases.
func (d *DB) migrate(ctx context.Context, what string, migrations fs.FS) error {
	dialect := goose.DialectSQLite3
	if d.Postgres {
		dialect = goose.DialectPostgres
	}
	p, err := goose.NewProvider(dialect, d.DB, migrations)
	if err != nil {
		return fmt.Errorf("%s: migrations: %w", what, err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("%s: migrating the database: %w", what, err)
	}
	return nil
}

// InTx runs fn in one SQL transaction, committed if fn returns nil; what
// names the database in errors.
func (d *DB) InTx(ctx context.Context, what string, fn func(*sql.Tx) error) error {
	tx, err := d.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: database: %w", what, err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: database: %w", what, err)
	}
	return nil
}

// Queryer is what reads need: a *sql.DB or a *sql.Tx.
type Queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}
