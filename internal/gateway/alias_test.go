package gateway

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pegledger/peg/internal/bench"
	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	pegregion "github.com/pegledger/peg/internal/region"
	"github.com/pegledger/peg/internal/routefile"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// TestResolveNumbers: a gateway with the platform's alias key and routing
// table answers an account read named by a phone number from the
// directory of the region the number routes to; a number bound to no one,
// one routed to a region the network lacks, one with no route and one that
// is not a number are each refused with their code, and without aliases a
// gateway routes addresses only.
func TestResolveNumbers(t *testing.T) {
	l, err := bench.StartLocal(t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(false)
	chain := l.Node.Config.ChainID
	var key pegregion.Key
	rand.Read(key[:])
	routes, err := routefile.Parse([]byte("[phone]\n\"+44\" = \"GB\"\n\"+852\" = \"HK\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	n := parseNetwork(t, [3]string{"GB", chain, l.Node.APIURL()})
	g, err := New(context.Background(), Config{Network: n, Aliases: &Aliases{Key: key, Routes: routes},
		Registry: prometheus.NewRegistry(), HealthInterval: 100 * time.Millisecond, HealthTimeout: 500 * time.Millisecond,
		Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go g.Run(ctx)
	srv := httptest.NewServer(g.Handler())
	defer srv.Close()

	// The operator makes itself a registrar and binds alice's number.
	op, alice := l.Roles.Operator, bench.NewSigner(l.Roles.Operator.Addr.Region())
	phone, err := pegregion.ParsePhone("+44 7700 900123")
	if err != nil {
		t.Fatal(err)
	}
	h := pegregion.Hash(key, phone)
	node := client.New(l.Node.APIURL())
	for i, b := range []*txpb.Body{
		{Msg: &txpb.Body_SetRegistrar{SetRegistrar: &txpb.SetRegistrar{Registrar: op.Addr.String()}}},
		{Msg: &txpb.Body_AliasRegister{AliasRegister: &txpb.AliasRegister{Hash: h[:], Account: alice.Addr.String()}}},
	} {
		b.ChainId, b.ExpiryHeight, b.Signer, b.Nonce = chain, 1000, op.Addr.String(), uint64(i)
		raw, _, err := tx.Sign(b, op.Priv)
		if err != nil {
			t.Fatal(err)
		}
		if rc, err := node.Submit(ctx, raw, true); err != nil || rc.Receipt == nil || rc.Receipt.Code != 0 {
			t.Fatalf("submitting %T: %v %+v", b.Msg, err, rc)
		}
	}

	var a client.Account
	if status := getJSON(t, srv.URL, "+447700900123", &a); status != http.StatusOK || a.Address != alice.Addr {
		t.Errorf("account by phone: HTTP %d %+v, want alice's account %s", status, a, alice.Addr)
	}
	for _, tc := range []struct {
		value  string
		status int
		code   ledger.Code
	}{
		{"+447700900999", http.StatusNotFound, ledger.CodeAliasUnknown},
		{"+85221234567", http.StatusNotFound, ledger.CodeRegionUnknown},
		{"+3314000000", http.StatusBadRequest, ledger.CodeUnroutable},
		{"alice", http.StatusBadRequest, ledger.CodeUnroutable},
	} {
		var e client.APIError
		if status := getJSON(t, srv.URL, tc.value, &e); status != tc.status || e.Code != uint32(tc.code) {
			t.Errorf("account %q: HTTP %d %+v, want %d %s", tc.value, status, e, tc.status, tc.code.Name())
		}
	}
}

// getJSON reads GET /v1/accounts/{value} from the gateway at base into v.
func getJSON(t *testing.T, base, value string, v any) int {
	t.Helper()
	resp, err := http.Get(base + "/v1/accounts/" + url.PathEscape(value))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode
}
