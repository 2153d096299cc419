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
// signed header and validators, and it rebuilds the leaves of rc's
// consensus transaction from the stored receipts (abci.BlockLeaves). What
// the proofs of one block share, the block's leaves, its results and the
// next header, and each consensus transaction's Merkle tree, it builds once
// and keeps for the blocks proved last (proofCache).
func (c chain) ReceiptProof(ctx context.Context, rc *state.Receipt) (*proof.Receipt, error) {
	h := int64(rc.Height)
	bs := c.n.comet.BlockStore()
	if bs.Height() < h+1 {
		return nil, api.ErrProofNotYet
	}
	b, err := c.n.proofs.get(rc.Height, func() (*blockProofs, error) { return c.blockProofs(ctx, h) })
	if err != nil {
		return nil, err
	}
	pos, ok := b.at[string(abci.LeafOf(rc))]
	if !ok {
		return nil, fmt.Errorf("node: the receipt of %s is in none of block %d's results", rc.TxID, h)
	}
	at, leaf := pos[0], pos[1]
	return b.block.Prove(at, b.tree(at), leaf)
}

// blockProofs gathers what the proofs of block h's receipts share.
func (c chain) blockProofs(ctx context.Context, h int64) (*blockProofs, error) {
	blk := c.n.comet.BlockStore().LoadBlock(h)
	if blk == nil {
		return nil, fmt.Errorf("node: block %d is not in the block store", h)
	}
	txs := make([][]byte, len(blk.Txs))
	for i, t := range blk.Txs {
		txs[i] = t
	}
	snap := c.n.db.Snapshot()
	leaves := abci.BlockLeaves(snap, uint64(h), txs)
	snap.Close()
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
	block, err := proof.NewBlock(results.TxsResults, &commit.SignedHeader, vals)
	if err != nil {
		return nil, err
	}
	return newBlockProofs(block, leaves), nil
}

// newBlockProofs indexes leaves, the leaves of block's consensus
// transactions.
func newBlockProofs(block *proof.Block, leaves [][][]byte) *blockProofs {
	b := &blockProofs{block: block, leaves: leaves, trees: make([]*proof.Tree, len(leaves)), at: make(map[string][2]int)}
	for i, ls := range leaves {
		for k, l := range ls {
			b.at[string(l)] = [2]int{i, k}
		}
	}
	return b
}

// proofCacheBlocks is how many blocks' proof parts a node keeps: a relayer
// proves the receipts of the last few blocks, many of each.
const proofCacheBlocks = 8

// proofCache holds what the proofs of the blocks proved last share, so
// that proving many receipts of one block reads its receipts, results and
// next header, and builds each consensus transaction's Merkle tree, once.
// A committed block's leaves never change.
type proofCache struct {
	mu     sync.Mutex
	blocks map[uint64]*cachedBlock
}

type cachedBlock struct {
	once sync.Once
	b    *blockProofs
	err  error
}

// blockProofs are a block's leaves (abci.BlockLeaves), where each is (the
// consensus transaction and the position in it), the parts of the block
// every proof shares, and each consensus transaction's tree, built when
// first asked for.
type blockProofs struct {
	block  *proof.Block
	leaves [][][]byte
	at     map[string][2]int

	mu    sync.Mutex
	trees []*proof.Tree
}

// tree is consensus transaction i's tree.
func (b *blockProofs) tree(i int) *proof.Tree {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.trees[i] == nil {
		b.trees[i] = proof.NewTree(b.leaves[i])
	}
	return b.trees[i]
}

// get returns block height's proof parts, built by build if the cache has
// not them; it forgets the lowest height when full, and a build that
// failed.
func (c *proofCache) get(height uint64, build func() (*blockProofs, error)) (*blockProofs, error) {
	c.mu.Lock()
	if c.blocks == nil {
		c.blocks = make(map[uint64]*cachedBlock, proofCacheBlocks)
	}
	e, ok := c.blocks[height]
	if !ok {
		if len(c.blocks) >= proofCacheBlocks {
			delete(c.blocks, slices.Min(slices.Collect(maps.Keys(c.blocks))))
		}
		e = &cachedBlock{}
		c.blocks[height] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.b, e.err = build() })
	if e.err != nil {
		c.mu.Lock()
		if c.blocks[height] == e {
			delete(c.blocks, height)
		}
		c.mu.Unlock()
		return nil, e.err
	}
	return e.b, nil
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
