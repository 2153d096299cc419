package console_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/index"
	"github.com/pegledger/peg/internal/index/idkey"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/node"
	"github.com/pegledger/peg/internal/ports"
	"github.com/pegledger/peg/internal/state"
)

// The index-backed pages are tested against a second node whose
// configuration names an index database holding rows written here with
// plain SQL in the schema's shape (internal/index/migrations), as the
// query package's tests write them: the console's pages are held to what
// the node's API answers from that index, whoever wrote it.

const indexedChainID = "peg-console-indexed"

// indexedPayments is how many payments from bob to alice the index holds:
// several pages of the console's history.
const indexedPayments = 3*25 + 7

var (
	indexedOnce sync.Once
	indexed     *node.Node
	indexedHome string
	indexedErr  error
)

// indexedNode starts, once, a node serving the index fixture.
func indexedNode(t testing.TB) *node.Node {
	t.Helper()
	indexedOnce.Do(func() { indexed, indexedErr = startIndexed() })
	if indexedErr != nil {
		t.Fatal(indexedErr)
	}
	return indexed
}

func stopIndexed() {
	if indexed != nil {
		indexed.Stop()
	}
	if indexedHome != "" {
		os.RemoveAll(indexedHome)
	}
}

func startIndexed() (*node.Node, error) {
	var err error
	if indexedHome, err = os.MkdirTemp("", "peg-console-indexed-"); err != nil {
		return nil, err
	}
	base, err := ports.Block(3)
	if err != nil {
		return nil, err
	}
	g := state.Genesis{Operator: operator.addr, Issuers: []ledger.Address{issuer.addr}, Params: node.DefaultParams()}
	cfg := node.DefaultConfig(indexedChainID, "GB", base)
	cfg.Log.Level = "error"
	cfg.Index.Database = node.DefaultIndexFile
	if err := node.Init(indexedHome, cfg, g); err != nil {
		return nil, err
	}
	if err := writeIndex(filepath.Join(indexedHome, node.DefaultIndexFile)); err != nil {
		return nil, err
	}
	return node.Start(indexedHome, slog.New(slog.DiscardHandler))
}

// writeIndex writes the fixture: one block per payment, each block one
// payment of bob's to alice, an hour apart.
func writeIndex(where string) error {
	ctx := context.Background()
	db, err := index.Open(ctx, where)
	if err != nil {
		return err
	}
	defer db.Close()
	day0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	exec := func(q string, args ...any) error {
		_, err := db.ExecContext(ctx, q, args...)
		return err
	}
	for h := int64(1); h <= indexedPayments; h++ {
		at := day0.Add(time.Duration(h) * time.Hour)
		id := fmt.Sprintf("%064x", h)
		units := fmt.Sprint(100 * h)
		steps := []func() error{
			func() error {
				return exec(`INSERT INTO blocks (chain_id, height, time_ns, day, hash, app_hash, proposer, txs) VALUES ($1, $2, $3, $4, $5, '', 'PROPOSER', 1)`,
					indexedChainID, h, at.UnixNano(), at.Format(time.DateOnly), fmt.Sprintf("%064x", h+1000))
			},
			func() error {
				return exec(`INSERT INTO txs (chain_id, region, height, idx, tx_id, tx_key, time_ns, day, kind, signer, code, code_name, token, amount,
					amt_hi, amt_lo, payer, payee, payee_region, fee) VALUES ($1, 'GB', $2, 0, $3, $10, $4, $5, 'pay', $6, 0, 'OK', 'gbpt', $7,
					0, $8, $6, $9, '', '0')`,
					indexedChainID, h, id, at.UnixNano(), at.Format(time.DateOnly), bob.addr.String(), units, 100*h, alice.addr.String(), idkey.Of(id))
			},
			func() error {
				return exec(`INSERT INTO entries (address, chain_id, region, height, idx, tx_id, time_ns, kind, token, counterparty, amount_in,
					amount_out, net_hi, net_lo) VALUES ($1, $2, 'GB', $3, 0, $4, $5, 'pay', 'gbpt', $6, $7, '0', 0, 0)`,
					alice.addr.String(), indexedChainID, h, id, at.UnixNano(), bob.addr.String(), units)
			},
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return err
			}
		}
	}
	last := day0.Add(indexedPayments * time.Hour)
	if err := exec(`INSERT INTO chains (chain_id, region, height, block_hash, time_ns) VALUES ($1, 'GB', $2, $3, $4)`,
		indexedChainID, int64(indexedPayments), fmt.Sprintf("%064x", indexedPayments+1000), last.UnixNano()); err != nil {
		return err
	}
	return index.Rollups(ctx, db)
}

