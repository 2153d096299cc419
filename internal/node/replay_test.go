package node

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/ports"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/token"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

const replayChain = "peg-replay-test"

type replayKey struct {
	priv ed25519.PrivateKey
	addr ledger.Address
}

func newReplayKey(name string) replayKey {
	seed := sha256.Sum256([]byte(name))
	k := ed25519.NewKeyFromSeed(seed[:])
	return replayKey{k, ledger.NewAddress("GB", k.Public().(ed25519.PublicKey))}
}

// replayFreeBase finds three consecutive free loopback ports.
func replayFreeBase(t *testing.T) int {
	t.Helper()
	base, err := ports.Block(3)
	if err != nil {
		t.Fatal(err)
	}
	return base
}

// replayHistory is what runNode committed.
type replayHistory struct {
	alice       ledger.Address
	aliceChange ledger.CoinID
}

// runNode starts a node in a new home, commits a deploy, an attestation, a
// mint, a payment with change and a redemption through its API, and stops it.
// initAndStart creates a single-validator node in home and starts it; the
// caller stops it.
func initAndStart(t *testing.T, home string, cfg Config, g state.Genesis) *Node {
	t.Helper()
	if err := Init(home, cfg, g); err != nil {
		t.Fatal(err)
	}
	n, err := Start(home, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// submitter returns a function that signs a transaction by k (msg sets
// its message) for n's chain, submits it and waits until it is committed,
// failing the test unless it is accepted.
func submitter(t *testing.T, n *Node) func(k replayKey, msg func(*txpb.Body)) ledger.TxID {
	c := client.New(n.APIURL())
	var nonce uint64
	return func(k replayKey, msg func(*txpb.Body)) ledger.TxID {
		t.Helper()
		nonce++
		body := &txpb.Body{ChainId: replayChain, ExpiryHeight: n.Height() + 100, Signer: k.addr.String(), Nonce: nonce}
		msg(body)
		raw, id, err := tx.Sign(body, k.priv)
		if err != nil {
			t.Fatal(err)
		}
		s, err := c.Submit(context.Background(), raw, true)
		if err != nil {
			t.Fatalf("submitting %T: %v", body.Msg, err)
		}
		if s.Receipt.Code != ledger.OK {
			t.Fatalf("%T: %+v", body.Msg, s.Receipt)
		}
		return id
	}
}

// restart stops n and starts its home again; the node it returns stops at
// the test's end.
func restart(t *testing.T, n *Node, home string) *Node {
	t.Helper()
	n.Stop()
	n, err := Start(home, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Stop)
	return n
}

// gbptDraft is the test token's contract, with the roles given.
func gbptDraft(issuer, attestor, minter replayKey) token.Draft {
	return token.Draft{ID: "gbpt", Name: "Pound", Symbol: "GBPT", Decimals: 2, SupplyCap: "1000000", DeclaredReserve: "1000000",
		Ratio: "1", MinUnit: "0.01", MaxTransfer: "100000", TransferRule: "open", RedeemRule: "anyone",
		Fiat: token.FiatDraft{BIC: DemoBankBIC, Scheme: "IBAN", Account: "GB81PEGD20041531926819", Currency: "GBP"},
		Roles: token.RolesDraft{Owner: issuer.addr.String(), Pauser: newReplayKey("pauser").addr.String(),
			Freezer: newReplayKey("freezer").addr.String(), Attestor: attestor.addr.String(),
			Minters: []token.MinterDraft{{Address: minter.addr.String(), Allowance: "1000000"}}}}
}

func runNode(t *testing.T) (string, replayHistory) {
	t.Helper()
	home := nodeHome(t)
	op, issuer, attestor, minter := newReplayKey("operator"), newReplayKey("issuer"), newReplayKey("attestor"), newReplayKey("minter")
	alice, bob := newReplayKey("alice"), newReplayKey("bob")
	g := state.Genesis{Operator: op.addr, Issuers: []ledger.Address{issuer.addr}, Params: DefaultParams()}
	cfg := DefaultConfig(replayChain, "GB", replayFreeBase(t))
	cfg.Log.Level = "error"
	n := initAndStart(t, home, cfg, g)
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			n.Stop()
		}
	})
	submit := submitter(t, n)
	d := gbptDraft(issuer, attestor, minter)
	submit(issuer, func(b *txpb.Body) {
		b.Msg = &txpb.Body_DeployToken{DeployToken: &txpb.DeployToken{Contract: tx.DraftToProto(d)}}
	})
	submit(attestor, func(b *txpb.Body) {
		b.Msg = &txpb.Body_Attest{Attest: &txpb.Attest{Token: "gbpt", Account: d.Fiat.Account, Currency: "GBP",
			Balance: "100000000", BalanceType: "ClosingBooked", BankTime: time.Now().Add(-time.Minute).Unix(),
			RawHash: make([]byte, 32), Source: "test"}}
	})
	mint := submit(minter, func(b *txpb.Body) {
		b.Msg = &txpb.Body_Mint{Mint: &txpb.Mint{Token: "gbpt", To: alice.addr.String(), Amount: "100000"}}
	})
	pay := submit(alice, func(b *txpb.Body) {
		coin := ledger.NewCoinID(mint, 0)
		b.Msg = &txpb.Body_Pay{Pay: &txpb.Pay{Token: "gbpt", Inputs: [][]byte{coin[:]},
			Outputs: []*txpb.Output{{Owner: bob.addr.String(), Amount: "60000"}, {Owner: alice.addr.String(), Amount: "40000"}}}}
	})
	submit(bob, func(b *txpb.Body) {
		coin := ledger.NewCoinID(pay, 0)
		b.Msg = &txpb.Body_Redeem{Redeem: &txpb.Redeem{Token: "gbpt", Inputs: [][]byte{coin[:]}, Amount: "10000"}}
	})
	// A running node holds its stores' locks: the audit says so rather than
	// read a state that moves.
	if _, err := Audit(home, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "still running") {
		t.Errorf("audit of a running node: error %v, want one asking whether it is still running", err)
	}
	n.Stop()
	stopped = true
	return home, replayHistory{alice: alice.addr, aliceChange: ledger.NewCoinID(pay, 1)}
}

