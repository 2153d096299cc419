package api

import (
	"encoding/hex"
	"net/http"
	"strconv"

	"github.com/pegledger/peg/internal/client"
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
	if WantsProto(r) {
		m, err := view.Proto()
		if err != nil {
			return err
		}
		WriteProto(w, http.StatusOK, m)
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
