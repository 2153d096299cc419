package api

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/proof"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/store"
	"github.com/pegledger/peg/internal/token"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// testChain stands in for consensus in this package's tests: Submit runs the
// admission checks CheckTx runs, and each block applies, records receipts and
// commits the way internal/abci does. It is not a node: one block per
// submission (or per commit call in manual mode), no mempool recheck.
type testChain struct {
	t       testing.TB
	db      *store.DB
	chainID string
	region  ledger.Region
	genesis state.Genesis

	mu          sync.Mutex
	manual      bool     // hold admitted transactions until commit
	pending     [][]byte // admitted, not yet in a block
	blocks      []*Block // blocks[h-1] is the block at height h
	blockEvents map[int64][]state.Event
	skew        time.Duration // added to every later block's time by advance
	lastTime    time.Time     // the last block's time, empty blocks included: the mempool's "now"
	committed   chan struct{}
	admitted    chan struct{} // one value per admission in manual mode
	full        error         // Room's answer
	unspent     *state.Unspent
}

const (
	testChainID = "peg-test-gb"
	testRegion  = ledger.Region("GB")
)

// genesisTime is the first block's time; block h is h seconds later, plus
// whatever advance has added.
var genesisTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func newTestChain(t testing.TB, g state.Genesis) *testChain {
	db, err := store.Open(t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	blk := db.NewBlock()
	if err := state.InitGenesis(blk, g); err != nil {
		t.Fatal(err)
	}
	if err := blk.Commit(0); err != nil {
		t.Fatal(err)
	}
	snap := db.Snapshot()
	defer snap.Close()
	u, err := state.LoadUnspent(snap, snap.Height)
	if err != nil {
		t.Fatal(err)
	}
	return &testChain{
		t: t, db: db, chainID: testChainID, region: testRegion, genesis: g, unspent: u,
		blockEvents: make(map[int64][]state.Event),
		committed:   make(chan struct{}), admitted: make(chan struct{}, 100),
	}
}

func (c *testChain) ChainID() string           { return c.chainID }
func (c *testChain) Region() ledger.Region     { return c.region }
func (c *testChain) Snapshot() *store.Snapshot { return c.db.Snapshot() }
func (c *testChain) Unspent() *state.Unspent   { return c.unspent }

func (c *testChain) Committed() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.committed
}

func (c *testChain) Submit(_ context.Context, raw []byte) (ledger.Code, string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, rej := tx.Decode(raw, c.chainID)
	if rej != nil {
		return rej.Code, rej.Message, nil
	}
	now := state.LastBlockTime(c.db) // as abci's CheckTx: the later of the state's and the last block's
	if c.lastTime.After(now) {
		now = c.lastTime
	}
	env := &state.Env{ChainID: c.chainID, Region: c.region, Height: c.db.Height() + 1, Time: now, Genesis: c.genesis}
	if res := state.Apply(c.db.NewBlock(), env, t); res.Code != ledger.OK {
		return res.Code, res.Log, nil
	}
	c.pending = append(c.pending, raw)
	if !c.manual {
		c.commitLocked()
		return ledger.OK, "", nil
	}
	c.admitted <- struct{}{}
	return ledger.OK, "", nil
}

func (c *testChain) Block(height int64) (*Block, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case height == 0 && len(c.blocks) > 0:
		return c.blocks[len(c.blocks)-1], nil
	case height >= 1 && height <= int64(len(c.blocks)):
		return c.blocks[height-1], nil
	}
	return nil, nil
}

func (c *testChain) BlockTime(height int64) (time.Time, bool, error) {
	b, err := c.Block(height)
	if b == nil || err != nil {
		return time.Time{}, false, err
	}
	return b.Time, true, nil
}

// BlockEvents returns the events a block's EndBlock emitted, as the node
// keeps them for recent blocks.
// ReceiptProof cannot prove: the test chain has no consensus engine, whose
// headers and commits a proof carries (internal/node's tests prove).
func (c *testChain) ReceiptProof(context.Context, *state.Receipt) (*proof.Receipt, error) {
	return nil, errors.New("api test chain: no consensus engine to prove with")
}

// Signing has no commit to read: the test chain has no consensus engine.
func (c *testChain) Signing(context.Context, int64) (client.Signing, bool, error) {
	return client.Signing{}, false, nil
}

func (c *testChain) BlockEvents(height int64) ([]state.Event, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.blockEvents[height], nil
}

