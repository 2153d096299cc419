// Package gateway owns the front processor (S2.1, S2.3, S2.6): a stateless
// HTTP server in front of a network's regions, any number of them per region.
// It serves the node API's submit endpoints, so that terminals, the CLI, the
// Go client and `peg bench` submit through it unchanged: it decodes each
// transaction and verifies its signatures with the chain id of its signer's
// home region (the region is inside every address) and forwards it to that
// region only if they hold, so that junk never reaches a region. Reads that
// name an account go to the account's region, a transaction by id to each
// region in turn, other reads to the gateway's home region. It checks every region's health about once a second and
// answers REGION_DOWN at once for a region that does not answer, rather than
// hanging. Its regions and their endpoints come from the network file
// (internal/network), which it reloads on request (SIGHUP for `peg gateway`).
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httputil"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pegledger/peg/internal/api"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/network"
	pegregion "github.com/pegledger/peg/internal/region"
)

// Defaults and limits of a gateway.
const (
	// DefaultHealthInterval is how often every region's health is checked.
	DefaultHealthInterval = time.Second
	// DefaultHealthTimeout bounds one endpoint's health check.
	DefaultHealthTimeout = 2 * time.Second
	// ForwardTimeout bounds one forwarded request: a submission that
	// waits for its block waits up to api.DefaultWait at the region.
	ForwardTimeout = api.DefaultWait + 5*time.Second
	// DialTimeout bounds connecting to a region's endpoint, so that a
	// forward to an endpoint that went away fails fast.
	DialTimeout = 2 * time.Second
)

// GCPercent is the garbage collector's target (GOGC) for a process that is
// a gateway and nothing else (`peg gateway`, unless GOGC is set): a gateway
// keeps little live memory, the requests it is verifying, so that at Go's
// default of 100 it collected every few megabytes and spent a tenth of its
// CPU on it (BENCHMARKS.md, "Gateway"). Its heap then grows to five times
// what is live, some tens of megabytes under full load.
const GCPercent = 400

// Aliases let a gateway resolve phone and ID numbers (S2.2) through the
// alias directories: the platform's alias key, which front processors hold
// with registrars and which never reaches a chain, and the routing table,
// which says whose region's directory holds a number.
type Aliases struct {
	Key    pegregion.Key
	Routes *pegregion.Table
}

// Config configures a gateway.
type Config struct {
	Network *network.Network
	// Home is the region that answers the reads naming no account (status,
	// tokens, blocks, transactions by id); zero means the first region of
	// the network file at New. It must be in every network the gateway
	// loads.
	Home ledger.Region
	// Aliases, if set, resolve phone and ID numbers; nil routes by address
	// only.
	Aliases        *Aliases
	HealthInterval time.Duration // zero: DefaultHealthInterval
	HealthTimeout  time.Duration // zero: DefaultHealthTimeout
	RoomBackoff    time.Duration // zero: RoomBackoff
	// Registry receives the gateway's metrics; nil registers none.
	Registry prometheus.Registerer
	Log      *slog.Logger
}

// Gateway is a running front processor.
type Gateway struct {
	cfg     Config
	log     *slog.Logger
	metrics *metrics
	proxy   *httputil.ReverseProxy
	ctx     context.Context // New's: bounds the checks that failed forwards start

	mu      sync.RWMutex
	regions map[ledger.Region]*region
	order   []ledger.Region // as the network file lists them
	home    ledger.Region
}

