// Package nodetest starts real single-validator nodes in a test's process,
// with the coin gbpt deployed and its reserve attested, for the tests of
// the services that run beside a node and read it through its API (the
// wallet server, the index).
package nodetest

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

// Key is a deterministic test key of region GB, made from a name.
type Key struct {
	Priv ed25519.PrivateKey
	Addr ledger.Address
}

// NewKey is the key named name: the same name, the same key.
func NewKey(name string) Key {
	seed := sha256.Sum256([]byte(name))
	k := ed25519.NewKeyFromSeed(seed[:])
	return Key{k, ledger.NewAddress("GB", k.Public().(ed25519.PublicKey))}
}

// Chain is a running node of region GB whose operator, issuer, attestor
// and minter are NewKey("operator"), ("issuer"), ("attestor") and
// ("minter"), with gbpt (2 decimals) deployed and 1,000,000.00 GBP of
// reserve attested.
type Chain struct {
	ID     string
	Node   *node.Node
	Client *client.Client
	Minter Key
	t      testing.TB
	home   string
	nonce  atomic.Uint64
}

// Start starts a node of chain id on free loopback ports; the test's
// cleanup stops it.
func Start(t testing.TB, id string) *Chain {
	t.Helper()
	home, err := os.MkdirTemp("", "peg-test-node-")
	if err != nil {
		t.Fatal(err)
	}
	base, err := ports.Block(node.NodePorts)
	if err != nil {
		t.Fatal(err)
	}
	op, issuer, attestor, minter := NewKey("operator"), NewKey("issuer"), NewKey("attestor"), NewKey("minter")
	g := state.Genesis{Operator: op.Addr, Issuers: []ledger.Address{issuer.Addr}, Params: node.DefaultParams()}
	cfg := node.DefaultConfig(id, "GB", base)
	cfg.Log.Level = "error"
	if err := node.Init(home, cfg, g); err != nil {
		t.Fatal(err)
	}
	n, err := node.Start(home, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	c := &Chain{ID: id, Node: n, Client: client.New(n.APIURL()), Minter: minter, t: t, home: home}
	t.Cleanup(c.Stop)
	d := token.Draft{ID: "gbpt", Name: "Pound", Symbol: "GBPT", Decimals: 2, SupplyCap: "1000000", DeclaredReserve: "1000000",
		Ratio: "1", MinUnit: "0.01", MaxTransfer: "100000", TransferRule: "open", RedeemRule: "anyone",
		Fiat: token.FiatDraft{BIC: node.DemoBankBIC, Scheme: "IBAN", Account: "GB81PEGD20041531926819", Currency: "GBP"},
		Roles: token.RolesDraft{Owner: issuer.Addr.String(), Pauser: NewKey("pauser").Addr.String(),
			Freezer: NewKey("freezer").Addr.String(), Attestor: attestor.Addr.String(),
			Minters: []token.MinterDraft{{Address: minter.Addr.String(), Allowance: "1000000"}}}}
	c.Submit(issuer, &txpb.Body{Msg: &txpb.Body_DeployToken{DeployToken: &txpb.DeployToken{Contract: tx.DraftToProto(d)}}})
	c.Submit(attestor, &txpb.Body{Msg: &txpb.Body_Attest{Attest: &txpb.Attest{Token: "gbpt", Account: d.Fiat.Account, Currency: "GBP",
		Balance: "100000000", BalanceType: "ClosingBooked", BankTime: time.Now().Add(-time.Minute).Unix(),
		RawHash: make([]byte, 32), Source: "test"}}})
	return c
}

// Stop stops the node, once, and removes its home.
func (c *Chain) Stop() {
	if c.Node == nil {
		return
	}
	c.Node.Stop()
	c.Node = nil
	// CometBFT's address book may still be saved as the node stops.
	for range 100 {
		if os.RemoveAll(c.home) == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Submit signs body with k and waits for it to be committed; the receipt
// says whether it was accepted.
func (c *Chain) Submit(k Key, body *txpb.Body) *client.Receipt {
	c.t.Helper()
	st, err := c.Client.Status(context.Background())
	if err != nil {
		c.t.Fatal(err)
	}
	body.ChainId, body.ExpiryHeight, body.Signer, body.Nonce = c.ID, st.Height+100, k.Addr.String(), c.nonce.Add(1)
	raw, _, err := tx.Sign(body, k.Priv)
	if err != nil {
		c.t.Fatal(err)
	}
	s, err := c.Client.Submit(context.Background(), raw, true)
	if err != nil {
		c.t.Fatalf("submitting %T: %v", body.Msg, err)
	}
	return s.Receipt
}

// Mint mints units of gbpt (minor units) to addr.
func (c *Chain) Mint(to ledger.Address, units string) ledger.TxID {
	c.t.Helper()
	return c.Submit(c.Minter, &txpb.Body{Msg: &txpb.Body_Mint{Mint: &txpb.Mint{Token: "gbpt", To: to.String(), Amount: units}}}).TxID
}

// Eventually polls cond until it holds, or fails t after a minute.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 60s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
