package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/pegledger/peg/internal/bank/demobank"
	"github.com/pegledger/peg/internal/keyring"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/monitor"
	"github.com/pegledger/peg/internal/node"
	"github.com/pegledger/peg/internal/state"
)

// The development network `peg up` builds.
const (
	devChainID = "peg-local"
	devRegion  = ledger.Region("GB")
)

// devKeys are the keys of the development keyring, one per role a walkthrough
// needs. They are encrypted under the empty passphrase.
var devKeys = []string{"operator", "issuer", "minter", "pauser", "freezer", "attestor", "alice", "bob"}

func upCmd(g *globals) *cobra.Command {
	var basePort int
	var webhooks []string
	var webhookSecret string
	cmd := &cobra.Command{
		Use:   "up [--home DIR]",
		Short: "Run a complete single-machine network (created on first run)",
		Long: `Run a single-validator Peg network on loopback with a development keyring.
The first run creates it under --home (default ./.peg or $PEG_HOME): keys named
` + fmt.Sprint(devKeys) + ` with an EMPTY passphrase, a genesis whose operator
is "operator", with "issuer" authorised to deploy and alice and bob registered.
Later runs reuse it. Beside the node it runs the demo bank, where it opens the
reserve account of examples/gbpt.toml (1,000,000.00 GBP), and the reserve
monitor, which polls the demo bank for every coin whose reserve is there and
attests the balance as the coin's attestor. Stop with Ctrl-C.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			created, err := ensureDevNetwork(g.home, basePort)
			if err != nil {
				return err
			}
			hooks := make([]monitor.Webhook, len(webhooks))
			for i, u := range webhooks {
				hooks[i] = monitor.Webhook{URL: u, Secret: webhookSecret}
			}
			return runNode(cmd, g, func(ctx context.Context, w io.Writer, n *node.Node, log *slog.Logger) (func(), error) {
				base, err := basePortOf(n)
				if err != nil {
					return nil, err
				}
				rw, wait, err := startReserveWatch(ctx, g.home, base, n, hooks, log)
				if err != nil {
					return nil, err
				}
				printBanner(w, g, n, rw, created)
				return wait, nil
			})
		},
	}
	f := cmd.Flags()
	f.IntVar(&basePort, "base-port", node.DefaultBasePort, "first of six loopback ports (p2p, consensus RPC, API, bank Open Banking, bank admin, metrics) when creating the network")
	f.StringSliceVar(&webhooks, "webhook", nil, "URL to POST reserve alerts to (repeatable); signed with --webhook-secret")
	f.StringVar(&webhookSecret, "webhook-secret", os.Getenv("PEG_WEBHOOK_SECRET"), "HMAC-SHA256 key for the Peg-Signature header ($PEG_WEBHOOK_SECRET)")
	return cmd
}

// ensureDevNetwork creates the development network under home unless it exists.
func ensureDevNetwork(home string, basePort int) (bool, error) {
	if _, err := os.Stat(filepath.Join(home, node.ConfigFile)); err == nil {
		return false, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return false, err
	}
	kr, err := keyring.Open(filepath.Join(home, node.KeyringDir))
	if err != nil {
		return false, err
	}
	addr := make(map[string]ledger.Address, len(devKeys))
	for _, name := range devKeys {
		k, err := kr.Get(name)
		if errors.Is(err, keyring.ErrNotFound) {
			k, err = kr.Add(name, devRegion, nil)
		}
		if err != nil {
			return false, err
		}
		addr[name] = k.Address
	}
	gen := state.Genesis{
		Operator:   addr["operator"],
		Issuers:    []ledger.Address{addr["issuer"]},
		Registered: []ledger.Address{addr["alice"], addr["bob"]},
		Params:     node.DefaultParams(),
	}
	return true, node.Init(home, node.DefaultConfig(devChainID, devRegion, basePort), gen)
}

// basePortOf recovers the base port from the node's p2p address: the
// sidecars use the ports after the node's three.
func basePortOf(n *node.Node) (int, error) {
	u, err := url.Parse(n.Config.P2P.Listen)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(u.Port())
}

func printBanner(w io.Writer, g *globals, n *node.Node, rw *reserveWatch, created bool) {
	state := "reusing"
	if created {
		state = "created"
	}
	abs, _ := filepath.Abs(g.home)
	fmt.Fprintf(w, `
Peg is up (%s network in %s)

  API        %s
  chain id   %s
  region     %s
  keyring    %s
  demo bank  %s (Open Banking, mutual TLS)
             %s (admin: peg bank account list)
  metrics    %s

WARNING: the development keyring's keys (%v) are encrypted with an EMPTY
passphrase. Anyone who can read the keyring can spend from them. Never use them
for real money.

Try:  peg keys list    peg token deploy --from issuer --file examples/gbpt.toml
Stop with Ctrl-C.
`, state, abs, n.APIURL(), n.Config.ChainID, n.Config.Region, filepath.Join(abs, node.KeyringDir),
		rw.bank.obURL+demobank.OBBasePath, rw.bank.adminURL, rw.metricsURL, devKeys)
}
