package console_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"testing"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/console"
)

// BenchmarkPages measures the server's time per console page: the console's
// handler, with the API calls it makes over loopback, until the page is
// written. By default it reads the tests' node (two tokens, a few dozen
// blocks, no index); with PEG_CONSOLE_BENCH_API it reads that API instead
// (a node of `peg up` with its index, for the figures of BENCHMARKS.md),
// its pages chosen from what the node holds: the latest block, the newest
// indexed transaction and its payer, the first token.
func BenchmarkPages(b *testing.B) {
	api := os.Getenv("PEG_CONSOLE_BENCH_API")
	var pages []struct{ name, path string }
	if api == "" {
		c := chain(b)
		api = c.n.APIURL()
		pages = benchPages("2", c.mints[0].String(), "gbpt", alice.addr.String())
	} else {
		pages = pagesOf(b, client.New(api))
	}
	h := console.New(console.Config{API: api})
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, p.path, nil))
				if w.Code != http.StatusOK && w.Code != http.StatusSeeOther {
					b.Fatalf("GET %s: HTTP %d", p.path, w.Code)
				}
			}
		})
	}
}

func benchPages(height, tx, token, account string) []struct{ name, path string } {
	return []struct{ name, path string }{
		{"explorer", "/console/"},
		{"block", "/console/blocks/" + height},
		{"tx", "/console/txs/" + tx},
		{"tokens", "/console/tokens/"},
		{"token", "/console/tokens/" + token},
		{"account", "/console/accounts/" + account},
		{"analytics", "/console/analytics"},
		{"search", "/console/search?q=" + url.QueryEscape(account)},
	}
}

// pagesOf picks the benchmark's pages from what the node at c holds.
func pagesOf(b *testing.B, c *client.Client) []struct{ name, path string } {
	ctx := context.Background()
	st, err := c.Status(ctx)
	if err != nil {
		b.Fatal(err)
	}
	h, err := c.History(ctx, client.HistoryQuery{Kind: "pay", Limit: 1})
	if err != nil || len(h.Items) == 0 {
		b.Fatalf("the node's index has no payment: %v", err)
	}
	toks, err := c.Tokens(ctx)
	if err != nil || len(toks) == 0 {
		b.Fatalf("the node has no token: %v", err)
	}
	it := h.Items[0]
	pages := benchPages(strconv.FormatUint(st.Height, 10), it.TxID, string(toks[0].ID), it.Payer)
	first, err := c.History(ctx, client.HistoryQuery{Account: it.Payer, Limit: console.PageSize})
	if err != nil {
		b.Fatal(err)
	}
	if first.NextCursor != "" {
		pages = append(pages, struct{ name, path string }{"account-page-2", "/console/accounts/" + it.Payer + "?cursor=" + url.QueryEscape(first.NextCursor)})
	}
	return pages
}
