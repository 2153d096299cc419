package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cometbft/cometbft/mempool"

	"github.com/pegledger/peg/internal/api"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/store"
	"github.com/pegledger/peg/internal/tx"
)

// chain is the node as the API sees it.
type chain struct{ n *Node }

var _ api.Chain = chain{}

func (c chain) ChainID() string            { return c.n.Config.ChainID }
func (c chain) Region() ledger.Region      { return c.n.app.Region() }
func (c chain) Snapshot() *store.Snapshot  { return c.n.db.Snapshot() }
func (c chain) Committed() <-chan struct{} { return c.n.app.Committed() }

func (c chain) Submit(ctx context.Context, raw []byte) (ledger.Code, string, error) {
	res, err := c.n.rpc.BroadcastTxSync(ctx, raw)
	if errors.Is(err, mempool.ErrTxInCache) {
		return c.resubmitted(raw)
	}
	if err != nil {
		return 0, "", fmt.Errorf("node: submitting to the mempool: %w", err)
	}
	return ledger.Code(res.Code), res.Log, nil
}

func (c chain) Block(height int64) (*api.Block, error) {
	bs := c.n.comet.BlockStore()
	if height == 0 {
		height = bs.Height()
	}
	b := bs.LoadBlock(height)
	if b == nil {
		return nil, nil
	}
	out := &api.Block{Height: b.Height, Time: b.Time, Hash: b.Hash(), AppHash: b.AppHash,
		Proposer: b.ProposerAddress.String()}
	for _, t := range b.Txs {
		out.Txs = append(out.Txs, t)
	}
	return out, nil
}

// resubmitted answers a transaction the mempool has already seen: if a block
// included it, it is a replay; otherwise it is still pending, and submitting it
// again is harmless, so the caller may wait for it as for a new one.
func (c chain) resubmitted(raw []byte) (ledger.Code, string, error) {
	t, rej := tx.Parse(raw, c.n.Config.ChainID)
	if rej != nil {
		return rej.Code, rej.Message, nil
	}
	if rc := state.ReceiptByID(c.n.db, t.ID); rc != nil {
		return ledger.CodeReplayed, fmt.Sprintf("transaction %s is already in block %d", t.ID, rc.Height), nil
	}
	return ledger.OK, "already pending", nil
}

func (c chain) BlockEvents(height int64) ([]state.Event, error) {
	return c.n.app.BlockEvents(height), nil
}

func (c chain) BlockTime(height int64) (time.Time, bool, error) {
	m := c.n.comet.BlockStore().LoadBlockMeta(height)
	if m == nil {
		return time.Time{}, false, nil
	}
	return m.Header.Time, true, nil
}
