package console_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/pegledger/peg/internal/console"
)

// BenchmarkPages measures the server's time per console page: the console's
// handler, with the API calls it makes to the shared node over loopback,
// until the page is written. The node holds the tests' chain (two tokens,
// a few dozen blocks); the figure is per page drawn, in BENCHMARKS.md.
func BenchmarkPages(b *testing.B) {
	c := chain(b)
	h := console.New(console.Config{API: c.n.APIURL()})
	for _, p := range []struct{ name, path string }{
		{"explorer", "/console/"},
		{"block", "/console/blocks/2"},
		{"tx", "/console/txs/" + c.mints[0].String()},
		{"token", "/console/tokens/gbpt"},
		{"account", "/console/accounts/" + alice.addr.String()},
		{"analytics", "/console/analytics"},
		{"search", "/console/search?q=" + alice.addr.String()},
	} {
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
