package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/index"
	"github.com/pegledger/peg/internal/index/idkey"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/node"
)

// writeIndexFixture writes, with plain SQL, an index of chain id holding
// n blocks on 2026-03-01 and the next day, each with a payment of h units
// of xtok from payer to payee.
func writeIndexFixture(t *testing.T, where, chain, payer, payee string, n int) {
	ctx := context.Background()
	db, err := index.Open(ctx, where)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for h := 1; h <= n; h++ {
		at := day.Add(time.Duration(h) * time.Hour)
		id := fmt.Sprintf("%064x", h)
		exec(`INSERT INTO blocks (chain_id, height, time_ns, day, hash, app_hash, proposer, txs) VALUES ($1, $2, $3, $4, $5, '', 'P', 1)`,
			chain, h, at.UnixNano(), at.Format(time.DateOnly), id)
		exec(`INSERT INTO txs (chain_id, region, height, idx, tx_id, tx_key, time_ns, day, kind, signer, code, code_name, token, amount,
			amt_hi, amt_lo, payer, payee, payee_region, fee) VALUES ($1, 'GB', $2, 0, $3, $9, $4, $5, 'pay', $6, 0, 'OK',
			'xtok', $7, 0, $2, $6, $8, '', '0')`, chain, h, id, at.UnixNano(), at.Format(time.DateOnly), payer, fmt.Sprint(h), payee, idkey.Of(id))
		exec(`INSERT INTO entries (address, chain_id, region, height, idx, tx_id, time_ns, kind, token, counterparty, amount_in,
			amount_out, net_hi, net_lo) VALUES ($1, $2, 'GB', $3, 0, $4, $5, 'pay', 'xtok', $6, '0', $7, 0, 0)`,
			payer, chain, h, id, at.UnixNano(), payee, fmt.Sprint(h))
	}
	exec(`INSERT INTO chains (chain_id, region, height, block_hash, time_ns) VALUES ($1, 'GB', $2, $3, $4)`,
		chain, n, fmt.Sprintf("%064x", n), day.Add(time.Duration(n)*time.Hour).UnixNano())
	if err := index.Rollups(ctx, db); err != nil {
		t.Fatal(err)
	}
}

