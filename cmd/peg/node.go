package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/pegledger/peg/internal/keyring"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/node"
	"github.com/pegledger/peg/internal/state"
)

func initCmd(g *globals) *cobra.Command {
	var chainID, region, operator string
	var issuers, registered []string
	var basePort int
	cmd := &cobra.Command{
		Use:   "init --home DIR --chain-id ID --region CODE",
		Short: "Write a new node's configuration, validator key and genesis (once)",
		Long: `Write a new single-validator node under --home: config/peg.toml, the consensus
keys and config/genesis.json. The genesis names the platform operator (--operator,
an address or a key name; by default a new key "operator" in the home's keyring)
and the issuers authorised from the first block. Run it once per node: a genesis is
never regenerated.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := ledger.ParseRegion(region)
			if err != nil {
				return &usageError{err}
			}
			kr, err := keyring.Open(g.keyringDir())
			if err != nil {
				return err
			}
			gen := state.Genesis{Params: node.DefaultParams()}
			if operator == "" {
				k, err := kr.Add("operator", r, []byte(readPassphrase(cmd, "new passphrase for key operator")))
				if err != nil {
					return err
				}
				gen.Operator = k.Address
			} else if gen.Operator, err = resolveAddress(kr, operator); err != nil {
				return err
			}
			if gen.Issuers, err = resolveAll(kr, issuers); err != nil {
				return err
			}
			if gen.Registered, err = resolveAll(kr, registered); err != nil {
				return err
			}
			if err := node.Init(g.home, node.DefaultConfig(chainID, r, basePort), gen); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "initialised %s: chain %s, region %s, operator %s\n", g.home, chainID, r, gen.Operator)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&chainID, "chain-id", "", "chain id (required)")
	f.StringVar(&region, "region", "", "ISO 3166 region code this chain serves, e.g. GB or CN-SH (required)")
	f.StringVar(&operator, "operator", "", "operator address or key name (default: a new key \"operator\")")
	f.StringSliceVar(&issuers, "issuer", nil, "issuer authorised at genesis (address or key name; repeatable)")
	f.StringSliceVar(&registered, "registered", nil, "account registered at genesis (address or key name; repeatable)")
	f.IntVar(&basePort, "base-port", node.DefaultBasePort, "first of three loopback ports: p2p, consensus RPC, API")
	_ = cmd.MarkFlagRequired("chain-id")
	_ = cmd.MarkFlagRequired("region")
	return cmd
}

func startCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "start --home DIR",
		Short: "Run a node until interrupted",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runNode(cmd, g, nil)
		},
	}
}

// sidecar starts what runs beside a node until ctx ends, and returns a func
// that waits for it to stop.
type sidecar func(ctx context.Context, w io.Writer, n *node.Node, log *slog.Logger) (wait func(), err error)

// runNode starts the node at g.home and the sidecar, if any, and runs until
// SIGINT or SIGTERM.
func runNode(cmd *cobra.Command, g *globals, side sidecar) error {
	if err := g.requireNode(); err != nil {
		return err
	}
	cfg, err := node.LoadConfig(g.home)
	if err != nil {
		return err
	}
	log := node.NewLogger(cmd.ErrOrStderr(), cfg.Log.Level, cfg.Log.Format)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	n, err := node.Start(g.home, log)
	if err != nil {
		return err
	}
	wait := func() {}
	if side != nil {
		if wait, err = side(ctx, cmd.OutOrStdout(), n, log); err != nil {
			n.Stop()
			return err
		}
	}
	<-ctx.Done()
	log.Info("shutting down")
	wait()
	n.Stop()
	log.Info("stopped", "height", n.Height())
	return nil
}
