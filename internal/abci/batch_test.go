package abci

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/proof"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

func batchOf(t *testing.T, raws ...[]byte) []byte {
	t.Helper()
	b, err := tx.EncodeBatch(raws)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func checkTx(t *testing.T, app *App, raw []byte) *abcitypes.ResponseCheckTx {
	t.Helper()
	res, err := app.CheckTx(context.Background(), &abcitypes.RequestCheckTx{Tx: raw})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestCheckBatch: a batch is admitted whole, or refused with each
// transaction's own result, the good ones OK.
func TestCheckBatch(t *testing.T) {
	app, opKey, op := newApp(t)
	good := [][]byte{register(t, opKey, op, 1), register(t, opKey, op, 2), register(t, opKey, op, 3)}
	forged := append([]byte(nil), register(t, opKey, op, 4)...)
	forged[len(forged)-3] ^= 1
	other, otherAddr := key("not the operator")

	for _, tc := range []struct {
		name  string
		txs   [][]byte
		codes []ledger.Code // nil: admitted
	}{
		{"all good", good, nil},
		{"a forged signature", [][]byte{good[0], forged, good[2]}, []ledger.Code{ledger.OK, ledger.CodeBadSignature, ledger.OK}},
		{"the same transaction twice", [][]byte{good[0], good[1], good[0]}, []ledger.Code{ledger.OK, ledger.OK, ledger.CodeReplayed}},
		{"a non-operator", [][]byte{register(t, other, otherAddr, 5), good[1]}, []ledger.Code{ledger.CodeUnauthorized, ledger.OK}},
		{"garbage inside", [][]byte{good[0], []byte("garbage")}, []ledger.Code{ledger.OK, ledger.CodeMalformed}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := checkTx(t, app, batchOf(t, tc.txs...))
			if tc.codes == nil {
				if res.Code != 0 {
					t.Fatalf("code %d (%s), want the batch admitted", res.Code, res.Log)
				}
				return
			}
			if res.Code != uint32(ledger.CodeBatchRejected) {
				t.Fatalf("code %d (%s), want BATCH_REJECTED", res.Code, res.Log)
			}
			results, err := DecodeBatchResults(res.Data, len(tc.txs))
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range results {
				if r.Code != tc.codes[i] {
					t.Errorf("transaction %d: %s (%s), want %s", i, r.Code.Name(), r.Log, tc.codes[i].Name())
				}
			}
		})
	}
}

// TestCheckBatchEnvelope: a batch whose envelope is wrong is refused whole,
// with a code of its own.
func TestCheckBatchEnvelope(t *testing.T) {
	app, opKey, op := newApp(t)
	nested := batchOf(t, register(t, opKey, op, 1))
	for _, tc := range []struct {
		name string
		raw  []byte
		want ledger.Code
	}{
		{"a batch in a batch", append([]byte{0x7a, byte(len(nested))}, nested...), ledger.CodeMalformed},
		{"truncated", nested[:20], ledger.CodeMalformed},
		{"an unknown field", []byte{0x7a, 0x00, 0x08, 0x01}, ledger.CodeMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if res := checkTx(t, app, tc.raw); res.Code != uint32(tc.want) {
				t.Errorf("code %d (%s), want %s", res.Code, res.Log, tc.want.Name())
			}
		})
	}
}

