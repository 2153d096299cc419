// Package relay carries cross-region transfers (S2.7): for each region of a
// network it pages through the outbound transfers still pending, and for
// each one asks the payee's region what became of it. One it has not seen
// is delivered there, with the proof of the payment's receipt
// (transfer_in), after the token's contract if the payee's region lacks it
// (token_import); one it delivered is closed delivered on the payer's
// region, with the proof of the delivery (transfer_ack); one it returned
// is refunded there, with the proof of the return (transfer_refund). So
// every outbound transfer ends delivered or refunded on the payer's chain.
// The transactions a page needs on one region go in batches, many to a
// block. Before it carries a proof to a region whose trust in the proof's
// region rests on another validator set than the one that signed the
// proof, it moves that trust with the proof's signed header
// (region_update), so that a region whose validators change stays
// reachable without anyone running `peg region update`.
//
// The relayer keeps no record of its work: every pass reads the chains
// afresh, and the pending lists are the work, so that it can be killed and
// restarted at any moment, and several may run at once. (It remembers only
// which tokens a region is known to hold, which never changes.) A chain refuses
// what another relayer already did (TRANSFER_DONE, TOKEN_EXISTS,
// REGION_UPDATE_OLD), which a relayer takes as done.
package relay

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/network"
	"github.com/pegledger/peg/internal/proof"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// Config is what a relayer needs.
type Config struct {
	Network *network.Network
	// Key signs the relayer's transactions; Signer is its address. The
	// chains trust the proofs, not the signer.
	Key    ed25519.PrivateKey
	Signer ledger.Address
	// Interval is the pause between passes; MaxBackoff bounds the pause
	// after a pass that found a region down, which doubles from Interval.
	Interval, MaxBackoff time.Duration
	// ExpiryDelta is how many blocks past a chain's height its
	// transactions stay valid.
	ExpiryDelta uint64
	Log         *slog.Logger
	// Registry receives the relayer's metrics; nil registers none.
	Registry prometheus.Registerer
	// Workers is how many transfers a pass looks up at once (their
	// payee's record and the proof to carry), and how many batches it
	// submits to a region at once; 1 (the default) looks them up one after
	// the other. The transactions of Workers transfers go in batches while
	// the pass looks up the next ones.
	Workers int
	// PageSize is how many pending transfers a pass reads and carries at
	// a time (at most 1000, the API's largest page); 0 is 1000.
	PageSize int
	// MaxBatch bounds the transactions of one batch submitted to a
	// region; 0 is DefaultMaxBatch.
	MaxBatch int
	// Delivered, if not nil, is called, from any worker, once a block of
	// the payee's region has accepted this relayer's transfer_in of
	// transfer t, the transaction in, which delivered the transfer or
	// returned it.
	Delivered func(t client.Transfer, in ledger.TxID)
}

// DefaultMaxBatch is the default of Config.MaxBatch: a batch of proofs of a
// few kilobytes each stays far below tx.MaxBatchSize.
const DefaultMaxBatch = 64

// maxBatchBytes bounds the transactions of one batch in bytes, half a
// batch's limit, so that the batch's own encoding always fits.
const maxBatchBytes = tx.MaxBatchSize / 2

// Relayer carries transfers between the regions of a network.
type Relayer struct {
	cfg     Config
	clients map[ledger.Region][]*client.Client
	metrics *metrics
	nonce   atomic.Uint64
	// known holds the tokens each region is known to hold the contract
	// of: a fact that never changes, not a record of work done.
	known sync.Map
	// mu guards creditDone, which remembers, for this run only, the
	// cross-region credit requests nothing is left to carry of (credit.go).
	mu         sync.Mutex
	creditDone map[string]bool
}