// tamper writes raw keys into the stopped node's state store, behind the
// store's back, as a disk fault or an operator's mistake would.
func tamper(t *testing.T, home string, set map[string][]byte) {
	t.Helper()
	db, err := pebble.Open(filepath.Join(home, AppDataDir), &pebble.Options{Logger: quietPebble{}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for k, v := range set {
		if err := db.Set([]byte(k), v, pebble.Sync); err != nil {
			t.Fatal(err)
		}
	}
}

// quietPebble drops Pebble's log lines.
type quietPebble struct{}

func (quietPebble) Infof(string, ...any)  {}
func (quietPebble) Errorf(string, ...any) {}
func (quietPebble) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}

// TestAudit audits a node's data as committed, then copies of it each broken
// in one way, and checks the audit names what broke: the invariants catch
// broken money, the replay catches a state or app hash that the blocks do
// not produce.
func TestAudit(t *testing.T) {
	home, h := runNode(t)
	rep, err := Audit(home, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.State.Coins != 2 || rep.Replay.Blocks < 5 || int64(rep.Height) > rep.Replay.BlockHeight {
		t.Fatalf("audit of a clean node = %+v", rep)
	}

	// alice's change coin, its amount one minor unit: amount (16 bytes),
	// token (length and name), owner.
	coinKey := "coin/" + string(h.aliceChange[:])
	oneUnit := append(append(make([]byte, 15), 1), append([]byte("\x04gbpt"), h.alice.Bytes()...)...)
	for _, tc := range []struct {
		name        string
		set         map[string][]byte
		state, play string // a problem each must list, "" for none
	}{
		{
			name:  "coin amount",
			set:   map[string][]byte{coinKey: oneUnit},
			state: "token gbpt: unspent coins total",
			play:  "the node's state and the replay's differ: key \"coin/",
		},
		{
			name:  "coin spent by no transaction",
			set:   map[string][]byte{"coin/" + strings.Repeat("\x01", 32): make([]byte, 32)},
			state: "which has no receipt",
			play:  "the node's state and the replay's differ: key \"coin/",
		},
		{
			name: "stored app hash",
			set:  map[string][]byte{"\x00meta/apphash": make([]byte, 32)},
			play: "the node's store holds 0000",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			broken := filepath.Join(t.TempDir(), "home")
			if err := os.CopyFS(broken, os.DirFS(home)); err != nil {
				t.Fatal(err)
			}
			tamper(t, broken, tc.set)
			rep, err := Audit(broken, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() {
				t.Fatalf("audit of a broken node found nothing: %+v", rep)
			}
			for _, c := range []struct {
				got  []string
				want string
			}{{rep.State.Problems, tc.state}, {rep.Replay.Problems, tc.play}} {
				if c.want == "" && len(c.got) > 0 {
					t.Errorf("problems %q, want none", c.got)
				}
				if c.want != "" && !strings.Contains(strings.Join(c.got, "\n"), c.want) {
					t.Errorf("problems %q, want one with %q", c.got, c.want)
				}
			}
		})
	}
}

func TestAuditMissingHome(t *testing.T) {
	if _, err := Audit(t.TempDir(), slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "peg init") {
		t.Errorf("audit of an empty home: error %v, want one saying to run peg init", err)
	}
}
