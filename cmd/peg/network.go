package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	pegnet "github.com/pegledger/peg/internal/network"
	"github.com/pegledger/peg/internal/node"
)

func networkCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "network", Short: "Manage the regions of a network (the network file)"}
	var file string
	genesis := &cobra.Command{
		Use:   "genesis --network FILE --home DIR",
		Short: "Record the network's regions in the genesis of a node that has not started",
		Long: `Record the regions of the network file (codes, chain ids, validators; not
the endpoints) in the genesis of the node at --home, so that its chain knows
every other region from height 1. The node must not have started: a genesis
is fixed from the first block. The file must list the node's own region with
its chain id and exactly the validators of its genesis.

To build a network of regions by hand: ` + "`peg init`" + ` every region's node, list
each region's chain id and validators (config/genesis.json, validators[].pub_key.value)
and API endpoints in a network file (examples/network.toml), run this command
on every node, then start them. ` + "`peg up --regions N`" + ` does all of this itself.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := pegnet.Load(file)
			if err != nil {
				return &usageError{err}
			}
			if err := g.requireNode(); err != nil {
				return err
			}
			if err := node.SetGenesisNetwork(g.home, n.Genesis()); err != nil {
				return err
			}
			view := networkGenesisView{Home: g.home, Regions: len(n.Regions)}
			return g.print(cmd.OutOrStdout(), view, func(w io.Writer) {
				fmt.Fprintf(w, "recorded %d region(s) of %s in the genesis of %s\n", len(n.Regions), file, g.home)
			})
		},
	}
	genesis.Flags().StringVar(&file, "network", "network.toml", "network file (examples/network.toml)")
	cmd.AddCommand(genesis)
	return cmd
}

// networkGenesisView is what `peg network genesis -o json` reports.
type networkGenesisView struct {
	Home    string `json:"home"`
	Regions int    `json:"regions"`
}
