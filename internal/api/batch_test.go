package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/tx"
)

// TestSubmitBatch: each transaction of a batch has its own outcome, in the
// request's order; a bad one does not stop the others.
func TestSubmitBatch(t *testing.T) {
	e := newTestEnv(t)
	s := e.runScenario()
	good1, id1 := e.sign(minter, mintMsg(alice.addr, "1000000"))
	good2, id2 := e.sign(minter, mintMsg(bob.addr, "2000000"))
	notMinter, notMinterID := e.sign(alice, mintMsg(alice.addr, "1000000"))
	spent, spentID := e.sign(alice, payMsg([]ledger.CoinID{ledger.NewCoinID(s.mint, 0)}, out(bob.addr, "100000000")))
	nested, err := tx.EncodeBatch([][]byte{good1})
	if err != nil {
		t.Fatal(err)
	}
	raws := [][]byte{good1, []byte("hello"), notMinter, good2, spent, nested}
	items, err := e.client.SubmitBatch(ctx, raws, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		id     ledger.TxID
		status string
		code   ledger.Code
	}{
		{id1, client.BatchCommitted, ledger.OK},
		{ledger.TxID{}, client.BatchRejected, ledger.CodeMalformed},
		{notMinterID, client.BatchRejected, ledger.CodeUnauthorized},
		{id2, client.BatchCommitted, ledger.OK},
		{spentID, client.BatchRejected, ledger.CodeCoinSpent},
		{ledger.TxID{}, client.BatchRejected, ledger.CodeMalformed},
	}
	for i, w := range want {
		it := items[i]
		if it.TxID != w.id || it.Status != w.status || it.Code != uint32(w.code) || it.Name != w.code.Name() {
			t.Errorf("item %d = %+v, want id %s, %s, %s", i, it, w.id, w.status, w.code.Name())
		}
		if w.code != ledger.OK && it.Message == "" {
			t.Errorf("item %d: a rejection without a message", i)
		}
		if w.status == client.BatchCommitted && it.Height == 0 {
			t.Errorf("item %d: committed without a height", i)
		}
	}
	for _, id := range []ledger.TxID{id1, id2} {
		if rc, err := e.client.Tx(ctx, id); err != nil || rc.Code != ledger.OK {
			t.Errorf("receipt of %s = %+v, %v", id, rc, err)
		}
	}
}

// TestSubmitBatchWithoutWait: admitted transactions are pending until their
// block.
func TestSubmitBatchWithoutWait(t *testing.T) {
	e := newTestEnv(t)
	e.runScenario()
	e.chain.setManual()
	raw, id := e.sign(minter, mintMsg(alice.addr, "1000000"))
	items, err := e.client.SubmitBatch(ctx, [][]byte{raw}, false)
	if err != nil {
		t.Fatal(err)
	}
	if items[0].TxID != id || items[0].Status != client.BatchPending || items[0].Code != 0 {
		t.Errorf("item = %+v, want %s pending", items[0], id)
	}
}

// TestSubmitBatchBounds: an empty or oversized batch is refused whole.
func TestSubmitBatchBounds(t *testing.T) {
	e := newTestEnv(t)
	_, err := e.client.SubmitBatch(ctx, nil, false)
	apiErr(t, err, http.StatusBadRequest, "BAD_REQUEST")
	raw, _ := e.sign(minter, mintMsg(alice.addr, "1"))
	many := make([][]byte, tx.MaxBatchTxs+1)
	for i := range many {
		many[i] = raw
	}
	_, err = e.client.SubmitBatch(ctx, many, false)
	ae := apiErr(t, err, http.StatusBadRequest, "BAD_REQUEST")
	if !strings.Contains(ae.Message, "2000") {
		t.Errorf("error = %+v, want it to name the limit", ae)
	}
}

// TestSubmitBatchNotBase64: a transaction that is not base64 makes the
// request a 400 in Peg's error shape.
func TestSubmitBatchNotBase64(t *testing.T) {
	e := newTestEnv(t)
	resp, err := http.Post(e.srv.URL+"/v1/txs/batch", "application/json", strings.NewReader(`{"txs":["not base64!"]}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body client.APIError
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusBadRequest || body.Name != "BAD_REQUEST" || body.Message == "" {
		t.Errorf("answer %d %+v, want 400 BAD_REQUEST with a message", resp.StatusCode, body)
	}
}

// TestSubmitBatchEmptyAndOversized: an empty or oversized transaction is
// refused on its own; the rest of the batch goes on.
func TestSubmitBatchEmptyAndOversized(t *testing.T) {
	e := newTestEnv(t)
	e.runScenario()
	good, id := e.sign(minter, mintMsg(alice.addr, "1000000"))
	items, err := e.client.SubmitBatch(ctx, [][]byte{{}, make([]byte, tx.MaxTxSize+1), good}, true)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []ledger.Code{ledger.CodeMalformed, ledger.CodeTooLarge, ledger.OK} {
		if items[i].Code != uint32(want) {
			t.Errorf("item %d = %+v, want %s", i, items[i], want.Name())
		}
	}
	if items[2].TxID != id || items[2].Status != client.BatchCommitted {
		t.Errorf("the good transaction: %+v, want %s committed", items[2], id)
	}
}