// TestIndexedPages loads the pages the index serves: each answers 200 with
// what the API answers.
func TestIndexedPages(t *testing.T) {
	n := indexedNode(t)
	base := n.APIURL()
	api := client.New(base)
	hist, err := api.History(context.Background(), client.HistoryQuery{Account: alice.addr.String(), Limit: 25})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, shows string }{
		{"/console/", `indexed to block`},
		{"/console/accounts/" + alice.addr.String(), hist.Items[0].TxID},
		{"/console/accounts/" + alice.addr.String() + "?kind=pay&from=2026-03-02&token=gbpt", `class="history-row"`},
		{"/console/analytics?from=2026-03-01&to=2026-03-31", "2026-03-02"},
		{"/console/analytics?group=month&from=2026-01-01&to=2026-12-31", "2026-03"},
		{"/console/coins/" + strings.Repeat("ab", 32), "NOT_FOUND"},
	} {
		status, _, body := get(t, base, tc.path)
		if (status != http.StatusOK && !strings.Contains(tc.shows, "NOT_FOUND")) || !strings.Contains(body, tc.shows) {
			t.Errorf("GET %s: HTTP %d, want it to show %q: %s", tc.path, status, tc.shows, body[strings.Index(body, "<main>"):])
		}
	}
	for _, path := range []string{
		"/console/accounts/" + alice.addr.String() + "?cursor=not-a-cursor",
		"/console/accounts/" + alice.addr.String() + "?from=yesterday",
		"/console/analytics?from=2020-01-01&to=2026-01-01",
	} {
		if status, _, body := get(t, base, path); status != http.StatusBadRequest || !strings.Contains(body, "BAD_REQUEST") {
			t.Errorf("GET %s: HTTP %d, want the API's 400: %.300s", path, status, body[strings.Index(body, "<main>"):])
		}
	}
}

// TestBrowserHistoryPaging walks alice's history in the browser, page by
// page with the Older link (htmx swaps each page in place), and holds the
// rows to the API's pages walked by their cursors.
func TestBrowserHistoryPaging(t *testing.T) {
	n := indexedNode(t)
	ctx := tab(t)
	var want []string
	q := client.HistoryQuery{Account: alice.addr.String(), Limit: 25}
	for {
		p, err := client.New(n.APIURL()).History(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Items {
			want = append(want, it.TxID)
		}
		if p.NextCursor == "" {
			break
		}
		q.Cursor = p.NextCursor
	}
	if len(want) != indexedPayments {
		t.Fatalf("the API lists %d of alice's transactions, want %d", len(want), indexedPayments)
	}
	do(t, ctx, chromedp.Navigate(n.APIURL()+"/console/accounts/"+alice.addr.String()), chromedp.WaitVisible(chromedp.CSS("#history-table")))
	var got []string
	for page := 0; ; page++ {
		rows := eval[[]string](t, ctx, `[...document.querySelectorAll("#history-table a.tx-link")].map(a => a.dataset.tx)`)
		got = append(got, rows...)
		if !eval[bool](t, ctx, `document.querySelector("#history-next") !== null`) {
			break
		}
		if page > indexedPayments {
			t.Fatal("the pages do not end")
		}
		first := rows[0]
		do(t, ctx, chromedp.Click(chromedp.CSS("#history-next")))
		// htmx replaces the section in place: wait for its first row to change.
		waitFor(t, ctx, fmt.Sprintf(`document.querySelector("#history-table a.tx-link") && document.querySelector("#history-table a.tx-link").dataset.tx !== %q`, first))
	}
	if !slices.Equal(got, want) {
		t.Errorf("the console's pages list %d transactions, the API's %d; first difference at %d", len(got), len(want), firstDiff(got, want))
	}
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err != nil || !strings.Contains(loc, "cursor=") {
		t.Errorf("after paging the address is %q (%v), want the last page's, with its cursor", loc, err)
	}
	if !eval[bool](t, ctx, `document.querySelector("#balances") !== null`) {
		t.Error("paging in place lost the rest of the account's page")
	}
}

// waitFor polls a JavaScript condition in the tab until it holds.
func waitFor(t *testing.T, ctx context.Context, cond string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; {
		if eval[bool](t, ctx, cond) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not within 20s: %s", cond)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestBrowserAnalytics holds the analytics page's volumes and active
// accounts to the API's.
func TestBrowserAnalytics(t *testing.T) {
	n := indexedNode(t)
	ctx := tab(t)
	q := client.AnalyticsQuery{Group: "day", From: "2026-03-01", To: "2026-03-31"}
	vol, err := client.New(n.APIURL()).Volumes(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	act, err := client.New(n.APIURL()).Active(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Navigate(n.APIURL()+"/console/analytics?group=day&from=2026-03-01&to=2026-03-31"), chromedp.WaitVisible(chromedp.CSS("#volumes")))
	rows := eval[[][]string](t, ctx, `[...document.querySelectorAll("#volumes tbody tr")].map(tr => [...tr.cells].map(td => td.innerText))`)
	if len(rows) != len(vol.Rows) || len(rows) == 0 {
		t.Fatalf("%d volume rows shown, the API has %d", len(rows), len(vol.Rows))
	}
	for i, r := range vol.Rows {
		want := []string{r.Period, r.Token, r.Region, fmt.Sprint(r.Count), strings.TrimSpace(r.Volume + " " + r.Unit)}
		if !slices.Equal(rows[i], want) {
			t.Errorf("volume row %d: page %q, API %q", i, rows[i], want)
		}
	}
	active := eval[[][]string](t, ctx, `[...document.querySelectorAll("#active tbody tr")].map(tr => [...tr.cells].map(td => td.innerText))`)
	if len(active) != len(act.Rows) {
		t.Fatalf("%d active rows shown, the API has %d", len(active), len(act.Rows))
	}
	for i, r := range act.Rows {
		if want := []string{r.Period, fmt.Sprint(r.Accounts)}; !slices.Equal(active[i], want) {
			t.Errorf("active row %d: page %q, API %q", i, active[i], want)
		}
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("svg.chart rect.bar").length`); n == 0 {
		t.Error("no bars drawn")
	}
}
