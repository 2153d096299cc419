package tx

import (
	"crypto/rand"
	"runtime"
	"sync"

	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"

	"github.com/pegledger/peg/internal/ledger"
)

// verifyOptions are the Ed25519 rules Peg verifies with: curve25519-voi's
// default (cofactored, canonical encodings, small-order points refused), which
// single and batch verification apply alike.
var verifyOptions = &voi.Options{Verify: voi.VerifyOptionsDefault}

// MinBatch is the smallest number of signatures worth a batch: below it,
// checking one by one is as fast.
const MinBatch = 8

// VerifyBatch checks the signatures of txs, spread over the machine's cores in
// batches, and returns each transaction's rejection (nil when every signature
// of it verifies). A batch that fails is checked entry by entry, so one bad
// signature rejects only its own transaction.
func VerifyBatch(txs []*Tx) []*ledger.Rejection {
	out := make([]*ledger.Rejection, len(txs))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(txs)/MinBatch))
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*len(txs)/workers, (w+1)*len(txs)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			verifyChunk(txs[lo:hi], out[lo:hi])
		}()
	}
	wg.Wait()
	return out
}

func verifyChunk(txs []*Tx, out []*ledger.Rejection) {
	if len(txs) < MinBatch {
		for i, t := range txs {
			out[i] = t.Verify()
		}
		return
	}
	bv := voi.NewBatchVerifierWithCapacity(len(txs))
	type entry struct{ tx, sig int }
	entries := make([]entry, 0, len(txs))
	for i, t := range txs {
		msg := SignBytes(t.ChainID, t.body)
		for j, s := range t.sigs {
			bv.AddWithOptions(voi.PublicKey(s.pub), msg, s.sig, verifyOptions)
			entries = append(entries, entry{i, j})
		}
	}
	ok, valid := bv.Verify(rand.Reader)
	if ok {
		return
	}
	for k, e := range entries {
		if !valid[k] && out[e.tx] == nil {
			out[e.tx] = badSignature(e.sig)
		}
	}
}
