package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/tx"
)

// readyTimeout bounds the wait for the target's first committed block.
const readyTimeout = time.Minute

// maxRetryWait bounds the wait before a submission the node refused for
// want of room (503) is sent again. The node makes room when a block
// commits, so a refused submitter waits for the follower to see the next
// block; retrying sooner costs the node a request for nothing (with
// backoffs of 2 to 100 ms, 1.7 million refused payments in a 600,000-payment
// run).
const maxRetryWait = time.Second

// queryWorkers is how many requests the bench makes at once to read receipts
// and balances after the drain, when nothing is being measured.
const queryWorkers = 8

// runner holds what one run shares between its stages.
type runner struct {
	cfg      Config
	t        Target
	c        *client.Client
	w        *wire
	f        *follower
	s        *signer
	out      io.Writer
	tok      ledger.TokenID
	accounts []Signer
	// label starts the runner's progress lines: its region's, in a run
	// over regions.
	label string
}

func (r *runner) progress(format string, args ...any) {
	if r.out != nil {
		fmt.Fprintf(r.out, r.label+format+"\n", args...)
	}
}

// Run sets up the bench token and accounts on t, submits cfg.Payments
// payments and measures them. Progress lines go to progress, if not nil.
func Run(ctx context.Context, cfg Config, t Target, progress io.Writer) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Fees && t.Roles.Operator.Addr.IsZero() {
		return nil, fmt.Errorf("bench: a run with fees needs the operator's key to set the fee policy")
	}
	r := &runner{cfg: cfg, t: t, c: client.New(t.URL), w: newWire(t.URL, cfg.Workers), out: progress, tok: newTokenID()}
	defer r.w.close()
	st, err := r.ready(ctx)
	if err != nil {
		return nil, err
	}
	fctx, cancel := context.WithCancel(ctx)
	r.f = newFollower(r.c, int64(st.Height)+1)
	go r.f.run(fctx)
	stopFollowing := func() { cancel(); <-r.f.done }
	defer stopFollowing()
	r.s = &signer{chainID: st.ChainID, expiry: st.Height + st.Params.MaxExpiryDelta}
	r.accounts = make([]Signer, cfg.Accounts)
	for a := range r.accounts {
		r.accounts[a] = NewSigner(st.Region)
	}
	leaves, setup, err := r.setup(ctx, st)
	if err != nil {
		return nil, err
	}
	signStart := time.Now()
	pays, err := signPayments(r.s, r.tok, r.accounts, leaves, cfg.Mix, nil, 0)
	if err != nil {
		return nil, err
	}
	signTime := time.Since(signStart)
	r.progress("signed %d payments in %s; submitting", len(pays), signTime.Round(time.Millisecond))
	txs := make([]signed, len(pays))
	for i, p := range pays {
		txs[i] = p.signed
	}
	outs, err := r.load(ctx, txs)
	if err != nil {
		return nil, err
	}
	stopFollowing()
	res, err := r.measure(ctx, st, pays, outs, leaves)
	if err != nil {
		return nil, err
	}
	res.Setup = Setup{Seconds: setup.elapsed.Seconds(), Mints: setup.mints, FanOutPayments: setup.fanOut, FanOutLevels: setup.levels,
		SignSeconds: signTime.Seconds()}
	return res, nil
}

