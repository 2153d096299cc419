package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/network"
	"github.com/pegledger/peg/internal/node"
	"github.com/pegledger/peg/internal/ports"
	"github.com/pegledger/peg/internal/relay"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// RegionCodes are the regions StartRegions builds, in order: the first N.
// The first is the bench token's home.
var RegionCodes = []ledger.Region{"GB", "HK", "SG", "DE"}

// Limits of a run over regions, checked by RegionsConfig.Validate.
const (
	// MaxRelayInterval bounds the relayer's pause between passes.
	MaxRelayInterval = 10 * time.Second
	// DefaultRelayWorkers is how many transfers the relayer carries at
	// once by default: each waits for its block, so that the relayer
	// carries about this many a block.
	DefaultRelayWorkers = 64
	// DefaultRelayInterval is the relayer's default pause between passes,
	// a fraction of a block.
	DefaultRelayInterval = 20 * time.Millisecond
)

// LocalRegions is a network of single-validator regions, one chain each,
// run in this process from one temporary home, every region's genesis
// recording the network (node.InitRegions).
type LocalRegions struct {
	Home string
	// Regions are the regions' networks, in the order of RegionCodes.
	Regions []*Local
	// Network is the network file's content, for the relayer and the
	// audit.
	Network *network.Network
}

// StartRegions creates the first n of RegionCodes, each a fresh
// single-validator chain with its own roles (as StartLocal makes one) under
// a new temporary directory (under dir, or the system's if empty), and
// starts them. The caller must Close it.
func StartRegions(dir string, n int, log *slog.Logger) (*LocalRegions, error) {
	if n < 1 || n > len(RegionCodes) {
		return nil, fmt.Errorf("bench: %d regions: want 1 to %d", n, len(RegionCodes))
	}
	home, err := os.MkdirTemp(dir, "peg-bench-regions-")
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	l := &LocalRegions{Home: home}
	fail := func(err error) (*LocalRegions, error) {
		l.stop()
		os.RemoveAll(home)
		return nil, err
	}
	base, err := ports.Block(n * nodePorts)
	if err != nil {
		return fail(err)
	}
	homes := make([]node.RegionHome, n)
	endpoints := make(map[ledger.Region][]string, n)
	for i, r := range RegionCodes[:n] {
		code := strings.ToLower(string(r))
		loc := &Local{Home: filepath.Join(home, code), Roles: newRoles(r)}
		cfg := node.DefaultConfig(localChainID+"-"+code, r, base+i*nodePorts)
		cfg.Moniker = code
		homes[i] = node.RegionHome{Home: loc.Home, Config: cfg, Genesis: loc.Roles.genesis()}
		endpoints[r] = []string{"http://" + cfg.API.Listen}
		l.Regions = append(l.Regions, loc)
	}
	regions, err := node.InitRegions(homes)
	if err != nil {
		return fail(err)
	}
	b, err := network.Encode(regions, endpoints)
	if err != nil {
		return fail(err)
	}
	if l.Network, err = network.Parse(b); err != nil {
		return fail(err)
	}
	for i, loc := range l.Regions {
		if loc.Node, err = node.Start(loc.Home, log.With("region", string(RegionCodes[i]))); err != nil {
			return fail(err)
		}
	}
	return l, nil
}

// Targets are the regions as a run's targets, in order.
func (l *LocalRegions) Targets() []Target {
	ts := make([]Target, len(l.Regions))
	for i, loc := range l.Regions {
		ts[i] = loc.Target()
	}
	return ts
}

// Close stops the nodes and, unless keep, removes the home.
func (l *LocalRegions) Close(keep bool) error {
	l.stop()
	if keep {
		return nil
	}
	return os.RemoveAll(l.Home)
}

// stop stops the nodes started.
func (l *LocalRegions) stop() {
	for _, loc := range slices.Backward(l.Regions) {
		if loc.Node != nil {
			loc.Node.Stop()
		}
	}
}

