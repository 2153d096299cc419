package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cometbft/cometbft/mempool"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/pegledger/peg/internal/abci"
	"github.com/pegledger/peg/internal/api"
	"github.com/pegledger/peg/internal/client"
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
func (c chain) Unspent() *state.Unspent    { return c.n.app.Unspent() }
func (c chain) Committed() <-chan struct{} { return c.n.app.Committed() }

func (c chain) Submit(ctx context.Context, raw []byte) (ledger.Code, string, error) {
	res, err := c.broadcast(ctx, raw)
	if errors.Is(err, mempool.ErrTxInCache) {
		return c.resubmitted(raw)
	}
	if err != nil {
		return 0, "", fmt.Errorf("node: submitting to the mempool: %w", err)
	}
	return ledger.Code(res.Code), res.Log, nil
}

// broadcast offers raw to the mempool and returns its check's answer. CometBFT
// tests the mempool's room before a check and again after it, when it adds
// the transaction, and drops one that fails the second test though the check
// answered OK: offers that wait on one another for the check pass the first
// test together and overfill the second. The API's offers therefore go one at
// a time (the check is one at a time anyway; parsing and signatures were done
// before, by Prepare), so an OK means the transaction is in the mempool. A
// node with peers can still lose that race to a transaction gossiped in at
// the same moment; the client then sees its transaction expire unincluded.
func (c chain) broadcast(ctx context.Context, raw []byte) (*coretypes.ResultBroadcastTx, error) {
	c.n.offering.Lock()
	defer c.n.offering.Unlock()
	return c.n.rpc.BroadcastTxSync(ctx, raw)
}

// Room refuses a batch of raws at once if the mempool, or the admission
// cache that keeps its transactions parsed and verified (abci.App.Room), has
// no room for it, before its signatures are verified for nothing: under
// overload most requests are refused, and each verification costs as much as
// admitting. It is only a first test: the mempool's own, in broadcast,
// decides.
func (c chain) Room(raws [][]byte) error {
	size := 0
	for _, r := range raws {
		size += len(r)
	}
	mp := c.n.comet.Mempool()
	if n, b := mp.Size(), mp.SizeBytes(); n >= MempoolSize || b+int64(size) > c.n.Config.Mempool.MaxBytes {
		return mempool.ErrMempoolIsFull{NumTxs: n, MaxTxs: MempoolSize, TxsBytes: b, MaxTxsBytes: c.n.Config.Mempool.MaxBytes}
	}
	if ok, held := c.n.app.Room(len(raws)); !ok {
		return fmt.Errorf("node: %d transactions wait for blocks, parsed and verified; %d more would pass the most the node keeps ready (%d)",
			held, len(raws), abci.MaxVerified)
	}
	return nil
}

// MaxBatchRounds bounds how many times SubmitBatch offers a batch: each round
// after the first drops the transactions the one before refused, so a round
// is refused again only if the committed state moved in between.
const MaxBatchRounds = 4

// SubmitBatch packs raws into one batch and offers it to the mempool. It
// first parses them and verifies their signatures itself, in this request's
// goroutine (abci.App.Prepare), and answers for those refused there. A batch
// is admitted whole or refused whole, with each transaction's own result; the
// refused ones are dropped and the rest offered again.
func (c chain) SubmitBatch(ctx context.Context, raws [][]byte) ([]api.Admission, error) {
	out := make([]api.Admission, len(raws))
	if err := c.Room(raws); err != nil {
		return nil, err
	}
	prep, err := c.n.app.Prepare(ctx, raws)
	if err != nil {
		return nil, fmt.Errorf("node: waiting to prepare a batch: %w", err)
	}
	var todo []int // indexes into raws still to admit
	for i, rej := range prep.Rejections {
		if rej != nil {
			out[i] = api.Admission{Code: rej.Code, Log: rej.Message}
			continue
		}
		todo = append(todo, i)
	}
	for round := 0; len(todo) > 0; round++ {
		if round == MaxBatchRounds {
			for _, i := range todo {
				out[i] = api.Admission{Code: ledger.CodeBatchRejected,
					Log: fmt.Sprintf("not admitted after %d rounds: the committed state kept changing under the batch", MaxBatchRounds)}
			}
			break
		}
		env, err := prep.Batch(todo)
		if err != nil {
			return nil, err
		}
		res, err := c.broadcast(ctx, env)
		if err != nil {
			if !errors.Is(err, mempool.ErrTxInCache) {
				prep.Withdraw(env) // not in the mempool: no block will take it from the cache
			}
			return nil, fmt.Errorf("node: submitting a batch to the mempool: %w", err)
		}
		if ledger.Code(res.Code) != ledger.CodeBatchRejected {
			for _, i := range todo {
				out[i] = api.Admission{Code: ledger.Code(res.Code), Log: res.Log}
			}
			break
		}
		results, err := abci.DecodeBatchResults(res.Data, len(todo))
		if err != nil {
			return nil, err
		}
		var again []int
		for k, i := range todo {
			if results[k].Code == ledger.OK {
				again = append(again, i)
			} else {
				out[i] = api.Admission{Code: results[k].Code, Log: results[k].Log}
			}
		}
		todo = again
	}
	return out, nil
}

