package api

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/cert"
	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/tx/txpb"
)

var carol = newKey(10)

// tradeEnv is a test chain whose genesis names a CA, with gbpp deployed and
// attested, 100 GBPP minted to alice, certificates for alice, bob and
// carol, and trade rules: two rounds, 100 GBPP per party.
func tradeEnv(t *testing.T) (*testEnv, ledger.CoinID) {
	caKey := ed25519.NewKeyFromSeed(sha256.New().Sum(nil)[:ed25519.SeedSize])
	from, to := genesisTime.Add(-time.Hour), genesisTime.Add(365*24*time.Hour)
	caDER, err := cert.NewCA(caKey, "test CA", from, to)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := cert.ParseCA(caDER)
	if err != nil {
		t.Fatal(err)
	}
	g := testGenesis()
	g.CA = caDER
	e := newTestEnvGenesis(t, g, nil)
	raw, _ := e.sign(issuer, deployMsg(gbppDraft()))
	e.submit(raw)
	e.attest(scenarioReserve)
	raw, mint := e.sign(minter, mintMsg(alice.addr, "100000000"))
	e.submit(raw)
	for i, k := range []key{alice, bob, carol} {
		der, err := ca.Issue(caKey, cert.Request{Identity: cert.Identity{Name: "party " + string(rune('A'+i)), Registration: "1", Country: "GB"},
			Address: k.addr, Public: k.priv.Public().(ed25519.PublicKey), Serial: uint64(i + 2), NotBefore: from, NotAfter: to})
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := e.sign(k, func(b *txpb.Body) {
			b.Msg = &txpb.Body_RegisterCertificate{RegisterCertificate: &txpb.RegisterCertificate{Certificate: der}}
		})
		e.submit(raw)
	}
	raw, _ = e.sign(operator, func(b *txpb.Body) {
		b.Msg = &txpb.Body_SetTradeRules{SetTradeRules: &txpb.SetTradeRules{MaxRounds: 2, MaxVersionOpenSeconds: 72 * 3600,
			Limits: []*txpb.TradeLimit{{Token: "gbpp", Max: "100000000"}}}}
	})
	e.submit(raw)
	return e, ledger.NewCoinID(mint, 0)
}

func (e *testEnv) offer(units string) ledger.TxID {
	e.t.Helper()
	at, doc := e.lastBlockTime(), sha256.Sum256([]byte("contract"))
	raw, id := e.sign(alice, func(b *txpb.Body) {
		b.Msg = &txpb.Body_TradeOffer{TradeOffer: &txpb.TradeOffer{Buyer: alice.addr.String(), Seller: bob.addr.String(),
			Terms: &txpb.TradeTerms{Description: "tea", DocumentHash: doc[:], Token: "gbpp", Amount: units, Delivery: "FOB Shanghai",
				PaymentRule: "confirmation", ConfirmSeconds: 3600, Expires: at.Add(time.Hour).Unix(), FundBy: at.Add(2 * time.Hour).Unix(),
				ShipBy: at.Add(24 * time.Hour).Unix(), Arbiter: carol.addr.String()}}}
	})
	e.submit(raw)
	return id
}

