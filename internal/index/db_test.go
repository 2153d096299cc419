package index

import (
	"context"
	"testing"

	"github.com/pegledger/peg/internal/sqldb/sqltest"
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
