package proof

import (
	"fmt"
	"testing"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/pegledger/peg/internal/ledger"
)

// batchLeaves is the receipt leaves of a batch of n payments with change.
func batchLeaves(n int) [][]byte {
	leaves := make([][]byte, n)
	for i := range leaves {
		leaves[i] = AppendLeaf(nil, payLeaf(byte(i), ledger.OK))
		leaves[i][1], leaves[i][2] = byte(i), byte(i>>8) // a distinct tx id
	}
	return leaves
}

// BenchmarkProve is what a node spends serving the receipt proofs of a
// block whose second consensus transaction is a batch of 500 payments (as
// `peg bench` sends them; a cross-region payment is one of them), signed by
// four validators. One op is one proof. "make" builds each proof alone
// (Make: every leaf's path, the results' paths and the header's and
// validators' JSON each time); "block" builds the Block and the batch's
// Tree once for the 500 proofs, as a node does for the receipts of the
// blocks it proved last. The RPC reads of the block, its results and the
// next commit, which a node also does once a block, are not counted.
func BenchmarkProve(b *testing.B) {
	c := newChain(b, testChain, nil, nil)
	leaves := batchLeaves(500)
	c.results[1].Data = Root(leaves)
	c.sh.LastResultsHash = cmttypes.NewResults(c.results).Hash()
	b.Run("make", func(b *testing.B) {
		for i := range b.N {
			if _, err := Make(Parts{Leaves: leaves, Leaf: i % len(leaves), Results: c.results, Tx: 1, SignedHeader: c.sh, Validators: c.vals}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("block", func(b *testing.B) {
		var block *Block
		var tree *Tree
		for i := range b.N {
			if i%len(leaves) == 0 {
				var err error
				if block, err = NewBlock(c.results, c.sh, c.vals); err != nil {
					b.Fatal(err)
				}
				tree = NewTree(leaves)
			}
			if _, err := block.Prove(1, tree, i%len(leaves)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkVerify is what a chain spends verifying another region's receipt
// proof of a payment, signed by one validator (a region as `peg up
// --regions` and `peg bench --regions` run them) and by four, received as
// JSON. "fresh" is Verify: decoding the CometBFT JSON, the header and
// commit checks, the commit's signatures, the paths and the leaf; "cached"
// is Cache.Verify of a proof whose signed header verified before, what a
// node pays for the other receipts of a block and for a transaction it
// checked when it entered the mempool: the hash of the header's and
// validators' bytes and the trusted set, the paths and the leaf.
func BenchmarkVerify(b *testing.B) {
	for _, n := range []int{1, 4} {
		vals, pvs := cmttypes.RandValidatorSet(n, 10)
		c := newChain(b, testChain, vals, pvs)
		p, err := Make(Parts{Leaves: c.leaves, Leaf: 0, Results: c.results, Tx: 1, SignedHeader: c.sh, Validators: c.vals})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("fresh/%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if _, rej := Verify(p, c.trust()); rej != nil {
					b.Fatal(rej)
				}
			}
		})
		b.Run(fmt.Sprintf("cached/%d", n), func(b *testing.B) {
			cache := NewCache()
			if _, rej := cache.Verify(p, c.trust()); rej != nil {
				b.Fatal(rej)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, rej := cache.Verify(p, c.trust()); rej != nil {
					b.Fatal(rej)
				}
			}
		})
	}
}
