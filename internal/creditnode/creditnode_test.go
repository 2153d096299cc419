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
	return signingChain(t, age, nil)
}

// signingChain answers /v1/status as a node whose last block is age old and
// carries the commit sg.
func signingChain(t *testing.T, age time.Duration, sg *client.Signing) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/status" {
			http.NotFound(w, r)
			return
		}
		json.NewEncoder(w).Encode(client.Status{ChainID: "peg-hk", Region: "HK", Height: 42, BlockTime: time.Now().Add(-age), LastCommit: sg})
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
		MinSignedPermille: DefaultMinSignedPermille, Documents: t.TempDir()}, slog.New(slog.DiscardHandler))
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
		{MaxBlockAge: time.Second, MinSignedPermille: 800, Documents: "d"},
		{Chains: []Chain{{"GB", live.URL}}, MinSignedPermille: 800, Documents: "d"},
		{Chains: []Chain{{"GB", live.URL}}, MaxBlockAge: time.Second, MinSignedPermille: 800},
		{Chains: []Chain{{"GB", live.URL}}, MaxBlockAge: time.Second, MinSignedPermille: 666, Documents: "d"},
		{Chains: []Chain{{"GB", live.URL}}, MaxBlockAge: time.Second, MinSignedPermille: 1001, Documents: "d"},
	} {
		if c.Validate() == nil {
			t.Errorf("Validate accepted %+v", c)
		}
	}
}

// TestTooFewSigningRefusesRequests: a chain whose latest commit was signed by
// less than the least share of its voting power is not live, and the error
// names the chain, who signed and the bound; a share exactly at the bound is
// live. (cmd/peg's TestCreditServeValidatorDown stops a real validator.)
func TestTooFewSigningRefusesRequests(t *testing.T) {
	for _, tc := range []struct {
		name string
		sg   client.Signing
		live bool
		why  string
	}{
		{"all four", client.Signing{Height: 9, SignedPower: 40, TotalPower: 40, Signed: 4, Validators: 4}, true, ""},
		{"three of four", client.Signing{Height: 9, SignedPower: 30, TotalPower: 40, Signed: 3, Validators: 4}, false,
			"too few validators signing: 3 of 4 (voting power 30 of 40, 750‰) signed block 9, the least is 800‰"},
		{"exactly the bound", client.Signing{Height: 9, SignedPower: 4, TotalPower: 5, Signed: 4, Validators: 5}, true, ""},
		{"just under the bound", client.Signing{Height: 9, SignedPower: 799, TotalPower: 1000, Signed: 2, Validators: 3}, false, "too few validators signing: 2 of 3 (voting power 799 of 1000, 799‰)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sg := tc.sg
			hk := signingChain(t, time.Second, &sg)
			s, err := New(Config{Chains: []Chain{{"HK", hk.URL}}, MaxBlockAge: 30 * time.Second,
				MinSignedPermille: DefaultMinSignedPermille, Documents: t.TempDir()}, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			ls := s.liveness(t.Context())
			if ls[0].Live != tc.live || !strings.Contains(ls[0].Reason, tc.why) {
				t.Fatalf("liveness = %+v; want live %v, reason with %q", ls[0], tc.live, tc.why)
			}
			err = notLive(ls)
			if (err == nil) != tc.live || (err != nil && !strings.Contains(err.Error(), "chain HK: "+tc.why)) {
				t.Fatalf("notLive = %v; want live %v", err, tc.live)
			}
		})
	}
}