// New returns a relayer of cfg's network.
func New(cfg Config) *Relayer {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.MaxBackoff < cfg.Interval {
		cfg.MaxBackoff = 30 * cfg.Interval
	}
	if cfg.ExpiryDelta == 0 {
		cfg.ExpiryDelta = 100
	}
	if cfg.Workers < 1 {
		cfg.Workers = 1
	}
	if cfg.PageSize < 1 || cfg.PageSize > 1000 {
		cfg.PageSize = 1000
	}
	if cfg.MaxBatch < 1 {
		cfg.MaxBatch = DefaultMaxBatch
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	r := &Relayer{cfg: cfg, clients: make(map[ledger.Region][]*client.Client), metrics: newMetrics(cfg.Registry),
		creditDone: make(map[string]bool)}
	for _, reg := range cfg.Network.Regions {
		for _, ep := range reg.Endpoints {
			r.clients[reg.Region] = append(r.clients[reg.Region], client.New(ep))
		}
	}
	r.nonce.Store(uint64(time.Now().UnixNano()))
	return r
}

// Run makes passes until ctx ends, backing off while a region is down.
func (r *Relayer) Run(ctx context.Context) error {
	wait := r.cfg.Interval
	for {
		if err := r.Pass(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			r.cfg.Log.Warn("relay pass incomplete; retrying", "err", err, "in", wait)
			wait = min(2*wait, r.cfg.MaxBackoff)
		} else {
			wait = r.cfg.Interval
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// Pass carries every pending outbound transfer of every region one step,
// the regions at once:
// delivered, acknowledged, refunded, or left for a later pass (a proof
// whose block is not followed by another yet). It returns the errors of
// the regions it could not reach, having done what it could elsewhere.
func (r *Relayer) Pass(ctx context.Context) error {
	r.metrics.passes.Inc()
	errs := make([]error, len(r.cfg.Network.Regions))
	var wg sync.WaitGroup
	for i, reg := range r.cfg.Network.Regions {
		wg.Go(func() {
			pending, err := r.passRegion(ctx, reg.Region)
			r.metrics.pending.WithLabelValues(string(reg.Region)).Set(float64(pending))
			if err != nil {
				errs[i] = fmt.Errorf("region %s: %w", reg.Region, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(append(errs, r.creditPass(ctx))...)
}

// passRegion pages through region reg's pending outbound transfers and
// carries each page; it returns how many it read.
func (r *Relayer) passRegion(ctx context.Context, reg ledger.Region) (int, error) {
	var errs []error
	n, cursor := 0, ""
	for {
		var l *client.TransferList
		q := client.TransferQuery{Status: "pending", Direction: "out", Limit: r.cfg.PageSize, Cursor: cursor}
		if err := r.each(ctx, reg, func(c *client.Client) (err error) { l, err = c.TransferPage(ctx, q); return }); err != nil {
			return n, errors.Join(append(errs, err)...)
		}
		n += len(l.Transfers)
		homes := make(map[ledger.TokenID]ledger.Region, len(l.Books))
		for _, b := range l.Books {
			homes[b.Token] = b.Home
		}
		if err := r.carry(ctx, l.Transfers, homes); err != nil {
			errs = append(errs, err)
		}
		if l.NextCursor == "" || ctx.Err() != nil {
			return n, errors.Join(errs...)
		}
		cursor = l.NextCursor
	}
}

// job is a transaction a pass submits to region to for transfer t: its
// kind, its body, and the proof it carries, of region from.
type job struct {
	kind     string
	t        client.Transfer
	to, from ledger.Region
	proof    *proof.Receipt
	body     *txpb.Body
}

// batchLinger is how long a job waits for others to share its batch: the
// jobs planned in that time go together, a full batch goes at once.
const batchLinger = 100 * time.Millisecond

// carry carries a page's pending outbound transfers: Workers planners find
// what each transfer needs while the jobs they make are gathered by region
// and submitted in batches, a batch when it is full or has lingered
// batchLinger, at most Workers batches waiting for their blocks at once.
func (r *Relayer) carry(ctx context.Context, ts []client.Transfer, homes map[ledger.TokenID]ledger.Region) error {
	var mu sync.Mutex
	var errs []error
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	jobs := r.planAll(ctx, ts, homes, fail)
	waiting := make(map[ledger.Region][]job)
	var submits sync.WaitGroup
	inFlight := make(chan struct{}, r.cfg.Workers)
	flush := func(to ledger.Region) {
		js := waiting[to]
		delete(waiting, to)
		inFlight <- struct{}{}
		submits.Go(func() {
			defer func() { <-inFlight }()
			if err := r.submitJobs(ctx, to, js); err != nil {
				fail(err)
			}
		})
	}
	tick := time.NewTicker(batchLinger)
	defer tick.Stop()
	for {
		select {
		case j, ok := <-jobs:
			if !ok {
				for _, to := range slices.Sorted(maps.Keys(waiting)) {
					flush(to)
				}
				submits.Wait()
				return errors.Join(errs...)
			}
			waiting[j.to] = append(waiting[j.to], j)
			if len(waiting[j.to]) >= r.cfg.MaxBatch {
				flush(j.to)
			}
		case <-tick.C:
			for _, to := range slices.Sorted(maps.Keys(waiting)) {
				flush(to)
			}
		}
	}
}

// planAll plans each of ts, Workers at a time, and sends the jobs it
// makes on the channel it returns, which it closes when all are planned;
// it gives fail the errors.
func (r *Relayer) planAll(ctx context.Context, ts []client.Transfer, homes map[ledger.TokenID]ledger.Region, fail func(error)) <-chan job {
	jobs := make(chan job)
	next := make(chan client.Transfer)
	var planners sync.WaitGroup
	for range r.cfg.Workers {
		planners.Go(func() {
			for t := range next {
				j, err := r.plan(ctx, t, homes[t.Token])
				switch {
				case err != nil:
					fail(fmt.Errorf("transfer %s from %s to %s: %w", t.ID, t.From, t.To, err))
				case j != nil:
					jobs <- *j
				}
			}
		})
	}
	go func() {
		for _, t := range ts {
			next <- t
		}
		close(next)
		planners.Wait()
		close(jobs)
	}()
	return jobs
}

// plan finds what pending outbound transfer t needs: a delivery if the
// payee's region has no record of it (its token imported there first if
// need be), an ack if it delivered it, a refund if it returned it; nil if
// the proof needs a block that is not committed yet.
func (r *Relayer) plan(ctx context.Context, t client.Transfer, home ledger.Region) (*job, error) {
	var in *client.Transfer
	err := r.each(ctx, t.To, func(c *client.Client) (err error) { in, err = c.Transfer(ctx, t.ID, "in"); return })
	switch {
	case isCode(err, ledger.CodeTransferUnknown):
		if err := r.ensureToken(ctx, t.Token, home, t.To); err != nil {
			return nil, err
		}
		return r.job(ctx, t, "transfer_in", t.To, t.From, t.Tx)
	case err != nil:
		return nil, err
	case in.Status == "returned":
		return r.job(ctx, t, "transfer_refund", t.From, t.To, in.Tx)
	}
	return r.job(ctx, t, "transfer_ack", t.From, t.To, in.Tx)
}

// job fetches the proof of transaction id from region from and makes the
// job of kind for region to; nil while the proof needs the next block.
func (r *Relayer) job(ctx context.Context, t client.Transfer, kind string, to, from ledger.Region, id ledger.TxID) (*job, error) {
	p, err := r.proof(ctx, from, id)
	if isCode(err, ledger.CodeProofNotYet) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	j := &job{kind: kind, t: t, to: to, from: from, proof: p}
	switch kind {
	case "transfer_in":
		j.body = &txpb.Body{Msg: &txpb.Body_TransferIn{TransferIn: &txpb.TransferIn{Proof: raw, Transfer: t.ID[:]}}}
	case "transfer_refund":
		j.body = &txpb.Body{Msg: &txpb.Body_TransferRefund{TransferRefund: &txpb.TransferRefund{Proof: raw, Transfer: t.ID[:]}}}
	default:
		j.body = &txpb.Body{Msg: &txpb.Body_TransferAck{TransferAck: &txpb.TransferAck{Proof: raw, Transfer: t.ID[:]}}}
	}
	return j, nil
}

// ensureToken imports token id on region to unless it knows it. A token
// a region knows stays known, so the answer is remembered.
func (r *Relayer) ensureToken(ctx context.Context, id ledger.TokenID, home, to ledger.Region) error {
	type regionToken struct {
		region ledger.Region
		token  ledger.TokenID
	}
	if _, ok := r.known.Load(regionToken{to, id}); ok {
		return nil
	}
	err := r.each(ctx, to, func(c *client.Client) error { _, err := c.Token(ctx, id); return err })
	if isCode(err, ledger.CodeUnknownToken) {
		err = r.ImportToken(ctx, id, home, to)
	}
	if err == nil {
		r.known.Store(regionToken{to, id}, true)
	}
	return err
}

// submitJobs moves region to's trust where the jobs' proofs need it, then
// submits the jobs in batches and waits for their blocks.
func (r *Relayer) submitJobs(ctx context.Context, to ledger.Region, jobs []job) error {
	var errs []error
	latest := make(map[ledger.Region]*proof.Receipt)
	for _, j := range jobs {
		if p := latest[j.from]; p == nil || j.proof.Height > p.Height {
			latest[j.from] = j.proof
		}
	}
	for _, from := range slices.Sorted(maps.Keys(latest)) {
		if err := r.follow(ctx, to, from, latest[from]); err != nil {
			errs = append(errs, err)
		}
	}
	expiry, err := r.expiry(ctx, to)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	batches, err := r.batches(to, expiry, jobs)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	slots := make(chan struct{}, r.cfg.Workers)
	for _, b := range batches {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			if err := r.submitBatch(ctx, to, b.jobs, b.raws); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// batch is jobs signed, raws, to go in one request.
type batch struct {
	jobs []job
	raws [][]byte
}

// batches signs jobs for region to and cuts them into batches of at most
// MaxBatch transactions and maxBatchBytes.
func (r *Relayer) batches(to ledger.Region, expiry uint64, jobs []job) ([]batch, error) {
	var out []batch
	var cur batch
	size := 0
	for _, j := range jobs {
		raw, _, err := r.sign(to, expiry, j.body)
		if err != nil {
			return nil, err
		}
		if len(cur.raws) == r.cfg.MaxBatch || (len(cur.raws) > 0 && size+len(raw) > maxBatchBytes) {
			out, cur, size = append(out, cur), batch{}, 0
		}
		cur.jobs, cur.raws, size = append(cur.jobs, j), append(cur.raws, raw), size+len(raw)
	}
	if len(cur.raws) > 0 {
		out = append(out, cur)
	}
	return out, nil
}

// submitBatch submits the signed jobs raws to region to in one request and
// waits for their blocks.
func (r *Relayer) submitBatch(ctx context.Context, to ledger.Region, jobs []job, raws [][]byte) error {
	var items []client.BatchItem
	if err := r.each(ctx, to, func(c *client.Client) (err error) { items, err = c.SubmitBatch(ctx, raws, true); return }); err != nil {
		return fmt.Errorf("batch of %d on %s: %w", len(raws), to, err)
	}
	var errs []error
	for i, it := range items {
		j := jobs[i]
		r.metrics.submitted.WithLabelValues(string(to), j.kind, it.Name).Inc()
		switch {
		case it.Status == client.BatchCommitted:
			r.cfg.Log.Info("relayed", "kind", j.kind, "region", to, "transfer", j.t.ID, "tx", it.TxID)
			if j.kind == "transfer_in" && r.cfg.Delivered != nil {
				r.cfg.Delivered(j.t, it.TxID)
			}
		case it.Status == client.BatchPending:
			r.cfg.Log.Debug("not in a block yet; the next pass looks again", "kind", j.kind, "region", to, "tx", it.TxID)
		case it.Code == uint32(ledger.CodeTransferDone):
			r.cfg.Log.Debug("already done by another relayer", "kind", j.kind, "region", to, "transfer", j.t.ID)
		default:
			errs = append(errs, fmt.Errorf("%s of transfer %s on %s: %s: %s", j.kind, j.t.ID, to, it.Name, it.Message))
		}
	}
	return errors.Join(errs...)
}

// follow moves region to's trust in region from to the validator set that
// signed p, with p's signed header (region_update), if to trusts another
// set on an older header. A refusal is logged, not returned: the proofs may
// still verify through the set to trusts, and the chain says so if not.
func (r *Relayer) follow(ctx context.Context, to, from ledger.Region, p *proof.Receipt) error {
	var sh struct {
		Header struct {
			Height         int64  `json:"height,string"`
			ValidatorsHash string `json:"validators_hash"`
		} `json:"header"`
	}
	if err := json.Unmarshal(p.SignedHeader, &sh); err != nil {
		return fmt.Errorf("the signed header of a proof of %s: %w", from, err)
	}
	var nt *client.NetworkTrust
	if err := r.each(ctx, to, func(c *client.Client) (err error) { nt, err = c.NetworkTrust(ctx); return }); err != nil {
		return err
	}
	for _, rt := range nt.Regions {
		if rt.Region != from || rt.ValidatorsHash == sh.Header.ValidatorsHash || uint64(sh.Header.Height) <= rt.Height {
			continue
		}
		body := &txpb.Body{Msg: &txpb.Body_RegionUpdate{RegionUpdate: &txpb.RegionUpdate{SignedHeader: p.SignedHeader, Validators: p.Validators}}}
		_, _, err := r.submit(ctx, to, "region_update", body)
		if err != nil {
			r.cfg.Log.Warn("could not move the trust", "region", to, "in", from, "err", err)
		} else {
			r.cfg.Log.Info("moved the trust", "region", to, "in", from, "height", sh.Header.Height, "validators", sh.Header.ValidatorsHash)
		}
	}
	return nil
}

// ImportToken records token id's contract, from its home region, on region
// to (token_import), and waits for the block that takes it; a token already
// there is no error.
func (r *Relayer) ImportToken(ctx context.Context, id ledger.TokenID, home, to ledger.Region) error {
	if home == "" || home == to {
		return fmt.Errorf("token %s has no home to import it from", id)
	}
	var tok *client.Token
	if err := r.each(ctx, home, func(c *client.Client) (err error) { tok, err = c.Token(ctx, id); return }); err != nil {
		return err
	}
	p, err := r.proof(ctx, home, tok.DeployTx)
	if err != nil {
		return err
	}
	if err := r.follow(ctx, to, home, p); err != nil {
		return err
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return err
	}
	body := &txpb.Body{Msg: &txpb.Body_TokenImport{TokenImport: &txpb.TokenImport{Proof: raw, Contract: tx.DraftToProto(tok.Contract)}}}
	_, _, err = r.submit(ctx, to, "token_import", body)
	return err
}

// proof fetches the receipt proof of transaction id from region reg;
// PROOF_NOT_YET until the next block is committed.
func (r *Relayer) proof(ctx context.Context, reg ledger.Region, id ledger.TxID) (*proof.Receipt, error) {
	var p *proof.Receipt
	err := r.each(ctx, reg, func(c *client.Client) (err error) { p, err = c.TxProof(ctx, id); return })
	return p, err
}

// expiry is the expiry height of transactions for region reg's chain: its
// height and ExpiryDelta more.
func (r *Relayer) expiry(ctx context.Context, reg ledger.Region) (uint64, error) {
	var st *client.Status
	if err := r.each(ctx, reg, func(c *client.Client) (err error) { st, err = c.Status(ctx); return }); err != nil {
		return 0, err
	}
	return st.Height + r.cfg.ExpiryDelta, nil
}

// sign signs body for region reg's chain.
func (r *Relayer) sign(reg ledger.Region, expiry uint64, body *txpb.Body) ([]byte, ledger.TxID, error) {
	region, _ := r.cfg.Network.Region(reg)
	body.ChainId, body.Signer = region.ChainID, r.cfg.Signer.String()
	body.ExpiryHeight, body.Nonce = expiry, r.nonce.Add(1)
	return tx.Sign(body, r.cfg.Key)
}

// submit signs body for region reg's chain and waits for a block to take
// it; it returns the transaction's id. A refusal that says another relayer
// did it first is success, with done true.
func (r *Relayer) submit(ctx context.Context, reg ledger.Region, kind string, body *txpb.Body) (id ledger.TxID, done bool, err error) {
	expiry, err := r.expiry(ctx, reg)
	if err != nil {
		return id, false, err
	}
	raw, id, err := r.sign(reg, expiry, body)
	if err != nil {
		return id, false, err
	}
	err = r.each(ctx, reg, func(c *client.Client) error { _, err := c.Submit(ctx, raw, true); return err })
	switch {
	case err == nil:
		r.metrics.submitted.WithLabelValues(string(reg), kind, "OK").Inc()
		r.cfg.Log.Info("relayed", "kind", kind, "region", reg, "tx", id)
		return id, false, nil
	case isCode(err, ledger.CodeTransferDone), isCode(err, ledger.CodeTokenExists), isCode(err, ledger.CodeRegionUpdateOld):
		r.metrics.submitted.WithLabelValues(string(reg), kind, ledger.Code(apiCode(err)).Name()).Inc()
		r.cfg.Log.Debug("already done by another relayer", "kind", kind, "region", reg, "tx", id, "err", err)
		return id, true, nil
	}
	if c := apiCode(err); c != 0 {
		r.metrics.submitted.WithLabelValues(string(reg), kind, ledger.Code(c).Name()).Inc()
	}
	return id, false, fmt.Errorf("%s on %s: %w", kind, reg, err)
}

// each calls fn with region reg's clients in turn until one answers: an
// API error is an answer, a transport error tries the next endpoint.
func (r *Relayer) each(ctx context.Context, reg ledger.Region, fn func(*client.Client) error) error {
	cs := r.clients[reg]
	if len(cs) == 0 {
		return fmt.Errorf("no endpoint of region %s", reg)
	}
	var err error
	for _, c := range cs {
		var apiErr *client.APIError
		if err = fn(c); err == nil || ctx.Err() != nil || (errors.As(err, &apiErr) && apiErr.Status != http.StatusServiceUnavailable) {
			return err
		}
	}
	r.metrics.unreachable.WithLabelValues(string(reg)).Inc()
	return err
}

func apiCode(err error) uint32 {
	var apiErr *client.APIError
	if errors.As(err, &apiErr) {
		return apiErr.Code
	}
	return 0
}

func isCode(err error, c ledger.Code) bool { return err != nil && apiCode(err) == uint32(c) }

// metrics are the relayer's Prometheus series.
type metrics struct {
	passes      prometheus.Counter
	pending     *prometheus.GaugeVec
	submitted   *prometheus.CounterVec
	unreachable *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		passes: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "peg", Subsystem: "relay", Name: "passes_total",
			Help: "Passes over every region's pending outbound transfers."}),
		pending: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "peg", Subsystem: "relay", Name: "pending_transfers",
			Help: "Outbound transfers pending (neither acknowledged delivered nor refunded), by payer's region, at the last pass."}, []string{"region"}),
		submitted: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "peg", Subsystem: "relay", Name: "submitted_total",
			Help: "Transactions the relayer submitted, by region, kind and result code name."}, []string{"region", "kind", "code"}),
		unreachable: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "peg", Subsystem: "relay", Name: "unreachable_total",
			Help: "Requests to a region that no endpoint answered."}, []string{"region"}),
	}
	if reg != nil {
		reg.MustRegister(m.passes, m.pending, m.submitted, m.unreachable)
	}
	return m
}