// advance moves the clock of every later block on by d, as a chain that sat
// idle (or a reserve left unattested) for that long.
func (c *testChain) advance(d time.Duration) {
	c.mu.Lock()
	c.skew += d
	c.mu.Unlock()
}

// setManual makes admitted transactions wait for commit.
func (c *testChain) setManual() {
	c.mu.Lock()
	c.manual = true
	c.mu.Unlock()
}

// commit makes a block of the pending transactions.
func (c *testChain) commit() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.commitLocked()
}

// dropPending forgets the admitted transactions, as a mempool evicting them.
func (c *testChain) dropPending() {
	c.mu.Lock()
	c.pending = nil
	c.mu.Unlock()
}

// include adds raw bytes to the next block without admission, as a faulty
// proposer could.
func (c *testChain) include(raw []byte) {
	c.mu.Lock()
	c.pending = append(c.pending, raw)
	c.mu.Unlock()
}

// awaitAdmitted waits for n admissions in manual mode.
func (c *testChain) awaitAdmitted(n int) {
	for range n {
		select {
		case <-c.admitted:
		case <-time.After(10 * time.Second):
			c.t.Fatal("no transaction was admitted")
		}
	}
}

func (c *testChain) commitLocked() {
	height := c.db.Height() + 1
	env := &state.Env{ChainID: c.chainID, Region: c.region, Height: height,
		Time: genesisTime.Add(time.Duration(height)*time.Second + c.skew), Genesis: c.genesis}
	blk := c.db.NewBlock()
	for i, raw := range c.pending {
		t, rej := tx.Decode(raw, c.chainID)
		if rej != nil {
			continue // as abci: no receipt for what does not decode
		}
		state.Deliver(blk, env, t, uint32(i))
	}
	env.CheckTally()
	events := state.EndBlock(blk, env, len(c.pending) > 0)
	prev := c.db.AppHash()
	if err := blk.Commit(height); err != nil {
		c.t.Errorf("committing block %d: %v", height, err)
		return
	}
	c.unspent.Commit(blk, height)
	var h [8]byte
	binary.BigEndian.PutUint64(h[:], height)
	hash := sha256.Sum256(append(h[:], c.db.AppHash()...))
	listed := make([]tx.Listing, len(c.pending))
	for i, raw := range c.pending {
		listed[i] = tx.List(raw)
	}
	c.blocks = append(c.blocks, &Block{
		Height: int64(height), Time: env.Time, Hash: hash[:], AppHash: prev,
		Proposer: "5D6A5E3C0F1B2A3948576A6B7C8D9E0F1A2B3C4D", Txs: listed,
	})
	if len(events) > 0 {
		c.blockEvents[int64(height)] = events
	}
	c.lastTime = env.Time
	c.pending = nil
	close(c.committed)
	c.committed = make(chan struct{})
}

// key is a test account: a deterministic Ed25519 key at home in GB.
type key struct {
	priv ed25519.PrivateKey
	addr ledger.Address
}

func newKey(seed byte) key {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	return key{priv: priv, addr: ledger.NewAddress(testRegion, priv.Public().(ed25519.PublicKey))}
}

var (
	operator = newKey(1)
	issuer   = newKey(2)
	owner    = newKey(3)
	pauser   = newKey(4)
	freezer  = newKey(5)
	attestor = newKey(6)
	minter   = newKey(7)
	alice    = newKey(8)
	bob      = newKey(9)
)

func testGenesis() state.Genesis {
	return state.Genesis{
		Operator: operator.addr,
		Issuers:  []ledger.Address{issuer.addr},
		Params:   state.Params{MinReserve: 1000, Banks: []string{"DEMOGB2L"}, MaxExpiryDelta: 1000},
	}
}

// gbppDraft is the contract the tests deploy: 6 decimals, so that amounts show
// the API's decimal formatting.
func gbppDraft() token.Draft {
	return token.Draft{
		ID: "gbpp", Name: "Peg Pound", Symbol: "GBPP", Decimals: 6,
		SupplyCap:       "1000000",
		Fiat:            token.FiatDraft{BIC: "DEMOGB2L", Scheme: "IBAN", Account: "GB82WEST12345698765432", Currency: "GBP"},
		DeclaredReserve: "1000000.00",
		Ratio:           "1",
		MinUnit:         "0.01",
		MaxTransfer:     "10000",
		TransferRule:    "open",
		RedeemRule:      "anyone",
		Roles: token.RolesDraft{
			Owner: owner.addr.String(), Pauser: pauser.addr.String(), Freezer: freezer.addr.String(),
			Attestor: attestor.addr.String(),
			Minters:  []token.MinterDraft{{Address: minter.addr.String(), Allowance: "500000"}},
		},
	}
}