// TestHistoryAndReports runs peg history and peg report against a real
// node serving an index database its configuration names.
func TestHistoryAndReports(t *testing.T) {
	t.Setenv("PEG_PASSPHRASE", "")
	home := t.TempDir()
	base := freeBasePort(t)
	mustPeg(t, home, "init", "--chain-id", "hist-gb", "--region", "GB", "--base-port", fmt.Sprint(base))
	cfgPath := filepath.Join(home, node.ConfigFile)
	b, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "database = ''") {
		t.Fatalf("peg init's configuration has no empty [index] database:\n%s", b)
	}
	if err := os.WriteFile(cfgPath, []byte(strings.Replace(string(b), "database = ''", "database = 'fixture.db'", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	payer, payee := testAddress(1), testAddress(2)
	writeIndexFixture(t, filepath.Join(home, "fixture.db"), "hist-gb", payer, payee, 30)
	p := startPeg(t, "start", "--home", home)
	url := fmt.Sprintf("http://127.0.0.1:%d", base+2)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := client.New(url).IndexStatus(context.Background()); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the node did not serve its index within 60 s\n%s", p.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// A page as JSON, then the text table's next-page command, run as printed.
	var page client.HistoryPage
	decodeOut(t, mustPeg(t, home, "history", "--account", payer, "--limit", "4", "-o", "json"), &page)
	if len(page.Items) != 4 || page.Items[0].Height != 30 || page.Items[0].Direction != "out" || page.NextCursor == "" {
		t.Fatalf("first page %+v", page)
	}
	text := mustPeg(t, home, "history", "--account", payer, "--limit", "25")
	i := strings.Index(text, "more: peg history ")
	if i < 0 || !strings.Contains(text, "COUNTERPARTY") {
		t.Fatalf("text page without a table or a next command:\n%s", text)
	}
	next := strings.Fields(strings.TrimSpace(text[i+len("more: peg "):]))
	rest := mustPeg(t, home, append(next, "-o", "json")...)
	decodeOut(t, rest, &page)
	if len(page.Items) != 5 || page.Items[4].Height != 1 || page.NextCursor != "" {
		t.Fatalf("the page the printed command gave: %d items, next %q", len(page.Items), page.NextCursor)
	}

	// Every page as CSV: one header, every row.
	out := mustPeg(t, home, "history", "--all", "--limit", "7", "-o", "csv")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) != 31 || rows[0][0] != "tx_id" || rows[30][3] != "1" {
		t.Fatalf("CSV of every page: %d rows, %v\n%s", len(rows), err, out)
	}

	// Bad input is the API's 400, with its message, exit 1.
	code, _, errs := peg(t, home, "history", "--from", "last week")
	if code != exitFailure || !strings.Contains(errs, "neither an RFC 3339 time nor a day") {
		t.Fatalf("a bad --from: exit %d, %s", code, errs)
	}
	if code, _, _ := peg(t, home, "history", "--output", "yaml"); code != exitUsage {
		t.Fatalf("--output yaml: exit %d", code)
	}
	if code, _, _ := peg(t, home, "status", "--output", "csv"); code == exitOK {
		t.Fatal("--output csv was taken by a command without a CSV output")
	}

	// Reports: publish the complete day, twice (nothing new), list, show,
	// verify the file; an altered file does not verify.
	dir := filepath.Join(t.TempDir(), "reports")
	var pub []publishedView
	decodeOut(t, mustPeg(t, home, "report", "publish", "--dir", dir, "-o", "json"), &pub)
	if len(pub) != 1 || pub[0].Name != "daily-2026-03-01" || pub[0].Height != 23 {
		t.Fatalf("published %+v", pub)
	}
	decodeOut(t, mustPeg(t, home, "report", "publish", "--dir", dir, "-o", "json"), &pub)
	if len(pub) != 0 {
		t.Fatalf("publishing again published %+v", pub)
	}
	if list := mustPeg(t, home, "report", "list"); !strings.Contains(list, "daily-2026-03-01") {
		t.Fatalf("report list:\n%s", list)
	}
	if show := mustPeg(t, home, "report", "show", "daily-2026-03-01"); !strings.Contains(show, `"active_accounts": 1`) {
		t.Fatalf("report show:\n%s", show)
	}
	file := filepath.Join(dir, "daily-2026-03-01.json")
	var v verifyView
	decodeOut(t, mustPeg(t, home, "report", "verify", file, "-o", "json"), &v)
	if !v.HashOK || !v.FiguresChecked || !v.FiguresOK {
		t.Fatalf("verify %+v", v)
	}
	body, _ := os.ReadFile(file)
	altered := filepath.Join(t.TempDir(), "daily.json")
	os.WriteFile(altered, []byte(strings.Replace(string(body), `"active_accounts":1`, `"active_accounts":3`, 1)), 0o644)
	code, out, _ = peg(t, home, "report", "verify", altered)
	if code != exitFailure || !strings.Contains(out, "DIFFERS") || !strings.Contains(out, "active_accounts: published 3, the index gives 1") {
		t.Fatalf("verify of an altered file: exit %d\n%s", code, out)
	}
	p.stop(t)
}

// testAddress is an address of region GB from a key of seed n.
func testAddress(n byte) string {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{n}, ed25519.SeedSize))
	return ledger.NewAddress("GB", priv.Public().(ed25519.PublicKey)).String()
}

func decodeOut(t *testing.T, out string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

// TestDevConfigIndex: the networks peg up creates name index.db as their
// index (node0's only, in a testnet).
func TestDevConfigIndex(t *testing.T) {
	if got := devConfig(40000).Index.Database; got != node.DefaultIndexFile {
		t.Fatalf("devConfig's index database %q, want %q", got, node.DefaultIndexFile)
	}
}

// TestIndexPublishes: the indexer's publisher writes the reports of the
// periods that are over on every chain, into the index and as files, on
// its own, and again from where it stands after a restart (nothing twice).
func TestIndexPublishes(t *testing.T) {
	where := filepath.Join(t.TempDir(), "index.db")
	writeIndexFixture(t, where, "peg-publish", testAddress(1), testAddress(2), 30)
	db, err := index.Open(context.Background(), where)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dir := filepath.Join(t.TempDir(), "reports")
	for run := range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			publishEvery(ctx, db, dir, 10*time.Millisecond, slog.New(slog.DiscardHandler))
		}()
		deadline := time.Now().Add(30 * time.Second)
		for {
			if _, err := os.Stat(filepath.Join(dir, "daily-2026-03-01.json")); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("run %d: daily-2026-03-01 not published within 30s", run)
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		<-done
		var n int
		if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM reports`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("run %d: %d reports (%v); want daily-2026-03-01 alone: 2026-03-02 and March are not over", run, n, err)
		}
	}
}
