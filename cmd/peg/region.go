package main

import (
	"fmt"
	"strings"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/spf13/cobra"

	"github.com/pegledger/peg/internal/tx/txpb"
)

func regionCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "region", Short: "Keep this region's trust in another region's validators up to date"}
	cmd.AddCommand(regionUpdateCmd(g))
	return cmd
}

func regionUpdateCmd(g *globals) *cobra.Command {
	var from, rpc string
	var height int64
	cmd := &cobra.Command{
		Use:   "update --rpc URL --from KEY [--height H]",
		Short: "Move the node's region's trust to another region's current validators (region_update; anyone may sign)",
		Long: `Read a signed header and its validator set from another region's consensus
RPC (--rpc, e.g. http://127.0.0.1:26657; the latest committed header unless
--height) and submit region_update to --node. The node's chain accepts it
if validators it trusts for that region, holding a third of their power,
signed the header, as a light client does; then proofs signed by the new set
verify there.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if rpc == "" {
				return usageErrorf("--rpc, the consensus RPC of a node of the other region, is required")
			}
			c, err := rpchttp.New(strings.Replace(rpc, "tcp://", "http://", 1), "/websocket")
			if err != nil {
				return &usageError{err}
			}
			ctx, cancel := context60()
			defer cancel()
			var h *int64
			if height > 0 {
				h = &height
			}
			commit, err := c.Commit(ctx, h)
			if err != nil {
				return fmt.Errorf("reading the signed header from %s: %w", rpc, err)
			}
			at := commit.Height
			var vals []*cmttypes.Validator
			for page := 1; ; page++ {
				perPage := 100
				res, err := c.Validators(ctx, &at, &page, &perPage)
				if err != nil {
					return fmt.Errorf("reading the validators from %s: %w", rpc, err)
				}
				vals = append(vals, res.Validators...)
				if len(vals) >= res.Total || len(res.Validators) == 0 {
					break
				}
			}
			sh, err := cmtjson.Marshal(commit.SignedHeader)
			if err != nil {
				return err
			}
			vs, err := cmtjson.Marshal(cmttypes.NewValidatorSet(vals))
			if err != nil {
				return err
			}
			rc, err := g.submit(cmd, from, &txpb.Body{Msg: &txpb.Body_RegionUpdate{RegionUpdate: &txpb.RegionUpdate{SignedHeader: sh, Validators: vs}}})
			if err != nil {
				return err
			}
			return g.printReceipt(cmd, rc, fmt.Sprintf("trust in chain %s moved to its validators at height %d (%d validators)", commit.ChainID, at, len(vals)))
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "key that signs (anyone)")
	cmd.Flags().StringVar(&rpc, "rpc", "", "consensus RPC URL of a node of the other region")
	cmd.Flags().Int64Var(&height, "height", 0, "height of the header (default: the latest committed)")
	_ = cmd.MarkFlagRequired("from")
	return cmd
}
