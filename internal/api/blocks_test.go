package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/client/wirepb"
	"github.com/pegledger/peg/internal/ledger"
)

// TestBlockPage: GET /v1/blocks gives each committed block with the receipt
// of every transaction it applied, accepted or refused, once, in block
// order, the same in JSON and protobuf; a block with more receipts than an
// answer holds is cut and goes on where the answer says.
func TestBlockPage(t *testing.T) {
	e := newTestEnv(t)
	s := e.runScenario()
	// Block 5: a refused mint (alice is no minter), a payment by bob, the
	// same payment again (one receipt), and bytes that do not parse.
	e.chain.setManual()
	notMinter, refused := e.sign(alice, mintMsg(alice.addr, "1000000"))
	pay, paid := e.sign(bob, payMsg([]ledger.CoinID{s.bobCoin}, out(alice.addr, "2500000"), out(bob.addr, "10000000")))
	for _, raw := range [][]byte{notMinter, pay, pay, []byte("hello")} {
		e.chain.include(raw)
	}
	e.chain.commit()

	page, err := e.client.Blocks(ctx, 1, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if page.Head != 5 || len(page.Blocks) != 5 {
		t.Fatalf("page: head %d, %d blocks, want 5 and 5", page.Head, len(page.Blocks))
	}
	var got []string
	for _, b := range page.Blocks {
		if b.NextIndex != 0 || b.From != 0 || !b.EventsKept || b.Hash == "" {
			t.Errorf("block %d: %+v", b.Height, b)
		}
		for _, rc := range b.Receipts {
			got = append(got, fmt.Sprintf("%d %s %s %s", b.Height, rc.TxID, rc.Kind, rc.Name))
		}
	}
	want := []string{
		"1 " + s.deploy.String() + " deploy_token OK",
		"2 " + s.attest.String() + " attest OK",
		"3 " + s.mint.String() + " mint OK",
		"4 " + s.pay.String() + " pay OK",
		"5 " + refused.String() + " mint UNAUTHORIZED",
		"5 " + paid.String() + " pay OK",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("receipts:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if b := page.Blocks[4]; b.Txs != 4 || len(b.Receipts[1].Events) == 0 {
		t.Errorf("block 5: %d transactions, receipt %+v", b.Txs, b.Receipts[1])
	}

	// JSON and protobuf carry the same.
	var fromJSON client.BlockPage
	e.answer(http.MethodGet, "/v1/blocks?from=1&limit=100", "*/*", "", nil, "application/json",
		func(b []byte) error { return json.Unmarshal(b, &fromJSON) })
	var pb wirepb.BlockPage
	e.answer(http.MethodGet, "/v1/blocks?from=1&limit=100", client.ProtoContentType, "", nil, client.ProtoContentType,
		func(b []byte) error { return proto.Unmarshal(b, &pb) })
	fromProto, err := client.BlockPageFromProto(&pb)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromProto, fromJSON) || !reflect.DeepEqual(*page, fromJSON) {
		t.Errorf("protobuf %+v\nJSON %+v", fromProto, fromJSON)
	}

	// Past the head: no blocks, and the head.
	after, err := e.client.Blocks(ctx, 6, 0, 10)
	if err != nil || len(after.Blocks) != 0 || after.Head != 5 {
		t.Errorf("from 6: %+v %v", after, err)
	}

	// One receipt an answer, by count and then by size: block 5 comes in
	// parts, which together carry what the whole did, and only the last
	// its own events.
	for _, bound := range []struct {
		name            string
		receipts, bytes int
		parts           int // a part per transaction; by size, the duplicate and the malformed one cost nothing
	}{{"receipts", 1, MaxBlockPageBytes, 4}, {"bytes", MaxBlockPageReceipts, 1, 3}} {
		e.server.pageReceipts, e.server.pageBytes = bound.receipts, bound.bytes
		var parts []client.Receipt
		index, rounds := 0, 0
		for ; rounds < 10; rounds++ {
			p, err := e.client.Blocks(ctx, 5, index, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Blocks) != 1 || p.Blocks[0].From != index {
				t.Fatalf("%s: part from %d: %+v", bound.name, index, p)
			}
			b := p.Blocks[0]
			parts = append(parts, b.Receipts...)
			if b.NextIndex == 0 {
				if !b.EventsKept {
					t.Errorf("%s: the block's last part does not say its events are kept", bound.name)
				}
				break
			}
			if b.NextIndex <= index || b.EventsKept {
				t.Fatalf("%s: part from %d: next %d, events kept %v", bound.name, index, b.NextIndex, b.EventsKept)
			}
			index = b.NextIndex
		}
		if rounds+1 != bound.parts || !reflect.DeepEqual(parts, page.Blocks[4].Receipts) {
			t.Errorf("%s: in %d parts: %+v, want %+v", bound.name, rounds+1, parts, page.Blocks[4].Receipts)
		}
	}
}

// TestBlockPageBadInput: every bad parameter is a 400 naming it.
func TestBlockPageBadInput(t *testing.T) {
	e := newTestEnv(t)
	e.runScenario()
	for _, tc := range []struct{ query, has string }{
		{"from=0", "from"},
		{"from=x", "from"},
		{"limit=0", "limit"},
		{"limit=101", "limit"},
		{"index=-1", "index"},
		{"from=4&index=9", "index 9"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			status, body := e.get("/v1/blocks?" + tc.query)
			got := errorBody(t, status, body, http.StatusBadRequest, "BAD_REQUEST")
			if !strings.Contains(got.Message, tc.has) {
				t.Errorf("message %q does not mention %q", got.Message, tc.has)
			}
		})
	}
}