// RegionsConfig is a run over the regions of a network (RunRegions).
type RegionsConfig struct {
	// Config applies to each region: Accounts are each region's, Payments
	// and Rate the network's, shared evenly between the regions. Fees is
	// not supported.
	Config
	// Cross is the fraction of each region's payments, 0 to 1, whose payee
	// is an account of the next region (the last region's, of the first):
	// spread evenly, as the ones with change are.
	Cross float64 `json:"cross"`
	// RelayWorkers is how many transfers the in-process relayer carries at
	// once (relay.Config.Workers).
	RelayWorkers int `json:"relay_workers"`
	// RelayInterval is the relayer's pause between passes.
	RelayInterval time.Duration `json:"relay_interval"`
}

// DefaultRegionsConfig is DefaultConfig with no cross-region payments and
// the relayer's defaults.
func DefaultRegionsConfig() RegionsConfig {
	return RegionsConfig{Config: DefaultConfig(), RelayWorkers: DefaultRelayWorkers, RelayInterval: DefaultRelayInterval}
}

// Validate checks every field against its limit.
func (c RegionsConfig) Validate() error {
	errs := []error{c.Config.Validate()}
	if c.Fees {
		errs = append(errs, errors.New("bench: fees are not supported across regions"))
	}
	if math.IsNaN(c.Cross) || c.Cross < 0 || c.Cross > 1 {
		errs = append(errs, fmt.Errorf("bench: cross %v: want a fraction from 0 to 1", c.Cross))
	}
	if c.RelayWorkers < 1 || c.RelayWorkers > MaxWorkers {
		errs = append(errs, fmt.Errorf("bench: relay workers %d: want 1 to %d", c.RelayWorkers, MaxWorkers))
	}
	if c.RelayInterval <= 0 || c.RelayInterval > MaxRelayInterval {
		errs = append(errs, fmt.Errorf("bench: relay interval %s: want more than 0 and at most %s", c.RelayInterval, MaxRelayInterval))
	}
	return errors.Join(errs...)
}

// deliveries are the transfers the relayer has delivered, as it reports
// them. A transfer_in makes the payee's coin its first output.
type deliveries struct {
	mu      sync.Mutex
	in      map[ledger.CoinID]ledger.TxID // transfer → its transfer_in
	changed chan struct{}                 // closed and replaced at each delivery
}

func newDeliveries() *deliveries {
	return &deliveries{in: make(map[ledger.CoinID]ledger.TxID), changed: make(chan struct{})}
}

// add is the relayer's relay.Config.Delivered.
func (d *deliveries) add(t client.Transfer, in ledger.TxID) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.in[t.ID] = in
	close(d.changed)
	d.changed = make(chan struct{})
}

// get returns transfer id's transfer_in, if delivered.
func (d *deliveries) get(id ledger.CoinID) (ledger.TxID, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	in, ok := d.in[id]
	return in, ok
}

// await waits until every transfer of ids is delivered, or until deadline;
// it returns how many are not.
func (d *deliveries) await(ctx context.Context, ids []ledger.CoinID, deadline time.Time) (int, error) {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		d.mu.Lock()
		missing := 0
		for _, id := range ids {
			if _, ok := d.in[id]; !ok {
				missing++
			}
		}
		changed := d.changed
		d.mu.Unlock()
		if missing == 0 {
			return 0, nil
		}
		select {
		case <-changed:
		case <-timer.C:
			return missing, nil
		case <-ctx.Done():
			return missing, ctx.Err()
		}
	}
}

// regionRun is one region's part of a run.
type regionRun struct {
	*runner
	st     *client.Status
	leaves [][]bundle
	pays   []payment
	outs   []outcome
}

// transferOf is the cross-region transfer payment p makes: its payee's
// output, the first, as the coin it would have been here.
func transferOf(p payment) ledger.CoinID { return ledger.NewCoinID(p.id, 0) }

