package node

import (
	"context"
	"reflect"
	"testing"
	"time"

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
	stopped = true
	n = restart(t, n, home)
	if _, ok := n.app.Listing(before[0].Height); ok {
		t.Fatal("a restarted node lists blocks it did not commit itself")
	}
	after := blocks(n)[:len(before)]
	if !reflect.DeepEqual(before, after) {
		t.Errorf("blocks listed from memory:\n%+v\nfrom the store:\n%+v", before, after)
	}
}

// TestBlockEventsAfterRestart: a block's own events (a reserve gone STALE
// at the end of a block) read the same from the app's memory and, after a
// restart, from the consensus engine's stored block results.
func TestBlockEventsAfterRestart(t *testing.T) {
	home := nodeHome(t)
	op, issuer, attestor := newReplayKey("operator"), newReplayKey("issuer"), newReplayKey("attestor")
	cfg := DefaultConfig(replayChain, "GB", replayFreeBase(t))
	cfg.Log.Level = "error"
	cfg.Consensus.EmptyBlocksInterval = "1s"
	n := initAndStart(t, home, cfg, state.Genesis{Operator: op.addr, Issuers: []ledger.Address{issuer.addr}, Params: DefaultParams()})
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			n.Stop()
		}
	})
	submit := submitter(t, n)
	d := gbptDraft(issuer, attestor, newReplayKey("minter"))
	d.Reserve.StalenessWindow = "1m"
	submit(issuer, func(b *txpb.Body) {
		b.Msg = &txpb.Body_DeployToken{DeployToken: &txpb.DeployToken{Contract: tx.DraftToProto(d)}}
	})
	// A balance read 55 s ago: stale within seconds, at the end of a block.
	submit(attestor, func(b *txpb.Body) {
		b.Msg = &txpb.Body_Attest{Attest: &txpb.Attest{Token: "gbpt", Account: d.Fiat.Account, Currency: "GBP",
			Balance: "100000000", BalanceType: "ClosingBooked", BankTime: time.Now().Add(-55 * time.Second).Unix(),
			RawHash: make([]byte, 32), Source: "test"}}
	})
	var stale int64
	var want []state.Event
	deadline := time.Now().Add(30 * time.Second)
	for stale == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no block turned the reserve STALE within 30 s")
		}
		time.Sleep(200 * time.Millisecond)
		for h := int64(1); h <= int64(n.Height()); h++ {
			es, err := chain{n}.BlockEvents(h)
			if err != nil {
				t.Fatal(err)
			}
			if len(es) > 0 {
				stale, want = h, es
			}
		}
	}
	if want[0].Type != "reserve.status" || len(want) != 1 {
		t.Fatalf("block %d's events: %+v, want one reserve.status", stale, want)
	}
	stopped = true
	n = restart(t, n, home)
	if _, held := n.app.BlockEvents(stale); held {
		t.Fatal("a restarted node holds the events of a block it did not commit itself")
	}
	for h := int64(1); h <= int64(n.Height()); h++ {
		got, err := chain{n}.BlockEvents(h)
		if err != nil {
			t.Fatalf("block %d: %v", h, err)
		}
		if h == stale && !reflect.DeepEqual(got, want) {
			t.Errorf("block %d's events after the restart: %+v, want %+v", h, got, want)
		}
		if h != stale && len(got) > 0 {
			t.Errorf("block %d has events %+v, only block %d had", h, got, stale)
		}
	}
	page, err := client.New(n.APIURL()).Blocks(context.Background(), stale, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if b := page.Blocks[0]; b.Height != stale || !b.EventsKept || len(b.Events) != 1 || b.Events[0].Type != "reserve.status" {
		t.Errorf("GET /v1/blocks?from=%d after the restart: block %d, events %+v, kept %v; want the reserve.status", stale, b.Height, b.Events, b.EventsKept)
	}
}
