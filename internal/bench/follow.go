package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
)

// seenBlock is a committed block as the follower saw it.
type seenBlock struct {
	Height int64
	// Seen is when the follower first saw the status at or above Height:
	// the block's commit time as a client observes it.
	Seen time.Time
	Txs  []ledger.TxID
}

// follower reads every committed block from the height it starts at, and
// records when it saw each and which transactions it holds.
type follower struct {
	c *client.Client

	mu      sync.Mutex
	next    int64 // the next height to read
	blocks  map[int64]*seenBlock
	at      map[ledger.TxID]int64 // height of each transaction seen
	changed chan struct{}         // closed and replaced after each block read
	err     error                 // why the follower stopped
	done    chan struct{}         // closed when run returns
}

func newFollower(c *client.Client, from int64) *follower {
	return &follower{c: c, next: from, blocks: make(map[int64]*seenBlock), at: make(map[ledger.TxID]int64),
		changed: make(chan struct{}), done: make(chan struct{})}
}

// run follows the chain until ctx ends or a request fails, then closes done.
func (f *follower) run(ctx context.Context) {
	defer close(f.done)
	tick := time.NewTicker(FollowInterval)
	defer tick.Stop()
	for {
		err := f.poll(ctx)
		if err == nil {
			select {
			case <-tick.C:
				continue
			case <-ctx.Done():
				err = ctx.Err()
			}
		}
		f.mu.Lock()
		f.err = err
		close(f.changed)
		f.mu.Unlock()
		return
	}
}

// poll reads the blocks committed since the last poll.
func (f *follower) poll(ctx context.Context) error {
	st, err := f.c.Status(ctx)
	if err != nil {
		return fmt.Errorf("bench: following the chain: %w", err)
	}
	seen := time.Now()
	for h := f.next; h <= int64(st.Height); h++ {
		b, err := f.c.Block(ctx, h)
		if err != nil {
			return fmt.Errorf("bench: following the chain: block %d: %w", h, err)
		}
		sb := &seenBlock{Height: h, Seen: seen, Txs: make([]ledger.TxID, len(b.Txs))}
		for i, t := range b.Txs {
			sb.Txs[i] = t.ID
		}
		f.mu.Lock()
		f.blocks[h] = sb
		for _, id := range sb.Txs {
			if _, dup := f.at[id]; !dup {
				f.at[id] = h
			}
		}
		f.next = h + 1
		close(f.changed)
		f.changed = make(chan struct{})
		f.mu.Unlock()
	}
	return nil
}

// changes returns a channel closed once the follower has read another block
// or stopped; nil once it has stopped, so that a wait on it is not cut short
// again and again.
func (f *follower) changes() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil
	}
	return f.changed
}

// errFollowerStopped is returned by waits on a follower that has stopped.
var errFollowerStopped = errors.New("bench: the follower stopped")

// await waits until every id in ids is in a block the follower has read, or
// until deadline; it returns how many are not.
func (f *follower) await(ctx context.Context, ids []ledger.TxID, deadline time.Time) (int, error) {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	// Each block read is looked at once, not every pending id after each
	// block: a deep mempool leaves hundreds of thousands pending.
	f.mu.Lock()
	pending := make(map[ledger.TxID]bool, len(ids))
	for _, id := range ids {
		if _, ok := f.at[id]; !ok {
			pending[id] = true
		}
	}
	read := f.next // the blocks below it are accounted for
	f.mu.Unlock()
	for {
		f.mu.Lock()
		for ; read < f.next; read++ {
			for _, id := range f.blocks[read].Txs {
				delete(pending, id)
			}
		}
		changed, err := f.changed, f.err
		f.mu.Unlock()
		if len(pending) == 0 {
			return 0, nil
		}
		if err != nil {
			return len(pending), fmt.Errorf("%w: %w", errFollowerStopped, err)
		}
		select {
		case <-changed:
		case <-timer.C:
			return len(pending), nil
		case <-ctx.Done():
			return len(pending), ctx.Err()
		}
	}
}

// height is the height of the block that included id, 0 if none has.
func (f *follower) height(id ledger.TxID) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.at[id]
}

// block returns the block at height h, nil if the follower has not read it.
func (f *follower) block(h int64) *seenBlock {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.blocks[h]
}
