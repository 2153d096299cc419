package node

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/proof"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// TestReceiptProof: a real single-validator node proves a committed
// receipt once the next block is committed (PROOF_NOT_YET before), and the
// proof verifies offline against the node's genesis file.
func TestReceiptProof(t *testing.T) {
	home := nodeHome(t)
	op := newReplayKey("operator")
	cfg := DefaultConfig(replayChain, "GB", replayFreeBase(t))
	cfg.Log.Level = "error"
	n := initAndStart(t, home, cfg, state.Genesis{Operator: op.addr, Params: DefaultParams()})
	defer n.Stop()
	c := client.New(n.APIURL())
	ctx := context.Background()
	acct := newReplayKey("account")
	raw, id, err := tx.Sign(&txpb.Body{ChainId: replayChain, ExpiryHeight: n.Height() + 100, Signer: op.addr.String(), Nonce: 1,
		Msg: &txpb.Body_RegisterAccount{RegisterAccount: &txpb.RegisterAccount{Account: acct.addr.String()}}}, op.priv)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Submit(ctx, raw, true)
	if err != nil || s.Receipt.Code != ledger.OK {
		t.Fatalf("registration: %v %+v", err, s)
	}
	var p *proof.Receipt
	for deadline := time.Now().Add(30 * time.Second); p == nil; {
		p, err = c.TxProof(ctx, id)
		var apiErr *client.APIError
		switch {
		case err == nil:
		case errors.As(err, &apiErr) && apiErr.Code == uint32(ledger.CodeProofNotYet) && apiErr.Status == 409:
			if time.Now().After(deadline) {
				t.Fatal("no proof 30 s after the transaction's block")
			}
			time.Sleep(100 * time.Millisecond)
		default:
			t.Fatal(err)
		}
		// Had the next block not been stored when the answer came, the
		// answer must have been PROOF_NOT_YET.
		if err == nil && n.comet.BlockStore().Height() <= int64(s.Receipt.Height) {
			t.Fatalf("a proof of block %d before block %d was stored", s.Receipt.Height, s.Receipt.Height+1)
		}
	}
	genesis, err := os.ReadFile(filepath.Join(home, "config", "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	trust, err := proof.LoadTrust(genesis)
	if err != nil {
		t.Fatal(err)
	}
	v, rej := proof.Verify(p, trust)
	if rej != nil {
		t.Fatalf("the node's proof does not verify: %v", rej)
	}
	if v.Leaf.TxID != id || v.Leaf.Kind != "register_account" || v.Leaf.Code != ledger.OK || v.Height != int64(s.Receipt.Height) ||
		len(v.Leaf.Events) != 1 || v.Leaf.Events[0].Attrs[0].Value != acct.addr.String() {
		t.Errorf("proven receipt %+v at height %d, want %s's registration of %s at %d", v.Leaf, v.Height, id, acct.addr, s.Receipt.Height)
	}
	if _, err := c.TxProof(ctx, ledger.TxID{1}); err == nil {
		t.Error("a proof of a transaction in no block")
	}
	_, err = c.CoinProof(ctx, ledger.NewCoinID(id, 0), id)
	if apiErr := (*client.APIError)(nil); !errors.As(err, &apiErr) || apiErr.Code != uint32(ledger.CodeProofNotCoin) {
		t.Errorf("the coin proof of a registration: %v, want PROOF_NOT_COIN", err)
	}
}
