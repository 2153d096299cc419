package node

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/pegledger/peg/internal/abci"
	"github.com/pegledger/peg/internal/api"
	"github.com/pegledger/peg/internal/proof"
	"github.com/pegledger/peg/internal/state"
)

// ReceiptProof proves rc, a committed receipt: from CometBFT's stores it
// takes block rc.Height's transactions and results and block rc.Height+1's
// signed header and validators, and it rebuilds (or finds in the node's
// leafCache) the leaves of rc's
// consensus transaction from the stored receipts (abci.BlockLeaves).
func (c chain) ReceiptProof(ctx context.Context, rc *state.Receipt) (*proof.Receipt, error) {
	h := int64(rc.Height)
	bs := c.n.comet.BlockStore()
	if bs.Height() < h+1 {
		return nil, api.ErrProofNotYet
	}
	leaves, err := c.n.proofLeaves.get(rc.Height, func() ([][][]byte, error) {
		b := bs.LoadBlock(h)
		if b == nil {
			return nil, fmt.Errorf("node: block %d is not in the block store", h)
		}
		txs := make([][]byte, len(b.Txs))
		for i, t := range b.Txs {
			txs[i] = t
		}
		snap := c.n.db.Snapshot()
		defer snap.Close()
		return abci.BlockLeaves(snap, rc.Height, txs), nil
	})
	if err != nil {
		return nil, err
	}
	pos, ok := leaves.at[string(abci.LeafOf(rc))]
	at, leaf := pos[0], pos[1]
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
	return proof.Make(proof.Parts{Leaves: leaves.leaves[at], Leaf: leaf, Results: results.TxsResults, Tx: at,
		SignedHeader: &commit.SignedHeader, Validators: vals})
}

// leafCacheBlocks is how many blocks' leaves a node keeps for proofs: a
// relayer proves the receipts of the last few blocks, many of each.
const leafCacheBlocks = 8

// leafCache holds the leaves of the blocks whose receipts were proved last,
// so that proving many receipts of one block rebuilds its leaves, a read of
// every receipt of the block, once. A committed block's leaves never change.
type leafCache struct {
	mu     sync.Mutex
	blocks map[uint64]*blockLeaves
}

// blockLeaves are a block's leaves (abci.BlockLeaves) and where each is:
// the consensus transaction and the position in it.
type blockLeaves struct {
	once   sync.Once
	leaves [][][]byte
	at     map[string][2]int
	err    error
}

// get returns block height's leaves, built by build if the cache has not
// them; it forgets the lowest height when full, and a build that failed.
func (c *leafCache) get(height uint64, build func() ([][][]byte, error)) (*blockLeaves, error) {
	c.mu.Lock()
	if c.blocks == nil {
		c.blocks = make(map[uint64]*blockLeaves, leafCacheBlocks)
	}
	b, ok := c.blocks[height]
	if !ok {
		if len(c.blocks) >= leafCacheBlocks {
			delete(c.blocks, slices.Min(slices.Collect(maps.Keys(c.blocks))))
		}
		b = &blockLeaves{}
		c.blocks[height] = b
	}
	c.mu.Unlock()
	b.once.Do(func() {
		if b.leaves, b.err = build(); b.err != nil {
			return
		}
		b.at = make(map[string][2]int)
		for i, ls := range b.leaves {
			for k, l := range ls {
				b.at[string(l)] = [2]int{i, k}
			}
		}
	})
	if b.err != nil {
		c.mu.Lock()
		if c.blocks[height] == b {
			delete(c.blocks, height)
		}
		c.mu.Unlock()
		return nil, b.err
	}
	return b, nil
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
