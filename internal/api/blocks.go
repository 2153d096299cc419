package api

import (
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/store"
)

// block answers GET /v1/blocks/{height}.
func (s *server) block(w http.ResponseWriter, r *http.Request) error {
	p := r.PathValue("height")
	h, err := strconv.ParseInt(p, 10, 64)
	if err != nil || h < 1 {
		return badRequest("block height %q: want a whole number from 1", p)
	}
	return s.writeBlock(w, r, h)
}

// latestBlock answers GET /v1/blocks/latest.
func (s *server) latestBlock(w http.ResponseWriter, r *http.Request) error {
	return s.writeBlock(w, r, 0)
}

func (s *server) writeBlock(w http.ResponseWriter, r *http.Request, height int64) error {
	b, err := s.chain.Block(height)
	if err != nil {
		return err
	}
	if b == nil {
		if height == 0 {
			return notFound("the chain has no block yet")
		}
		return notFound("no block at height %d", height)
	}
	view := blockView(b)
	if wantsProto(r) {
		m, err := view.Proto()
		if err != nil {
			return err
		}
		writeProto(w, http.StatusOK, m)
		return nil
	}
	writeJSON(w, http.StatusOK, view)
	return nil
}

// blockView is a block's answer: its transactions by id and kind
// (tx.Listing), accepted or not; the receipts say which.
func blockView(b *Block) client.Block {
	txs := make([]client.BlockTx, len(b.Txs))
	for i, l := range b.Txs {
		txs[i] = client.BlockTx{ID: l.ID, Kind: l.Kind, Malformed: l.Malformed}
	}
	return client.Block{
		Height: b.Height, Time: b.Time.UTC(), Hash: hex.EncodeToString(b.Hash), AppHash: hex.EncodeToString(b.AppHash),
		Proposer: b.Proposer, Txs: txs,
	}
}

// Limits of GET /v1/blocks, the bulk read a follower of the chain (the
// index) catches up with.
const (
	// MaxBlockPage bounds the blocks one answer carries.
	MaxBlockPage = 100
	// DefaultBlockPage is the page size when the request names none.
	DefaultBlockPage = 20
	// MaxBlockPageReceipts bounds the receipts one answer carries, and
	// MaxBlockPageBytes the bytes of their text (ids, kinds, messages,
	// event types, keys and values), so that an answer stays under the
	// client's limit (client.MaxResponseSize) in JSON as in protobuf
	// whatever the blocks hold: a block with more is cut, and the answer
	// says where it goes on.
	MaxBlockPageReceipts = 4000
	MaxBlockPageBytes    = 3 << 20
)

