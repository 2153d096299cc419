package api

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/state"
)

// TestTransfers: a payment from alice (GB) to carol (HK) records an
// outbound transfer, which GET /v1/transfers lists with the token's books
// and GET /v1/transfers/{id} shows; filters and unknown ids answer as the
// spec says.
func TestTransfers(t *testing.T) {
	e := newRegionEnv(t)
	sc := e.runScenario()

	carol := ledger.NewAddress("HK", newKey(10).priv.Public().(ed25519.PublicKey))
	raw, id := e.sign(alice, payMsg([]ledger.CoinID{sc.aliceChange}, out(carol, "2500000"), out(alice.addr, "85000000")))
	e.submit(raw)
	xfer := ledger.NewCoinID(id, 0)

	l, err := e.client.Transfers(ctx, "pending", "out")
	if err != nil {
		t.Fatal(err)
	}
	want := client.Transfer{ID: xfer, Direction: "out", Status: "pending", Token: "gbpp", Value: gbppDec(t, "2.5"),
		Payer: alice.addr, Payee: carol, From: testRegion, To: "HK", Tx: id, Height: l.Transfers[0].Height}
	if len(l.Transfers) != 1 || l.Transfers[0].Coin != nil || l.Transfers[0].Closed != nil || l.Transfers[0].Height == 0 {
		t.Fatalf("pending outbound transfers = %+v, want one: %+v", l.Transfers, want)
	}
	got := l.Transfers[0]
	got.Coin, got.Closed = nil, nil
	if got != want {
		t.Errorf("transfer = %+v, want %+v", got, want)
	}
	if len(l.Books) != 1 || l.Books[0].Sent.String() != "2500000" || l.Books[0].Held.String() != "97500000" ||
		l.Books[0].Minted.String() != "100000000" || l.Books[0].Home != testRegion || l.Region != testRegion {
		t.Errorf("books = %+v in %s", l.Books, l.Region)
	}
	for _, q := range [][2]string{{"delivered", ""}, {"", "in"}, {"refunded", "out"}} {
		l, err := e.client.Transfers(ctx, q[0], q[1])
		if err != nil || len(l.Transfers) != 0 {
			t.Errorf("transfers status=%q direction=%q = %+v, %v; want none", q[0], q[1], l, err)
		}
	}
	one, err := e.client.Transfer(ctx, xfer, "")
	if err != nil || one.ID != xfer || one.Status != "pending" {
		t.Errorf("transfer %s = %+v, %v", xfer, one, err)
	}
	var apiErr *client.APIError
	if _, err := e.client.Transfer(ctx, xfer, "in"); !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound || apiErr.Name != "TRANSFER_UNKNOWN" {
		t.Errorf("inbound record of an outbound transfer: %v, want 404 TRANSFER_UNKNOWN", err)
	}
	for _, path := range []string{"/v1/transfers?status=lost", "/v1/transfers?direction=sideways", "/v1/transfers/xyz"} {
		if code, body := e.get(path); code != http.StatusBadRequest {
			t.Errorf("GET %s = %d %s, want 400", path, code, body)
		}
	}
}

// newRegionEnv is a test API of a GB chain whose network lists HK too.
func newRegionEnv(t *testing.T) *testEnv {
	g := testGenesis()
	for i, r := range []ledger.Region{testRegion, "HK"} {
		pub := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{byte(40 + i)}, ed25519.SeedSize)).Public().(ed25519.PublicKey)
		g.Network = append(g.Network, state.NetworkRegion{Region: r, ChainID: map[int]string{0: testChainID, 1: "peg-test-hk"}[i],
			Validators: []state.Validator{{PubKey: pub, Power: 10}}})
	}
	chain := newTestChain(t, g)
	s := newServer(chain, g, slog.New(slog.DiscardHandler), DefaultWait)
	srv := httptest.NewServer(checkResponses(t, s.handler()))
	t.Cleanup(srv.Close)
	return &testEnv{t: t, chain: chain, server: s, srv: srv, client: client.New(srv.URL), logs: &syncBuffer{}}
}

