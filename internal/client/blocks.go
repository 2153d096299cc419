package client

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/pegledger/peg/internal/client/wirepb"
	"github.com/pegledger/peg/internal/ledger"
)

// BlockPage answers GET /v1/blocks: committed blocks with every receipt,
// for a reader that follows the chain (the index). Head is the node's
// latest committed height when it answered.
type BlockPage struct {
	Blocks []BlockReceipts `json:"blocks"`
	Head   int64           `json:"head"`
}

// BlockReceipts is one committed block, or a part of one: its header, how
// many transactions it carries (Txs, malformed ones included), and the
// receipts of those from position From on, accepted or refused, in block
// order. NextIndex above zero says the block goes on from that position in
// the next answer; the part that ends the block carries the block's own
// events (found at its end, in block time) and EventsKept true; a part
// that does not end its block has EventsKept false (its block's events
// come with the last part). Nodes before the block results were read from
// the consensus engine's store answered false for blocks older than 4,096
// or committed before their start: their events were unknown, not absent.
type BlockReceipts struct {
	Height     int64     `json:"height"`
	Time       time.Time `json:"time"`
	Hash       string    `json:"hash"`
	AppHash    string    `json:"app_hash"`
	Proposer   string    `json:"proposer"`
	Txs        int       `json:"txs"`
	From       int       `json:"from"`
	NextIndex  int       `json:"next_index,omitempty"`
	Receipts   []Receipt `json:"receipts"`
	Events     []Event   `json:"events"`
	EventsKept bool      `json:"events_kept"`
}

// Blocks reads committed blocks from height from, the first from its
// transaction at position index, at most limit blocks (GET /v1/blocks), in
// protobuf.
func (c *Client) Blocks(ctx context.Context, from int64, index, limit int) (*BlockPage, error) {
	q := url.Values{"from": {strconv.FormatInt(from, 10)}, "limit": {strconv.Itoa(limit)}}
	if index > 0 {
		q.Set("index", strconv.Itoa(index))
	}
	var page BlockPage
	var pb wirepb.BlockPage
	isProto, err := c.exchangeProto(ctx, "GET", "/v1/blocks", q, "", nil, &pb, &page)
	if err != nil {
		return nil, err
	}
	if isProto {
		if page, err = BlockPageFromProto(&pb); err != nil {
			return nil, err
		}
	}
	return &page, nil
}

// Proto is p as a wirepb.BlockPage; hashes are hex in p, bytes in it.
func (p BlockPage) Proto() (*wirepb.BlockPage, error) {
	out := &wirepb.BlockPage{Head: p.Head, Blocks: make([]*wirepb.BlockReceipts, len(p.Blocks))}
	for i, b := range p.Blocks {
		hash, err := hex.DecodeString(b.Hash)
		if err != nil {
			return nil, fmt.Errorf("client: block %d hash: %w", b.Height, err)
		}
		appHash, err := hex.DecodeString(b.AppHash)
		if err != nil {
			return nil, fmt.Errorf("client: block %d app hash: %w", b.Height, err)
		}
		m := &wirepb.BlockReceipts{Height: b.Height, TimeUnixNano: b.Time.UnixNano(), Hash: hash, AppHash: appHash,
			Proposer: b.Proposer, Txs: uint32(b.Txs), From: uint32(b.From), NextIndex: uint32(b.NextIndex),
			Receipts: make([]*wirepb.Receipt, len(b.Receipts)), Events: eventsProto(b.Events), EventsKept: b.EventsKept}
		rcs := make([]wirepb.Receipt, len(b.Receipts))
		for j, rc := range b.Receipts {
			rcs[j] = wirepb.Receipt{TxId: rc.TxID[:], Index: rc.Index, Kind: rc.Kind, Signer: rc.Signer.String(),
				Code: uint32(rc.Code), Name: rc.Name, Message: rc.Message, Events: eventsProto(rc.Events)}
			m.Receipts[j] = &rcs[j]
		}
		out.Blocks[i] = m
	}
	return out, nil
}

func eventsProto(evs []Event) []*wirepb.Event {
	out := make([]*wirepb.Event, len(evs))
	for i, e := range evs {
		attrs := make([]wirepb.Attr, len(e.Attrs))
		m := &wirepb.Event{Type: e.Type, Attrs: make([]*wirepb.Attr, len(e.Attrs))}
		for j, a := range e.Attrs {
			attrs[j] = wirepb.Attr{Key: a.Key, Value: a.Value}
			m.Attrs[j] = &attrs[j]
		}
		out[i] = m
	}
	return out
}

// BlockPageFromProto reads a protobuf block page.
func BlockPageFromProto(m *wirepb.BlockPage) (BlockPage, error) {
	out := BlockPage{Head: m.Head, Blocks: make([]BlockReceipts, len(m.Blocks))}
	for i, b := range m.Blocks {
		t := time.Unix(0, b.TimeUnixNano).UTC()
		br := BlockReceipts{Height: b.Height, Time: t, Hash: hex.EncodeToString(b.Hash),
			AppHash: hex.EncodeToString(b.AppHash), Proposer: b.Proposer, Txs: int(b.Txs), From: int(b.From),
			NextIndex: int(b.NextIndex), Receipts: make([]Receipt, len(b.Receipts)), Events: eventsFromProto(b.Events),
			EventsKept: b.EventsKept}
		for j, rc := range b.Receipts {
			id, err := txIDBytes(rc.TxId)
			if err != nil {
				return BlockPage{}, fmt.Errorf("client: block %d receipt %d: %w", b.Height, j, err)
			}
			signer, err := ledger.ParseAddress(rc.Signer)
			if err != nil {
				return BlockPage{}, fmt.Errorf("client: block %d receipt %d: signer: %w", b.Height, j, err)
			}
			br.Receipts[j] = Receipt{TxID: id, Height: uint64(b.Height), Index: rc.Index, Time: t, Kind: rc.Kind,
				Signer: signer, Code: ledger.Code(rc.Code), Name: rc.Name, Message: rc.Message, Events: eventsFromProto(rc.Events)}
		}
		out.Blocks[i] = br
	}
	return out, nil
}

func eventsFromProto(evs []*wirepb.Event) []Event {
	out := make([]Event, len(evs))
	for i, e := range evs {
		attrs := make([]Attr, len(e.Attrs))
		for j, a := range e.Attrs {
			attrs[j] = Attr{Key: a.Key, Value: a.Value}
		}
		out[i] = Event{Type: e.Type, Attrs: attrs}
	}
	return out
}
