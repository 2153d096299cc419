package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/node"
)

// TestCoinProof proves coins of a real `peg up` network (a mint's and a
// payment's), verifies the proofs offline against the genesis file and
// against an exported validators file, and tells edited proofs and a
// trust file of another chain for what they are.
func TestCoinProof(t *testing.T) {
	home := t.TempDir()
	startUp(t, home, freeBasePort(t))
	mustPeg(t, home, "token", "deploy", "--from", "issuer", "--file", contractVariant(t, "gbpx", "GB33BUKB20201555555555"))
	mustPeg(t, home, "reserve", "attest", "--token", "gbpx", "--balance", "1000000.00")
	var mint, pay client.Receipt
	if err := json.Unmarshal([]byte(mustPeg(t, home, "token", "mint", "--from", "minter", "--token", "gbpx", "--to", "alice", "--amount", "1000", "-o", "json")), &mint); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(mustPeg(t, home, "pay", "--from", "alice", "--token", "gbpx", "--to", "bob", "--amount", "250.50", "-o", "json")), &pay); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	genesis := filepath.Join(home, node.GenesisFile)
	for _, c := range []struct {
		name   string
		rc     client.Receipt
		output int
		amount string
	}{{"mint", mint, 0, "100000"}, {"payment", pay, 0, "25050"}, {"change", pay, 1, "74950"}} {
		coin := createdCoin(t, c.rc, c.output)
		file := filepath.Join(dir, c.name+".json")
		mustPeg(t, home, "coin", "proof", coin, "--tx", c.rc.TxID.String(), "--out", file)
		out := mustPeg(t, home, "coin", "verify", file, "--trust", genesis)
		for _, want := range []string{"REAL", coin, "gbpx", c.amount, "peg-local", "unspent"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: verify output lacks %q:\n%s", c.name, want, out)
			}
		}
	}

	// A validators file exported from the home is a trust file too.
	vals := filepath.Join(dir, "validators.json")
	mustPeg(t, home, "validators", "export", "--out", vals)
	var real struct {
		Verdict string `json:"verdict"`
		Height  int64  `json:"height"`
		Coin    struct {
			Amount string `json:"amount"`
			Token  string `json:"token"`
		} `json:"coin"`
	}
	payment := filepath.Join(dir, "payment.json")
	if err := json.Unmarshal([]byte(mustPeg(t, home, "coin", "verify", payment, "--trust", vals, "-o", "json")), &real); err != nil {
		t.Fatal(err)
	}
	if real.Verdict != "REAL" || real.Coin.Amount != "25050" || real.Coin.Token != "gbpx" || real.Height != int64(pay.Height) {
		t.Errorf("verify -o json: %+v, want REAL 25050 gbpx at height %d", real, pay.Height)
	}

	for _, c := range []struct {
		name  string
		edit  func(p map[string]any)
		trust string
		want  string
	}{
		{"amount", func(p map[string]any) { p["coin"].(map[string]any)["amount"] = "25060" }, vals, "PROOF_NOT_COIN"},
		{"owner", func(p map[string]any) {
			coin := p["coin"].(map[string]any)
			coin["owner"] = createdOwner(t, pay, 1)
		}, vals, "PROOF_NOT_COIN"},
		{"token", func(p map[string]any) { p["coin"].(map[string]any)["token"] = "gbpt" }, vals, "PROOF_NOT_COIN"},
		{"leaf", func(p map[string]any) {
			r := p["receipt"].(map[string]any)
			leaf, err := base64.StdEncoding.DecodeString(r["leaf"].(string))
			if err != nil {
				t.Fatal(err)
			}
			leaf[len(leaf)-1] ^= 1
			r["leaf"] = base64.StdEncoding.EncodeToString(leaf)
		}, vals, "PROOF_PATH"},
		{"header", func(p map[string]any) {
			h := p["receipt"].(map[string]any)["signed_header"].(map[string]any)["header"].(map[string]any)
			h["app_hash"] = strings.Repeat("A", 64)
		}, vals, "PROOF_BAD_COMMIT"},
		{"another chain's trust", func(map[string]any) {}, otherChainTrust(t, vals), "PROOF_WRONG_CHAIN"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var p map[string]any
			b, err := os.ReadFile(payment)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &p); err != nil {
				t.Fatal(err)
			}
			c.edit(p)
			edited := filepath.Join(t.TempDir(), "edited.json")
			if b, err = json.Marshal(p); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(edited, b, 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, errs := peg(t, home, "coin", "verify", edited, "--trust", c.trust)
			if code != exitRejected || !strings.HasPrefix(out, "COUNTERFEIT: "+c.want) || errs != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d and COUNTERFEIT: %s", code, out, errs, exitRejected, c.want)
			}
		})
	}
}