// TestTransferPages: GET /v1/transfers pages by limit and cursor in the
// order of height then id; a transfer recorded between two pages comes at
// the end, none is listed twice or skipped; a bad limit or cursor is a
// 400 that says what is wrong.
func TestTransferPages(t *testing.T) {
	e := newRegionEnv(t)
	sc := e.runScenario()
	carol := ledger.NewAddress("HK", newKey(10).priv.Public().(ed25519.PublicKey))
	change, left := sc.aliceChange, 87500000 // alice's change coin and its units
	pay := func(n int) {
		for range n {
			left -= 2000000
			raw, id := e.sign(alice, payMsg([]ledger.CoinID{change}, out(carol, "1000000"), out(carol, "1000000"), out(alice.addr, strconv.Itoa(left))))
			e.submit(raw)
			change = ledger.NewCoinID(id, 2)
		}
	}
	pay(3) // six transfers, two per block
	var got []client.Transfer
	q := client.TransferQuery{Status: "pending", Direction: "out", Limit: 4}
	pages := 0
	err := e.client.EachTransferPage(ctx, q, func(l *client.TransferList) error {
		pages++
		got = append(got, l.Transfers...)
		if pages == 1 {
			if len(l.Transfers) != 4 || l.NextCursor == "" {
				t.Errorf("first page: %d transfers, next %q; want 4 and a cursor", len(l.Transfers), l.NextCursor)
			}
			pay(1) // two more, recorded between the pages
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if pages != 2 || len(got) != 8 {
		t.Fatalf("%d pages of %d transfers, want 2 of 8 in all", pages, len(got))
	}
	seen := make(map[ledger.CoinID]bool)
	for i, tr := range got {
		if seen[tr.ID] {
			t.Errorf("transfer %s listed twice", tr.ID)
		}
		seen[tr.ID] = true
		if i > 0 && (tr.Height < got[i-1].Height || (tr.Height == got[i-1].Height && bytes.Compare(tr.ID[:], got[i-1].ID[:]) <= 0)) {
			t.Errorf("transfer %d (%d, %s) comes after (%d, %s): not in height then id order", i, tr.Height, tr.ID, got[i-1].Height, got[i-1].ID)
		}
	}
	all, err := e.client.Transfers(ctx, "", "")
	if err != nil || len(all.Transfers) != 8 || all.NextCursor != "" {
		t.Errorf("every transfer = %d, next %q, %v; want 8 and no cursor", len(all.Transfers), all.NextCursor, err)
	}
	for _, c := range []struct{ path, want string }{
		{"/v1/transfers?limit=0", "limit"},
		{"/v1/transfers?limit=1001", "limit"},
		{"/v1/transfers?limit=ten", "limit"},
		{"/v1/transfers?cursor=AAAA", "not a cursor"},
		{"/v1/transfers?cursor=" + strings.Repeat("x", 55), "not a cursor"},
		{"/v1/transfers?status=returned&direction=out", "no out transfer"},
	} {
		code, body := e.get(c.path)
		if code != http.StatusBadRequest || !strings.Contains(string(body), c.want) {
			t.Errorf("GET %s = %d %s, want 400 saying %q", c.path, code, body, c.want)
		}
	}
	first, err := e.client.TransferPage(ctx, client.TransferQuery{Direction: "out", Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if code, body := e.get("/v1/transfers?direction=in&cursor=" + first.NextCursor); code != http.StatusBadRequest || !strings.Contains(string(body), "cursor is of the out transfers") {
		t.Errorf("an outbound cursor on the inbound list = %d %s, want 400", code, body)
	}
}

// TestNetworkTrust: GET /v1/network/trust names the genesis's set for
// every other region of the network.
func TestNetworkTrust(t *testing.T) {
	e := newRegionEnv(t)
	nt, err := e.client.NetworkTrust(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(nt.Regions) != 1 || nt.Regions[0].Region != "HK" || nt.Regions[0].ChainID != "peg-test-hk" || nt.Regions[0].Height != 0 ||
		nt.Regions[0].Validators != 1 || len(nt.Regions[0].ValidatorsHash) != 64 || nt.Region != testRegion {
		t.Errorf("trust = %+v", nt)
	}
}
