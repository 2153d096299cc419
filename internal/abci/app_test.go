package abci

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/store"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

const testChain = "abci-test"

func key(name string) (ed25519.PrivateKey, ledger.Address) {
	seed := sha256.Sum256([]byte(name))
	k := ed25519.NewKeyFromSeed(seed[:])
	return k, ledger.NewAddress("GB", k.Public().(ed25519.PublicKey))
}

// newApp is an app over a fresh store, with genesis committed.
func newApp(t testing.TB) (*App, ed25519.PrivateKey, ledger.Address) {
	t.Helper()
	db, err := store.Open(t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	app, err := New(db, testChain, "GB", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	opKey, op := key("operator")
	g := state.Genesis{Operator: op, Params: state.Params{MinReserve: 1, Banks: []string{"PEGDGB2L"}, MaxExpiryDelta: 100}}
	b, _ := json.Marshal(g)
	if _, err := app.InitChain(context.Background(), &abcitypes.RequestInitChain{ChainId: testChain, AppStateBytes: b}); err != nil {
		t.Fatal(err)
	}
	return app, opKey, op
}

// register builds an operator transaction registering account n.
func register(t testing.TB, opKey ed25519.PrivateKey, op ledger.Address, n int) []byte {
	t.Helper()
	_, acct := key(fmt.Sprint("account ", n))
	raw, _, err := tx.Sign(&txpb.Body{ChainId: testChain, ExpiryHeight: 50, Signer: op.String(), Nonce: uint64(n),
		Msg: &txpb.Body_RegisterAccount{RegisterAccount: &txpb.RegisterAccount{Account: acct.String()}}}, opKey)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestBlockVerifiesWhatTheMempoolDidNot delivers a block in which some
// transactions passed CheckTx (and so are in the signature cache) and others
// did not, one of them with a broken signature: only that one is refused.
func TestBlockVerifiesWhatTheMempoolDidNot(t *testing.T) {
	app, opKey, op := newApp(t)
	ctx := context.Background()
	var raws [][]byte
	for i := range 40 {
		raws = append(raws, register(t, opKey, op, i))
	}
	for _, raw := range raws[:20] {
		res, err := app.CheckTx(ctx, &abcitypes.RequestCheckTx{Tx: raw})
		if err != nil || res.Code != 0 {
			t.Fatalf("CheckTx: %v %+v", err, res)
		}
	}
	bad := append([]byte(nil), raws[30]...)
	bad[len(bad)-3] ^= 1 // inside the signature, the envelope's last field
	raws[30] = bad
	res, err := app.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{Height: 1, Time: time.Unix(1_800_000_000, 0), Txs: raws})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res.TxResults {
		want := uint32(ledger.OK)
		if i == 30 {
			want = uint32(ledger.CodeBadSignature)
		}
		if r.Code != want {
			t.Errorf("tx %d: code %d (%s), want %d", i, r.Code, r.Log, want)
		}
	}
	if _, err := app.Commit(ctx, &abcitypes.RequestCommit{}); err != nil {
		t.Fatal(err)
	}
}

// TestCacheKeyCoversSignatures: a transaction whose body was verified, sent
// again with another signature, is not taken as verified.
func TestCacheKeyCoversSignatures(t *testing.T) {
	app, opKey, op := newApp(t)
	raw := register(t, opKey, op, 1)
	ctx := context.Background()
	if res, _ := app.CheckTx(ctx, &abcitypes.RequestCheckTx{Tx: raw}); res.Code != 0 {
		t.Fatalf("CheckTx: %+v", res)
	}
	forged := append([]byte(nil), raw...)
	forged[len(forged)-3] ^= 1
	if res, _ := app.CheckTx(ctx, &abcitypes.RequestCheckTx{Tx: forged}); res.Code != uint32(ledger.CodeBadSignature) {
		t.Fatalf("forged signature on a verified body: code %d, want BAD_SIGNATURE", res.Code)
	}
}

// TestVerifiedKeepsTheOldest: a full admission cache keeps what it holds
// and takes no more, until blocks take entries or the oldest expire; its
// room, which the gateway asks before it prepares a batch, says so.
func TestVerifiedKeepsTheOldest(t *testing.T) {
	v := newVerified()
	one := []*tx.Tx{{}}
	key := func(i int) []byte { return []byte(fmt.Sprint(i)) }
	for i := range MaxVerified - 2 {
		v.add(key(i), one)
	}
	if ok, held := v.room(2); !ok || held != MaxVerified-2 {
		t.Fatalf("room for 2 with %d held: %v, %d held", MaxVerified-2, ok, held)
	}
	if ok, _ := v.room(3); ok {
		t.Fatalf("room for 3 with %d held", MaxVerified-2)
	}
	// Past the gateway's room, the cache still takes entries (batches that
	// passed Room together, gossiped transactions) up to MaxCached.
	for i := MaxVerified - 2; i < MaxCached+10; i++ {
		v.add(key(i), one)
	}
	held := func(i int) bool { _, ok := v.get(key(i), false); return ok }
	if !held(0) || !held(MaxCached-1) || held(MaxCached) || len(v.m) != MaxCached || v.held != MaxCached {
		t.Fatalf("after overflow: oldest kept %v, last to fit kept %v, newest kept %v, entries %d, held %d; want true, true, false, %d, %d",
			held(0), held(MaxCached-1), held(MaxCached), len(v.m), v.held, MaxCached, MaxCached)
	}
	// A block takes the oldest; the room it leaves takes the next.
	if _, ok := v.get(key(0), true); !ok {
		t.Fatal("oldest entry missing")
	}
	v.add(key(MaxCached), one)
	if !held(MaxCached) {
		t.Error("an entry was refused with room for it")
	}
	// Entries no block takes expire after MaxVerifiedAge blocks, taken
	// oldest first, and make room.
	for range MaxVerifiedAge {
		v.commit()
	}
	if ok, held := v.room(MaxVerified); !ok || held != 0 {
		t.Errorf("after %d blocks: room for a full cache %v, %d held; want true, 0", MaxVerifiedAge, ok, held)
	}
	v.add(key(-1), one)
	if held(1) || !held(-1) || v.held != 1 || len(v.order) != 1 {
		t.Errorf("after %d blocks: stale entry kept %v, new entry kept %v, held %d, order %d; want false, true, 1, 1",
			MaxVerifiedAge, held(1), held(-1), v.held, len(v.order))
	}
}

// TestBlockTakesFromTheAdmissionCache: a block forgets the transactions it
// found in the admission cache, and their order entries do not hold the
// cache's size.
func TestBlockTakesFromTheAdmissionCache(t *testing.T) {
	v := newVerified()
	one := []*tx.Tx{{}}
	for i := range 10 {
		v.add([]byte(fmt.Sprint(i)), one)
	}
	for i := range 10 {
		if _, ok := v.get([]byte(fmt.Sprint(i)), true); !ok {
			t.Fatalf("entry %d missing", i)
		}
	}
	if _, ok := v.get([]byte("3"), false); ok || len(v.m) != 0 || v.held != 0 {
		t.Errorf("after taking all: entry kept %v, entries %d, held %d; want none", ok, len(v.m), v.held)
	}
	v.add([]byte("new"), one)
	if len(v.order) > 2*len(v.m) {
		t.Errorf("order holds %d keys for %d entries", len(v.order), len(v.m))
	}
}

// TestPrepareWaitsForACore: with PrepareCores preparations running, another
// waits until one ends.
func TestPrepareWaitsForACore(t *testing.T) {
	app, opKey, op := newApp(t)
	for range PrepareCores() {
		app.preparing <- struct{}{} // as a running Prepare holds its slot
	}
	raw := register(t, opKey, op, 1)
	done := make(chan *Prepared)
	go func() {
		p, err := app.Prepare(context.Background(), [][]byte{raw})
		if err != nil {
			t.Error(err)
		}
		done <- p
	}()
	select {
	case <-done:
		t.Fatal("Prepare ran with every slot taken")
	case <-time.After(50 * time.Millisecond):
	}
	<-app.preparing
	if p := <-done; p.Rejections[0] != nil {
		t.Fatalf("Prepare, once a slot was free: %v", p.Rejections[0])
	}
}

// TestPrepareGivesUpWithItsRequest: a Prepare waiting for a slot returns
// when its context ends, without taking a slot, and the next one still gets
// the slot that frees.
func TestPrepareGivesUpWithItsRequest(t *testing.T) {
	app, opKey, op := newApp(t)
	for range PrepareCores() {
		app.preparing <- struct{}{}
	}
	raw := register(t, opKey, op, 1)
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error)
	go func() {
		p, err := app.Prepare(ctx, [][]byte{raw})
		if p != nil {
			t.Error("Prepare gave a preparation for a request that was gone")
		}
		errs <- err
	}()
	cancel()
	if err := <-errs; !errors.Is(err, context.Canceled) {
		t.Fatalf("Prepare after its context ended: %v, want context.Canceled", err)
	}
	if n := len(app.preparing); n != PrepareCores() {
		t.Fatalf("%d slots taken after the wait ended, want %d", n, PrepareCores())
	}
	<-app.preparing
	if p, err := app.Prepare(context.Background(), [][]byte{raw}); err != nil || p.Rejections[0] != nil {
		t.Fatalf("Prepare with a slot free: %v, %v", err, p.Rejections)
	}
}

// TestBlockHoldsTheGateway: from FinalizeBlock to the end of Commit the
// block holds ExecutionCores of the gateway's slots, so that with the others
// taken a Prepare waits for the commit; a block finalized twice (a restart
// between FinalizeBlock and Commit) holds them once; and FinalizeBlock itself
// waits for a running Prepare to free a slot.
func TestBlockHoldsTheGateway(t *testing.T) {
	app, opKey, op := newApp(t)
	ctx := context.Background()
	others := PrepareCores() - min(ExecutionCores, PrepareCores())
	for range others {
		app.preparing <- struct{}{} // as running Prepares hold their slots
	}
	block := &abcitypes.RequestFinalizeBlock{Height: 1, Time: time.Unix(1_800_000_000, 0),
		Txs: [][]byte{register(t, opKey, op, 1)}}
	for range 2 {
		if _, err := app.FinalizeBlock(ctx, block); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(app.preparing); n != PrepareCores() {
		t.Fatalf("%d of %d slots taken while the block executes", n, PrepareCores())
	}
	done := make(chan *Prepared)
	go func() {
		p, err := app.Prepare(ctx, [][]byte{register(t, opKey, op, 2)})
		if err != nil {
			t.Error(err)
		}
		done <- p
	}()
	select {
	case <-done:
		t.Fatal("Prepare ran while the block held the gateway's slots")
	case <-time.After(50 * time.Millisecond):
	}
	if _, err := app.Commit(ctx, &abcitypes.RequestCommit{}); err != nil {
		t.Fatal(err)
	}
	if p := <-done; p.Rejections[0] != nil {
		t.Fatalf("Prepare after the commit: %v", p.Rejections[0])
	}
	if n := len(app.preparing); n != others {
		t.Fatalf("%d slots taken after the commit, want the %d held outside it", n, others)
	}

	// With every slot taken by Prepares, the next block waits for one to end.
	for range PrepareCores() - others {
		app.preparing <- struct{}{}
	}
	finalized := make(chan error)
	go func() {
		_, err := app.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{Height: 2, Time: time.Unix(1_800_000_001, 0)})
		finalized <- err
	}()
	select {
	case <-finalized:
		t.Fatal("FinalizeBlock ran with every slot held by Prepares")
	case <-time.After(50 * time.Millisecond):
	}
	for range PrepareCores() - others {
		<-app.preparing
	}
	if err := <-finalized; err != nil {
		t.Fatal(err)
	}
	if _, err := app.Commit(ctx, &abcitypes.RequestCommit{}); err != nil {
		t.Fatal(err)
	}
}

// TestPrepare: the gateway's preparation refuses what does not parse or
// verify, the batch it packs from the rest is in the admission cache before
// CheckTx sees it, and a batch CheckTx refuses leaves the cache.
func TestPrepare(t *testing.T) {
	app, opKey, op := newApp(t)
	ctx := context.Background()
	good := register(t, opKey, op, 1)
	bad := slices.Clone(register(t, opKey, op, 2))
	bad[len(bad)-3] ^= 1 // inside the signature
	p, err := app.Prepare(ctx, [][]byte{good, bad, []byte("hello"), good})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []ledger.Code{ledger.OK, ledger.CodeBadSignature, ledger.CodeMalformed, ledger.OK} {
		got := ledger.OK
		if p.Rejections[i] != nil {
			got = p.Rejections[i].Code
		}
		if got != want {
			t.Errorf("transaction %d: %s, want %s", i, got.Name(), want.Name())
		}
	}
	if _, err := p.Batch([]int{0, 1}); err == nil {
		t.Error("Batch packed a refused transaction")
	}
	env, err := p.Batch([]int{0})
	if err != nil {
		t.Fatal(err)
	}
	if txs, ok := app.verified.get(env, false); !ok || len(txs) != 1 {
		t.Fatalf("the prepared batch is not in the admission cache (%v, %d)", ok, len(txs))
	}
	if res, err := app.CheckTx(ctx, &abcitypes.RequestCheckTx{Tx: env}); err != nil || res.Code != 0 {
		t.Fatalf("CheckTx of the prepared batch: %v %+v", err, res)
	}

	// The same transaction twice: CheckTx refuses the second as a replay,
	// and the batch is no longer cached.
	twice, err := p.Batch([]int{0, 3})
	if err != nil {
		t.Fatal(err)
	}
	res, err := app.CheckTx(ctx, &abcitypes.RequestCheckTx{Tx: twice})
	if err != nil || ledger.Code(res.Code) != ledger.CodeBatchRejected {
		t.Fatalf("CheckTx of a batch with a replay: %v %+v, want BATCH_REJECTED", err, res)
	}
	if _, ok := app.verified.get(twice, false); ok {
		t.Error("a refused batch stayed in the admission cache")
	}

	// A batch the mempool did not take is withdrawn.
	q, err := app.Prepare(ctx, [][]byte{register(t, opKey, op, 3)})
	if err != nil {
		t.Fatal(err)
	}
	other, err := q.Batch([]int{0})
	if err != nil {
		t.Fatal(err)
	}
	q.Withdraw(other)
	if _, ok := app.verified.get(other, false); ok {
		t.Error("a withdrawn batch stayed in the admission cache")
	}
}

// TestGenesisNetwork: a genesis that records the network starts a chain
// listed in it as its own region, keeps the network in the state, and
// refuses a chain the network does not list as it is.
func TestGenesisNetwork(t *testing.T) {
	_, op := key("operator")
	val := func(name string) []state.Validator {
		k, _ := key(name)
		return []state.Validator{{PubKey: k.Public().(ed25519.PublicKey), Power: 10}}
	}
	gb := state.NetworkRegion{Region: "GB", ChainID: testChain, Validators: val("gb")}
	hk := state.NetworkRegion{Region: "HK", ChainID: "abci-test-hk", Validators: val("hk")}
	for _, tc := range []struct {
		name    string
		network []state.NetworkRegion
		wantErr string
	}{
		{"member", []state.NetworkRegion{gb, hk}, ""},
		{"absent", []state.NetworkRegion{hk}, "has no region GB"},
		{"other chain", []state.NetworkRegion{{Region: "GB", ChainID: "abci-other", Validators: val("gb")}, hk}, `gives region GB chain "abci-other"`},
		{"invalid", []state.NetworkRegion{gb, {Region: "HK", ChainID: testChain, Validators: val("hk")}}, "is another region's"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := store.Open(t.TempDir(), slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			app, err := New(db, testChain, "GB", slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			g := state.Genesis{Operator: op, Params: state.Params{MinReserve: 1, Banks: []string{"PEGDGB2L"}, MaxExpiryDelta: 100}, Network: tc.network}
			b, _ := json.Marshal(g)
			_, err = app.InitChain(context.Background(), &abcitypes.RequestInitChain{ChainId: testChain, AppStateBytes: b})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("InitChain: %v, want an error saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := state.LoadGenesis(db)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Network) != 2 || got.Network[1].ChainID != hk.ChainID || !bytes.Equal(got.Network[1].Validators[0].PubKey, hk.Validators[0].PubKey) {
				t.Errorf("stored network %+v, want GB and HK as given", got.Network)
			}
		})
	}
}
