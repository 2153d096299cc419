package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/keyring"
	"github.com/pegledger/peg/internal/node"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// mintCoins mints n coins of amount gbpt for each key in to, as the minter,
// in one batch that waits for its block.
func mintCoins(t *testing.T, home string, base int, amount string, n int, to ...string) {
	t.Helper()
	kr, err := keyring.Open(filepath.Join(home, node.KeyringDir))
	if err != nil {
		t.Fatal(err)
	}
	minter, err := kr.Get("minter")
	if err != nil {
		t.Fatal(err)
	}
	priv, err := kr.PrivateKey("minter", nil)
	if err != nil {
		t.Fatal(err)
	}
	api := client.New(fmt.Sprintf("http://127.0.0.1:%d", base+2))
	ctx := context.Background()
	st, err := api.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var raws [][]byte
	for _, name := range to {
		k, err := kr.Get(name)
		if err != nil {
			t.Fatal(err)
		}
		for range n {
			body := &txpb.Body{ChainId: st.ChainID, ExpiryHeight: st.Height + 100, Signer: minter.Address.String(),
				Nonce: uint64(len(raws)) + 1, Msg: &txpb.Body_Mint{Mint: &txpb.Mint{Token: "gbpt", To: k.Address.String(), Amount: amount}}}
			raw, _, err := tx.Sign(body, priv)
			if err != nil {
				t.Fatal(err)
			}
			raws = append(raws, raw)
		}
	}
	items, err := api.SubmitBatch(ctx, raws, true)
	if err != nil {
		t.Fatal(err)
	}
	for i, it := range items {
		if it.Code != 0 {
			t.Fatalf("mint %d: %s: %s", i, it.Name, it.Message)
		}
	}
}

// freeFees is a fee policy whose schedule prices nothing.
const freeFees = `[policy]
token = "gbpt"
revenue = "operator"
low_balance = "1"
max_grants = 8
[[policy.tiers]]
min_deposit = "1"
validity = "1h"
`

// TestPayMergesCoins: a payment that needs more than tx.MaxInputs coins is
// made, after merges that the wallet makes, says and waits for; peg coins
// merge merges on request. Against a real `peg up`.
func TestPayMergesCoins(t *testing.T) {
	home := t.TempDir()
	base := freeBasePort(t)
	up := startUp(t, home, base)
	defer up.stop(t)
	mustPeg(t, home, "token", "deploy", "--from", "issuer", "--file", "../../examples/gbpt.toml")
	mustPeg(t, home, "reserve", "status", "gbpt", "--wait", "OK", "--timeout", "30s")
	// A merge is a payment and pays its fee like any other; the operator
	// makes every kind free here, so that the coins are the test's alone.
	free := filepath.Join(home, "free.toml")
	if err := os.WriteFile(free, []byte(freeFees), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := mustPeg(t, home, "fee", "set", "--from", "operator", "--file", free); !strings.Contains(out, "0 kind(s) priced") {
		t.Fatalf("fee set of a free schedule:\n%s", out)
	}
	mintCoins(t, home, base, "100", 70, "alice", "bob") // 70 coins of 1.00 each

	// Text: the merge is said on stderr, the payment on stdout.
	code, out, errs := peg(t, home, "pay", "--from", "alice", "--token", "gbpt", "--to", "freezer", "--amount", "70")
	if code != exitOK {
		t.Fatalf("pay 70 from 70 coins: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	if !strings.Contains(errs, "merged 64 coins into one of 64.00 GBPT") {
		t.Errorf("pay's stderr does not tell the merge:\n%s", errs)
	}
	if !strings.Contains(out, "paid 70.00 GBPT") || !strings.Contains(out, "spent 7 coin(s) worth 70.00") {
		t.Errorf("pay's output:\n%s", out)
	}
	if got := balanceOf(t, home, "freezer"); got != "70" {
		t.Errorf("payee's balance = %s, want 70", got)
	}
	if got := balanceOf(t, home, "alice"); got != "0" {
		t.Errorf("payer's balance = %s, want 0", got)
	}

	// JSON: the receipt, with the merges made before it.
	var v struct {
		client.Receipt
		Merges []mergeView `json:"merges"`
	}
	out = mustPeg(t, home, "pay", "--from", "bob", "--token", "gbpt", "--to", "freezer", "--amount", "69.50", "-o", "json")
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("pay -o json: %v\n%s", err, out)
	}
	if v.Kind != "pay" || len(v.Merges) != 1 || v.Merges[0].Coins != tx.MaxInputs || v.Merges[0].Amount != "64" || v.Merges[0].Height > v.Height {
		t.Errorf("pay -o json = %+v, want the payment and one merge of %d coins before it", v, tx.MaxInputs)
	}

	// peg coins merge: the payee's two coins, 70.00 and 69.50, become one.
	var ml mergeList
	if err := json.Unmarshal([]byte(mustPeg(t, home, "coins", "merge", "--from", "freezer", "--token", "gbpt", "-o", "json")), &ml); err != nil {
		t.Fatal(err)
	}
	if len(ml.Merges) != 1 || ml.Merges[0].Amount != "139.5" || ml.Coins != 1 {
		t.Errorf("coins merge = %+v, want one merge into one coin of 139.5", ml)
	}
	out = mustPeg(t, home, "coins", "merge", "--from", "freezer", "--token", "gbpt")
	if !strings.Contains(out, "nothing to merge") || !strings.Contains(out, "holds 1 coin(s) of gbpt") {
		t.Errorf("coins merge of one coin:\n%s", out)
	}
	out = mustPeg(t, home, "coins", "merge", "--from", "bob", "--token", "gbpt", "--amount", "0.50")
	if !strings.Contains(out, "nothing to merge") {
		t.Errorf("coins merge --amount within reach:\n%s", out)
	}
}