// testEnv is a running API over a test chain, with a client of it.
type testEnv struct {
	t      *testing.T
	chain  *testChain
	server *server
	srv    *httptest.Server
	client *client.Client
	logs   *syncBuffer
	nonce  uint64
}

func newTestEnv(t *testing.T) *testEnv {
	return newTestEnvWith(t, nil)
}

func newTestEnvWait(t *testing.T, wait time.Duration) *testEnv {
	return newTestEnvWith(t, func(s *server) { s.wait = wait })
}

// newTestEnvWith lets configure change the server before it serves.
func newTestEnvWith(t *testing.T, configure func(*server)) *testEnv {
	return newTestEnvGenesis(t, testGenesis(), configure)
}

// newTestEnvGenesis is newTestEnvWith on the chain genesis g starts.
func newTestEnvGenesis(t *testing.T, g state.Genesis, configure func(*server)) *testEnv {
	chain := newTestChain(t, g)
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := newServer(chain, g, log, DefaultWait)
	if configure != nil {
		configure(s)
	}
	srv := httptest.NewServer(checkResponses(t, s.handler()))
	t.Cleanup(srv.Close)
	return &testEnv{t: t, chain: chain, server: s, srv: srv, client: client.New(srv.URL), logs: logs}
}

// sign builds and signs a transaction by k that expires 100 blocks ahead.
func (e *testEnv) sign(k key, set func(*txpb.Body)) ([]byte, ledger.TxID) {
	e.t.Helper()
	return e.signExpiring(k, e.chain.db.Height()+100, set)
}

func (e *testEnv) signExpiring(k key, expiry uint64, set func(*txpb.Body)) ([]byte, ledger.TxID) {
	e.t.Helper()
	e.nonce++
	body := &txpb.Body{ChainId: testChainID, ExpiryHeight: expiry, Signer: k.addr.String(), Nonce: e.nonce}
	set(body)
	raw, id, err := tx.Sign(body, k.priv)
	if err != nil {
		e.t.Fatal(err)
	}
	return raw, id
}

func deployMsg(d token.Draft) func(*txpb.Body) {
	return func(b *txpb.Body) {
		b.Msg = &txpb.Body_DeployToken{DeployToken: &txpb.DeployToken{Contract: tx.DraftToProto(d)}}
	}
}

func mintMsg(to ledger.Address, units string) func(*txpb.Body) {
	return func(b *txpb.Body) {
		b.Msg = &txpb.Body_Mint{Mint: &txpb.Mint{Token: "gbpp", To: to.String(), Amount: units}}
	}
}

// reserveAccount is gbpp's fiat account, which attestations must name.
const reserveAccount = "GB82WEST12345698765432"

// attestMsg attests gbpp's reserve balance, in pence, as the bank reported it
// at bankTime.
func attestMsg(pence string, bankTime time.Time) func(*txpb.Body) {
	return func(b *txpb.Body) {
		raw := sha256.Sum256([]byte("bank answer: " + pence + " at " + bankTime.String()))
		b.Msg = &txpb.Body_Attest{Attest: &txpb.Attest{
			Token: "gbpp", Account: reserveAccount, Currency: "GBP", Balance: pence,
			BalanceType: "InterimAvailable", BankTime: bankTime.Unix(), RawHash: raw[:], Source: "openbanking",
		}}
	}
}

// attest posts an attestation of gbpp's reserve by its attestor, read at the
// bank a second before the last block, and returns its receipt.
func (e *testEnv) attest(pence string) *client.Receipt {
	e.t.Helper()
	raw, _ := e.sign(attestor, attestMsg(pence, e.lastBlockTime().Add(-time.Second)))
	return e.submit(raw)
}

// lastBlockTime is the time of the latest block, genesisTime before any.
func (e *testEnv) lastBlockTime() time.Time {
	e.t.Helper()
	b, err := e.chain.Block(0)
	if err != nil {
		e.t.Fatal(err)
	}
	if b == nil {
		return genesisTime
	}
	return b.Time
}

func payMsg(inputs []ledger.CoinID, outs ...*txpb.Output) func(*txpb.Body) {
	return func(b *txpb.Body) {
		p := &txpb.Pay{Token: "gbpp", Outputs: outs}
		for _, id := range inputs {
			p.Inputs = append(p.Inputs, id[:])
		}
		b.Msg = &txpb.Body_Pay{Pay: p}
	}
}

