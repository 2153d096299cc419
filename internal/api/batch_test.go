package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
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

// TestSubmitBatchNoRoom: a batch the node has no room for is refused whole
// with 503, its transactions left unadmitted, and taken once there is room.
func TestSubmitBatchNoRoom(t *testing.T) {
	e := newTestEnv(t)
	e.runScenario()
	e.chain.mu.Lock()
	e.chain.full = errors.New("the mempool is full")
	e.chain.mu.Unlock()
	raw, id := e.sign(minter, mintMsg(alice.addr, "1000000"))
	_, err := e.client.SubmitBatch(ctx, [][]byte{raw}, true)
	if ae := apiErr(t, err, http.StatusServiceUnavailable, "UNAVAILABLE"); !strings.Contains(ae.Message, "the mempool is full") {
		t.Errorf("error = %+v, want the node's reason", ae)
	}
	if _, err := e.client.Tx(ctx, id); err == nil {
		t.Errorf("%s has a receipt after its batch was refused", id)
	}
	e.chain.mu.Lock()
	e.chain.full = nil
	e.chain.mu.Unlock()
	items, err := e.client.SubmitBatch(ctx, [][]byte{raw}, true)
	if err != nil || items[0].Code != 0 {
		t.Fatalf("with room: %+v, %v", items, err)
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

	// A request within the body's limit whose batch would not fit one
	// mempool entry: refused for good (413), not as a full node (503),
	// which a client would send again and again.
	good, id := e.sign(minter, mintMsg(alice.addr, "1"))
	pad := bytes.Repeat([]byte{1}, tx.MaxBatchSize/2)
	_, err = e.client.SubmitBatch(ctx, [][]byte{good, pad, pad}, true)
	ae = apiErr(t, err, http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE")
	if !strings.Contains(ae.Message, "1048576") {
		t.Errorf("error = %+v, want it to name the limit", ae)
	}
	if _, err := e.client.Tx(ctx, id); err == nil {
		t.Errorf("%s has a receipt after its batch was refused", id)
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

// postBatch posts body to /v1/txs/batch as contentType and returns the
// status and the decoded answer: a BatchResponse on 200, an error otherwise.
func postBatch(t *testing.T, e *testEnv, query, contentType string, body []byte) (int, client.BatchResponse, client.APIError) {
	t.Helper()
	resp, err := http.Post(e.srv.URL+"/v1/txs/batch"+query, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ok client.BatchResponse
	var bad client.APIError
	into := any(&bad)
	if resp.StatusCode == http.StatusOK {
		into = &ok
	}
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, ok, bad
}

// TestSubmitBatchBodies: the JSON body and the protobuf one carry the same
// batch to the same answers, wait given in the body or in the query.
func TestSubmitBatchBodies(t *testing.T) {
	e := newTestEnv(t)
	e.runScenario()
	good1, id1 := e.sign(minter, mintMsg(alice.addr, "1000000"))
	good2, id2 := e.sign(minter, mintMsg(bob.addr, "1000000"))
	wait := true
	asJSON, err := json.Marshal(client.BatchRequest{Txs: [][]byte{good1, []byte("hello")}, Wait: &wait})
	if err != nil {
		t.Fatal(err)
	}
	asProto, err := proto.Marshal(&txpb.Batch{Txs: [][]byte{good2, []byte("hello")}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, query, contentType string
		body                     []byte
		id                       ledger.TxID
	}{
		{"json", "", "application/json", asJSON, id1},
		{"protobuf", "?wait=true", client.BatchContentType, asProto, id2},
	} {
		status, res, _ := postBatch(t, e, tc.query, tc.contentType, tc.body)
		if status != http.StatusOK || len(res.Results) != 2 {
			t.Fatalf("%s: answer %d %+v, want 200 with 2 results", tc.name, status, res)
		}
		if it := res.Results[0]; it.TxID != tc.id || it.Status != client.BatchCommitted {
			t.Errorf("%s: first = %+v, want %s committed", tc.name, it, tc.id)
		}
		if it := res.Results[1]; it.Status != client.BatchRejected || it.Code != uint32(ledger.CodeMalformed) {
			t.Errorf("%s: second = %+v, want rejected MALFORMED_TX", tc.name, it)
		}
	}
}

// TestSubmitBatchBadProtobuf: a protobuf body that is not a Batch, has
// fields a Batch does not, or comes with a wait that is not a boolean is a
// 400 that names the fault.
func TestSubmitBatchBadProtobuf(t *testing.T) {
	e := newTestEnv(t)
	raw, _ := e.sign(minter, mintMsg(alice.addr, "1"))
	good, err := proto.Marshal(&txpb.Batch{Txs: [][]byte{raw}})
	if err != nil {
		t.Fatal(err)
	}
	unknown := protowire.AppendTag(slices.Clone(good), 3, protowire.VarintType)
	unknown = protowire.AppendVarint(unknown, 1)
	for _, tc := range []struct {
		name, query string
		body        []byte
		want        string
	}{
		{"not protobuf", "", []byte{0xff, 0xff, 0xff}, "does not decode"},
		{"unknown field", "", unknown, "fields a peg.tx.v1.Batch does not"},
		{"empty", "", nil, "required"},
		{"wait not a boolean", "?wait=soon", good, "wait"},
	} {
		status, _, ae := postBatch(t, e, tc.query, client.BatchContentType, tc.body)
		if status != http.StatusBadRequest || ae.Name != "BAD_REQUEST" || !strings.Contains(ae.Message, tc.want) {
			t.Errorf("%s: answer %d %+v, want 400 BAD_REQUEST naming %q", tc.name, status, ae, tc.want)
		}
	}
}

// TestSubmitBatchDuplicates: a transaction that repeats an earlier one of
// the same request is refused as DUPLICATE_IN_BATCH, naming the index it
// repeats, and only the first is submitted; not REPLAYED, which says a block
// already holds it. The protobuf body is judged alike.
func TestSubmitBatchDuplicates(t *testing.T) {
	e := newTestEnv(t)
	e.runScenario()
	a, idA := e.sign(minter, mintMsg(alice.addr, "1000000"))
	b, idB := e.sign(minter, mintMsg(bob.addr, "1000000"))
	c, idC := e.sign(minter, mintMsg(bob.addr, "2000000"))
	d, idD := e.sign(minter, mintMsg(alice.addr, "2000000"))
	wait := true
	asJSON, err := json.Marshal(client.BatchRequest{Txs: [][]byte{a, b, a, []byte("hello"), a, b}, Wait: &wait})
	if err != nil {
		t.Fatal(err)
	}
	asProto, err := proto.Marshal(&txpb.Batch{Txs: [][]byte{c, d, d, c}})
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		id      ledger.TxID
		code    ledger.Code
		repeats int // the index a duplicate names
	}
	for _, tc := range []struct {
		name, query, contentType string
		body                     []byte
		want                     []want
	}{
		{"json", "", "application/json", asJSON, []want{
			{idA, ledger.OK, 0}, {idB, ledger.OK, 0}, {idA, ledger.CodeDuplicateInBatch, 0},
			{ledger.TxID{}, ledger.CodeMalformed, 0}, {idA, ledger.CodeDuplicateInBatch, 0}, {idB, ledger.CodeDuplicateInBatch, 1},
		}},
		{"protobuf", "?wait=true", client.BatchContentType, asProto, []want{
			{idC, ledger.OK, 0}, {idD, ledger.OK, 0}, {idD, ledger.CodeDuplicateInBatch, 1}, {idC, ledger.CodeDuplicateInBatch, 0},
		}},
	} {
		status, res, _ := postBatch(t, e, tc.query, tc.contentType, tc.body)
		if status != http.StatusOK || len(res.Results) != len(tc.want) {
			t.Fatalf("%s: answer %d %+v, want 200 with %d results", tc.name, status, res, len(tc.want))
		}
		for i, w := range tc.want {
			it := res.Results[i]
			if it.TxID != w.id || it.Code != uint32(w.code) || it.Name != w.code.Name() {
				t.Errorf("%s: item %d = %+v, want %s %s", tc.name, i, it, w.id, w.code.Name())
				continue
			}
			switch {
			case w.code == ledger.OK && it.Status != client.BatchCommitted:
				t.Errorf("%s: item %d = %+v, want committed", tc.name, i, it)
			case w.code == ledger.CodeDuplicateInBatch:
				if msg := fmt.Sprintf("transaction %d repeats transaction %d of this batch", i, w.repeats); it.Status != client.BatchRejected ||
					it.Height != 0 || !strings.HasPrefix(it.Message, msg) {
					t.Errorf("%s: item %d = %+v, want rejected, no height, message starting %q", tc.name, i, it, msg)
				}
			}
		}
	}
}
