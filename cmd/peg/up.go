package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/pegledger/peg/internal/keyring"
	"github.com/pegledger/peg/internal/ledger"
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
	cmd := &cobra.Command{
		Use:   "up [--home DIR]",
		Short: "Run a complete single-machine network (created on first run)",
		Long: `Run a single-validator Peg network on loopback with a development keyring.
The first run creates it under --home (default ./.peg or $PEG_HOME): keys named
` + fmt.Sprint(devKeys) + ` with an EMPTY passphrase, a genesis whose operator
is "operator", with "issuer" authorised to deploy and alice and bob registered.
Later runs reuse it. Stop with Ctrl-C.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			created, err := ensureDevNetwork(g.home, basePort)
			if err != nil {
				return err
			}
			return runNode(cmd, g, func(w io.Writer, n *node.Node) {
				printBanner(w, g, n, created)
			})
		},
	}
	cmd.Flags().IntVar(&basePort, "base-port", node.DefaultBasePort, "first of three loopback ports (p2p, consensus RPC, API) when creating the network")
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

func printBanner(w io.Writer, g *globals, n *node.Node, created bool) {
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

WARNING: the development keyring's keys (%v) are encrypted with an EMPTY
passphrase. Anyone who can read the keyring can spend from them. Never use them
for real money.

Try:  peg keys list    peg token deploy --from issuer --file examples/gbpt.toml
Stop with Ctrl-C.
`, state, abs, n.APIURL(), n.Config.ChainID, n.Config.Region, filepath.Join(abs, node.KeyringDir), devKeys)
}
