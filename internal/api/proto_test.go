package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/client/wirepb"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// TestProtoAnswers: the batch and block endpoints answer in protobuf when
// the request asks for it, with what their JSON answers say, and in JSON
// otherwise.
func TestProtoAnswers(t *testing.T) {
	e := newTestEnv(t)
	s := e.runScenario()

	// A batch every transaction of which is refused, so that it answers
	// the same each time it is sent.
	notMinter, _ := e.sign(alice, mintMsg(alice.addr, "1000000"))
	spent, _ := e.sign(alice, payMsg([]ledger.CoinID{ledger.NewCoinID(s.mint, 0)}, out(bob.addr, "100000000")))
	body, err := proto.Marshal(&txpb.Batch{Txs: [][]byte{notMinter, []byte("hello"), spent}})
	if err != nil {
		t.Fatal(err)
	}
	var fromJSON client.BatchResponse
	e.answer(http.MethodPost, "/v1/txs/batch", "application/json", client.BatchContentType, body, "application/json",
		func(b []byte) error { return json.Unmarshal(b, &fromJSON) })
	var pb wirepb.BatchResponse
	e.answer(http.MethodPost, "/v1/txs/batch", client.ProtoContentType+", application/json;q=0.5", client.BatchContentType, body,
		client.ProtoContentType, func(b []byte) error { return proto.Unmarshal(b, &pb) })
	fromProto, err := client.BatchResponseFromProto(&pb)
	if err != nil {
		t.Fatal(err)
	}
	if len(fromJSON.Results) != 3 || fromJSON.Results[1].Status != client.BatchRejected || !reflect.DeepEqual(fromProto, fromJSON) {
		t.Errorf("batch answers: protobuf %+v, JSON %+v", fromProto, fromJSON)
	}

	for _, path := range []string{"/v1/blocks/4", "/v1/blocks/latest"} {
		var fromJSON client.Block
		e.answer(http.MethodGet, path, "*/*", "", nil, "application/json", func(b []byte) error { return json.Unmarshal(b, &fromJSON) })
		var pb wirepb.Block
		e.answer(http.MethodGet, path, client.ProtoContentType, "", nil, client.ProtoContentType,
			func(b []byte) error { return proto.Unmarshal(b, &pb) })
		fromProto, err := client.BlockFromProto(&pb)
		if err != nil {
			t.Fatal(err)
		}
		if !fromProto.Time.Equal(fromJSON.Time) || fromJSON.Height != 4 || len(fromJSON.Txs) == 0 {
			t.Errorf("%s: protobuf time %v, JSON %+v", path, fromProto.Time, fromJSON)
		}
		fromProto.Time = fromJSON.Time
		if !reflect.DeepEqual(fromProto, fromJSON) {
			t.Errorf("%s: protobuf %+v, JSON %+v", path, fromProto, fromJSON)
		}
	}
	// The client asks for protobuf and reads the same block.
	b, err := e.client.Block(ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	if b.Hash == "" || len(b.Txs) == 0 || b.Txs[0].ID != s.pay {
		t.Errorf("the client's block 4 = %+v", b)
	}
}

// answer sends a request and decodes a 200 answer of media type want.
func (e *testEnv) answer(method, path, accept, contentType string, body []byte, want string, decode func([]byte) error) {
	e.t.Helper()
	status, mt, b := e.exchange(method, path, accept, contentType, bytes.NewReader(body))
	if status != http.StatusOK || mt != want {
		e.t.Fatalf("%s %s (Accept %s): %d %s %s, want 200 %s", method, path, accept, status, mt, b, want)
	}
	if err := decode(b); err != nil {
		e.t.Fatalf("%s %s: decoding %s: %v", method, path, mt, err)
	}
}

// TestWantsProto reads Accept headers as clients write them.
func TestWantsProto(t *testing.T) {
	for accept, want := range map[string]bool{
		"":                              false,
		"*/*":                           false,
		"application/json":              false,
		"application/x-protobuf":        true,
		"application/x-protobuf; q=0.9": true,
		"application/json, application/x-protobuf;q=0.5": true,
		"application/x-protobuf;q=0":                     false,
		"application/x-protobuf;q=0.000":                 false,
		"application/x-protobuf;q=nonsense":              false,
	} {
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Accept", accept)
		if got := WantsProto(r); got != want {
			t.Errorf("Accept %q: WantsProto %v, want %v", accept, got, want)
		}
	}
}
