package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/pegledger/peg/internal/bench"
	"github.com/pegledger/peg/internal/keyring"
	"github.com/pegledger/peg/internal/node"
)

func benchCmd(g *globals) *cobra.Command {
	cfg := bench.DefaultConfig()
	rc := bench.DefaultRegionsConfig()
	regions := 1
	var keep bool
	var logLevel, profile, tracePath string
	cmd := &cobra.Command{
		Use:   "bench [--payments N] [--accounts K] [--mix F] [--rate R] [--workers W] [--node URL | --regions N --cross F]",
		Short: "Measure committed payments per second, latency, memory and state size",
		Long: `Run a load test and report what the ledger committed.

By default it builds a fresh single-validator network in a temporary directory
(node defaults, free loopback ports, keys held in memory) and runs it in this
process. It deploys a bench token, attests its reserve, funds --accounts
accounts so that each bench payment spends a coin of its own, pre-signs
--payments payments (a --mix fraction of them with change, the rest paying a
whole coin), then submits them --batch at a time through POST /v1/txs/batch
(or one by one through POST /v1/txs with --batch 1) without waiting, at --rate
per second or as fast as --workers submitters can (--rate 0), and follows the
committed blocks.

It reports committed payments/s over a steady window (the blocks after the
first and before the last that hold bench payments) and overall,
submit-to-commit latency percentiles, rejections by code at admission and in
blocks, blocks and payments per block, the process's peak RSS (node and
generator together) and the state's bytes on disk per unspent coin. The
internal/bench package documentation defines each figure.

With --fees every bench payment pays a fee (` + fmt.Sprint(bench.FeeFixed) + ` minor unit and ` + fmt.Sprint(bench.FeePerOutput) + ` an output) from a
fee account each account opens in the setup: the operator sets a fee policy,
each account deposits, and once the fan-out is done the operator prices
payments. Without it nothing is charged (unless the network already charges).

With --node URL it loads a running network instead: it signs the setup with the
keys issuer, minter, attestor, pauser, freezer and operator of the development keyring
that ` + "`peg up`" + ` creates under --home (empty passphrase), and reports
neither peak RSS nor state size.

With --regions N (2 or more) it builds N regions instead (GB, HK, …, each a
single validator with the network in its genesis, as ` + "`peg up --regions`" + `
does) and an in-process relayer: the token is deployed and minted in the first
region and imported into the others, each region funds --accounts accounts
(the others' by a transfer from the first), and each region submits its share
of --payments at its share of --rate, a --cross fraction of them to an account
of the next region. A cross-region payment is complete when its payee's coin
exists in the payee's region; the result gives the complete payments/s
across the regions, latency within a region and, apart, submit to the payee's
coin, each region's balances and the network audit.

The default size (` + fmt.Sprint(bench.DefaultPayments) + ` payments) was chosen so that a default run,
setup included, takes well under two minutes on a 2-core machine.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cfg.Validate(); err != nil {
				return &usageError{err}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			for _, out := range []struct {
				path string
				w    *io.Writer
			}{{profile, &cfg.CPUProfile}, {tracePath, &cfg.Trace}} {
				if out.path == "" {
					continue
				}
				f, err := os.Create(out.path)
				if err != nil {
					return err
				}
				defer f.Close()
				*out.w = f
			}
			if regions != 1 || cmd.Flags().Changed("cross") || cmd.Flags().Changed("relay-workers") {
				rc.Config = cfg
				return benchRegions(ctx, cmd, g, rc, regions, logLevel, keep)
			}
			target, done, err := benchTarget(cmd, g, logLevel, keep)
			if err != nil {
				return err
			}
			defer done()
			res, err := bench.Run(ctx, cfg, target, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), res, res.WriteText)
		},
	}
	f := cmd.Flags()
	f.IntVar(&cfg.Accounts, "accounts", cfg.Accounts, "funded accounts that pay each other")
	f.IntVar(&cfg.Payments, "payments", cfg.Payments, "payments to submit")
	f.Float64Var(&cfg.Mix, "mix", cfg.Mix, "fraction of payments with change (two outputs); the rest have one")
	f.Float64Var(&cfg.Rate, "rate", cfg.Rate, "offered payments per second; 0 submits as fast as possible")
	f.IntVar(&cfg.Workers, "workers", cfg.Workers, "concurrent submitters")
	f.IntVar(&cfg.Batch, "batch", cfg.Batch, "payments per request: 1 posts each alone to /v1/txs, more post them together to /v1/txs/batch")
	f.DurationVar(&cfg.Drain, "drain", cfg.Drain, "how long to wait after the last submission for admitted payments' blocks")
	f.IntVar(&cfg.ReceiptSample, "receipts", cfg.ReceiptSample, "read the receipts of at most this many included payments, chosen at random; the default reads them all")
	f.BoolVar(&cfg.Fees, "fees", false, "charge every bench payment a fee from a prepaid fee account (see above)")
	f.BoolVar(&keep, "keep", false, "keep the temporary network's home directory (its path is printed)")
	f.StringVar(&logLevel, "log-level", "error", "log level of the in-process node: debug, info, warn or error")
	f.StringVar(&profile, "cpuprofile", "", "write a CPU profile of the submission and drain (node and generator, in-process) to this file")
	f.StringVar(&tracePath, "trace", "", "write an execution trace of the same span to this file (go tool trace)")
	f.IntVar(&regions, "regions", 1, fmt.Sprintf("regions of the in-process network (1 to %d: %v in order), each a chain with one validator; see above",
		len(bench.RegionCodes), bench.RegionCodes))
	f.Float64Var(&rc.Cross, "cross", rc.Cross, "with --regions: fraction of each region's payments to an account of the next region")
	f.IntVar(&rc.RelayWorkers, "relay-workers", rc.RelayWorkers, "with --regions: transfers the in-process relayer carries at once")
	return cmd
}

// benchRegions runs `peg bench --regions N`: N in-process regions, a
// relayer, and the payments over them.
func benchRegions(ctx context.Context, cmd *cobra.Command, g *globals, cfg bench.RegionsConfig, n int, logLevel string, keep bool) error {
	if n < 2 || n > len(bench.RegionCodes) {
		return usageErrorf("--regions %d: want 1 (one chain, without regions) to %d; --cross and --relay-workers need 2 or more", n, len(bench.RegionCodes))
	}
	if g.node != "" {
		return usageErrorf("--regions builds its own network in this process; it does not load one --node names")
	}
	if err := cfg.Validate(); err != nil {
		return &usageError{err}
	}
	log, muted, err := benchLogger(cmd, logLevel)
	if err != nil {
		return err
	}
	l, err := bench.StartRegions("", n, log)
	if err != nil {
		return err
	}
	defer func() {
		muted.Store(true)
		if err := l.Close(keep); err != nil {
			fmt.Fprintf(cmd.ErrOrStderr(), "warning: removing %s: %v\n", l.Home, err)
		}
		if keep {
			fmt.Fprintf(cmd.ErrOrStderr(), "kept the bench network's home: %s\n", l.Home)
		}
	}()
	res, err := bench.RunRegions(ctx, cfg, l.Targets(), l.Network, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	return g.print(cmd.OutOrStdout(), res, res.WriteText)
}

// benchLogger is the in-process nodes' logger at logLevel, and the switch
// that silences it.
func benchLogger(cmd *cobra.Command, logLevel string) (*slog.Logger, *atomic.Bool, error) {
	switch logLevel {
	case "debug", "info", "warn", "error":
	default:
		return nil, nil, usageErrorf("--log-level %q: want debug, info, warn or error", logLevel)
	}
	muted := new(atomic.Bool)
	return slog.New(mutable{node.NewLogger(cmd.ErrOrStderr(), logLevel, "text").Handler(), muted}), muted, nil
}

// benchTarget starts the in-process network, or describes the one --node
// names; done stops and removes what it started.
func benchTarget(cmd *cobra.Command, g *globals, logLevel string, keep bool) (bench.Target, func(), error) {
	if g.node != "" {
		roles, err := devRoles(g)
		if err != nil {
			return bench.Target{}, nil, err
		}
		return bench.Target{URL: g.node, Roles: roles, Network: "running network"}, func() {}, nil
	}
	log, muted, err := benchLogger(cmd, logLevel)
	if err != nil {
		return bench.Target{}, nil, err
	}
	l, err := bench.StartLocal("", log)
	if err != nil {
		return bench.Target{}, nil, err
	}
	done := func() {
		// CometBFT logs errors about its own listeners closing as it stops.
		muted.Store(true)
		if err := l.Close(keep); err != nil {
			fmt.Fprintf(cmd.ErrOrStderr(), "warning: removing %s: %v\n", l.Home, err)
		}
		if keep {
			fmt.Fprintf(cmd.ErrOrStderr(), "kept the bench network's home: %s\n", l.Home)
		}
	}
	return l.Target(), done, nil
}

// mutable is a log handler, and those derived from it, that can be silenced
// at once.
type mutable struct {
	slog.Handler
	muted *atomic.Bool
}

func (m mutable) Enabled(ctx context.Context, l slog.Level) bool {
	return !m.muted.Load() && m.Handler.Enabled(ctx, l)
}

func (m mutable) WithAttrs(as []slog.Attr) slog.Handler {
	return mutable{m.Handler.WithAttrs(as), m.muted}
}
func (m mutable) WithGroup(name string) slog.Handler {
	return mutable{m.Handler.WithGroup(name), m.muted}
}

// devRoles reads the setup's keys from the development keyring under --home.
func devRoles(g *globals) (bench.Roles, error) {
	kr, err := g.openKeyring()
	if err != nil {
		return bench.Roles{}, err
	}
	var r bench.Roles
	for _, k := range []struct {
		name string
		s    *bench.Signer
	}{{"issuer", &r.Issuer}, {"minter", &r.Minter}, {"attestor", &r.Attestor}, {"pauser", &r.Pauser}, {"freezer", &r.Freezer},
		{"operator", &r.Operator}} {
		key, err := kr.Get(k.name)
		if errors.Is(err, keyring.ErrNotFound) {
			return bench.Roles{}, fmt.Errorf("--node needs the development keyring of `peg up` under --home %s: %w", g.home, err)
		}
		if err != nil {
			return bench.Roles{}, err
		}
		if !key.Insecure {
			return bench.Roles{}, fmt.Errorf("key %q in %s has a passphrase; --node signs with the development keyring of `peg up`, whose keys have none", k.name, kr.Dir())
		}
		priv, err := kr.PrivateKey(k.name, nil)
		if err != nil {
			return bench.Roles{}, err
		}
		*k.s = bench.Signer{Addr: key.Address, Priv: priv}
	}
	return r, nil
}