// blocks answers GET /v1/blocks?from=H&index=I&limit=N: committed blocks
// from height H on, the first from its transaction I, with every receipt.
func (s *server) blocks(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	from, err := intParam(q.Get("from"), 1, 1, math.MaxInt64-MaxBlockPage, "from", "a block height from 1")
	if err != nil {
		return err
	}
	index, err := intParam(q.Get("index"), 0, 0, math.MaxInt32, "index", "a transaction's position in its block, from 0")
	if err != nil {
		return err
	}
	limit, err := intParam(q.Get("limit"), DefaultBlockPage, 1, MaxBlockPage, "limit", fmt.Sprintf("a number of blocks from 1 to %d", MaxBlockPage))
	if err != nil {
		return err
	}
	page, err := s.blockPage(from, int(index), int(limit))
	if err != nil {
		return err
	}
	if wantsProto(r) {
		m, err := page.Proto()
		if err != nil {
			return err
		}
		writeProto(w, http.StatusOK, m)
		return nil
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// intParam reads an optional whole-number parameter within [lo, hi].
func intParam(v string, def, lo, hi int64, name, want string) (int64, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, badRequest("%s %q: want %s", name, v, want)
	}
	return n, nil
}

// blockPage reads up to limit committed blocks from height from (its
// transactions from position index on) and at most MaxBlockPageReceipts
// receipts, from one snapshot: a block the consensus engine stored but the
// state has not committed yet is not among them.
func (s *server) blockPage(from int64, index, limit int) (client.BlockPage, error) {
	snap := s.chain.Snapshot()
	defer snap.Close()
	head := int64(snap.Height)
	page := client.BlockPage{Head: head, Blocks: []client.BlockReceipts{}}
	room, bytes := s.pageReceipts, s.pageBytes
	for h := from; h <= head && len(page.Blocks) < limit && room > 0 && bytes > 0; h++ {
		b, err := s.chain.Block(h)
		if err != nil {
			return client.BlockPage{}, err
		}
		if b == nil {
			return client.BlockPage{}, fmt.Errorf("api: the node has no block at committed height %d", h)
		}
		if index > len(b.Txs) {
			return client.BlockPage{}, badRequest("index %d: block %d has %d transactions", index, h, len(b.Txs))
		}
		br, size, err := s.blockReceipts(snap, b, index, room, bytes)
		if err != nil {
			return client.BlockPage{}, err
		}
		page.Blocks = append(page.Blocks, br)
		room, bytes = room-len(br.Receipts), bytes-size
		if br.NextIndex > 0 {
			break
		}
		index = 0
	}
	return page, nil
}

// blockReceipts is block b from its transaction at position from on, at most
// room of them and about bytes of their text (one more when none would fit
// otherwise, so that an answer always moves on): the receipt of each
// transaction the block applied, and, in the part that ends the block, its
// own events. size is the text the part carries.
func (s *server) blockReceipts(snap *store.Snapshot, b *Block, from, room, bytes int) (br client.BlockReceipts, size int, err error) {
	br = client.BlockReceipts{Height: b.Height, Time: b.Time.UTC(), Hash: hex.EncodeToString(b.Hash),
		AppHash: hex.EncodeToString(b.AppHash), Proposer: b.Proposer, Txs: len(b.Txs), From: from,
		Receipts: []client.Receipt{}, Events: []client.Event{}}
	end := min(len(b.Txs), from+max(room, 1))
	// A transaction the block carries twice has one receipt, the first's.
	seen := make(map[ledger.TxID]bool, end)
	for _, l := range b.Txs[:from] {
		seen[l.ID] = true
	}
	for i := from; i < end; i++ {
		if size >= bytes && i > from {
			end = i
			break
		}
		l := b.Txs[i]
		if l.Malformed || seen[l.ID] {
			continue // no receipt (it never parsed), or taken already
		}
		seen[l.ID] = true
		rc := state.ReceiptByID(snap, l.ID)
		if rc == nil || rc.Height != uint64(b.Height) {
			continue // a replay of an earlier block's transaction, refused before it had a receipt of its own
		}
		br.Receipts = append(br.Receipts, rawReceipt(rc))
		size += receiptSize(rc)
	}
	if end < len(b.Txs) {
		br.NextIndex = end
		return br, size, nil
	}
	own, err := s.chain.BlockEvents(b.Height)
	if err != nil {
		return client.BlockReceipts{}, 0, err
	}
	for _, e := range own {
		br.Events = append(br.Events, rawEvent(e))
	}
	// The node has every committed block's own events: recent ones in
	// memory, older ones in the consensus engine's stored block results.
	br.EventsKept = true
	return br, size, nil
}

// receiptSize is about the bytes of rc's text in an answer: its id,
// signer, kind, message and events, with a little for each field's frame.
func receiptSize(rc *state.Receipt) int {
	n := 200 + len(rc.Kind) + len(rc.Log)
	for _, e := range rc.Events {
		n += 16 + len(e.Type)
		for _, a := range e.Attrs {
			n += 24 + len(a.Key) + len(a.Value)
		}
	}
	return n
}

// rawReceipt is a receipt as the ledger recorded it, its amounts in the
// units its events write them in.
func rawReceipt(rc *state.Receipt) client.Receipt {
	events := make([]client.Event, len(rc.Events))
	for i, e := range rc.Events {
		events[i] = rawEvent(e)
	}
	return client.Receipt{TxID: rc.TxID, Height: rc.Height, Index: rc.Index, Time: unixTime(rc.Time), Kind: rc.Kind,
		Signer: rc.Signer, Code: rc.Code, Name: rc.Code.Name(), Message: rc.Log, Events: events}
}

func rawEvent(e state.Event) client.Event {
	attrs := make([]client.Attr, len(e.Attrs))
	for j, a := range e.Attrs {
		attrs[j] = client.Attr{Key: a.Key, Value: a.Value}
	}
	return client.Event{Type: e.Type, Attrs: attrs}
}