// TestTradeViews runs a trade from offer to settlement and reads it back:
// the trade with its versions, documents and movements, the parties' pages
// of trades (a cursor walks them), the rules; each answer checked against
// openapi.yaml, and bad ids, cursors and limits refused with 400 or 404.
func TestTradeViews(t *testing.T) {
	e, coin := tradeEnv(t)
	if _, err := e.client.Trade(t.Context(), ledger.TxID{9}); err == nil || !strings.Contains(err.Error(), "no trade") {
		t.Errorf("an unknown trade: got %v, want 404 no trade", err)
	}
	start := int64(e.chain.db.Height())
	first := e.offer("25000000")
	id := e.offer("12500000")
	step := func(k key, m func(*txpb.Body)) {
		t.Helper()
		raw, _ := e.sign(k, m)
		e.submit(raw)
	}
	step(bob, func(b *txpb.Body) {
		b.Msg = &txpb.Body_TradeAccept{TradeAccept: &txpb.TradeAccept{Trade: id[:], Version: 1}}
	})
	step(alice, func(b *txpb.Body) {
		b.Msg = &txpb.Body_TradeFund{TradeFund: &txpb.TradeFund{Trade: id[:], Token: "gbpp", Inputs: [][]byte{coin[:]}, Amount: "12500000"}}
	})
	inv, bl := sha256.Sum256([]byte("invoice")), sha256.Sum256([]byte("bill of lading"))
	step(bob, func(b *txpb.Body) {
		b.Msg = &txpb.Body_TradeShip{TradeShip: &txpb.TradeShip{Trade: id[:], InvoiceHash: inv[:], BillOfLadingHash: bl[:]}}
	})
	step(alice, func(b *txpb.Body) { b.Msg = &txpb.Body_TradeConfirm{TradeConfirm: &txpb.TradeConfirm{Trade: id[:]}} })
	step(carol, func(b *txpb.Body) { b.Msg = &txpb.Body_TradeSettle{TradeSettle: &txpb.TradeSettle{Trade: id[:]}} })

	var types []string
	for _, ev := range e.collect(start+1, 7) {
		types = append(types, ev.Type)
		if ev.Token != "gbpp" || ev.Attrs["trade"] == "" {
			t.Errorf("stream event %s names token %q and trade %q", ev.Type, ev.Token, ev.Attrs["trade"])
		}
	}
	if want := "trade.offered trade.offered trade.accepted trade.funded trade.shipped trade.confirmed trade.settled"; strings.Join(types, " ") != want {
		t.Errorf("the stream carried %v, want %s", types, want)
	}
	tr, err := e.client.Trade(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Status != "SETTLED" || tr.Terms.Amount.Amount != "12.5" || tr.Released.Amount != "12.5" || !tr.Held.Units.IsZero() ||
		len(tr.Movements) != 2 || tr.Movements[1].To != bob.addr.String() || tr.Invoice == "" || tr.ClosedAt == nil {
		t.Errorf("the settled trade: %+v", tr)
	}
	deploy := e.tokenDeployTx()
	for _, m := range tr.Movements {
		if m.Issuance != deploy {
			t.Errorf("movement %s names issuance %s, not gbpp's deployment %s", m.Step, m.Issuance, deploy)
		}
	}
	page, err := e.client.Trades(t.Context(), alice.addr, "", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Trades) != 1 || page.Trades[0].ID != id.String() || page.Next == "" || page.Open != 1 ||
		len(page.Positions) != 1 || page.Positions[0].Held.Amount != "25" {
		t.Fatalf("alice's first page: %+v", page)
	}
	page, err = e.client.Trades(t.Context(), alice.addr, page.Next, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Trades) != 1 || page.Trades[0].ID != first.String() || page.Next != "" {
		t.Errorf("alice's second page: %+v", page)
	}
	if page, err := e.client.Trades(t.Context(), carol.addr, "", 0); err != nil || len(page.Trades) != 2 || page.Open != 0 {
		t.Errorf("the arbiter's trades: %+v, %v", page, err)
	}
	rules, err := e.client.TradeRules(t.Context())
	if err != nil || rules.MaxRounds != 2 || rules.MaxVersionOpen.Text != "72h0m0s" || len(rules.Limits) != 1 || rules.Limits[0].Max.Amount != "100" {
		t.Errorf("rules: %+v, %v", rules, err)
	}
	for _, c := range []struct {
		path string
		want int
	}{
		{"/v1/trades/abc", http.StatusBadRequest},
		{"/v1/accounts/" + alice.addr.String() + "/trades?limit=0", http.StatusBadRequest},
		{"/v1/accounts/" + alice.addr.String() + "/trades?limit=101", http.StatusBadRequest},
		{"/v1/accounts/" + alice.addr.String() + "/trades?before=zz", http.StatusBadRequest},
		{"/v1/accounts/peg1nothing/trades", http.StatusBadRequest},
	} {
		if status, body := e.get(c.path); status != c.want {
			t.Errorf("GET %s: %d %s, want %d", c.path, status, body, c.want)
		}
	}
}

// TestTradeRulesUnset answers 404 before the operator sets rules.
func TestTradeRulesUnset(t *testing.T) {
	e := newTestEnv(t)
	_, err := e.client.TradeRules(t.Context())
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound {
		t.Errorf("trade rules before any: %v, want 404", err)
	}
}

func (e *testEnv) tokenDeployTx() string {
	e.t.Helper()
	tok, err := e.client.Token(e.t.Context(), "gbpp")
	if err != nil {
		e.t.Fatal(err)
	}
	return tok.DeployTx.String()
}
