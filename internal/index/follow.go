package index

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/sqldb"
	"github.com/pegledger/peg/internal/token"
)

// Limits of a follower.
const (
	// MaxBatchReceipts bounds the receipts one SQL transaction writes while
	// catching up. A commit writes each page the batch dirtied once, and
	// inserts keyed by hash or address dirty a page each until the batch
	// outgrows the index: the more receipts a batch, the more of them share
	// a page (100,000 index 8,900–9,400 receipts/s against 5,500–6,500/s
	// with 20,000 past half a million payments, BENCHMARKS.md "Index").
	// Fewer bound the memory a batch holds (about 2 KB
	// a receipt, and the next batch is read meanwhile) and the work a kill
	// throws away (some 10 s). A block is never split, so a batch holds at
	// least one.
	MaxBatchReceipts = 100_000
	// PageBlocks is how many blocks one read of the node asks for.
	PageBlocks = 100
	// DefaultPoll is how often a follower that has caught up asks the node
	// for new blocks.
	DefaultPoll = 200 * time.Millisecond
	// MaxRetry bounds the wait between attempts after the node or the
	// database failed.
	MaxRetry = 5 * time.Second
)

// Follower follows one node's chain into the index: it catches up from
// the block after the last it holds, then follows as blocks are committed.
// It is a client of the node's API and never slows consensus.
type Follower struct {
	Node *client.Client
	DB   *sqldb.DB
	Log  *slog.Logger
	// Poll is how often to ask for new blocks once caught up (DefaultPoll
	// when zero).
	Poll time.Duration
	// Batch bounds the receipts of one SQL transaction (MaxBatchReceipts
	// when zero).
	Batch int
}

// position is the last block the index holds of the chain.
type position struct {
	height int64
	hash   string
	txs    int
}

// Run follows until ctx ends (then it returns nil) or the node is refused
// (an error wrapping ErrRefused). A node or a database that fails is tried
// again, from what the database holds.
func (f *Follower) Run(ctx context.Context) error {
	retry := 100 * time.Millisecond
	for {
		err := f.follow(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, ErrRefused) {
			return err
		}
		f.Log.Warn("index: following failed; trying again", "node", f.Node.BaseURL(), "err", err, "in", retry)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(retry):
		}
		retry = min(2*retry, MaxRetry)
	}
}

// follow checks the node against the index, then writes its blocks until
// something fails.
func (f *Follower) follow(ctx context.Context) error {
	st, err := f.Node.Status(ctx)
	if err != nil {
		return err
	}
	w := NewWriter(f.DB, st.ChainID, st.Region, f.contract)
	held, err := w.Check(ctx, f.Node.BaseURL(), f.hashAt)
	if err != nil {
		return err
	}
	at := position{height: held.Height, hash: held.Hash}
	if at.height > 0 {
		if err := f.DB.QueryRowContext(ctx, `SELECT txs FROM blocks WHERE chain_id = $1 AND height = $2`, st.ChainID, at.height).Scan(&at.txs); err != nil {
			return fmt.Errorf("index: reading block %d of %s: %w", at.height, st.ChainID, err)
		}
	}
	f.Log.Info("index: following", "node", f.Node.BaseURL(), "chain", st.ChainID, "region", st.Region,
		"indexed", at.height, "node_height", st.Height)
	poll := cmpOr(f.Poll, DefaultPoll)
	limit := cmpOr(f.Batch, MaxBatchReceipts)
	// The next batch is read from the node while the last is written.
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan readBatch, 1)
	go f.prefetch(rctx, st.ChainID, at, limit, poll, batches)
	progress := time.Now()
	var written, receipts int64
	for {
		var rb readBatch
		select {
		case <-ctx.Done():
			return ctx.Err()
		case rb = <-batches:
		}
		if rb.err != nil {
			return rb.err
		}
		if len(rb.blocks) > 0 {
			if err := w.Write(ctx, rb.blocks); err != nil {
				return err
			}
			at.height = rb.blocks[len(rb.blocks)-1].Height
			written += int64(len(rb.blocks))
			for _, b := range rb.blocks {
				receipts += int64(len(b.Receipts))
			}
		}
		if since := time.Since(progress); since >= 10*time.Second || (at.height >= rb.head && written > 0) {
			f.Log.Info("index: indexed", "chain", st.ChainID, "height", at.height, "node_height", rb.head,
				"blocks", written, "receipts", receipts, "receipts_per_s", int64(float64(receipts)/since.Seconds()))
			progress, written, receipts = time.Now(), 0, 0
		}
	}
}

// readBatch is one read of the node: whole blocks and the node's head, or
// what failed.
type readBatch struct {
	blocks []*client.BlockReceipts
	head   int64
	err    error
}