// TestBatchInBlock: in a block, each transaction of a batch succeeds or
// fails on its own with its own receipt, numbered in the block's order with
// batches unpacked; a batch the node never admitted is parsed and verified
// in the block, and its forged transaction leaves no receipt.
func TestBatchInBlock(t *testing.T) {
	app, opKey, op := newApp(t)
	ctx := context.Background()
	a := [][]byte{register(t, opKey, op, 1), register(t, opKey, op, 2)}
	if res := checkTx(t, app, batchOf(t, a...)); res.Code != 0 {
		t.Fatalf("CheckTx: %d %s", res.Code, res.Log)
	}
	forged := append([]byte(nil), register(t, opKey, op, 3)...)
	forged[len(forged)-3] ^= 1
	single := register(t, opKey, op, 4)
	b := [][]byte{register(t, opKey, op, 5), forged, a[0]} // a[0] again: a replay
	junk := []byte("hello")
	txs := [][]byte{batchOf(t, a...), single, batchOf(t, b...), junk}
	res, err := app.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{Height: 1, Time: time.Unix(1_800_000_000, 0), Txs: txs})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res.TxResults {
		want := ledger.OK
		if i == len(txs)-1 {
			want = ledger.CodeMalformed
		}
		if r.Code != uint32(want) {
			t.Errorf("consensus transaction %d: code %d (%s), want %s", i, r.Code, r.Log, want.Name())
		}
	}
	if _, ok := app.Listing(1); ok {
		t.Error("a block is listed before its commit")
	}
	if _, err := app.Commit(ctx, &abcitypes.RequestCommit{}); err != nil {
		t.Fatal(err)
	}
	// The block's listing, made from what it parsed, is the one a reader of
	// its raw transactions makes.
	var want []tx.Listing
	for _, raw := range txs {
		want = tx.AppendListings(want, raw)
	}
	if got, ok := app.Listing(1); !ok || !slices.Equal(got, want) {
		t.Errorf("listing of block 1 (%v):\n%+v\nwant\n%+v", ok, got, want)
	}
	forgedID, _ := tx.PeekID(forged)
	if len(want) != 7 || want[4].ID != forgedID || want[4].Malformed || !want[6].Malformed || want[0].Kind != "register_account" {
		t.Errorf("listing %+v: want 7 transactions, the forged one fifth and listed, the junk flagged, the first a register_account", want)
	}
	for _, w := range []struct {
		raw   []byte
		index uint32
		code  ledger.Code
		none  bool
	}{
		{raw: a[0], index: 0, code: ledger.OK},
		{raw: a[1], index: 1, code: ledger.OK},
		{raw: single, index: 2, code: ledger.OK},
		{raw: b[0], index: 3, code: ledger.OK},
		{raw: forged, none: true},
	} {
		id, rej := tx.PeekID(w.raw)
		if rej != nil {
			t.Fatal(rej)
		}
		rc := state.ReceiptByID(app.db, id)
		switch {
		case w.none && rc != nil:
			t.Errorf("forged transaction %s has a receipt: %+v", id, rc)
		case w.none:
		case rc == nil:
			t.Errorf("transaction %s has no receipt", id)
		case rc.Index != w.index || rc.Code != w.code:
			t.Errorf("transaction %s: index %d code %s, want %d %s", id, rc.Index, rc.Code.Name(), w.index, w.code.Name())
		}
	}
	// Each result commits to the receipts its transactions wrote in this
	// block: none for the forged one and the replay, none for the junk.
	leaves := BlockLeaves(app.db, 1, txs)
	for i, n := range []int{2, 1, 1, 0} {
		if len(leaves[i]) != n || !bytes.Equal(proof.Root(leaves[i]), res.TxResults[i].Data) {
			t.Errorf("consensus transaction %d: %d leaves hashing to %X, result's data %X; want %d leaves",
				i, len(leaves[i]), proof.Root(leaves[i]), res.TxResults[i].Data, n)
		}
	}
}