// createdCoin is the id of output i of a receipt: its i-th coin.created.
func createdCoin(t *testing.T, rc client.Receipt, i int) string { return createdAttr(t, rc, i, "coin") }

func createdOwner(t *testing.T, rc client.Receipt, i int) string {
	return createdAttr(t, rc, i, "owner")
}

func createdAttr(t *testing.T, rc client.Receipt, i int, key string) string {
	t.Helper()
	for _, e := range rc.Events {
		if e.Type != "coin.created" {
			continue
		}
		if i > 0 {
			i--
			continue
		}
		for _, a := range e.Attrs {
			if a.Key == key {
				return a.Value
			}
		}
	}
	t.Fatalf("receipt %s has no such coin.created %s", rc.TxID, key)
	return ""
}

// otherChainTrust writes a copy of the trust file vals naming another chain.
func otherChainTrust(t *testing.T, vals string) string {
	t.Helper()
	b, err := os.ReadFile(vals)
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "other.json")
	if err := os.WriteFile(other, []byte(strings.Replace(string(b), "peg-local", "peg-elsewhere", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return other
}

// TestCoinProofFourValidators proves a coin of `peg up --validators 4`
// through node0 and through node3: each proof's commit carries the
// signatures of more than 2/3 of the four validators' power and verifies
// against the genesis; with signatures taken out of the file until at most
// two of four remain, it is refused as PROOF_WEAK_COMMIT.
func TestCoinProofFourValidators(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test")
	}
	dir := t.TempDir()
	base := freePortBlock(t, 4*devPorts)
	up := startUp(t, dir, base, "--validators", "4")
	defer up.stop(t)
	home0, home3 := node.TestnetHome(dir, 0), node.TestnetHome(dir, 3)
	mustPeg(t, home0, "token", "deploy", "--from", "issuer", "--file", contractVariant(t, "gbpx", "GB33BUKB20201555555555"))
	mustPeg(t, home0, "reserve", "attest", "--token", "gbpx", "--balance", "1000000.00")
	var mint client.Receipt
	if err := json.Unmarshal([]byte(mustPeg(t, home0, "token", "mint", "--from", "minter", "--token", "gbpx", "--to", "alice", "--amount", "1000", "-o", "json")), &mint); err != nil {
		t.Fatal(err)
	}
	coin := createdCoin(t, mint, 0)
	genesis := filepath.Join(home0, node.GenesisFile)
	for _, home := range []string{home0, home3} {
		file := filepath.Join(t.TempDir(), "coin.json")
		mustPeg(t, home, "coin", "proof", coin, "--tx", mint.TxID.String(), "--out", file)
		if out := mustPeg(t, home, "coin", "verify", file, "--trust", genesis); !strings.HasPrefix(out, "REAL") {
			t.Errorf("proof through %s: %s", home, out)
		}
		var p map[string]any
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		sigs := p["receipt"].(map[string]any)["signed_header"].(map[string]any)["commit"].(map[string]any)["signatures"].([]any)
		signed := 0
		for _, s := range sigs {
			sig := s.(map[string]any)
			if sig["block_id_flag"].(float64) != 2 { // BlockIDFlagCommit
				continue
			}
			signed++
			if signed > 2 {
				sig["block_id_flag"], sig["validator_address"], sig["timestamp"], sig["signature"] = 1, "", "0001-01-01T00:00:00Z", nil
			}
		}
		if len(sigs) != 4 || signed < 3 {
			t.Fatalf("proof through %s: %d of %d validators signed its commit; want more than 2/3 of 4", home, signed, len(sigs))
		}
		weak := filepath.Join(t.TempDir(), "weak.json")
		if b, err = json.Marshal(p); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(weak, b, 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, _ := peg(t, home, "coin", "verify", weak, "--trust", genesis)
		if code != exitRejected || !strings.HasPrefix(out, "COUNTERFEIT: PROOF_WEAK_COMMIT") {
			t.Errorf("two signatures of four: exit %d, %q; want PROOF_WEAK_COMMIT", code, out)
		}
	}
}
