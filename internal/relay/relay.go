// Package relay carries cross-region transfers (S2.7): for each region of a
// network it lists the outbound transfers still pending, and for each one
// asks the payee's region what became of it. One it has not seen is
// delivered there, with the proof of the payment's receipt (transfer_in),
// after the token's contract if the payee's region lacks it
// (token_import); one it returned is refunded on the payer's region, with
// the proof of the return (transfer_refund). The relayer keeps no state of
// its own: every pass reads the chains afresh, so that it can be killed and
// restarted at any moment, and several may run at once. A chain refuses
// what another relayer already did (TRANSFER_DONE, TOKEN_EXISTS), which a
// relayer takes as done.
package relay

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
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
	// Workers is how many transfers a pass carries at once; 1 (the
	// default) carries them one after the other. Each waits for the block
	// that takes its transaction.
	Workers int
	// Delivered, if not nil, is called, from any worker, once a block of
	// the payee's region has accepted this relayer's transfer_in of
	// transfer t, the transaction in, which delivered the transfer or
	// returned it.
	Delivered func(t client.Transfer, in ledger.TxID)
}

// Relayer carries transfers between the regions of a network.
type Relayer struct {
	cfg     Config
	clients map[ledger.Region][]*client.Client
	metrics *metrics
	nonce   atomic.Uint64
	// delivered remembers, for this run only, the outbound transfers the
	// payee's region has delivered, which stay pending on the payer's
	// region: a pass asks about each once. A restart asks again.
	mu        sync.Mutex
	delivered map[ledger.CoinID]bool
	// creditDone remembers, for this run only, the cross-region credit
	// requests nothing is left to carry of (credit.go).
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
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	r := &Relayer{cfg: cfg, clients: make(map[ledger.Region][]*client.Client), metrics: newMetrics(cfg.Registry),
		delivered: make(map[ledger.CoinID]bool), creditDone: make(map[string]bool)}
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

// Pass carries every pending outbound transfer of every region one step:
// delivered, or refunded, or left for a later pass. It returns the errors
// of the regions it could not reach, having done what it could elsewhere.
func (r *Relayer) Pass(ctx context.Context) error {
	r.metrics.passes.Inc()
	var errs []error
	for _, reg := range r.cfg.Network.Regions {
		l, err := r.transfers(ctx, reg.Region)
		if err != nil {
			errs = append(errs, fmt.Errorf("region %s: %w", reg.Region, err))
			continue
		}
		homes := make(map[ledger.TokenID]ledger.Region, len(l.Books))
		for _, b := range l.Books {
			homes[b.Token] = b.Home
		}
		r.metrics.pending.WithLabelValues(string(reg.Region)).Set(float64(len(l.Transfers)))
		var mu sync.Mutex
		var wg sync.WaitGroup
		slots := make(chan struct{}, r.cfg.Workers)
		for _, t := range l.Transfers {
			r.mu.Lock()
			done := r.delivered[t.ID]
			r.mu.Unlock()
			if done {
				continue
			}
			slots <- struct{}{}
			wg.Go(func() {
				defer func() { <-slots }()
				if err := r.carry(ctx, t, homes[t.Token]); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("transfer %s from %s to %s: %w", t.ID, t.From, t.To, err))
					mu.Unlock()
				}
			})
		}
		wg.Wait()
	}
	errs = append(errs, r.creditPass(ctx))
	return errors.Join(errs...)
}

// carry moves one pending outbound transfer t a step.
func (r *Relayer) carry(ctx context.Context, t client.Transfer, home ledger.Region) error {
	var in *client.Transfer
	err := r.each(ctx, t.To, func(c *client.Client) (err error) { in, err = c.Transfer(ctx, t.ID, "in"); return })
	switch {
	case isCode(err, ledger.CodeTransferUnknown):
		return r.deliver(ctx, t, home)
	case err != nil:
		return err
	case in.Status == "returned":
		return r.refund(ctx, t, in)
	}
	r.mu.Lock()
	r.delivered[t.ID] = true // nothing is left to do
	r.mu.Unlock()
	return nil
}

