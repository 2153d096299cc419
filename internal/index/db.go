// Package index keeps the trade database (REQUIREMENTS S1.3, S1.9): what a
// region's committed blocks did, in SQL (SQLite by default, PostgreSQL by
// URL; internal/sqldb), for queries, analytics and published reports. Its
// schema is migrations/; the conventions for amounts and times are written
// at its top.
package index

import (
	"context"
	"embed"
	"io/fs"

	"github.com/pegledger/peg/internal/sqldb"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Open opens the index at where (an SQLite file's path or a postgres://
// URL) for writing and brings its schema up to date.
func Open(ctx context.Context, where string) (*sqldb.DB, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	return sqldb.Open(ctx, "index", where, sub)
}
