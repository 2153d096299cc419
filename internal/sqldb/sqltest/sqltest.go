// Package sqltest gives tests the databases internal/sqldb opens: a fresh
// SQLite file always, and a fresh PostgreSQL database when the tests are
// given a server in PEG_TEST_POSTGRES_URL (CI's .ci/run starts one).
package sqltest

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// PostgresEnv names the PostgreSQL server tests may use.
const PostgresEnv = "PEG_TEST_POSTGRES_URL"

// Databases returns, by name ("sqlite", and "postgres" when PostgresEnv is
// set), a function making a fresh, empty database for one test and giving
// where to open it (internal/sqldb.Open). file names the SQLite file.
func Databases(t *testing.T, file string) map[string]func(t *testing.T) string {
	dbs := map[string]func(t *testing.T) string{
		"sqlite": func(t *testing.T) string { return filepath.Join(t.TempDir(), file) },
	}
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Logf("%s is not set: the PostgreSQL half of this test is skipped (CI sets it)", PostgresEnv)
		return dbs
	}
	dbs["postgres"] = func(t *testing.T) string { return FreshPostgres(t, base) }
	return dbs
}

// FreshPostgres creates an empty database on the server at base for one
// test, drops it after, and returns its URL.
func FreshPostgres(t testing.TB, base string) string {
	t.Helper()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := fmt.Sprintf("peg_test_%d_%d", os.Getpid(), rand.Uint64()%1_000_000_000)
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatalf("creating a test database on %s: %v", PostgresEnv, err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		a.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
