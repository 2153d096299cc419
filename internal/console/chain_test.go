package console_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/aliaskey"
	"github.com/pegledger/peg/internal/cert"
	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/node"
	"github.com/pegledger/peg/internal/ports"
	"github.com/pegledger/peg/internal/region"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/token"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// The tests share one real node, started once for the test binary: gbpt
// deployed and attested, alice paid in several blocks, an alias bound to
// alice under the alias key in the node's home, and eurt, whose reserve the
// AT_RISK test takes away.

const testChainID = "peg-console-test"

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

var (
	operator, issuer, attestor = newKey("operator"), newKey("issuer"), newKey("attestor")
	minter, registrar          = newKey("minter"), newKey("registrar")
	alice, bob                 = newKey("alice"), newKey("bob")
	// carol holds more coins than an account page lists (carolCoins).
	carol = newKey("carol")
	// dave, certified, offers erin more trades (fred their arbiter) and
	// asks erin for more credit (from lender) than a page lists
	// (daveRequests each).
	dave, erin, fred, lender = newKey("dave"), newKey("erin"), newKey("fred"), newKey("lender")
	caKey                    = newKey("test CA")
)

// daveRequests is how many trades dave offers erin, and how many credit
// requests he makes to her: more than one page of the console's.
const daveRequests = 30

// carolCoins is how many coins bob pays carol, tx.MaxOutputs−1 a payment.
const carolCoins = 2 * (tx.MaxOutputs - 1)

// alicePhone is the phone number bound to alice.
const alicePhone = "+44 20 7946 0123"

// alicePayments is how many payments alice receives from bob, one a block.
const alicePayments = 12

// testChain is the shared node.
type testChain struct {
	n     *node.Node
	home  string
	api   *client.Client
	nonce atomic.Uint64
	// mints are the transactions that minted to alice and bob.
	mints []ledger.TxID
	// ca is the certificate of the CA the genesis names.
	ca []byte
}

var (
	chainOnce sync.Once
	shared    *testChain
	chainErr  error
)

// chain starts the shared node on first use.
func chain(t testing.TB) *testChain {
	t.Helper()
	chainOnce.Do(func() { shared, chainErr = startChain() })
	if chainErr != nil {
		t.Fatal(chainErr)
	}
	return shared
}

