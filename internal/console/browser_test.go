package console_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/console"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// The browser tests drive Debian's Chromium (apt-get install chromium, which
// .ci/run does) headless through chromedp: one browser for the test binary,
// a tab per test. Without /usr/bin/chromium they skip, saying so; CI has it.

// chromiumPath is where Debian's package installs Chromium.
const chromiumPath = "/usr/bin/chromium"

// browserTimeout bounds one browser test.
const browserTimeout = 90 * time.Second

var (
	browserOnce   sync.Once
	browserCtx    context.Context
	browserCancel []context.CancelFunc
	browserErr    error
	browserDir    string
)

// startBrowser starts the shared headless Chromium with a fresh profile.
func startBrowser() {
	browserDir, browserErr = os.MkdirTemp("", "peg-console-chromium-")
	if browserErr != nil {
		return
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.UserDataDir(browserDir),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 1000),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	browserCancel = []context.CancelFunc{cancel, cancelAlloc}
	browserCtx = ctx
	browserErr = chromedp.Do(ctx)
}

// closeBrowser ends the shared browser, if it started.
func closeBrowser() {
	for _, cancel := range browserCancel {
		cancel()
	}
	if browserDir != "" {
		os.RemoveAll(browserDir)
	}
}

// tab opens a tab of the shared browser for t; on t's failure a full-page
// screenshot of the tab is saved, and the test's log names the file.
func tab(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("no Chromium at %s (apt-get install chromium; CI installs it): %v", chromiumPath, err)
	}
	browserOnce.Do(startBrowser)
	if browserErr != nil {
		t.Fatalf("starting Chromium: %v", browserErr)
	}
	ctx, cancel := chromedp.NewContext(browserCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, browserTimeout)
	t.Cleanup(func() {
		if t.Failed() {
			screenshot(t, ctx)
		}
		cancelTimeout()
		cancel()
	})
	return ctx
}

// artifacts is the directory screenshots are saved in: $PEG_TEST_ARTIFACTS,
// or peg-console-artifacts in the system's temporary directory, which
// outlives the test (t.TempDir does not).
func artifacts() string {
	if d := os.Getenv("PEG_TEST_ARTIFACTS"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "peg-console-artifacts")
}

func screenshot(t *testing.T, ctx context.Context) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(sctx, chromedp.Location())
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("no screenshot: %v", err)
		return
	}
	dir := artifacts()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Logf("no screenshot: %v", err)
		return
	}
	name := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+"-"+strconv.FormatInt(time.Now().UnixNano(), 10)+".png")
	if err := os.WriteFile(name, png, 0o644); err != nil {
		t.Logf("no screenshot: %v", err)
		return
	}
	t.Logf("screenshot of %s saved in %s", loc, name)
}

// text reads the text of the first element the CSS selector sel matches,
// once it is visible.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		t.Fatalf("reading %s: %v", sel, err)
	}
	return s
}

// eval evaluates a JavaScript expression in the tab.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// do runs steps in the tab.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func TestBrowserExplorer(t *testing.T) {
	c := chain(t)
	ctx := tab(t)
	before, err := c.api.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Navigate(c.n.APIURL()+"/console/"))
	height, chainID := text(t, ctx, "#height"), text(t, ctx, "#chain-id")
	blocks := eval[int](t, ctx, `document.querySelectorAll("#blocks tbody tr").length`)
	after, err := c.api.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	h, err := strconv.ParseUint(height, 10, 64)
	if err != nil || h < before.Height || h > after.Height {
		t.Errorf("the page's height %q, want the API's, from %d to %d", height, before.Height, after.Height)
	}
	if chainID != testChainID {
		t.Errorf("chain id %q, want %q", chainID, testChainID)
	}
	if blocks < 1 {
		t.Errorf("%d blocks listed", blocks)
	}
}

