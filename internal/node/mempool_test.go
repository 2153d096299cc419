package node

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// TestFullMempoolLosesNoAdmission floods a node whose mempool holds about
// sixteen batches with waves of forty at once. Some requests are refused
// whole (503, the mempool is full); every transaction the API answered
// pending must then be in a block. CometBFT drops a transaction whose room ran out while it was
// being checked, after the check answered OK; without chain.broadcast's
// ordering this test finds such transactions.
func TestFullMempoolLosesNoAdmission(t *testing.T) {
	home := nodeHome(t)
	op := newReplayKey("operator")
	g := state.Genesis{Operator: op.addr, Params: DefaultParams()}
	cfg := DefaultConfig(replayChain, "GB", replayFreeBase(t))
	cfg.Log.Level = "error"
	cfg.Mempool.MaxBytes = tx.MaxBatchSize
	// Blocks far apart, so that the batches arrive faster than blocks
	// empty the mempool.
	cfg.Consensus.TimeoutCommit = "2s"
	n := initAndStart(t, home, cfg, g)
	t.Cleanup(n.Stop)
	c := client.New(n.APIURL())
	ctx := context.Background()

	// Waves of batches, each sent as a block has emptied the mempool, so
	// that many checks start while there is room for only a few.
	const waves, batches, perBatch = 4, 40, 250
	expiry := n.Height() + 1000
	var (
		mu      sync.Mutex
		pending []ledger.TxID
		full    int
		wg      sync.WaitGroup
	)
	nonce := uint64(0)
	for w := range waves {
		wave := make([][][]byte, batches)
		for b := range wave {
			wave[b] = make([][]byte, perBatch)
			for i := range wave[b] {
				nonce++
				acct := newReplayKey(fmt.Sprint("account ", nonce)).addr
				raw, _, err := tx.Sign(&txpb.Body{ChainId: replayChain, ExpiryHeight: expiry, Signer: op.addr.String(), Nonce: nonce,
					Msg: &txpb.Body_RegisterAccount{RegisterAccount: &txpb.RegisterAccount{Account: acct.String()}}}, op.priv)
				if err != nil {
					t.Fatal(err)
				}
				wave[b][i] = raw
			}
		}
		for h := n.Height(); n.Height() == h; {
			time.Sleep(10 * time.Millisecond)
		}
		for b, raws := range wave {
			wg.Go(func() {
				items, err := c.SubmitBatch(ctx, raws, false)
				mu.Lock()
				defer mu.Unlock()
				var apiErr *client.APIError
				if errors.As(err, &apiErr) && apiErr.Status == http.StatusServiceUnavailable {
					full++
					return
				}
				if err != nil {
					t.Errorf("wave %d batch %d: %v", w, b, err)
					return
				}
				for _, it := range items {
					if it.Status != client.BatchPending {
						t.Errorf("wave %d batch %d: %+v, want pending", w, b, it)
						continue
					}
					pending = append(pending, it.TxID)
				}
			})
		}
		wg.Wait()
	}
	if full == 0 {
		t.Fatalf("no request was refused: a mempool of %d bytes was not overfilled", cfg.Mempool.MaxBytes)
	}
	t.Logf("%d of %d batches refused as the mempool was full; %d transactions pending", full, waves*batches, len(pending))
	deadline := time.Now().Add(2 * time.Minute)
	for _, id := range pending {
		for {
			rc, err := c.Tx(ctx, id)
			if err == nil && rc.Code == ledger.OK {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s was admitted but is in no block at height %d (%v)", id, n.Height(), err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}
