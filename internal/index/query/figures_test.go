package query

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/index"
	"github.com/pegledger/peg/internal/index/idkey"
	"github.com/pegledger/peg/internal/sqldb"
	"github.com/pegledger/peg/internal/sqldb/sqltest"
)

// The figures of BENCHMARKS.md, "Queries": query latency over an index of
// PEG_QUERY_FIGURES transactions (3,000,000 for the published figures),
// bulk-inserted in the schema's shape. Not run by default (minutes of
// inserts):
//
//	PEG_QUERY_FIGURES=3000000 PEG_TEST_POSTGRES_URL=postgres://… \
//	  go test ./internal/index/query -run TestQueryFigures -v -timeout 2h
//
// The synthetic year: 5,000 accounts, payers skewed (account k pays with
// probability proportional to 1/sqrt(k): the busiest has some 40,000
// payments in the year, most a few hundred), payees uniform; three tokens,
// three regions (one chain each), one payment in ten to another region;
// amounts uniform up to 10,000.00; blocks of 100 transactions; a year of
// days, 2025, evenly.
const (
	figAccounts = 5000
	figBlockTxs = 100
	figRuns     = 200
)

var (
	figChains  = []string{"peg-gb", "peg-de", "peg-hk"}
	figRegions = []string{"GB", "DE", "HK"}
	figTokens  = []string{"gbpt", "eurt", "hkdt"}
	figStart   = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
)

func TestQueryFigures(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("PEG_QUERY_FIGURES"))
	if n <= 0 {
		t.Skip("PEG_QUERY_FIGURES (a number of transactions) is not set: the query figures are not measured")
	}
	for name, fresh := range sqltest.Databases(t, "figures.db") {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			where := fresh(t)
			db, err := index.Open(ctx, where)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if !db.Postgres {
				// The fill's own settings, on the one connection: a page
				// cache that holds the indexes, and no fsync per commit.
				for _, p := range []string{"PRAGMA cache_size = -1000000", "PRAGMA synchronous = OFF"} {
					if _, err := db.ExecContext(ctx, p); err != nil {
						t.Fatal(err)
					}
				}
			}
			start := time.Now()
			fillFigures(t, db, n)
			t.Logf("%s: %d transactions, %d entries inserted in %s; the database takes %d MB", name, n, 2*n,
				time.Since(start).Round(time.Second), databaseSize(t, db, where)>>20)
			if _, err := db.ExecContext(ctx, "ANALYZE"); err != nil {
				t.Fatal(err)
			}
			r := New(db, func(id string) (Token, bool) { return Token{Symbol: strings.ToUpper(id), Decimals: 2}, true })
			rnd := rand.New(rand.NewPCG(7, 7))
			measure(t, name, "account history, first page (50)", func() error {
				_, err := r.History(ctx, client.HistoryQuery{Account: figAddr(skewed(rnd))})
				return err
			})
			measure(t, name, "account history, busiest account, page after a cursor", func() func() error {
				p, err := r.History(ctx, client.HistoryQuery{Account: figAddr(0), Limit: 50})
				if err != nil {
					t.Fatal(err)
				}
				return func() error {
					_, err := r.History(ctx, client.HistoryQuery{Account: figAddr(0), Limit: 50, Cursor: p.NextCursor})
					return err
				}
			}())
			measure(t, name, "account history, one token and a month", func() error {
				m := 1 + rnd.IntN(12)
				_, err := r.History(ctx, client.HistoryQuery{Account: figAddr(skewed(rnd)), Token: figTokens[rnd.IntN(3)],
					From: fmt.Sprintf("2025-%02d-01", m), To: time.Date(2025, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Format(dayLayout)})
				return err
			})
			measure(t, name, "all transactions, first page (50)", func() error {
				_, err := r.History(ctx, client.HistoryQuery{})
				return err
			})
			measure(t, name, "month's volume report (by token and region)", func() error {
				m := 1 + rnd.IntN(12)
				_, err := r.Volumes(ctx, client.AnalyticsQuery{Group: "month", From: fmt.Sprintf("2025-%02d-01", m),
					To: time.Date(2025, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Format(dayLayout)})
				return err
			})
			measure(t, name, "month's volume by day", func() error {
				m := 1 + rnd.IntN(12)
				_, err := r.Volumes(ctx, client.AnalyticsQuery{Group: "day", From: fmt.Sprintf("2025-%02d-01", m),
					To: time.Date(2025, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Format(dayLayout)})
				return err
			})
		})
	}
}

