package index

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/node"
	"github.com/pegledger/peg/internal/ports"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/token"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// testChain is a real single-validator node, in this process, with the
// coin gbpt deployed and attested.
type testChain struct {
	t       testing.TB
	chainID string
	n       *node.Node
	c       *client.Client
	minter  key
	nonce   atomic.Uint64
}

type key struct {
	priv ed25519.PrivateKey
	addr ledger.Address
}

func newKey(name string) key {
	seed := sha256.Sum256([]byte(name))
	k := ed25519.NewKeyFromSeed(seed[:])
	return key{k, ledger.NewAddress("GB", k.Public().(ed25519.PublicKey))}
}

var (
	alice = newKey("alice")
	bob   = newKey("bob")
	carol = newKey("carol")
)

// startChain starts a node of chain chainID (region GB) with gbpt deployed
// and its reserve attested.
func startChain(t testing.TB, chainID string) *testChain {
	t.Helper()
	home, err := os.MkdirTemp("", "peg-index-node-")
	if err != nil {
		t.Fatal(err)
	}
	base, err := ports.Block(3)
	if err != nil {
		t.Fatal(err)
	}
	op, issuer, attestor, minter := newKey("operator"), newKey("issuer"), newKey("attestor"), newKey("minter")
	g := state.Genesis{Operator: op.addr, Issuers: []ledger.Address{issuer.addr}, Params: node.DefaultParams()}
	cfg := node.DefaultConfig(chainID, "GB", base)
	cfg.Log.Level = "error"
	if err := node.Init(home, cfg, g); err != nil {
		t.Fatal(err)
	}
	n, err := node.Start(home, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	c := &testChain{t: t, chainID: chainID, n: n, c: client.New(n.APIURL()), minter: minter}
	t.Cleanup(func() { c.stop(home) })
	d := token.Draft{ID: "gbpt", Name: "Pound", Symbol: "GBPT", Decimals: 2, SupplyCap: "1000000", DeclaredReserve: "1000000",
		Ratio: "1", MinUnit: "0.01", MaxTransfer: "100000", TransferRule: "open", RedeemRule: "anyone",
		Fiat: token.FiatDraft{BIC: node.DemoBankBIC, Scheme: "IBAN", Account: "GB81PEGD20041531926819", Currency: "GBP"},
		Roles: token.RolesDraft{Owner: issuer.addr.String(), Pauser: newKey("pauser").addr.String(),
			Freezer: newKey("freezer").addr.String(), Attestor: attestor.addr.String(),
			Minters: []token.MinterDraft{{Address: minter.addr.String(), Allowance: "1000000"}}}}
	c.submit(issuer, &txpb.Body{Msg: &txpb.Body_DeployToken{DeployToken: &txpb.DeployToken{Contract: tx.DraftToProto(d)}}})
	c.submit(attestor, &txpb.Body{Msg: &txpb.Body_Attest{Attest: &txpb.Attest{Token: "gbpt", Account: d.Fiat.Account, Currency: "GBP",
		Balance: "100000000", BalanceType: "ClosingBooked", BankTime: time.Now().Add(-time.Minute).Unix(),
		RawHash: make([]byte, 32), Source: "test"}}})
	return c
}

func (c *testChain) stop(home string) {
	if c.n == nil {
		return
	}
	c.n.Stop()
	c.n = nil
	// CometBFT's address book may still be saved as the node stops.
	for range 100 {
		if os.RemoveAll(home) == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// submit signs body with k and waits for it to be committed.
func (c *testChain) submit(k key, body *txpb.Body) *client.Receipt {
	c.t.Helper()
	st, err := c.c.Status(context.Background())
	if err != nil {
		c.t.Fatal(err)
	}
	body.ChainId, body.ExpiryHeight, body.Signer, body.Nonce = c.chainID, st.Height+100, k.addr.String(), c.nonce.Add(1)
	raw, _, err := tx.Sign(body, k.priv)
	if err != nil {
		c.t.Fatal(err)
	}
	s, err := c.c.Submit(context.Background(), raw, true)
	if err != nil {
		c.t.Fatalf("submitting %T: %v", body.Msg, err)
	}
	return s.Receipt
}

// mint mints units of gbpt (minor units) to addr.
func (c *testChain) mint(to ledger.Address, units string) ledger.TxID {
	c.t.Helper()
	return c.submit(c.minter, &txpb.Body{Msg: &txpb.Body_Mint{Mint: &txpb.Mint{Token: "gbpt", To: to.String(), Amount: units}}}).TxID
}

// pay spends coins of k's into outputs (owner, units) and waits for the
// block.
func (c *testChain) pay(k key, coins []ledger.CoinID, outs ...any) ledger.TxID {
	c.t.Helper()
	in := make([][]byte, len(coins))
	for i, id := range coins {
		in[i] = id[:]
	}
	p := &txpb.Pay{Token: "gbpt", Inputs: in}
	for i := 0; i+1 < len(outs); i += 2 {
		p.Outputs = append(p.Outputs, &txpb.Output{Owner: outs[i].(ledger.Address).String(), Amount: outs[i+1].(string)})
	}
	return c.submit(k, &txpb.Body{Msg: &txpb.Body_Pay{Pay: p}}).TxID
}

// eventually polls cond until it holds or a minute passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 60s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
