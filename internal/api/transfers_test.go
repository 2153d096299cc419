package api

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
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
	e := &testEnv{t: t, chain: chain, server: s, srv: srv, client: client.New(srv.URL), logs: &syncBuffer{}}
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