// TestBatchLimits: EncodeBatch and SplitBatch refuse what is out of bounds,
// and SplitBatch gives back what EncodeBatch packed.
func TestBatchLimits(t *testing.T) {
	opKey, op := key("operator")
	raws := make([][]byte, tx.MaxBatchTxs+1)
	for i := range raws {
		raws[i] = register(t, opKey, op, i)
	}
	if _, err := tx.EncodeBatch(raws); err == nil {
		t.Errorf("EncodeBatch of %d transactions: no error", len(raws))
	}
	if _, err := tx.EncodeBatch(nil); err == nil {
		t.Error("EncodeBatch of none: no error")
	}
	b := batchOf(t, raws[:tx.MaxBatchTxs]...)
	got, rej := tx.SplitBatch(b)
	if rej != nil || len(got) != tx.MaxBatchTxs {
		t.Fatalf("SplitBatch: %d transactions, %v; want %d", len(got), rej, tx.MaxBatchTxs)
	}
	for i := range got {
		if string(got[i]) != string(raws[i]) {
			t.Fatalf("transaction %d differs after a round trip", i)
		}
	}
	if !tx.IsBatch(b) || tx.IsBatch(raws[0]) {
		t.Errorf("IsBatch: batch %v, single %v; want true, false", tx.IsBatch(b), tx.IsBatch(raws[0]))
	}
	over := append(b[:len(b):len(b)], batchOf(t, raws[tx.MaxBatchTxs])...) // concatenated messages merge
	if _, rej := tx.SplitBatch(over); rej == nil || rej.Code != ledger.CodeTooLarge {
		t.Errorf("SplitBatch of %d transactions: %v, want TX_TOO_LARGE", tx.MaxBatchTxs+1, rej)
	}
	if _, rej := tx.SplitBatch(make([]byte, tx.MaxBatchSize+1)); rej == nil || rej.Code != ledger.CodeTooLarge {
		t.Errorf("SplitBatch of %d bytes: %v, want TX_TOO_LARGE", tx.MaxBatchSize+1, rej)
	}
	if _, rej := tx.SplitBatch(append([]byte{0x0a, 0x01, 0x00}, b...)); rej == nil || rej.Code != ledger.CodeMalformed {
		t.Errorf("SplitBatch with an unknown field: %v, want MALFORMED_TX", rej)
	}
}

// TestBatchExhaustsFeeAccount: every member of a batch pays its own fee, so
// members that a shared payer's fee account can no longer pay are refused
// from that point on, and the earlier ones are kept.
func TestBatchExhaustsFeeAccount(t *testing.T) {
	d := newDriver(t, ledgerGenesis())
	defer d.Close()
	s := &signer{tb: t}
	at := chainStart
	block := func(step time.Duration, txs ...[]byte) *abcitypes.ResponseFinalizeBlock {
		at = at.Add(step)
		return d.block(at, txs)
	}
	raw := func(a actor, m func(*txpb.Body)) ([]byte, ledger.TxID) {
		return s.sign(a, uint64(d.height)+100, body(m))
	}
	deploy, _ := raw(cast.issuer, msgDeploy(ledgerDraft("gbpt", "GBPT", "GBP")))
	block(time.Second, deploy)
	attest, _ := raw(cast.attestor, msgAttest("gbpt", "GBP", "300000", at))
	setFees, _ := raw(cast.operator, msgSetFees)
	var mints [][]byte
	var coins []ledger.CoinID
	for range 5 {
		m, id := raw(cast.minter, msgMint("gbpt", cast.alice.addr, "100"))
		mints, coins = append(mints, m), append(coins, ledger.NewCoinID(id, 0))
	}
	block(time.Second, append([][]byte{attest, setFees}, mints...)...)
	deposit, _ := raw(cast.alice, msgFeeDeposit("gbpt", coins[4:], "100"))
	if res := block(time.Second, deposit); res.TxResults[0].Code != 0 {
		t.Fatalf("deposit: %s", res.TxResults[0].Log)
	}
	// 1.00 over an hour: 0.66 available after forty minutes, and each
	// payment of one output costs 0.20.
	var pays [][]byte
	for _, c := range coins[:4] {
		p, _ := raw(cast.alice, msgPay("gbpt", []ledger.CoinID{c}, outTo(cast.bob.addr, "100")))
		pays = append(pays, p)
	}
	if res := block(40*time.Minute, batchOf(t, pays...)); res.TxResults[0].Code != 0 {
		t.Fatalf("the batch: %s", res.TxResults[0].Log)
	}
	for i, p := range pays {
		want := ledger.OK
		if i == 3 {
			want = ledger.CodeFeeInsufficient
		}
		id, _ := tx.PeekID(p)
		if rc := state.ReceiptByID(d.db, id); rc == nil || rc.Code != want {
			t.Errorf("payment %d: receipt %+v, want %s", i, rc, want.Name())
		}
	}
	if acct := state.LoadFeeAccount(d.db, cast.alice.addr); acct == nil || acct.Spent != money.FromUint64(60) {
		t.Errorf("alice's fee account %+v, want 0.60 spent on three payments", acct)
	}
}

func body(m func(*txpb.Body)) *txpb.Body {
	b := &txpb.Body{}
	m(b)
	return b
}