// New checks every region of cfg.Network once and returns the gateway. Run
// keeps the checks going; ctx bounds every check, those Run makes and
// those a failed forward starts.
func New(ctx context.Context, cfg Config) (*Gateway, error) {
	if cfg.Network == nil {
		return nil, errors.New("gateway: no network")
	}
	if cfg.HealthInterval <= 0 {
		cfg.HealthInterval = DefaultHealthInterval
	}
	if cfg.HealthTimeout <= 0 {
		cfg.HealthTimeout = DefaultHealthTimeout
	}
	if cfg.RoomBackoff <= 0 {
		cfg.RoomBackoff = RoomBackoff
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Home == "" {
		cfg.Home = cfg.Network.Regions[0].Region
	}
	g := &Gateway{cfg: cfg, log: cfg.Log, metrics: newMetrics(cfg.Registry), ctx: ctx}
	g.proxy = g.newProxy()
	if err := g.Reload(ctx, cfg.Network); err != nil {
		return nil, err
	}
	return g, nil
}

// Reload replaces the gateway's regions by those of n. A region whose
// chain id and endpoints are unchanged keeps its health; the others are
// checked before the new table takes effect. n must hold the home region.
func (g *Gateway) Reload(ctx context.Context, n *network.Network) error {
	home := g.cfg.Home
	if _, ok := n.Region(home); !ok {
		return fmt.Errorf("gateway: the network has no region %s, the gateway's home region", home)
	}
	g.mu.RLock()
	old := g.regions
	g.mu.RUnlock()
	regions := make(map[ledger.Region]*region, len(n.Regions))
	order := make([]ledger.Region, len(n.Regions))
	var fresh []*region
	for i, r := range n.Regions {
		order[i] = r.Region
		if o, ok := old[r.Region]; ok && o.chainID == r.ChainID && slices.Equal(o.endpoints, r.Endpoints) {
			regions[r.Region] = o
			continue
		}
		nr := newRegion(r, time.Now())
		regions[r.Region] = nr
		fresh = append(fresh, nr)
	}
	g.checkAll(ctx, fresh)
	g.mu.Lock()
	g.regions, g.order, g.home = regions, order, home
	g.mu.Unlock()
	g.log.Info("gateway: network loaded", "regions", fmt.Sprint(order), "home", home)
	return nil
}

// ReloadFile loads the network file at path and reloads it; a file that
// does not load leaves the gateway as it was.
func (g *Gateway) ReloadFile(ctx context.Context, path string) error {
	n, err := network.Load(path)
	if err != nil {
		return err
	}
	return g.Reload(ctx, n)
}

// ReloadOn reloads the network file at path at every value of signals
// (SIGHUP), logging why a reload was refused, until ctx ends.
func (g *Gateway) ReloadOn(ctx context.Context, path string, signals <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-signals:
			if err := g.ReloadFile(ctx, path); err != nil {
				g.metrics.reloads.WithLabelValues("refused").Inc()
				g.log.Error("gateway: reload refused; keeping the network loaded before", "file", path, "err", err)
				continue
			}
			g.metrics.reloads.WithLabelValues("ok").Inc()
		}
	}
}

// Run checks every region's health each HealthInterval until ctx ends.
func (g *Gateway) Run(ctx context.Context) {
	t := time.NewTicker(g.cfg.HealthInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			g.mu.RLock()
			all := make([]*region, 0, len(g.regions))
			for _, c := range g.order {
				all = append(all, g.regions[c])
			}
			g.mu.RUnlock()
			g.checkAll(ctx, all)
		}
	}
}

// checkAll checks regions in parallel and records what each check found.
func (g *Gateway) checkAll(ctx context.Context, regions []*region) {
	var wg sync.WaitGroup
	for _, r := range regions {
		wg.Go(func() {
			h := r.check(ctx, g.cfg.HealthTimeout)
			if ctx.Err() != nil {
				return
			}
			if r.set(h, time.Now()) {
				g.logChange(r, h)
			}
			up := 0.0
			if h.up {
				up = 1
			}
			g.metrics.up.WithLabelValues(string(r.code)).Set(up)
		})
	}
	wg.Wait()
}

func (g *Gateway) logChange(r *region, h health) {
	if h.up {
		g.log.Info("gateway: region up", "region", r.code, "chain", r.chainID, "endpoint", r.endpoints[h.endpoint])
		return
	}
	g.log.Warn("gateway: region down", "region", r.code, "chain", r.chainID, "reason", h.reason)
}

// failed records that a forward to rg's endpoint failed with err: the
// region is down until a check finds an endpoint that answers, and one
// starts now rather than at the next tick, so that the next endpoint takes
// over at once. It returns the rejection to answer.
func (g *Gateway) failed(rg *region, endpoint string, err error) *ledger.Rejection {
	rej := rg.fail(endpoint, err, time.Now())
	g.log.Warn("gateway: forward failed", "region", rg.code, "endpoint", endpoint, "err", err)
	if rg.checking.CompareAndSwap(false, true) {
		go func() {
			defer rg.checking.Store(false)
			g.checkAll(g.ctx, []*region{rg})
		}()
	}
	return rej
}

// region returns the region with code c.
func (g *Gateway) region(c ledger.Region) (*region, bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	r, ok := g.regions[c]
	return r, ok
}

// homeRegion is the region for reads that name no account.
func (g *Gateway) homeRegion() *region {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.regions[g.home]
}

// homeFirst is every region, the home region first, then the others in
// the network file's order.
func (g *Gateway) homeFirst() []*region {
	g.mu.RLock()
	defer g.mu.RUnlock()
	out := []*region{g.regions[g.home]}
	for _, c := range g.order {
		if c != g.home {
			out = append(out, g.regions[c])
		}
	}
	return out
}

// Regions is every region's state, in the network file's order.
func (g *Gateway) Regions() []Status {
	g.mu.RLock()
	defer g.mu.RUnlock()
	out := make([]Status, len(g.order))
	for i, c := range g.order {
		out[i] = g.regions[c].status()
	}
	return out
}

// regionOf is the region of address a, or REGION_UNKNOWN.
func (g *Gateway) regionOf(a ledger.Address) (*region, *ledger.Rejection) {
	r, ok := g.region(a.Region())
	if !ok {
		return nil, ledger.Reject(ledger.CodeRegionUnknown, "%s is at home in region %s, which this gateway's network does not have", a, a.Region())
	}
	return r, nil
}
