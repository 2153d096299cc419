package api

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/index"
	"github.com/pegledger/peg/internal/index/idkey"
	"github.com/pegledger/peg/internal/index/query"
	"github.com/pegledger/peg/internal/sqldb"
	"github.com/pegledger/peg/internal/sqldb/sqltest"
)

// indexDay is the day the index fixture's rows fall on.
var indexDay = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// seedIndex writes, with plain SQL, a chain of 30 blocks each carrying one
// payment of n pence of an unknown token between two addresses, and a
// published report.
func seedIndex(t *testing.T, db *sqldb.DB, payer, payee string) {
	ctx := context.Background()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for h := 1; h <= 30; h++ {
		at := indexDay.Add(time.Duration(h) * time.Hour)
		day := at.Format("2006-01-02")
		id := fmt.Sprintf("%064x", h)
		exec(`INSERT INTO blocks (chain_id, height, time_ns, day, hash, app_hash, proposer, txs) VALUES ('peg-gb', $1, $2, $3, $4, '', 'P', 1)`,
			h, at.UnixNano(), day, id)
		exec(`INSERT INTO txs (chain_id, region, height, idx, tx_id, tx_key, time_ns, day, kind, signer, code, code_name, token, amount,
			amt_hi, amt_lo, payer, payee, payee_region, fee) VALUES ('peg-gb', 'GB', $1, 0, $2, $9, $3, $4, 'pay', $5, 0, 'OK',
			'xtok', $6, 0, $7, $5, $8, '', '0')`,
			h, id, at.UnixNano(), day, payer, fmt.Sprint(h), h, payee, idkey.Of(id))
		for _, e := range [][3]string{{payer, payee, "out"}, {payee, payer, "in"}} {
			in, out := "0", fmt.Sprint(h)
			if e[2] == "in" {
				in, out = out, in
			}
			exec(`INSERT INTO entries (address, chain_id, region, height, idx, tx_id, time_ns, kind, token, counterparty, amount_in,
				amount_out, net_hi, net_lo) VALUES ($1, 'peg-gb', 'GB', $2, 0, $3, $4, 'pay', 'xtok', $5, $6, $7, 0, 0)`,
				e[0], h, id, at.UnixNano(), e[1], in, out)
		}
	}
	exec(`INSERT INTO chains (chain_id, region, height, block_hash, time_ns) VALUES ('peg-gb', 'GB', 30, $1, $2)`,
		fmt.Sprintf("%064x", 30), indexDay.Add(30*time.Hour).UnixNano())
	if err := index.Rollups(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, err := query.PublishDue(ctx, db, ""); err != nil {
		t.Fatal(err)
	}
}

// newIndexEnv is a test API serving an index on the database where.
func newIndexEnv(t *testing.T, where string) (*testEnv, *sqldb.DB) {
	db, err := index.Open(context.Background(), where)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return newTestEnvWith(t, WithIndex(query.New(db, nil))), db
}

// TestIndexEndpoints: the index's endpoints answer from the database on
// both SQLite and PostgreSQL, their answers valid against openapi.yaml.
func TestIndexEndpoints(t *testing.T) {
	for name, fresh := range sqltest.Databases(t, "index.db") {
		t.Run(name, func(t *testing.T) {
			e, db := newIndexEnv(t, fresh(t))
			payer, payee := newKey(41).addr.String(), newKey(42).addr.String()
			seedIndex(t, db, payer, payee)
			ctx := context.Background()
			c := e.client
			var seen int
			q := client.HistoryQuery{Account: payer, Limit: 7}
			for {
				p, err := c.History(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, it := range p.Items {
					if it.Direction != "out" || it.Counterparty != payee || it.AmountOut != it.Units {
						t.Fatalf("payer's entry %+v", it)
					}
				}
				seen += len(p.Items)
				if q.Cursor = p.NextCursor; q.Cursor == "" {
					break
				}
			}
			if seen != 30 {
				t.Fatalf("walked %d entries, want 30", seen)
			}
			body, next, err := c.HistoryCSV(ctx, client.HistoryQuery{Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
			if err != nil || len(rows) != 11 || rows[0][0] != "tx_id" || rows[1][3] != "30" || next == "" {
				t.Fatalf("CSV %d rows %v, next %q", len(rows), err, next)
			}
			if _, _, err := c.HistoryCSV(ctx, client.HistoryQuery{Limit: 10, Cursor: next}); err != nil {
				t.Fatalf("the CSV's next page: %v", err)
			}
			b, err := c.HistoryBlocks(ctx, "peg-gb", "", 5)
			if err != nil || len(b.Items) != 5 || b.Items[0].Height != 30 || b.Items[0].Region != "GB" {
				t.Fatalf("blocks %+v %v", b, err)
			}
			tx, err := c.HistoryTx(ctx, fmt.Sprintf("%064x", 3))
			if err != nil || tx.Height != 3 || tx.Kind != "pay" {
				t.Fatalf("tx %+v %v", tx, err)
			}
			apiErr(t, errOnly(c.HistoryTx(ctx, fmt.Sprintf("%064x", 99))), http.StatusNotFound, "NOT_FOUND")
			apiErr(t, errOnly(c.HistoryCoin(ctx, "nope")), http.StatusNotFound, "NOT_FOUND")
			st, err := c.IndexStatus(ctx)
			if err != nil || len(st.Chains) != 1 || st.Chains[0].Height != 30 {
				t.Fatalf("status %+v %v", st, err)
			}
			v, err := c.Volumes(ctx, client.AnalyticsQuery{From: "2026-03-01", To: "2026-03-02"})
			if err != nil || len(v.Rows) != 2 || v.Rows[0].Count != 23 || v.Rows[0].Units != "276" || v.Rows[0].Unit != "" {
				t.Fatalf("volumes %+v %v", v, err)
			}
			for _, call := range []func() error{
				func() error { _, err := c.Corridors(ctx, client.AnalyticsQuery{}); return err },
				func() error { _, err := c.Active(ctx, client.AnalyticsQuery{Group: "month"}); return err },
				func() error { _, err := c.Settlement(ctx, client.AnalyticsQuery{What: "credit"}); return err },
				func() error { _, err := c.Trend(ctx, client.AnalyticsQuery{Metric: "count", Window: "7d"}); return err },
			} {
				if err := call(); err != nil {
					t.Fatal(err)
				}
			}
			apiErr(t, errOnly(c.Coverage(ctx, client.AnalyticsQuery{Token: "xtok"})), http.StatusNotFound, "NOT_FOUND")
			pub, err := c.Published(ctx, "", "", 0)
			if err != nil || len(pub.Items) != 1 || pub.Items[0].Name != "daily-2026-03-01" {
				t.Fatalf("published %+v %v", pub, err)
			}
			rep, sum, err := c.PublishedReport(ctx, "daily-2026-03-01")
			if got := sha256.Sum256(rep); err != nil || hex.EncodeToString(got[:]) != sum || sum != pub.Items[0].SHA256 {
				t.Fatalf("report's SHA-256 %s, header %s, list %s (%v)", hex.EncodeToString(got[:]), sum, pub.Items[0].SHA256, err)
			}
			apiErr(t, errOnly2(c.PublishedReport(ctx, "daily-2026-03-02")), http.StatusNotFound, "NOT_FOUND")
		})
	}
}

func errOnly[T any](_ T, err error) error { return err }

func errOnly2[A, B any](_ A, _ B, err error) error { return err }

// TestIndexWithoutDatabase: a node without an index answers its
// endpoints 503 with a message saying so.
func TestIndexWithoutDatabase(t *testing.T) {
	e := newTestEnv(t)
	for _, path := range indexPaths(t) {
		res, body := get(t, e.srv.URL+strings.ReplaceAll(strings.ReplaceAll(path, "{id}", fmt.Sprintf("%064x", 1)), "{name}", "daily-2026-03-01")+"?what=trade&metric=count&token=gbpp")
		if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "no index configured") {
			t.Errorf("%s: %d %s", path, res.StatusCode, body)
		}
	}
}

// indexPaths is every path of the index's endpoints in openapi.yaml.
func indexPaths(t *testing.T) []string {
	var out []string
	for path := range spec().Paths.Map() {
		if strings.HasPrefix(path, "/v1/history") || strings.HasPrefix(path, "/v1/analytics/") || strings.HasPrefix(path, "/v1/published") {
			out = append(out, path)
		}
	}
	if len(out) != 13 {
		t.Fatalf("openapi.yaml has %d index paths, want 13", len(out))
	}
	return out
}

func get(t *testing.T, u string) (*http.Response, []byte) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// hostile are the values sent in every parameter of every index endpoint.
var hostile = []string{
	"'", `"`, "' OR '1'='1", "1; DROP TABLE txs; --", "x') UNION SELECT body FROM reports --", "pаy😀", "\u202e\u0000",
	"%00", "-1", "99999999999999999999999", "1e400", "2026-02-30", "../../etc/passwd", strings.Repeat("A", 10_000),
}

// TestIndexBadInput sends each hostile value in each parameter (query and
// path) of each index endpoint, as openapi.yaml lists them, so that none
// is missed: every answer is 200 (an empty or unaffected page), 400 or
// 404, never a 5xx; and the database is intact after.
func TestIndexBadInput(t *testing.T) {
	for name, fresh := range sqltest.Databases(t, "index.db") {
		t.Run(name, func(t *testing.T) {
			e, db := newIndexEnv(t, fresh(t))
			seedIndex(t, db, newKey(41).addr.String(), newKey(42).addr.String())
			good := map[string]string{"id": fmt.Sprintf("%064x", 1), "name": "daily-2026-03-01", "what": "trade", "metric": "count", "token": "xtok"}
			sent := 0
			for _, path := range indexPaths(t) {
				op := spec().Paths.Value(path).Get
				for _, p := range op.Parameters {
					for _, bad := range hostile {
						u := requestURL(e.srv.URL, path, op.Parameters, good, p.Value, bad)
						res, body := get(t, u)
						sent++
						if res.StatusCode >= 500 || (res.StatusCode != 200 && res.StatusCode != 400 && res.StatusCode != 404) {
							t.Errorf("%s %s=%.40q: %d %s", path, p.Value.Name, bad, res.StatusCode, body)
						}
						if res.StatusCode != 200 && !strings.Contains(string(body), `"message"`) {
							t.Errorf("%s %s=%.40q: %d without a message: %s", path, p.Value.Name, bad, res.StatusCode, body)
						}
					}
				}
			}
			var n int
			if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM txs`).Scan(&n); err != nil || n != 30 {
				t.Fatalf("after %d hostile requests the index holds %d transactions (%v), want 30", sent, n, err)
			}
			t.Logf("%d hostile requests", sent)
		})
	}
}

// requestURL is path with its required parameters good and bad in p.
func requestURL(base, path string, params openapi3.Parameters, good map[string]string, p *openapi3.Parameter, bad string) string {
	q := url.Values{}
	for _, o := range params {
		v, ok := good[o.Value.Name]
		if o.Value == p {
			v, ok = bad, true
		}
		if !ok || (!o.Value.Required && o.Value != p && o.Value.In == "query") {
			continue
		}
		if o.Value.In == "path" {
			path = strings.ReplaceAll(path, "{"+o.Value.Name+"}", url.PathEscape(v))
		} else {
			q.Set(o.Value.Name, v)
		}
	}
	if len(q) > 0 {
		return base + path + "?" + q.Encode()
	}
	return base + path
}

// TestIndexNotYetWritten: a node whose index peg index has not created yet
// answers 503, saying so, not 500.
func TestIndexNotYetWritten(t *testing.T) {
	r, err := query.Open(t.TempDir()+"/index.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	e := newTestEnvWith(t, WithIndex(r))
	res, body := get(t, e.srv.URL+"/v1/history")
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "peg index") {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
}