func out(to ledger.Address, units string) *txpb.Output {
	return &txpb.Output{Owner: to.String(), Amount: units}
}

// submit sends raw through the client, waiting for its block, and requires
// the block to accept it.
func (e *testEnv) submit(raw []byte) *client.Receipt {
	e.t.Helper()
	s, err := e.client.Submit(context.Background(), raw, true)
	if err != nil {
		e.t.Fatalf("Submit: %v", err)
	}
	if s.Receipt == nil || s.Receipt.Code != ledger.OK {
		e.t.Fatalf("Submit receipt = %+v, want code OK", s.Receipt)
	}
	return s.Receipt
}

// scenarioReserve is the balance, in pence, the scenario attests: £1,000,000,
// gbpp's declared reserve, which backs every mint the tests make.
const scenarioReserve = "100000000"

// scenario is the story most tests start from: gbpp deployed (block 1), its
// reserve of £1,000,000 attested (2), 100 GBPP minted to alice (3), and alice
// paying bob 12.5 with 87.5 change (4).
type scenario struct {
	deploy, attest, mint, pay ledger.TxID
	aliceChange               ledger.CoinID
	bobCoin                   ledger.CoinID
}

func (e *testEnv) runScenario() scenario {
	e.t.Helper()
	var s scenario
	raw, id := e.sign(issuer, deployMsg(gbppDraft()))
	e.submit(raw)
	s.deploy = id
	s.attest = e.attest(scenarioReserve).TxID
	raw, id = e.sign(minter, mintMsg(alice.addr, "100000000"))
	e.submit(raw)
	s.mint = id
	raw, id = e.sign(alice, payMsg([]ledger.CoinID{ledger.NewCoinID(s.mint, 0)},
		out(bob.addr, "12500000"), out(alice.addr, "87500000")))
	e.submit(raw)
	s.pay = id
	s.bobCoin, s.aliceChange = ledger.NewCoinID(id, 0), ledger.NewCoinID(id, 1)
	return s
}

// syncBuffer is a log sink the server's goroutines may write while a test
// reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// do sends a raw request and returns the status and body.
func (e *testEnv) do(method, path, contentType string, body io.Reader) (int, []byte) {
	e.t.Helper()
	status, _, b := e.exchange(method, path, "", contentType, body)
	return status, b
}

// exchange sends a raw request, asking for accept if not empty, and returns
// the answer's status, media type and body.
func (e *testEnv) exchange(method, path, accept, contentType string, body io.Reader) (int, string, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	return resp.StatusCode, mt, b
}

func (e *testEnv) get(path string) (int, []byte) {
	e.t.Helper()
	return e.do(http.MethodGet, path, "", nil)
}

// testRouter finds a request's operation in the OpenAPI document.
var testRouter = sync.OnceValue(func() routers.Router {
	r, err := gorillamux.NewRouter(spec())
	if err != nil {
		panic(err)
	}
	return r
})

// checkResponses checks every answer of h against the OpenAPI document: its
// status must be declared for the operation and its JSON must match the
// schema. So every response the tests provoke proves the document right. The
// event stream, which never ends, passes through; its tests check it.
func checkResponses(t testing.TB, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/events" || strings.HasSuffix(r.URL.Path, "/notifications/stream") {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		res := rec.Result()
		checkResponse(t, r, res, rec.Body.Bytes())
		for k, v := range res.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(res.StatusCode)
		w.Write(rec.Body.Bytes())
	})
}

func checkResponse(t testing.TB, r *http.Request, res *http.Response, body []byte) {
	t.Helper()
	route, params, err := testRouter().FindRoute(r)
	if err != nil {
		return // not an operation of the document: nothing to check against
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true}
	if mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type")); mt != "application/json" {
		opts.ExcludeResponseBody = true
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route},
		Status:                 res.StatusCode,
		Header:                 res.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                opts,
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s answered %d %s\nwhich openapi.yaml does not allow: %v", r.Method, r.URL.Path, res.StatusCode, body, err)
	}
}

// Room refuses every batch while full is set, as a node with a full
// mempool does.
func (c *testChain) Room([][]byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.full
}

// SubmitBatch admits each transaction in turn, as Submit does; the test
// chain has no mempool to hold a batch whole.
func (c *testChain) SubmitBatch(ctx context.Context, raws [][]byte) ([]Admission, error) {
	out := make([]Admission, len(raws))
	for i, raw := range raws {
		code, log, err := c.Submit(ctx, raw)
		if err != nil {
			return nil, err
		}
		out[i] = Admission{Code: code, Log: log}
	}
	return out, nil
}
