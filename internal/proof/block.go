package proof

import (
	"bytes"
	"encoding/json"
	"fmt"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/merkle"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmttypes "github.com/cometbft/cometbft/types"
)

// Tree is the Merkle tree of one consensus transaction's receipt leaves:
// its root, which the transaction's result's Data is, and every leaf's path
// to it, built once (CometBFT's merkle.ProofsFromByteSlices) for all the
// receipts of it a node proves. A relayer asks for many receipts of one
// batch; building the paths of every leaf for each of them cost a
// cross-region transfer 1.3 ms with batches of 500 (BENCHMARKS.md,
// "Regions").
type Tree struct {
	root   []byte
	leaves [][]byte
	paths  []*merkle.Proof
}

// NewTree builds the tree of leaves, which it keeps (they are not copied).
func NewTree(leaves [][]byte) *Tree {
	root, paths := merkle.ProofsFromByteSlices(leaves)
	return &Tree{root: root, leaves: leaves, paths: paths}
}

// Block is what every receipt proof of one block H shares: its results,
// each with its path to block H+1's LastResultsHash, and block H+1's
// signed header and validator set in CometBFT's JSON, encoded once.
type Block struct {
	chainID      string
	height       int64 // H, the proven block's
	results      []Result
	paths        []*merkle.Proof
	signedHeader json.RawMessage
	validators   json.RawMessage
}

// NewBlock gathers what the receipt proofs of block H share: H's results,
// block H+1's signed header and the validator set that signed it. It checks
// that the results are those the header commits to, so that a node never
// serves a proof that cannot verify.
func NewBlock(results []*abcitypes.ExecTxResult, sh *cmttypes.SignedHeader, vals *cmttypes.ValidatorSet) (*Block, error) {
	b := &Block{chainID: sh.ChainID, height: sh.Height - 1, results: make([]Result, len(results))}
	encoded := make([][]byte, len(results))
	for i, r := range results {
		b.results[i] = ResultOf(r)
		encoded[i] = b.results[i].bytes()
	}
	var root []byte
	root, b.paths = merkle.ProofsFromByteSlices(encoded)
	if !bytes.Equal(root, sh.LastResultsHash) {
		return nil, fmt.Errorf("proof: the results of block %d hash to %X; block %d's header commits to %X", b.height, root, sh.Height, sh.LastResultsHash)
	}
	var err error
	if b.signedHeader, err = cmtjson.Marshal(sh); err != nil {
		return nil, fmt.Errorf("proof: encoding the signed header: %w", err)
	}
	if b.validators, err = cmtjson.Marshal(vals); err != nil {
		return nil, fmt.Errorf("proof: encoding the validators: %w", err)
	}
	return b, nil
}

// Prove builds the receipt proof of leaf leaf of consensus transaction tx,
// whose leaves are tree's. It checks that they are those the result commits
// to. The proof shares its byte slices with b and tree: callers do not
// change it.
func (b *Block) Prove(tx int, tree *Tree, leaf int) (*Receipt, error) {
	if leaf < 0 || leaf >= len(tree.leaves) || tx < 0 || tx >= len(b.results) {
		return nil, fmt.Errorf("proof: leaf %d of %d, transaction %d of %d", leaf, len(tree.leaves), tx, len(b.results))
	}
	if res := b.results[tx]; !bytes.Equal(tree.root, res.Data) {
		return nil, fmt.Errorf("proof: the leaves of transaction %d hash to %X; its result's data is %X", tx, tree.root, res.Data)
	}
	return &Receipt{
		Version: Version, ChainID: b.chainID, Height: b.height,
		Leaf: tree.leaves[leaf], LeafPath: *tree.paths[leaf],
		Result: b.results[tx], ResultPath: *b.paths[tx],
		SignedHeader: b.signedHeader, Validators: b.validators,
	}, nil
}
