package node

import (
	"context"
	"log/slog"
	"reflect"
	"testing"

	"github.com/pegledger/peg/internal/api"
	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// TestBlockListing: a block reads the same whether its transactions are
// listed from what the app parsed (recent blocks) or from the block store
// (after a restart, the app has none in memory).
func TestBlockListing(t *testing.T) {
	home := nodeHome(t)
	op := newReplayKey("operator")
	cfg := DefaultConfig(replayChain, "GB", replayFreeBase(t))
	cfg.Log.Level = "error"
	n := initAndStart(t, home, cfg, state.Genesis{Operator: op.addr, Params: DefaultParams()})
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			n.Stop()
		}
	})
	c := client.New(n.APIURL())
	ids := map[ledger.TxID]bool{}
	for i := range 3 {
		acct := newReplayKey("account " + string(rune('a'+i)))
		raw, id, err := tx.Sign(&txpb.Body{ChainId: replayChain, ExpiryHeight: n.Height() + 100, Signer: op.addr.String(),
			Nonce: uint64(i + 1), Msg: &txpb.Body_RegisterAccount{RegisterAccount: &txpb.RegisterAccount{Account: acct.addr.String()}}}, op.priv)
		if err != nil {
			t.Fatal(err)
		}
		if s, err := c.Submit(context.Background(), raw, true); err != nil || s.Receipt.Code != ledger.OK {
			t.Fatalf("registration %d: %v %+v", i, err, s)
		}
		ids[id] = true
	}
	blocks := func(n *Node) []*api.Block {
		var out []*api.Block
		for h := int64(1); h <= int64(n.Height()); h++ {
			b, err := chain{n}.Block(h)
			if err != nil || b == nil {
				t.Fatalf("block %d: %v %v", h, b, err)
			}
			out = append(out, b)
		}
		return out
	}
	before := blocks(n)
	for _, b := range before {
		if _, ok := n.app.Listing(b.Height); !ok {
			t.Errorf("block %d is not listed in memory", b.Height)
		}
		for _, l := range b.Txs {
			if !ids[l.ID] || l.Kind != "register_account" || l.Malformed {
				t.Errorf("block %d lists %+v", b.Height, l)
			}
			delete(ids, l.ID)
		}
	}
	if len(ids) > 0 {
		t.Errorf("%d registrations are in no block", len(ids))
	}
	n.Stop()
	stopped = true

	n, err := Start(home, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	if _, ok := n.app.Listing(before[0].Height); ok {
		t.Fatal("a restarted node lists blocks it did not commit itself")
	}
	after := blocks(n)[:len(before)]
	if !reflect.DeepEqual(before, after) {
		t.Errorf("blocks listed from memory:\n%+v\nfrom the store:\n%+v", before, after)
	}
}