// stopChain stops the shared node, if it started.
func stopChain() {
	if shared == nil {
		return
	}
	shared.n.Stop()
	for range 100 {
		if os.RemoveAll(shared.home) == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func startChain() (*testChain, error) {
	home, err := os.MkdirTemp("", "peg-console-node-")
	if err != nil {
		return nil, err
	}
	base, err := ports.Block(3)
	if err != nil {
		return nil, err
	}
	ca, err := cert.NewCA(caKey.priv, "test CA", time.Now().Add(-time.Hour), time.Now().Add(365*24*time.Hour))
	if err != nil {
		return nil, err
	}
	g := state.Genesis{Operator: operator.addr, Issuers: []ledger.Address{issuer.addr}, Params: node.DefaultParams(), CA: ca}
	cfg := node.DefaultConfig(testChainID, "GB", base)
	cfg.Log.Level = "error"
	if err := node.Init(home, cfg, g); err != nil {
		return nil, err
	}
	akey, err := aliaskey.Create(filepath.Join(home, aliaskey.FileName))
	if err != nil {
		return nil, err
	}
	n, err := node.Start(home, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	c := &testChain{n: n, home: home, api: client.New(n.APIURL()), ca: ca}
	shared = c
	return c, c.populate(akey)
}

// populate deploys the tokens and makes the history the tests read.
func (c *testChain) populate(akey region.Key) error {
	for _, d := range []token.Draft{draft("gbpt", "Pound", "GBPT", "GBP", "GB81PEGD20041531926819"), draft("eurt", "Euro", "EURT", "EUR", "GB39PEGD20041590471828")} {
		if _, err := c.submit(issuer, &txpb.Body{Msg: &txpb.Body_DeployToken{DeployToken: &txpb.DeployToken{Contract: tx.DraftToProto(d)}}}); err != nil {
			return err
		}
		if err := c.attest(ledger.TokenID(d.ID), d.Fiat.Account, d.Fiat.Currency, "100000000"); err != nil {
			return err
		}
	}
	for _, to := range []key{alice, bob} {
		rc, err := c.submit(minter, &txpb.Body{Msg: &txpb.Body_Mint{Mint: &txpb.Mint{Token: "gbpt", To: to.addr.String(), Amount: "500000"}}})
		if err != nil {
			return err
		}
		c.mints = append(c.mints, rc.TxID)
	}
	for i := range alicePayments {
		if err := c.pay(bob, alice, "gbpt", fmt.Sprint(100+i)); err != nil {
			return err
		}
	}
	for range carolCoins / (tx.MaxOutputs - 1) {
		if err := c.payMany(bob, carol, "gbpt", tx.MaxOutputs-1, "7"); err != nil {
			return err
		}
	}
	if _, err := c.submit(operator, &txpb.Body{Msg: &txpb.Body_SetRegistrar{SetRegistrar: &txpb.SetRegistrar{Registrar: registrar.addr.String()}}}); err != nil {
		return err
	}
	v, err := region.ParsePhone(alicePhone)
	if err != nil {
		return err
	}
	h := region.Hash(akey, v)
	if _, err = c.submit(registrar, &txpb.Body{Msg: &txpb.Body_AliasRegister{AliasRegister: &txpb.AliasRegister{Hash: h[:], Account: alice.addr.String()}}}); err != nil {
		return err
	}
	return c.trade()
}

// trade certifies dave, erin and fred, then has dave offer erin
// daveRequests trades and ask her for as many payments on credit from
// lender: pages of them for the account page to walk.
func (c *testChain) trade() error {
	ca, err := cert.ParseCA(c.ca)
	if err != nil {
		return err
	}
	for i, k := range []key{dave, erin, fred} {
		der, err := ca.Issue(caKey.priv, cert.Request{Identity: cert.Identity{Name: "party " + string(rune('A'+i)), Registration: "1", Country: "GB"},
			Address: k.addr, Public: k.priv.Public().(ed25519.PublicKey), Serial: uint64(i + 1), NotBefore: ca.NotBefore, NotAfter: ca.NotAfter})
		if err != nil {
			return err
		}
		if _, err := c.submit(k, &txpb.Body{Msg: &txpb.Body_RegisterCertificate{RegisterCertificate: &txpb.RegisterCertificate{Certificate: der}}}); err != nil {
			return err
		}
	}
	type step struct {
		k    key
		body *txpb.Body
	}
	steps := []step{
		{operator, &txpb.Body{Msg: &txpb.Body_SetTradeRules{SetTradeRules: &txpb.SetTradeRules{MaxRounds: 2, MaxVersionOpenSeconds: 72 * 3600,
			Limits: []*txpb.TradeLimit{{Token: "gbpt", Max: "100000"}}}}}},
		{operator, &txpb.Body{Msg: &txpb.Body_RegisterCreditNode{RegisterCreditNode: &txpb.RegisterCreditNode{Node: lender.addr.String(), Token: "gbpt",
			Params: &txpb.CreditParams{Cap: "1000", Base: "100", RepaidPermille: 500, VolumePermille: 100, LatePermille: 1000,
				WindowSeconds: 90 * 24 * 3600, TermSeconds: 30 * 24 * 3600, GraceSeconds: 7 * 24 * 3600}}}}},
	}
	doc := sha256.Sum256([]byte("contract"))
	now := time.Now()
	for range daveRequests {
		offer := &txpb.TradeOffer{Buyer: dave.addr.String(), Seller: erin.addr.String(), Terms: &txpb.TradeTerms{
			Description: "tea", DocumentHash: doc[:], Token: "gbpt", Amount: "100", Delivery: "FOB Shanghai", PaymentRule: "confirmation",
			ConfirmSeconds: 3600, Expires: now.Add(24 * time.Hour).Unix(), FundBy: now.Add(48 * time.Hour).Unix(),
			ShipBy: now.Add(72 * time.Hour).Unix(), Arbiter: fred.addr.String()}}
		request := &txpb.CreditRequest{Node: lender.addr.String(), Payee: erin.addr.String(), Token: "gbpt", Amount: "1",
			Description: "tea", DocumentHash: doc[:], Deadline: now.Add(24 * time.Hour).Unix()}
		steps = append(steps, step{dave, &txpb.Body{Msg: &txpb.Body_TradeOffer{TradeOffer: offer}}},
			step{dave, &txpb.Body{Msg: &txpb.Body_CreditRequest{CreditRequest: request}}})
	}
	for _, s := range steps {
		if _, err := c.submit(s.k, s.body); err != nil {
			return err
		}
	}
	return nil
}

func draft(id string, name, symbol, currency, account string) token.Draft {
	return token.Draft{ID: id, Name: name, Symbol: symbol, Decimals: 2, SupplyCap: "1000000", DeclaredReserve: "1000000",
		Ratio: "1", MinUnit: "0.01", MaxTransfer: "100000", TransferRule: "open", RedeemRule: "anyone",
		Fiat: token.FiatDraft{BIC: node.DemoBankBIC, Scheme: "IBAN", Account: account, Currency: currency},
		Roles: token.RolesDraft{Owner: issuer.addr.String(), Pauser: newKey("pauser").addr.String(),
			Freezer: newKey("freezer").addr.String(), Attestor: attestor.addr.String(),
			Minters: []token.MinterDraft{{Address: minter.addr.String(), Allowance: "1000000"}}}}
}

// attest records the reserve of tok's account as balance (minor units), as
// the monitor does after reading the bank.
func (c *testChain) attest(tok ledger.TokenID, account, currency, balance string) error {
	_, err := c.submit(attestor, &txpb.Body{Msg: &txpb.Body_Attest{Attest: &txpb.Attest{Token: string(tok), Account: account, Currency: currency,
		Balance: balance, BalanceType: "ClosingBooked", BankTime: time.Now().Add(-time.Minute).Unix(),
		RawHash: make([]byte, 32), Source: "test"}}})
	return err
}

// pay pays units (minor units) of tok from one key to another, spending
// the payer's first coin and taking change.
func (c *testChain) pay(from, to key, tok ledger.TokenID, units string) error {
	return c.payMany(from, to, tok, 1, units)
}

// payMany pays n coins of units (minor units) of tok from one key to
// another in one payment, spending the payer's first coin and taking
// change.
func (c *testChain) payMany(from, to key, tok ledger.TokenID, n int, units string) error {
	coins, err := c.api.Coins(context.Background(), from.addr, tok, 1)
	if err != nil {
		return err
	}
	if len(coins) == 0 {
		return fmt.Errorf("%s holds no %s", from.addr, tok)
	}
	in := coins[0]
	each, err := money.ParseUnits(units)
	if err != nil {
		return err
	}
	change := in.Units
	var outs []*txpb.Output
	for range n {
		var ok bool
		if change, ok = change.Sub(each); !ok {
			return fmt.Errorf("coin %s holds less than %d × %s", in.ID, n, units)
		}
		outs = append(outs, &txpb.Output{Owner: to.addr.String(), Amount: units})
	}
	if !change.IsZero() {
		outs = append(outs, &txpb.Output{Owner: from.addr.String(), Amount: change.String()})
	}
	_, err = c.submit(from, &txpb.Body{Msg: &txpb.Body_Pay{Pay: &txpb.Pay{Token: string(tok), Inputs: [][]byte{in.ID[:]}, Outputs: outs}}})
	return err
}

// submit signs body with k and waits for it to be committed, accepted.
func (c *testChain) submit(k key, body *txpb.Body) (*client.Receipt, error) {
	ctx := context.Background()
	st, err := c.api.Status(ctx)
	if err != nil {
		return nil, err
	}
	body.ChainId, body.ExpiryHeight, body.Signer, body.Nonce = testChainID, st.Height+100, k.addr.String(), c.nonce.Add(1)
	raw, _, err := tx.Sign(body, k.priv)
	if err != nil {
		return nil, err
	}
	s, err := c.api.Submit(ctx, raw, true)
	if err != nil {
		return nil, fmt.Errorf("submitting %T: %w", body.Msg, err)
	}
	return s.Receipt, nil
}

func TestMain(m *testing.M) {
	code := m.Run()
	closeBrowser()
	stopChain()
	stopIndexed()
	os.Exit(code)
}