// TestBrowserPagination walks the explorer's blocks page by page to block 1:
// every height once, newest first; then a block's page against the API's.
func TestBrowserPagination(t *testing.T) {
	c := chain(t)
	ctx := tab(t)
	do(t, ctx, chromedp.Navigate(c.n.APIURL()+"/console/"), chromedp.WaitVisible(chromedp.CSS("#blocks")))
	var seen []int64
	for page := 0; ; page++ {
		rows := eval[[]string](t, ctx, `[...document.querySelectorAll("#blocks tbody tr td:first-child")].map(td => td.innerText)`)
		for _, r := range rows {
			h, err := strconv.ParseInt(r, 10, 64)
			if err != nil {
				t.Fatalf("page %d: height %q", page, r)
			}
			if n := len(seen); n > 0 && h != seen[n-1]-1 {
				t.Fatalf("page %d: height %d after %d", page, h, seen[n-1])
			}
			seen = append(seen, h)
		}
		if !eval[bool](t, ctx, `document.querySelector("#older") !== null`) {
			break
		}
		if page > 100 {
			t.Fatal("more than 100 pages")
		}
		do(t, ctx, chromedp.Click(chromedp.CSS("#older")), chromedp.WaitVisible(chromedp.CSS("#blocks")))
	}
	if len(seen) < 2*console.MaxBlocksListed || seen[len(seen)-1] != 1 {
		t.Fatalf("walked heights %v, want more than two pages down to block 1", seen)
	}
	mid := seen[len(seen)/2]
	b, err := c.api.Block(context.Background(), mid)
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Navigate(fmt.Sprintf("%s/console/blocks/%d", c.n.APIURL(), mid)))
	if got, txs := text(t, ctx, "#block-height"), text(t, ctx, "#block-txs"); got != strconv.FormatInt(mid, 10) || txs != strconv.Itoa(len(b.Txs)) {
		t.Errorf("block page: height %s with %s transactions, want %d with %d", got, txs, mid, len(b.Txs))
	}
}

// TestBrowserSearchFindsAddress types alice's address, then her phone
// number, into the search box.
func TestBrowserSearchFindsAddress(t *testing.T) {
	c := chain(t)
	ctx := tab(t)
	for _, q := range []string{alice.addr.String(), alicePhone} {
		do(t, ctx, chromedp.Navigate(c.n.APIURL()+"/console/"),
			chromedp.SendKeys(chromedp.CSS("#q"), q), chromedp.Submit(chromedp.CSS("#q")))
		if got := text(t, ctx, "#address"); got != alice.addr.String() {
			t.Errorf("searching %q found %q, want %s", q, got, alice.addr)
		}
	}
}

