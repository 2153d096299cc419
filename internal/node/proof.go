package node

import (
	"context"
	"fmt"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/pegledger/peg/internal/abci"
	"github.com/pegledger/peg/internal/api"
	"github.com/pegledger/peg/internal/proof"
	"github.com/pegledger/peg/internal/state"
)

// ReceiptProof proves rc, a committed receipt: from CometBFT's stores it
// takes block rc.Height's transactions and results and block rc.Height+1's
// signed header and validators, and it rebuilds the leaves of rc's
// consensus transaction from the stored receipts (abci.BlockLeaves).
func (c chain) ReceiptProof(ctx context.Context, rc *state.Receipt) (*proof.Receipt, error) {
	h := int64(rc.Height)
	bs := c.n.comet.BlockStore()
	if bs.Height() < h+1 {
		return nil, api.ErrProofNotYet
	}
	b := bs.LoadBlock(h)
	if b == nil {
		return nil, fmt.Errorf("node: block %d is not in the block store", h)
	}
	txs := make([][]byte, len(b.Txs))
	for i, t := range b.Txs {
		txs[i] = t
	}
	snap := c.n.db.Snapshot()
	leaves := abci.BlockLeaves(snap, rc.Height, txs)
	snap.Close()
	at, leaf, ok := findLeaf(leaves, abci.LeafOf(rc))
	if !ok {
		return nil, fmt.Errorf("node: the receipt of %s is in none of block %d's results", rc.TxID, h)
	}
	results, err := c.n.rpc.BlockResults(ctx, &h)
	if err != nil {
		return nil, fmt.Errorf("node: results of block %d: %w", h, err)
	}
	next := h + 1
	commit, err := c.n.rpc.Commit(ctx, &next)
	if err != nil {
		return nil, fmt.Errorf("node: commit of block %d: %w", next, err)
	}
	vals, err := c.validators(ctx, next)
	if err != nil {
		return nil, err
	}
	return proof.Make(proof.Parts{Leaves: leaves[at], Leaf: leaf, Results: results.TxsResults, Tx: at,
		SignedHeader: &commit.SignedHeader, Validators: vals})
}

// findLeaf finds want among a block's leaves: the consensus transaction and
// the position in it.
func findLeaf(leaves [][][]byte, want []byte) (at, leaf int, ok bool) {
	for i, ls := range leaves {
		for k, l := range ls {
			if string(l) == string(want) {
				return i, k, true
			}
		}
	}
	return 0, 0, false
}

// validators is the validator set of the block at height, every page of
// it.
func (c chain) validators(ctx context.Context, height int64) (*cmttypes.ValidatorSet, error) {
	var vals []*cmttypes.Validator
	perPage := 100
	for page := 1; ; page++ {
		res, err := c.n.rpc.Validators(ctx, &height, &page, &perPage)
		if err != nil {
			return nil, fmt.Errorf("node: validators of block %d: %w", height, err)
		}
		vals = append(vals, res.Validators...)
		if len(vals) >= res.Total || res.Count == 0 {
			break
		}
	}
	return cmttypes.NewValidatorSet(vals), nil
}