// databaseSize is the bytes the database takes on disk.
func databaseSize(t *testing.T, db *sqldb.DB, where string) int64 {
	if db.Postgres {
		var n int64
		if err := db.QueryRowContext(context.Background(), `SELECT pg_database_size(current_database())`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	var n int64
	for _, suffix := range []string{"", "-wal"} {
		if fi, err := os.Stat(where + suffix); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// measure runs q figRuns times (a few first, unmeasured, to warm the
// caches) and logs its p50 and p99.
func measure(t *testing.T, db, what string, q func() error) {
	runs := figRuns
	if strings.Contains(what, "volume") {
		runs = 40
	}
	for range 3 {
		if err := q(); err != nil {
			t.Fatal(err)
		}
	}
	var ds []time.Duration
	for fails := 0; len(ds) < runs; {
		start := time.Now()
		if err := q(); err != nil {
			// A server restarted under the run: the query is not counted.
			if fails++; fails > 5 {
				t.Fatal(err)
			}
			t.Logf("%s: %v; again in 3 s", what, err)
			time.Sleep(3 * time.Second)
			continue
		}
		ds = append(ds, time.Since(start))
	}
	slices.Sort(ds)
	p := func(f float64) time.Duration { return ds[max(int(f*float64(len(ds)))-1, 0)] }
	t.Logf("FIGURE %s | %s | runs %d | p50 %s | p99 %s", db, what, runs, p(0.50).Round(10*time.Microsecond), p(0.99).Round(10*time.Microsecond))
}

// skewed draws an account, account k with probability about 1/sqrt(k).
func skewed(r *rand.Rand) int {
	f := r.Float64()
	return int(f * f * figAccounts)
}

func figAddr(k int) string { return addr(k) }

// fillFigures inserts n payments, their entries and blocks, in
// transactions of 10,000 rows, with multi-row INSERTs.
func fillFigures(t *testing.T, db *sqldb.DB, n int) {
	ctx := context.Background()
	rnd := rand.New(rand.NewPCG(1, 2))
	step := int64(365*24*time.Hour) / int64(n)
	const batch = 10_000
	const rowsPer = 100 // rows per INSERT statement
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		// A batch is one SQL transaction; a batch cut off by the server
		// restarting (the machine's PostgreSQL is shared with fault tests
		// that restart it) is rolled back and sent again.
		rows := func(tx *sql.Tx) error {
			var txRows, entryRows, blockRows [][]any
			for i := lo; i < hi; i++ {
				blk := i / figBlockTxs
				c := blk % len(figChains)
				at := figStart.Add(time.Duration(int64(i) * step))
				if i%figBlockTxs == 0 {
					blockRows = append(blockRows, []any{figChains[c], blk + 1, at.UnixNano(), at.Format(dayLayout),
						fmt.Sprintf("%064x", blk+1), "", "P", figBlockTxs})
				}
				payer, payee := skewed(rnd), rnd.IntN(figAccounts)
				if payee == payer {
					payee = (payee + 1) % figAccounts
				}
				tok := figTokens[rnd.IntN(3)]
				amount := strconv.Itoa(1 + rnd.IntN(1_000_000))
				lo9, _ := strconv.ParseInt(amount, 10, 64)
				payeeRegion := ""
				if rnd.IntN(10) == 0 {
					payeeRegion = figRegions[(c+1+rnd.IntN(2))%3]
				}
				id := fmt.Sprintf("%064x", i)
				txRows = append(txRows, []any{figChains[c], figRegions[c], blk + 1, i % figBlockTxs, id, idkey.Of(id), at.UnixNano(), at.Format(dayLayout),
					"pay", figAddr(payer), 0, "OK", tok, amount, 0, lo9, figAddr(payer), figAddr(payee), payeeRegion, "0"})
				entryRows = append(entryRows,
					[]any{figAddr(payer), figChains[c], figRegions[c], blk + 1, i % figBlockTxs, id, at.UnixNano(), "pay", tok, figAddr(payee), "0", amount, 0, 0},
					[]any{figAddr(payee), figChains[c], figRegions[c], blk + 1, i % figBlockTxs, id, at.UnixNano(), "pay", tok, figAddr(payer), amount, "0", 0, 0})
			}
			for _, ins := range []struct {
				head string
				rows [][]any
			}{
				{"INSERT INTO blocks (chain_id, height, time_ns, day, hash, app_hash, proposer, txs) VALUES ", blockRows},
				{`INSERT INTO txs (chain_id, region, height, idx, tx_id, tx_key, time_ns, day, kind, signer, code, code_name, token, amount,
					amt_hi, amt_lo, payer, payee, payee_region, fee) VALUES `, txRows},
				{`INSERT INTO entries (address, chain_id, region, height, idx, tx_id, time_ns, kind, token, counterparty, amount_in,
					amount_out, net_hi, net_lo) VALUES `, entryRows},
			} {
				if !db.Postgres {
					// SQLite: one prepared statement a row (the multi-row
					// statement's parse costs more than it saves).
					if err := insertPrepared(ctx, tx, ins.head, ins.rows); err != nil {
						return err
					}
					continue
				}
				for s := 0; s < len(ins.rows); s += rowsPer {
					if err := insertRows(ctx, tx, ins.head, ins.rows[s:min(s+rowsPer, len(ins.rows))]); err != nil {
						return err
					}
				}
			}
			return nil
		}
		err := db.InTx(ctx, "figures", rows)
		for retry := 0; err != nil && retry < 10; retry++ {
			t.Logf("batch at %d: %v; again in 3 s", lo, err)
			time.Sleep(3 * time.Second)
			err = db.InTx(ctx, "figures", rows)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	last := figStart.Add(time.Duration(int64(n-1) * step))
	for c, id := range figChains {
		if _, err := db.ExecContext(ctx, `INSERT INTO chains (chain_id, region, height, block_hash, time_ns) VALUES ($1, $2, $3, '', $4)`,
			id, figRegions[c], n/figBlockTxs, last.UnixNano()); err != nil {
			t.Fatal(err)
		}
	}
	if err := index.Rollups(ctx, db); err != nil {
		t.Fatal(err)
	}
}

func insertPrepared(ctx context.Context, tx *sql.Tx, head string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	marks := make([]string, len(rows[0]))
	for i := range marks {
		marks[i] = fmt.Sprintf("$%d", i+1)
	}
	st, err := tx.PrepareContext(ctx, head+"("+strings.Join(marks, ", ")+")")
	if err != nil {
		return err
	}
	defer st.Close()
	for _, row := range rows {
		if _, err := st.ExecContext(ctx, row...); err != nil {
			return err
		}
	}
	return nil
}

func insertRows(ctx context.Context, tx *sql.Tx, head string, rows [][]any) error {
	var b strings.Builder
	b.WriteString(head)
	var args []any
	for i, row := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(")
		for j, v := range row {
			if j > 0 {
				b.WriteString(", ")
			}
			args = append(args, v)
			fmt.Fprintf(&b, "$%d", len(args))
		}
		b.WriteString(")")
	}
	_, err := tx.ExecContext(ctx, b.String(), args...)
	return err
}
