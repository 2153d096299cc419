package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/monitor"
	"github.com/pegledger/peg/internal/node"
)

func monitorCmd(g *globals) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "monitor --config FILE",
		Short: "Poll reserve banks, attest their balances and raise alerts",
		Long: `Run the reserve monitor: for each [[watch]] of the configuration file (see
examples/monitor.toml) it reads the bank on its schedule, within the bank's reads
per day, and posts each reading as an attestation signed by the coin's attestor
key from --home's keyring. It follows every coin's reserve and the fee accounts
through the API (--node) and alerts on AT_RISK, STALE, recovery, failing bank
feeds, and fee accounts turning LOW, EXHAUSTED or EXPIRED or ACTIVE again: ALERT
log lines, Prometheus metrics at metrics_listen, and signed webhooks. peg up runs
one for the demo bank on its own.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := monitor.LoadFile(file)
			if err != nil {
				return &usageError{err}
			}
			log := node.NewLogger(cmd.ErrOrStderr(), "info", "text")
			key := func(name string) (ledger.Region, []byte, error) {
				k, priv, err := signer(cmd, g, name)
				return k.Region, priv, err
			}
			cfg := monitor.Config{API: g.client(), FailureAlertAfter: f.FailureAlertAfter, DeliveryLog: f.DeliveryLog, Log: log}
			for i := range f.Watches {
				w, err := f.Watch(i, key, log)
				if err != nil {
					return &usageError{err}
				}
				cfg.Watches = append(cfg.Watches, w)
			}
			if cfg.FollowInterval, err = f.Follow(); err != nil {
				return &usageError{err}
			}
			if cfg.Webhooks, err = f.Hooks(); err != nil {
				return &usageError{err}
			}
			reg := prometheus.NewRegistry()
			cfg.Metrics = reg
			m, err := monitor.New(cfg)
			if err != nil {
				return &usageError{err}
			}
			ln, err := net.Listen("tcp", f.MetricsListen)
			if err != nil {
				return fmt.Errorf("metrics: %w", err)
			}
			mux := http.NewServeMux()
			mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
			srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
			go func() {
				if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
					log.Error("metrics server stopped", "err", err)
				}
			}()
			fmt.Fprintf(cmd.OutOrStdout(), "monitoring %d reserve(s) through %s; metrics at http://%s/metrics\n",
				len(cfg.Watches), g.nodeURL(), ln.Addr())
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			err = m.Run(ctx)
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return errors.Join(err, srv.Shutdown(sctx))
		},
	}
	cmd.Flags().StringVar(&file, "config", "", "monitor configuration (TOML)")
	required(cmd, "config")
	return cmd
}