// load submits the bench payments and waits for their blocks, under the CPU
// profiler and the execution tracer if the configuration asks for them.
func (r *runner) load(ctx context.Context, txs []signed) ([]outcome, error) {
	if r.cfg.CPUProfile != nil {
		if err := pprof.StartCPUProfile(r.cfg.CPUProfile); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	if r.cfg.Trace != nil {
		if err := trace.Start(r.cfg.Trace); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		defer trace.Stop()
	}
	outs := r.submitAll(ctx, txs, r.cfg.Rate)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	admitted := make([]ledger.TxID, 0, len(txs))
	for i, o := range outs {
		if o.refused == nil {
			admitted = append(admitted, txs[i].id)
		}
	}
	r.progress("submitted %d payments (%d admitted); waiting up to %s for their blocks", len(txs), len(admitted), r.cfg.Drain)
	if _, err := r.f.await(ctx, admitted, time.Now().Add(r.cfg.Drain)); err != nil {
		return nil, err
	}
	return outs, nil
}

// ready waits for the target's first committed block.
func (r *runner) ready(ctx context.Context) (*client.Status, error) {
	deadline := time.Now().Add(readyTimeout)
	for {
		st, err := r.c.Status(ctx)
		if err == nil && st.Height > 0 {
			return st, nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = fmt.Errorf("the chain is at height %d", st.Height)
			}
			return nil, fmt.Errorf("bench: %s has no committed block after %s: %w", r.t.URL, readyTimeout, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// outcome is what became of one submission.
type outcome struct {
	start   time.Time // the first attempt
	lag     time.Duration
	retries int
	// refused is the API's refusal, or a made-up one named TRANSPORT_ERROR
	// for a request that got no answer; nil when admitted.
	refused *client.APIError
}

// submitAll submits txs with cfg.Workers submitters, cfg.Batch to a
// request, transaction i not before i/rate seconds from the start if
// rate > 0.
func (r *runner) submitAll(ctx context.Context, txs []signed, rate float64) []outcome {
	outs := make([]outcome, len(txs))
	var next atomic.Int64
	var wg sync.WaitGroup
	t0 := time.Now()
	runs := chunks(txs, r.cfg.Batch)
	for range min(r.cfg.Workers, len(runs)) {
		wg.Go(func() {
			for {
				k := int(next.Add(1) - 1)
				if k >= len(runs) {
					return
				}
				lo, hi := runs[k][0], runs[k][1]
				var due time.Time
				if rate > 0 {
					due = t0.Add(time.Duration(float64(lo) / rate * float64(time.Second)))
					select {
					case <-time.After(time.Until(due)):
					case <-ctx.Done():
					}
				}
				if ctx.Err() != nil {
					return // the run is abandoned: Run returns ctx's error
				}
				r.submitChunk(ctx, txs[lo:hi], outs[lo:hi])
				if rate > 0 {
					for i := lo; i < hi; i++ {
						outs[i].lag = outs[i].start.Sub(due)
					}
				}
			}
		})
	}
	wg.Wait()
	return outs
}

// chunks splits txs into the runs that submitAll sends a request each: at
// most n transactions, packing into no more than a batch holds
// (tx.MaxBatchSize). Payments of a few hundred bytes fill a request by
// count; the setup's fan-out payments, a few kilobytes each, by size.
func chunks(txs []signed, n int) [][2]int {
	var runs [][2]int
	for lo := 0; lo < len(txs); {
		hi, size := lo, 0
		for hi < len(txs) && hi-lo < n {
			b := tx.BatchEntrySize(txs[hi].raw)
			if hi > lo && size+b > tx.MaxBatchSize {
				break
			}
			size += b
			hi++
		}
		runs = append(runs, [2]int{lo, hi})
		lo = hi
	}
	return runs
}

// submitChunk submits txs in one request (or alone, for a batch of 1) until
// the node admits or refuses each, waiting out refusals for want of room.
func (r *runner) submitChunk(ctx context.Context, txs []signed, outs []outcome) {
	start := time.Now()
	raws := make([][]byte, len(txs))
	for i, t := range txs {
		raws[i] = t.raw
	}
	for retries := 0; ; retries++ {
		nextBlock := r.f.changes()
		answers, err := r.send(ctx, raws)
		if err != nil {
			for i := range outs {
				outs[i] = outcome{start: start, retries: retries, refused: &client.APIError{Name: "TRANSPORT_ERROR", Message: err.Error()}}
			}
			return
		}
		full := answers[0].status == http.StatusServiceUnavailable
		if !full || ctx.Err() != nil {
			for i, a := range answers {
				outs[i] = outcome{start: start, retries: retries, refused: a.err}
			}
			return
		}
		select {
		case <-ctx.Done():
		case <-nextBlock:
		case <-time.After(maxRetryWait):
		}
	}
}

// send makes one submission request: a single one for one transaction, a
// batch for more.
func (r *runner) send(ctx context.Context, raws [][]byte) ([]answer, error) {
	if len(raws) > 1 {
		return r.w.submitBatch(ctx, raws)
	}
	a, err := r.w.submit(ctx, raws[0])
	return []answer{a}, err
}

// receipts reads the receipts of ids, queryWorkers at a time; a nil receipt
// is a transaction no block included.
func (r *runner) receipts(ctx context.Context, ids []ledger.TxID) ([]*client.Receipt, error) {
	out := make([]*client.Receipt, len(ids))
	err := parallel(len(ids), func(i int) error {
		var err error
		out[i], err = r.w.receipt(ctx, ids[i])
		return err
	})
	return out, err
}

// parallel calls fn(0) … fn(n−1), queryWorkers at a time, and returns the
// first error.
func parallel(n int, fn func(i int) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, queryWorkers)
	for w := range errs {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || errs[w] != nil {
					return
				}
				errs[w] = fn(i)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// sample picks k of the indexes 0 … n−1 at random, in order; all of them if
// k ≥ n.
func sample(n, k int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	if k >= n {
		return idx
	}
	rand.Shuffle(n, func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
	idx = idx[:k]
	slices.Sort(idx)
	return idx
}