// TestBrowserAccount holds the account page's balances and coins to the
// API's.
func TestBrowserAccount(t *testing.T) {
	c := chain(t)
	ctx := tab(t)
	do(t, ctx, chromedp.Navigate(c.n.APIURL()+"/console/accounts/"+alice.addr.String()), chromedp.WaitVisible(chromedp.CSS("#balances")))
	balances := eval[map[string]string](t, ctx, `Object.fromEntries([...document.querySelectorAll("#balances td.balance")].map(td => [td.dataset.token, td.innerText]))`)
	coins := eval[int](t, ctx, `document.querySelectorAll("#coins tbody tr").length`)
	want, err := c.api.Balances(context.Background(), alice.addr, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(balances) != len(want) {
		t.Errorf("%d balances shown, the API has %d", len(balances), len(want))
	}
	held := 0
	for _, b := range want {
		if got := balances[string(b.Token)]; got != b.Amount {
			t.Errorf("balance of %s: page %q, API %q", b.Token, got, b.Amount)
		}
		held += b.Coins
	}
	if wantRows := min(held, console.PageSize); coins != wantRows {
		t.Errorf("%d coins listed, want %d of %d", coins, wantRows, held)
	}
}

// TestBrowserCoinsPaging walks the coins of an account that holds more
// than a page lists, by the page's next link, and holds them to the API's.
func TestBrowserCoinsPaging(t *testing.T) {
	c := chain(t)
	ctx := tab(t)
	want, err := c.api.Coins(context.Background(), carol.addr, "", client.MaxCoinsPage)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != carolCoins || len(want) <= console.PageSize {
		t.Fatalf("carol holds %d coins, want %d, more than a page (%d)", len(want), carolCoins, console.PageSize)
	}
	do(t, ctx, chromedp.Navigate(c.n.APIURL()+"/console/accounts/"+carol.addr.String()), chromedp.WaitVisible(chromedp.CSS("#coins")))
	var seen []string
	for page := 0; ; page++ {
		ids := eval[[]string](t, ctx, `[...document.querySelectorAll("#coins tbody tr td:first-child")].map(td => td.innerText)`)
		if len(ids) == 0 || len(ids) > console.PageSize {
			t.Fatalf("page %d lists %d coins", page, len(ids))
		}
		seen = append(seen, ids...)
		next := eval[string](t, ctx, `(document.querySelector("#coins-next") || {}).href || ""`)
		if next == "" {
			break
		}
		if page > 2 {
			t.Fatal("more than 3 pages")
		}
		do(t, ctx, chromedp.Click(chromedp.CSS("#coins-next")), chromedp.WaitVisible(chromedp.CSS("#coins-first")))
	}
	if len(seen) != len(want) {
		t.Fatalf("walked %d coins, the API lists %d", len(seen), len(want))
	}
	for i, co := range want {
		if seen[i] != co.ID.String() {
			t.Fatalf("coin %d: page %s, API %s", i, seen[i], co.ID)
		}
	}
}

// TestBrowserPartyPaging walks dave's trades and credit requests on his
// account page, a page at a time by "Older" links, back to the newest, and
// holds them to the API's lists, newest first.
func TestBrowserPartyPaging(t *testing.T) {
	c := chain(t)
	ctx := tab(t)
	trades, err := c.api.Trades(context.Background(), dave.addr, "", daveRequests)
	if err != nil {
		t.Fatal(err)
	}
	credit, err := c.api.CreditHistory(context.Background(), dave.addr, "", daveRequests)
	if err != nil {
		t.Fatal(err)
	}
	var tradeIDs, creditIDs []string
	for _, tr := range trades.Trades {
		tradeIDs = append(tradeIDs, tr.ID)
	}
	for _, r := range credit.Requests {
		creditIDs = append(creditIDs, r.ID)
	}
	for _, l := range []struct {
		table string
		want  []string
	}{{"trades", tradeIDs}, {"credit", creditIDs}} {
		if len(l.want) != daveRequests || len(l.want) <= console.PageSize {
			t.Fatalf("the API lists %d of dave's %s, want %d, more than a page (%d)", len(l.want), l.table, daveRequests, console.PageSize)
		}
		rows := `[...document.querySelectorAll("#` + l.table + ` tbody tr[data-id]")].map(tr => tr.dataset.id)`
		do(t, ctx, chromedp.Navigate(c.n.APIURL()+"/console/accounts/"+dave.addr.String()), chromedp.WaitVisible(chromedp.CSS("#"+l.table)))
		var seen []string
		for page := 0; ; page++ {
			ids := eval[[]string](t, ctx, rows)
			if len(ids) == 0 || len(ids) > console.PageSize {
				t.Fatalf("%s page %d lists %d", l.table, page, len(ids))
			}
			seen = append(seen, ids...)
			if eval[string](t, ctx, `(document.querySelector("#`+l.table+`-older") || {}).href || ""`) == "" {
				break
			}
			if page > 2 {
				t.Fatalf("%s: more than 3 pages", l.table)
			}
			do(t, ctx, chromedp.Click(chromedp.CSS("#"+l.table+"-older")), chromedp.WaitVisible(chromedp.CSS("#"+l.table+"-newest")))
		}
		if !slices.Equal(seen, l.want) {
			t.Errorf("%s: walked %v, the API lists %v", l.table, seen, l.want)
		}
		do(t, ctx, chromedp.Click(chromedp.CSS("#"+l.table+"-newest")), chromedp.WaitVisible(chromedp.CSS("#"+l.table+"-older")))
		if first := eval[[]string](t, ctx, rows); !slices.Equal(first, l.want[:console.PageSize]) {
			t.Errorf("%s: the newest page again lists %v", l.table, first)
		}
	}
}

// TestBrowserToken holds the issuer's view to the API's token.
func TestBrowserToken(t *testing.T) {
	c := chain(t)
	ctx := tab(t)
	do(t, ctx, chromedp.Navigate(c.n.APIURL()+"/console/tokens/gbpt"))
	tok, err := c.api.Token(context.Background(), "gbpt")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct{ what, sel, want string }{
		{"supply", "#supply", tok.Supply.Amount},
		{"minted", "#minted", tok.Minted.Amount},
		{"coverage", "#coverage", tok.Reserve.Coverage},
		{"the minter's allowance", "#minters tbody td.num", tok.Roles.Minters[0].Allowance.Amount},
	} {
		if got := text(t, ctx, f.sel); got != f.want {
			t.Errorf("%s: page %q, API %q", f.what, got, f.want)
		}
	}
	if status := text(t, ctx, "#reserve-status"); !strings.HasPrefix(status, "OK") {
		t.Errorf("reserve status %q, want OK", status)
	}
	if !eval[bool](t, ctx, `document.querySelector("#reserve-chart svg.chart path.reserve") !== null`) {
		t.Error("no reserve line in the chart")
	}
}

// TestBrowserReserveAtRisk takes the README's shortfall steps on eurt:
// 900,000 more minted, then the reserve attested at 800,000; the issuer's
// view shows AT_RISK, an alert, and an AT_RISK episode on the reserve chart.
func TestBrowserReserveAtRisk(t *testing.T) {
	c := chain(t)
	ctx := tab(t)
	if _, err := c.submit(minter, mintBody("eurt", alice.addr, "90000000")); err != nil {
		t.Fatal(err)
	}
	if err := c.attest("eurt", "GB39PEGD20041590471828", "EUR", "80000000"); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Navigate(c.n.APIURL()+"/console/tokens/eurt"))
	if status := text(t, ctx, "#reserve-status"); !strings.HasPrefix(status, "AT_RISK") {
		t.Errorf("reserve status %q, want AT_RISK", status)
	}
	if alert := text(t, ctx, ".alert"); !strings.Contains(alert, "AT_RISK") {
		t.Errorf("alert %q, want one about AT_RISK", alert)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('#reserve-chart svg rect.episode[data-status="AT_RISK"]').length`); n < 1 {
		t.Error("no AT_RISK episode on the reserve chart")
	}
}

// TestBrowserSignin signs in as alice the way peg console signin does, opens
// the link in the browser, finds her account, and signs out.
func TestBrowserSignin(t *testing.T) {
	c := chain(t)
	ctx := tab(t)
	do(t, ctx, chromedp.Navigate(c.n.APIURL()+signin(t, c.n.APIURL(), alice)))
	if who := text(t, ctx, "#signed-in"); who != alice.addr.String() {
		t.Errorf("signed in as %q, want %s", who, alice.addr)
	}
	if eval[bool](t, ctx, `document.cookie.includes("peg_console")`) {
		t.Error("the session cookie is visible to scripts; want HttpOnly")
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("header form button")), chromedp.WaitVisible(chromedp.CSS("#blocks")))
	if !eval[bool](t, ctx, `document.querySelector("#me") === null`) {
		t.Error("still signed in after signing out")
	}
}

func mintBody(tok string, to ledger.Address, units string) *txpb.Body {
	return &txpb.Body{Msg: &txpb.Body_Mint{Mint: &txpb.Mint{Token: tok, To: to.String(), Amount: units}}}
}