// Block reads a block's header from its meta, and its transactions from the
// app's listing of recent blocks (abci.App.Listing), or else from the block
// itself in the block store.
func (c chain) Block(height int64) (*api.Block, error) {
	bs := c.n.comet.BlockStore()
	if height == 0 {
		height = bs.Height()
	}
	m := bs.LoadBlockMeta(height)
	if m == nil {
		return nil, nil
	}
	out := &api.Block{Height: m.Header.Height, Time: m.Header.Time, Hash: m.BlockID.Hash, AppHash: m.Header.AppHash,
		Proposer: m.Header.ProposerAddress.String()}
	if listed, ok := c.n.app.Listing(height); ok {
		out.Txs = listed
		return out, nil
	}
	b := bs.LoadBlock(height)
	if b == nil {
		return nil, nil
	}
	out.Txs = make([]tx.Listing, 0, len(b.Txs))
	for _, raw := range b.Txs {
		out.Txs = tx.AppendListings(out.Txs, raw)
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

// BlockEvents gives a committed block's own events: from the app's memory
// for a recent block, else from the consensus engine's stored result of
// the block (its FinalizeBlock response, whose events are these).
func (c chain) BlockEvents(height int64) ([]state.Event, error) {
	if es, ok := c.n.app.BlockEvents(height); ok {
		return es, nil
	}
	res, err := c.n.rpc.BlockResults(context.Background(), &height)
	if err != nil {
		return nil, fmt.Errorf("node: the results of block %d: %w", height, err)
	}
	var out []state.Event
	for _, e := range res.FinalizeBlockEvents {
		ev := state.Event{Type: e.Type}
		for _, at := range e.Attributes {
			ev.Attrs = append(ev.Attrs, ledger.Attr{Key: at.Key, Value: at.Value})
		}
		out = append(out, ev)
	}
	return out, nil
}

func (c chain) BlockTime(height int64) (time.Time, bool, error) {
	m := c.n.comet.BlockStore().LoadBlockMeta(height)
	if m == nil {
		return time.Time{}, false, nil
	}
	return m.Header.Time, true, nil
}

// Signing reads the commit for block height−1 that block height carries
// (its LastCommit, the same on every node) and weighs its signatures
// against that block's validator set.
func (c chain) Signing(ctx context.Context, height int64) (client.Signing, bool, error) {
	if height < 2 {
		return client.Signing{}, false, nil
	}
	commit := c.n.comet.BlockStore().LoadBlockCommit(height - 1)
	if commit == nil {
		return client.Signing{}, false, nil
	}
	vals, err := c.validators(ctx, height-1)
	if err != nil {
		return client.Signing{}, false, err
	}
	if len(commit.Signatures) != vals.Size() {
		return client.Signing{}, false, fmt.Errorf("node: the commit for block %d has %d signatures for %d validators", height-1, len(commit.Signatures), vals.Size())
	}
	out := client.Signing{Height: height - 1, TotalPower: vals.TotalVotingPower(), Validators: vals.Size()}
	for i, sig := range commit.Signatures {
		if sig.BlockIDFlag == cmttypes.BlockIDFlagCommit {
			out.SignedPower += vals.Validators[i].VotingPower
			out.Signed++
		}
	}
	return out, true, nil
}
