package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/kyc"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// identityCmd is the identity service (S1.6): a token's KYC tiers and an
// account's level and usage under them. Certificates themselves are
// `peg ca` and `peg cert`.
func identityCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "identity", Short: "KYC levels and the limits a token's tiers put on them (S1.6)"}
	tiers := &cobra.Command{Use: "tiers", Short: "A token's KYC tiers"}
	tiers.AddCommand(identityTiersSetCmd(g), identityTiersShowCmd(g))
	cmd.AddCommand(tiers, identityShowCmd(g))
	return cmd
}

func identityTiersSetCmd(g *globals) *cobra.Command {
	var from string
	var specs []string
	cmd := &cobra.Command{
		Use:   "set TOKEN --from OWNER --tier PAYMENT/DAY/BALANCE...",
		Short: "Set a token's KYC tiers, level 0 first: limits per payment, per day (UTC) and on the balance held (token owner)",
		Long: "Each --tier is one level, from level 0 (accounts without a valid certificate) up: three\n" +
			"amounts in the token's units, or \"none\" for no limit. A higher level never allows less.\n" +
			"The first tiers are set before the token's first coin on this chain; later ones replace the limits.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context60()
			defer cancel()
			t, _, err := g.tokenAmount(ctx, args[0], "")
			if err != nil {
				return err
			}
			m := &txpb.SetKycTiers{Token: string(t.ID)}
			var check kyc.Tiers
			for i, spec := range specs {
				parts := strings.Split(spec, "/")
				if len(parts) != 3 {
					return usageErrorf("--tier %q: want PAYMENT/DAY/BALANCE", spec)
				}
				var wire [3]*txpb.KycLimit
				var lim [3]kyc.Limit
				for j, p := range parts {
					if wire[j], lim[j], err = tierLimit(p, t.Decimals); err != nil {
						return usageErrorf("--tier %d %q: %v", i, spec, err)
					}
				}
				m.Tiers = append(m.Tiers, &txpb.KycTier{PerPayment: wire[0], PerDay: wire[1], Balance: wire[2]})
				check = append(check, kyc.Tier{PerPayment: lim[0], PerDay: lim[1], Balance: lim[2]})
			}
			if err := check.Validate(); err != nil {
				return usageErrorf("%v", err)
			}
			rc, err := g.submit(cmd, from, &txpb.Body{Msg: &txpb.Body_SetKycTiers{SetKycTiers: m}})
			if err != nil {
				return err
			}
			return g.printReceipt(cmd, rc, fmt.Sprintf("%s KYC tiers set: levels 0 to %d", t.ID, len(specs)-1))
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the token's owner: key name")
	cmd.Flags().StringArrayVar(&specs, "tier", nil, "PAYMENT/DAY/BALANCE: one level's limits in token units, or none (repeat, level 0 first)")
	required(cmd, "from", "tier")
	return cmd
}

// tierLimit parses one limit: "none", or an amount in the token's units.
func tierLimit(s string, decimals uint8) (*txpb.KycLimit, kyc.Limit, error) {
	if s == "none" {
		return &txpb.KycLimit{None: true}, kyc.Unlimited, nil
	}
	a, err := money.Parse(s, decimals)
	if err != nil {
		return nil, kyc.Limit{}, err
	}
	return &txpb.KycLimit{Max: a.String()}, kyc.Cap(a), nil
}

func limitText(l client.KYCLimit) string {
	if l.None || l.Max == nil {
		return "none"
	}
	return l.Max.Amount
}

func printTier(w io.Writer, t client.KYCTier) {
	fmt.Fprintf(w, "level %d   per payment %-12s per day %-12s balance %s\n", t.Level, limitText(t.PerPayment), limitText(t.PerDay), limitText(t.Balance))
}

func identityTiersShowCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "show TOKEN",
		Short: "Show a token's KYC tiers",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := ledger.ParseTokenID(args[0])
			if err != nil {
				return &usageError{err}
			}
			ctx, cancel := context60()
			defer cancel()
			v, err := g.client().KYCTiers(ctx, id)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), v, func(w io.Writer) {
				for _, t := range v.Tiers {
					printTier(w, t)
				}
			})
		},
	}
}

func identityShowCmd(g *globals) *cobra.Command {
	var tok string
	cmd := &cobra.Command{
		Use:   "show ADDR --token ID",
		Short: "Show an account's KYC level, its tier and today's usage of a token (address or key name)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, id, err := g.accountAndToken(args[0], tok)
			if err != nil {
				return err
			}
			ctx, cancel := context60()
			defer cancel()
			v, err := g.client().KYCAccount(ctx, a, id)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), v, func(w io.Writer) {
				fmt.Fprintf(w, "account     %s\ntoken       %s\nKYC level   %d\n", v.Address, v.Token, v.Level)
				printTier(w, v.Tier)
				fmt.Fprintf(w, "held        %s\npaid on %s  %s\n", v.Held.Amount, v.Day, v.PaidToday.Amount)
				if v.LeftToday != nil {
					fmt.Fprintf(w, "left today  %s\n", v.LeftToday.Amount)
				}
			})
		},
	}
	cmd.Flags().StringVar(&tok, "token", "", "the token (required)")
	required(cmd, "token")
	return cmd
}