// RunRegions runs the bench over the regions of network n, ts[i] being
// region n.Regions[i]'s API and roles: the token deployed and minted in the
// first region, imported into the others, accounts funded in every region,
// and each region's payments submitted at once, a cfg.Cross fraction of
// them to a payee of the next region, which an in-process relayer
// (internal/relay) delivers. Progress lines go to progress, if not nil.
func RunRegions(ctx context.Context, cfg RegionsConfig, ts []Target, n *network.Network, progress io.Writer) (*RegionsResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(ts) < 2 || len(ts) != len(n.Regions) {
		return nil, fmt.Errorf("bench: %d targets for a network of %d regions: want one for each, at least 2", len(ts), len(n.Regions))
	}
	tok := newTokenID()
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rs := make([]*regionRun, len(ts))
	defer func() {
		cancel()
		for _, r := range rs {
			if r != nil {
				r.w.close()
				if r.f != nil {
					<-r.f.done
				}
			}
		}
	}()
	for i, t := range ts {
		r := &regionRun{runner: &runner{cfg: cfg.Config, t: t, c: client.New(t.URL), w: newWire(t.URL, cfg.Workers), out: progress, tok: tok}}
		rs[i] = r
		var err error
		if r.st, err = r.ready(ctx); err != nil {
			return nil, err
		}
		if r.st.Region != n.Regions[i].Region || r.st.ChainID != n.Regions[i].ChainID {
			return nil, fmt.Errorf("bench: %s is chain %s of region %s, not the network's region %d, %s of chain %s", t.URL,
				r.st.ChainID, r.st.Region, i, n.Regions[i].Region, n.Regions[i].ChainID)
		}
		r.label = string(r.st.Region) + ": "
		r.f = newFollower(r.c, int64(r.st.Height)+1)
		go r.f.run(fctx)
		r.s = &signer{chainID: r.st.ChainID, expiry: r.st.Height + r.st.Params.MaxExpiryDelta}
		r.accounts = make([]Signer, cfg.Accounts)
		for a := range r.accounts {
			r.accounts[a] = NewSigner(r.st.Region)
		}
	}
	dl := newDeliveries()
	key := NewSigner(rs[0].st.Region)
	rel := relay.New(relay.Config{Network: n, Key: key.Priv, Signer: key.Addr, Interval: cfg.RelayInterval,
		MaxBackoff: cfg.RelayInterval, Workers: cfg.RelayWorkers, Delivered: dl.add})
	relayDone := make(chan struct{})
	go func() {
		defer close(relayDone)
		rel.Run(fctx)
	}()
	defer func() { cancel(); <-relayDone }()

	start := time.Now()
	setup, err := fundRegions(ctx, rs, rel, dl)
	if err != nil {
		return nil, err
	}
	setup.Seconds = time.Since(start).Seconds()
	signStart := time.Now()
	for i, r := range rs {
		next := rs[(i+1)%len(rs)]
		if r.pays, err = signPayments(r.s, tok, r.accounts, r.leaves, cfg.Mix, next.accounts, cfg.Cross); err != nil {
			return nil, err
		}
	}
	setup.SignSeconds = time.Since(signStart).Seconds()
	rs[0].progress("signed the payments in %s; submitting", time.Since(signStart).Round(time.Millisecond))
	if err := loadRegions(ctx, cfg, rs, dl); err != nil {
		return nil, err
	}
	res, err := measureRegions(ctx, cfg, rs, dl, n)
	if err != nil {
		return nil, err
	}
	res.Setup = setup
	return res, nil
}

