package client

import (
	"encoding/hex"
	"fmt"
	"time"

	"github.com/pegledger/peg/internal/client/wirepb"
	"github.com/pegledger/peg/internal/ledger"
)

// The answers POST /v1/txs/batch and GET /v1/blocks give in protobuf
// (proto/peg/api/v1/api.proto), converted to and from the types their JSON
// answers decode into: a client reads either into the same values.

// Proto is r as a wirepb.BatchResponse.
func (r BatchResponse) Proto() *wirepb.BatchResponse {
	items := make([]wirepb.BatchItem, len(r.Results))
	out := &wirepb.BatchResponse{Results: make([]*wirepb.BatchItem, len(r.Results))}
	for i, it := range r.Results {
		items[i] = wirepb.BatchItem{TxId: it.TxID[:], Status: it.Status, Code: it.Code, Name: it.Name,
			Message: it.Message, Height: it.Height}
		out.Results[i] = &items[i]
	}
	return out
}

// BatchResponseFromProto reads a protobuf batch answer.
func BatchResponseFromProto(m *wirepb.BatchResponse) (BatchResponse, error) {
	out := BatchResponse{Results: make([]BatchItem, len(m.Results))}
	for i, it := range m.Results {
		id, err := txIDBytes(it.TxId)
		if err != nil {
			return BatchResponse{}, fmt.Errorf("client: batch result %d: %w", i, err)
		}
		out.Results[i] = BatchItem{TxID: id, Status: it.Status, Code: it.Code, Name: it.Name,
			Message: it.Message, Height: it.Height}
	}
	return out, nil
}

// Proto is b as a wirepb.Block. Hash and AppHash are hex, as the JSON
// answer writes them; the protobuf answer carries their bytes.
func (b Block) Proto() (*wirepb.Block, error) {
	hash, err := hex.DecodeString(b.Hash)
	if err != nil {
		return nil, fmt.Errorf("client: block %d hash: %w", b.Height, err)
	}
	appHash, err := hex.DecodeString(b.AppHash)
	if err != nil {
		return nil, fmt.Errorf("client: block %d app hash: %w", b.Height, err)
	}
	txs := make([]wirepb.BlockTx, len(b.Txs))
	out := &wirepb.Block{Height: b.Height, TimeUnixNano: b.Time.UnixNano(), Hash: hash, AppHash: appHash,
		Proposer: b.Proposer, Txs: make([]*wirepb.BlockTx, len(b.Txs))}
	for i, t := range b.Txs {
		txs[i] = wirepb.BlockTx{Id: t.ID[:], Kind: t.Kind, Malformed: t.Malformed}
		out.Txs[i] = &txs[i]
	}
	return out, nil
}

// BlockFromProto reads a protobuf block answer.
func BlockFromProto(m *wirepb.Block) (Block, error) {
	b := Block{Height: m.Height, Time: time.Unix(0, m.TimeUnixNano).UTC(), Hash: hex.EncodeToString(m.Hash),
		AppHash: hex.EncodeToString(m.AppHash), Proposer: m.Proposer, Txs: make([]BlockTx, len(m.Txs))}
	for i, t := range m.Txs {
		id, err := txIDBytes(t.Id)
		if err != nil {
			return Block{}, fmt.Errorf("client: block %d transaction %d: %w", m.Height, i, err)
		}
		b.Txs[i] = BlockTx{ID: id, Kind: t.Kind, Malformed: t.Malformed}
	}
	return b, nil
}

func txIDBytes(b []byte) (ledger.TxID, error) {
	if len(b) != len(ledger.TxID{}) {
		return ledger.TxID{}, fmt.Errorf("a transaction id has %d bytes, want %d", len(b), len(ledger.TxID{}))
	}
	return ledger.TxID(b), nil
}
