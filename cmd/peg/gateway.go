package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/pegledger/peg/internal/aliaskey"
	"github.com/pegledger/peg/internal/gateway"
	"github.com/pegledger/peg/internal/ledger"
	pegnet "github.com/pegledger/peg/internal/network"
	"github.com/pegledger/peg/internal/node"
	"github.com/pegledger/peg/internal/routefile"
)

func gatewayCmd(g *globals) *cobra.Command {
	var file, listen, home, logLevel, profile, keyFile, routes string
	cmd := &cobra.Command{
		Use:   "gateway --network FILE --listen ADDR",
		Short: "Run a front processor: verify payments and route each to its payer's region",
		Long: `Run a gateway (front processor, S2.1–S2.6): a stateless HTTP server that
serves the node API's submit endpoints (POST /v1/txs, POST /v1/txs/batch), so
that the CLI (--node), the Go client and ` + "`peg bench --node`" + ` work through it
unchanged. Each transaction is decoded and its signatures verified with the
chain id of its signer's home region before it is forwarded there; junk is
answered here with the code the node would give. Reads that name an account
go to the account's region, a transaction by id to each region in turn;
other reads to --region. /v1/regions shows each
region's health, /metrics the gateway's Prometheus series.

A region that answers no health check (every second, each endpoint in turn)
is answered at once with 503 REGION_DOWN naming the region and since when; an
address of a region not in the file with 404 REGION_UNKNOWN. A region that
answered a batch 503 UNAVAILABLE (no room) has the batches bound for it
answered so for 100 ms, before they are verified. SIGHUP reloads
--network; a file that does not load is refused and logged, and the gateway
keeps the network it had. Any number of gateways may run per region.

A payment to a payee of another region is the payer's region's to accept:
it records an outbound transfer, which a relayer (peg relay) delivers.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := pegnet.Load(file)
			if err != nil {
				return &usageError{err}
			}
			var r ledger.Region
			if home != "" {
				if r, err = ledger.ParseRegion(home); err != nil {
					return &usageError{err}
				}
			}
			aliases, err := loadAliases(keyFile, routes)
			if err != nil {
				return err
			}
			log := node.NewLogger(cmd.ErrOrStderr(), logLevel, "text")
			stopProfile, err := tuneProcess(gateway.GCPercent, profile)
			if err != nil {
				return err
			}
			defer stopProfile()
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			srv, err := startGateway(ctx, file, n, r, aliases, listen, log)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "gateway on http://%s for %d region(s) of %s (SIGHUP reloads it)\n", srv.addr, len(n.Regions), file)
			<-ctx.Done()
			srv.stop()
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&file, "network", "network.toml", "network file (examples/network.toml)")
	f.StringVar(&listen, "listen", "127.0.0.1:8080", "address to serve on (host:port)")
	f.StringVar(&home, "region", "", "region answering the reads that name no account (default: the file's first)")
	f.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	f.StringVar(&profile, "cpuprofile", "", "write a CPU profile of the gateway, from start to stop, to this file")
	f.StringVar(&keyFile, "alias-key", "", "the platform's alias key (peg alias key init), to resolve phone and ID numbers; needs --routes")
	f.StringVar(&routes, "routes", "", "the routing table of phone and ID prefixes to regions (examples/routing.toml); needs --alias-key")
	return cmd
}

// loadAliases reads what a gateway resolves phone and ID numbers with: both
// files or neither (nil: the gateway routes addresses only).
func loadAliases(keyFile, routes string) (*gateway.Aliases, error) {
	switch {
	case keyFile == "" && routes == "":
		return nil, nil
	case keyFile == "" || routes == "":
		return nil, usageErrorf("--alias-key and --routes go together: a number is routed by the table and looked up by its keyed hash")
	}
	key, err := aliaskey.Read(keyFile)
	if err != nil {
		return nil, &usageError{err}
	}
	t, err := routefile.Load(routes)
	if err != nil {
		return nil, &usageError{err}
	}
	return &gateway.Aliases{Key: key, Routes: t}, nil
}

// tuneProcess sets a long-running service's garbage-collection target
// (gcPercent, unless GOGC is set) and, given a path, profiles its CPU into
// it until the returned function is called.
func tuneProcess(gcPercent int, profile string) (func(), error) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if profile == "" {
		return func() {}, nil
	}
	f, err := os.Create(profile)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// gatewayServer is a gateway serving on addr.
type gatewayServer struct {
	addr string
	stop func()
}

// startGateway starts a gateway of n, reloading file on SIGHUP, serving
// its API and /metrics on listen, until ctx ends or stop is called.
func startGateway(ctx context.Context, file string, n *pegnet.Network, home ledger.Region, aliases *gateway.Aliases, listen string, log *slog.Logger) (*gatewayServer, error) {
	reg := prometheus.NewRegistry()
	ctx, cancel := context.WithCancel(ctx)
	gw, err := gateway.New(ctx, gateway.Config{Network: n, Home: home, Aliases: aliases, Registry: reg, Log: log.With("module", "gateway")})
	if err != nil {
		cancel()
		return nil, err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("gateway: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.Handle("/", gw.Handler())
	// No write timeout: the forwards have their own (gateway.ForwardTimeout
	// for an answer to start), and an event stream lasts as long as its
	// client.
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go gw.Run(ctx)
	go gw.ReloadOn(ctx, file, hup)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("gateway: serving failed", "err", err)
		}
	}()
	return &gatewayServer{addr: ln.Addr().String(), stop: func() {
		signal.Stop(hup)
		sctx, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		srv.Shutdown(sctx)
		cancel()
	}}, nil
}