// prefetch reads batches of blocks after at into out, one ahead of the
// writer, until ctx ends or a read fails (the failure is sent); once it
// has caught up with the node it asks again every poll.
func (f *Follower) prefetch(ctx context.Context, chainID string, at position, limit int, poll time.Duration, out chan<- readBatch) {
	for {
		blocks, head, err := f.read(ctx, chainID, at, limit)
		select {
		case out <- readBatch{blocks: blocks, head: head, err: err}:
		case <-ctx.Done():
			return
		}
		if err != nil {
			return
		}
		if len(blocks) > 0 {
			last := blocks[len(blocks)-1]
			at = position{height: last.Height, hash: last.Hash, txs: last.Txs}
		}
		if at.height < head {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(poll):
		}
	}
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// read gathers whole blocks after at, up to limit receipts (at least one
// block), and the node's head. Each read asks again for the block at
// at.height, without its receipts (from its last position), and refuses
// the node if its hash is not the one the index holds: a node rolled back
// or replaced under a running follower is caught at its next read.
func (f *Follower) read(ctx context.Context, chainID string, at position, limit int) ([]*client.BlockReceipts, int64, error) {
	from, index := at.height+1, 0
	if at.height > 0 {
		from, index = at.height, at.txs
	}
	var out []*client.BlockReceipts
	var part *client.BlockReceipts // a block read in parts, not yet whole
	n := 0
	for {
		page, err := f.Node.Blocks(ctx, from, index, PageBlocks)
		if err != nil {
			return nil, 0, err
		}
		for i := range page.Blocks {
			b := &page.Blocks[i]
			if b.Height == at.height {
				if b.Hash != at.hash {
					return nil, 0, fmt.Errorf("index: node %s now has block %d of chain %s with hash %s, but the index holds it with hash %s (rolled back or replaced): %w",
						f.Node.BaseURL(), b.Height, chainID, b.Hash, at.hash, ErrRefused)
				}
				continue
			}
			if part != nil {
				part.Receipts = append(part.Receipts, b.Receipts...)
				part.Events, part.EventsKept, part.NextIndex = b.Events, b.EventsKept, b.NextIndex
				b = part
			}
			if b.NextIndex > 0 {
				part = b
				continue
			}
			b.From, part = 0, nil
			out = append(out, b)
			n += len(b.Receipts)
		}
		if at.height > 0 && len(page.Blocks) == 0 && page.Head >= at.height {
			return nil, 0, fmt.Errorf("index: node %s answered no block %d of chain %s: %w", f.Node.BaseURL(), at.height, chainID, ErrRefused)
		}
		if at.height > page.Head {
			return nil, 0, fmt.Errorf("index: node %s is at height %d of chain %s, below the %d the index holds (rolled back): %w",
				f.Node.BaseURL(), page.Head, chainID, at.height, ErrRefused)
		}
		last := int64(0)
		if len(page.Blocks) > 0 {
			last = page.Blocks[len(page.Blocks)-1].Height
		}
		switch {
		case n >= limit && len(out) > 0:
			// Enough for one SQL transaction; a block begun is read again
			// whole next time.
			return out, page.Head, nil
		case part != nil:
			from, index = part.Height, part.NextIndex
		case last >= page.Head || len(page.Blocks) == 0:
			return out, page.Head, nil
		default:
			from, index = last+1, 0
		}
		at = position{} // the check is done
	}
}

// hashAt is the hash of the node's block at height, "" if it has none.
func (f *Follower) hashAt(ctx context.Context, height int64) (string, error) {
	b, err := f.Node.Block(ctx, height)
	var apiErr *client.APIError
	if errors.As(err, &apiErr) && apiErr.Name == "NOT_FOUND" {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return b.Hash, nil
}

// contract reads a token's contract from the node: what the index needs of
// it (decimals, ratio, currency).
func (f *Follower) contract(ctx context.Context, id ledger.TokenID) (token.Contract, error) {
	t, err := f.Node.Token(ctx, id)
	if err != nil {
		return token.Contract{}, err
	}
	r, err := token.ParseRatio(t.Contract.Ratio)
	if err != nil {
		return token.Contract{}, fmt.Errorf("index: token %s's ratio: %w", id, err)
	}
	cur, ok := token.LookupCurrency(t.Contract.Fiat.Currency)
	if !ok {
		return token.Contract{}, fmt.Errorf("index: token %s's currency %q is unknown", id, t.Contract.Fiat.Currency)
	}
	return token.Contract{ID: id, Decimals: t.Decimals, Ratio: r, Fiat: token.FiatAccount{Currency: cur}}, nil
}

// Lag is one chain as the index holds it against its node.
type Lag struct {
	ChainID string `json:"chain_id"`
	Region  string `json:"region"`
	Node    string `json:"node,omitempty"`
	Indexed int64  `json:"indexed"`
	Height  int64  `json:"node_height"`
	Lag     int64  `json:"lag"`
	Time    string `json:"time,omitempty"`
	Error   string `json:"error,omitempty"`
}

// Status lists each chain the index holds with how far behind its node it
// is; nodes whose chains the index does not hold yet are listed too.
func Status(ctx context.Context, db sqldb.Queryer, nodes []*client.Client) ([]Lag, error) {
	chains, err := Chains(ctx, db)
	if err != nil {
		return nil, err
	}
	out := make([]Lag, 0, len(chains))
	byChain := map[string]int{}
	for _, c := range chains {
		byChain[c.ChainID] = len(out)
		out = append(out, Lag{ChainID: c.ChainID, Region: c.Region, Indexed: c.Height,
			Time: time.Unix(0, c.TimeNS).UTC().Format(time.RFC3339)})
	}
	for _, n := range nodes {
		st, err := n.Status(ctx)
		if err != nil {
			out = append(out, Lag{Node: n.BaseURL(), Error: err.Error()})
			continue
		}
		i, ok := byChain[st.ChainID]
		if !ok {
			i = len(out)
			out = append(out, Lag{ChainID: st.ChainID, Region: string(st.Region)})
		}
		l := &out[i]
		l.Node, l.Height = n.BaseURL(), int64(st.Height)
		l.Lag = l.Height - l.Indexed
	}
	return out, nil
}