func (r *Relayer) deliver(ctx context.Context, t client.Transfer, home ledger.Region) error {
	err := r.each(ctx, t.To, func(c *client.Client) error { _, err := c.Token(ctx, t.Token); return err })
	if isCode(err, ledger.CodeUnknownToken) {
		if err := r.ImportToken(ctx, t.Token, home, t.To); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	p, err := r.proof(ctx, t.From, t.Tx)
	if err != nil {
		return err
	}
	body := &txpb.Body{Msg: &txpb.Body_TransferIn{TransferIn: &txpb.TransferIn{Proof: p, Transfer: t.ID[:]}}}
	id, done, err := r.submit(ctx, t.To, "transfer_in", body)
	if err == nil && !done && r.cfg.Delivered != nil {
		r.cfg.Delivered(t, id)
	}
	return err
}

func (r *Relayer) refund(ctx context.Context, t client.Transfer, in *client.Transfer) error {
	p, err := r.proof(ctx, t.To, in.Tx)
	if err != nil {
		return err
	}
	body := &txpb.Body{Msg: &txpb.Body_TransferRefund{TransferRefund: &txpb.TransferRefund{Proof: p, Transfer: t.ID[:]}}}
	_, _, err = r.submit(ctx, t.From, "transfer_refund", body)
	return err
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
	body := &txpb.Body{Msg: &txpb.Body_TokenImport{TokenImport: &txpb.TokenImport{Proof: p, Contract: tx.DraftToProto(tok.Contract)}}}
	_, _, err = r.submit(ctx, to, "token_import", body)
	return err
}

// proof fetches the receipt proof of transaction id from region reg, as
// JSON; PROOF_NOT_YET until the next block is committed.
func (r *Relayer) proof(ctx context.Context, reg ledger.Region, id ledger.TxID) ([]byte, error) {
	var p *proof.Receipt
	if err := r.each(ctx, reg, func(c *client.Client) (err error) { p, err = c.TxProof(ctx, id); return }); err != nil {
		return nil, err
	}
	return json.Marshal(p)
}

// submit signs body for region reg's chain and waits for a block to take
// it; it returns the transaction's id. A refusal that says another relayer
// did it first is success, with done true.
func (r *Relayer) submit(ctx context.Context, reg ledger.Region, kind string, body *txpb.Body) (id ledger.TxID, done bool, err error) {
	region, _ := r.cfg.Network.Region(reg)
	var st *client.Status
	if err := r.each(ctx, reg, func(c *client.Client) (err error) { st, err = c.Status(ctx); return }); err != nil {
		return id, false, err
	}
	body.ChainId, body.Signer = region.ChainID, r.cfg.Signer.String()
	body.ExpiryHeight, body.Nonce = st.Height+r.cfg.ExpiryDelta, r.nonce.Add(1)
	raw, id, err := tx.Sign(body, r.cfg.Key)
	if err != nil {
		return id, false, err
	}
	err = r.each(ctx, reg, func(c *client.Client) error { _, err := c.Submit(ctx, raw, true); return err })
	switch {
	case err == nil:
		r.metrics.submitted.WithLabelValues(string(reg), kind, "OK").Inc()
		r.cfg.Log.Info("relayed", "kind", kind, "region", reg, "tx", id)
		return id, false, nil
	case isCode(err, ledger.CodeTransferDone), isCode(err, ledger.CodeTokenExists):
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

func (r *Relayer) transfers(ctx context.Context, reg ledger.Region) (*client.TransferList, error) {
	var l *client.TransferList
	err := r.each(ctx, reg, func(c *client.Client) (err error) { l, err = c.Transfers(ctx, "pending", "out"); return })
	return l, err
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
			Help: "Outbound transfers not refunded, by payer's region, at the last pass (delivered ones stay pending on the payer's region)."}, []string{"region"}),
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
