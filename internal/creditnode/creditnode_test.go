package creditnode

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/client"
)

// stalledChain answers /v1/status as a node whose last block is age old.
func stalledChain(t *testing.T, age time.Duration) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/status" {
			http.NotFound(w, r)
			return
		}
		json.NewEncoder(w).Encode(client.Status{ChainID: "peg-hk", Region: "HK", Height: 42, BlockTime: time.Now().Add(-age)})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestStalledChainRefusesRequests: a chain whose latest block is older than
// the bound is not live, and every transaction is refused while it is not,
// naming the chain, its height and how long it has been silent; a chain
// within the bound is live.
func TestStalledChainRefusesRequests(t *testing.T) {
	live, stalled := stalledChain(t, time.Second), stalledChain(t, 2*time.Minute)
	s, err := New(Config{Chains: []Chain{{"GB", live.URL}, {"HK", stalled.URL}}, MaxBlockAge: 30 * time.Second,
		Documents: t.TempDir()}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/v1/chains")
	if err != nil {
		t.Fatal(err)
	}
	var ls []Liveness
	json.NewDecoder(resp.Body).Decode(&ls)
	resp.Body.Close()
	if len(ls) != 2 || !ls[0].Live || ls[1].Live || !strings.Contains(ls[1].Reason, "no block for 2m") {
		t.Fatalf("liveness = %+v; want GB live and HK silent for 2m", ls)
	}
	body, _ := json.Marshal(map[string]any{"chain": "GB", "tx": []byte{1, 2, 3}})
	resp, err = http.Post(srv.URL+"/v1/txs", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), "CHAIN_NOT_LIVE") ||
		!strings.Contains(string(b), "chain HK: no block for") || !strings.Contains(string(b), "the last is 42") {
		t.Fatalf("POST /v1/txs with HK stalled: %d %s", resp.StatusCode, b)
	}
	for _, c := range []Config{
		{MaxBlockAge: time.Second, Documents: "d"},
		{Chains: []Chain{{"GB", live.URL}}, Documents: "d"},
		{Chains: []Chain{{"GB", live.URL}}, MaxBlockAge: time.Second},
	} {
		if c.Validate() == nil {
			t.Errorf("Validate accepted %+v", c)
		}
	}
}
