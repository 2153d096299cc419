package abci

import (
	"github.com/pegledger/peg/internal/proof"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/tx"
)

// Leaves gathers the receipt leaves (proof.Leaf) of one consensus
// transaction, a single transaction or a batch, in the order its
// transactions wrote their receipts: its ExecTxResult's Data is their
// Merkle root, to which the next header's LastResultsHash commits, so that
// a receipt can be proven to anyone who trusts the validators
// (internal/proof). A transaction that left no receipt at this height (a
// replay, one whose signature failed) has no leaf. The leaves share one
// buffer, kept from one consensus transaction to the next.
type Leaves struct {
	buf  []byte
	ends []int
	hold [][]byte
}

// Add appends the leaf of t's receipt, if Deliver wrote one.
func (ls *Leaves) Add(t *tx.Tx, height uint64, res state.Result) {
	if !res.Recorded {
		return
	}
	l := proof.Leaf{TxID: t.ID, Height: height, Kind: t.Msg.Kind(), Signer: t.Signer, Code: res.Code, Events: res.Events}
	ls.buf = proof.AppendLeaf(ls.buf, &l)
	ls.ends = append(ls.ends, len(ls.buf))
}

// root returns the Merkle root of the leaves added since the last call,
// nil if there are none, and starts anew.
func (ls *Leaves) root() []byte {
	if len(ls.ends) == 0 {
		return nil
	}
	ls.hold = ls.hold[:0]
	start := 0
	for _, end := range ls.ends {
		ls.hold = append(ls.hold, ls.buf[start:end])
		start = end
	}
	r := proof.Root(ls.hold)
	ls.buf, ls.ends = ls.buf[:0], ls.ends[:0]
	clear(ls.hold)
	return r
}

// LeafOf is the leaf of a stored receipt: the bytes Leaves added for it
// when its block was executed.
func LeafOf(rc *state.Receipt) []byte {
	l := proof.Leaf{TxID: rc.TxID, Height: rc.Height, Kind: rc.Kind, Signer: rc.Signer, Code: rc.Code, Events: rc.Events}
	return proof.AppendLeaf(make([]byte, 0, proof.LeafSize(&l)), &l)
}

// BlockLeaves rebuilds, from the stored receipts r holds, the leaves of each
// consensus transaction of the committed block at height whose
// transactions are txs: the leaves FinalizeBlock gathered, so that a node
// can prove a receipt without keeping them. A transaction has a leaf if its
// receipt is of this height and this position in the block, counted as
// FinalizeBlock counts: every transaction of a consensus transaction, none
// of a batch whose envelope is refused.
func BlockLeaves(r state.Reader, height uint64, txs [][]byte) [][][]byte {
	out := make([][][]byte, len(txs))
	index := uint32(0)
	for i, raw := range txs {
		inner := [][]byte{raw}
		if tx.IsBatch(raw) {
			split, rej := tx.SplitBatch(raw)
			if rej != nil {
				continue
			}
			inner = split
		}
		for _, m := range inner {
			if id, rej := tx.PeekID(m); rej == nil {
				if rc := state.ReceiptByID(r, id); rc != nil && rc.Height == height && rc.Index == index {
					out[i] = append(out[i], LeafOf(rc))
				}
			}
			index++
		}
	}
	return out
}