// fundRegions deploys the token in the first region and funds every
// region's accounts with their leaves: the first region's by mints and
// fan-out, the others' by a transfer each from a key of the first region
// (minted there, sent, delivered by the relayer after the token's import)
// and fan-out in their own region.
func fundRegions(ctx context.Context, rs []*regionRun, rel *relay.Relayer, dl *deliveries) (Setup, error) {
	var setup Setup
	home := rs[0]
	perRegion := shares(home.cfg.Payments, len(rs))
	if err := home.deploy(ctx, home.st, home.cfg.Payments, 0); err != nil {
		return setup, err
	}
	// The first region's accounts, then a sender's coin for each account of
	// the others.
	owners := slices.Clone(home.accounts)
	share := shares(perRegion[0], len(home.accounts))
	sender := NewSigner(home.st.Region)
	type remote struct{ region, account int }
	var remotes []remote
	for i, r := range rs[1:] {
		for a, k := range shares(perRegion[i+1], len(r.accounts)) {
			if k > 0 {
				remotes = append(remotes, remote{i + 1, a})
				owners = append(owners, sender)
				share = append(share, k)
			}
		}
	}
	held, mints, err := home.mints(owners, share)
	if err != nil {
		return setup, err
	}
	setup.Mints = len(mints)
	if err := home.stage(ctx, "mint to each account, and for each account of the other regions", mints); err != nil {
		return setup, err
	}
	var stats setupStats
	if home.leaves, err = home.fanOutAll(ctx, held[:len(home.accounts)], &stats); err != nil {
		return setup, err
	}
	for _, r := range rs[1:] {
		if err := rel.ImportToken(ctx, home.tok, home.st.Region, r.st.Region); err != nil {
			return setup, fmt.Errorf("bench: setup: importing %s into %s: %w", home.tok, r.st.Region, err)
		}
		home.progress("setup: %s imported into %s", home.tok, r.st.Region)
	}
	sends, err := home.s.signAll(len(remotes), func(k int) (*txpb.Body, Signer) {
		b := held[len(home.accounts)+k][0]
		to := rs[remotes[k].region].accounts[remotes[k].account]
		return &txpb.Body{Msg: &txpb.Body_Pay{Pay: &txpb.Pay{Token: string(home.tok), Inputs: [][]byte{b.coin[:]},
			Outputs: []*txpb.Output{{Owner: to.Addr.String(), Amount: leafAmount(b.leaves)}}}}}, sender
	})
	if err != nil {
		return setup, err
	}
	if err := home.stage(ctx, "send each account of the other regions its coin", sends); err != nil {
		return setup, err
	}
	ids := make([]ledger.CoinID, len(sends))
	for k, s := range sends {
		ids[k] = ledger.NewCoinID(s.id, 0)
	}
	if missing, err := dl.await(ctx, ids, time.Now().Add(stageTimeout)); err != nil {
		return setup, err
	} else if missing > 0 {
		return setup, fmt.Errorf("bench: setup: %d of %d transfers to the other regions not delivered after %s", missing, len(ids), stageTimeout)
	}
	home.progress("setup: %d transfers delivered to the other regions", len(ids))
	for _, r := range rs[1:] {
		r.leaves = make([][]bundle, len(r.accounts))
	}
	for k, rm := range remotes {
		in, _ := dl.get(ids[k])
		rs[rm.region].leaves[rm.account] = []bundle{{coin: ledger.NewCoinID(in, 0), leaves: held[len(home.accounts)+k][0].leaves}}
	}
	for _, r := range rs[1:] {
		if r.leaves, err = r.fanOutAll(ctx, r.leaves, &stats); err != nil {
			return setup, err
		}
	}
	setup.FanOutPayments, setup.FanOutLevels = stats.fanOut, stats.levels
	return setup, nil
}

// loadRegions submits every region's payments at once, each region at its
// share of the rate, and waits for their blocks, then for the cross-region
// ones' deliveries, under the CPU profiler if the configuration asks for it.
func loadRegions(ctx context.Context, cfg RegionsConfig, rs []*regionRun, dl *deliveries) error {
	if cfg.CPUProfile != nil {
		if err := pprof.StartCPUProfile(cfg.CPUProfile); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	var wg sync.WaitGroup
	errs := make([]error, len(rs))
	for i, r := range rs {
		wg.Go(func() {
			txs := make([]signed, len(r.pays))
			for k, p := range r.pays {
				txs[k] = p.signed
			}
			r.outs = r.submitAll(ctx, txs, cfg.Rate/float64(len(rs)))
			if errs[i] = ctx.Err(); errs[i] != nil {
				return
			}
			var admitted []ledger.TxID
			for k, o := range r.outs {
				if o.refused == nil {
					admitted = append(admitted, txs[k].id)
				}
			}
			r.progress("submitted %d payments (%d admitted); waiting up to %s for their blocks", len(txs), len(admitted), cfg.Drain)
			_, errs[i] = r.f.await(ctx, admitted, time.Now().Add(cfg.Drain))
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	var cross []ledger.CoinID
	for _, r := range rs {
		for k, p := range r.pays {
			if p.cross && r.outs[k].refused == nil && r.f.height(p.id) != 0 {
				cross = append(cross, transferOf(p))
			}
		}
	}
	rs[0].progress("waiting up to %s for %d cross-region payments' deliveries", cfg.Drain, len(cross))
	_, err := dl.await(ctx, cross, time.Now().Add(cfg.Drain))
	return err
}
