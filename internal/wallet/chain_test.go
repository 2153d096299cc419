package wallet

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
	"github.com/pegledger/peg/internal/sqldb/sqltest"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/token"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// testChain is a real single-validator node, in this process, with the
// coin gbpt deployed and attested: what a wallet server talks to.
type testChain struct {
	t      testing.TB
	n      *node.Node
	c      *client.Client
	minter key
	nonce  atomic.Uint64
}

const testChainID = "peg-wallet-test"

// key is a deterministic test key.
type key struct {
	priv ed25519.PrivateKey
	addr ledger.Address
}

func newKey(name string) key {
	seed := sha256.Sum256([]byte(name))
	k := ed25519.NewKeyFromSeed(seed[:])
	return key{k, ledger.NewAddress("GB", k.Public().(ed25519.PublicKey))}
}

// freeBase finds three consecutive free loopback ports.
func freeBase(t testing.TB) int {
	t.Helper()
	base, err := ports.Block(3)
	if err != nil {
		t.Fatal(err)
	}
	return base
}

// startChain starts a node with gbpt deployed and its reserve attested.
func startChain(t testing.TB) *testChain {
	t.Helper()
	home, err := os.MkdirTemp("", "peg-wallet-node-")
	if err != nil {
		t.Fatal(err)
	}
	op, issuer, attestor, minter := newKey("operator"), newKey("issuer"), newKey("attestor"), newKey("minter")
	g := state.Genesis{Operator: op.addr, Issuers: []ledger.Address{issuer.addr}, Params: node.DefaultParams()}
	cfg := node.DefaultConfig(testChainID, "GB", freeBase(t))
	cfg.Log.Level = "error"
	if err := node.Init(home, cfg, g); err != nil {
		t.Fatal(err)
	}
	n, err := node.Start(home, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		n.Stop()
		// CometBFT's address book may still be saved as the node stops.
		for range 100 {
			if os.RemoveAll(home) == nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	c := &testChain{t: t, n: n, c: client.New(n.APIURL()), minter: minter}
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

// submit signs body with k and waits for it to be committed, accepted.
func (c *testChain) submit(k key, body *txpb.Body) *client.Receipt {
	c.t.Helper()
	st, err := c.c.Status(context.Background())
	if err != nil {
		c.t.Fatal(err)
	}
	body.ChainId, body.ExpiryHeight, body.Signer, body.Nonce = testChainID, st.Height+100, k.addr.String(), c.nonce.Add(1)
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

// databases are the tests' fresh databases (internal/sqldb/sqltest).
func databases(t *testing.T) map[string]func(t *testing.T) string {
	return sqltest.Databases(t, "wallet.db")
}

// testPassphrase is the master passphrase of the tests' servers.
const testPassphrase = "correct horse battery staple"

// cheapKDF keeps the tests' argon2id cost low.
var cheapKDF = kdf{Time: 1, MemoryKiB: 64, Threads: 1}

// newService opens a wallet server on database where against c.
func newService(t *testing.T, c *testChain, where string, secret string) *Service {
	t.Helper()
	s, err := New(context.Background(), Config{Database: where, Node: c.n.APIURL(), Passphrase: []byte(testPassphrase),
		WebhookSecret: secret, FollowInterval: 100 * time.Millisecond, kdf: cheapKDF}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// eventually polls cond until it holds or the deadline passes.
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
