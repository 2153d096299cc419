package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/endorse"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/tx/txpb"
)

func endorseCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "endorse",
		Short: "The endorsement service (S1): mints above a threshold wait for M of N endorsements",
		Long: `A token's owner sets an endorsement policy (peg endorse policy set): a
threshold, the endorsers and how many of them must endorse, and how long a
request stays open. A mint above the threshold does not execute: it opens a
mint request, whose id is the mint's transaction id (peg token mint says so).
Each endorser endorses it once (peg endorse approve); the endorsement that
makes the count executes the mint, with the minter's allowance and the
reserve checked then. The request's minter or the token's owner may cancel
it (peg endorse cancel); an unendorsed request lapses at its deadline. A new
policy changes no request already open.`,
	}
	policy := &cobra.Command{Use: "policy", Short: "A token's endorsement policy: show, set, clear (owner)"}
	policy.AddCommand(endorsePolicyShowCmd(g), endorsePolicySetCmd(g), endorsePolicyClearCmd(g))
	cmd.AddCommand(policy, endorseListCmd(g), endorseShowCmd(g), endorseApproveCmd(g), endorseCancelCmd(g))
	return cmd
}

func requestArg(s string) (ledger.TxID, error) {
	id, err := ledger.ParseTxID(s)
	if err != nil {
		return id, usageErrorf("REQUEST: %v", err)
	}
	return id, nil
}

func endorseTokenArg(s string) (ledger.TokenID, error) {
	id, err := ledger.ParseTokenID(s)
	if err != nil {
		return id, usageErrorf("TOKEN: %v", err)
	}
	return id, nil
}

func endorsePolicyShowCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "show TOKEN",
		Short: "Show TOKEN's endorsement policy",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			tok, err := endorseTokenArg(args[0])
			if err != nil {
				return err
			}
			ctx, cancel := context60()
			defer cancel()
			p, err := g.client().EndorsePolicy(ctx, tok)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), p, func(w io.Writer) {
				fmt.Fprintf(w, "mints above %s %s need %d of %d endorsements within %s\n", p.Threshold.Amount, p.Token, p.Required, len(p.Endorsers), p.Window.Text)
				for _, e := range p.Endorsers {
					fmt.Fprintf(w, "endorser  %s\n", e)
				}
			})
		},
	}
}

func endorsePolicySetCmd(g *globals) *cobra.Command {
	var from, tok, threshold string
	var endorsers []string
	var need uint32
	var window time.Duration
	cmd := &cobra.Command{
		Use:   "set --from OWNER --token ID --threshold DEC --endorser ADDR... --required M [--window D]",
		Short: "Set a token's endorsement policy: mints above the threshold need M of the endorsers (owner)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context60()
			defer cancel()
			t, _, err := g.tokenAmount(ctx, tok, "")
			if err != nil {
				return err
			}
			amt, err := money.Parse(threshold, t.Decimals)
			if err != nil {
				return usageErrorf("--threshold %q for %s (%d decimals): %v", threshold, t.ID, t.Decimals, err)
			}
			p := endorse.Policy{Threshold: amt, Required: need, Window: window}
			m := &txpb.SetEndorsePolicy{Token: string(t.ID), Threshold: amt.String(), Required: need, WindowSeconds: int64(window / time.Second)}
			for _, e := range endorsers {
				a, err := g.lookup(e)
				if err != nil {
					return usageErrorf("--endorser %q: %v", e, err)
				}
				p.Endorsers = append(p.Endorsers, a)
				m.Endorsers = append(m.Endorsers, a.String())
			}
			if err := p.Validate(); err != nil {
				return usageErrorf("%v", err)
			}
			rc, err := g.submit(cmd, from, &txpb.Body{Msg: &txpb.Body_SetEndorsePolicy{SetEndorsePolicy: m}})
			if err != nil {
				return err
			}
			return g.printReceipt(cmd, rc, fmt.Sprintf("endorsement policy of %s set: mints above %s %s need %d of %d endorsements within %s",
				t.ID, amt.FormatFixed(t.Decimals), t.Symbol, need, len(endorsers), window))
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "the token's owner: key name")
	f.StringVar(&tok, "token", "", "token id")
	f.StringVar(&threshold, "threshold", "", "mints above this amount, in token units, need endorsement (0: every mint)")
	f.StringArrayVar(&endorsers, "endorser", nil, "an endorser: address or key name (repeat, at most 16)")
	f.Uint32Var(&need, "required", 0, "how many endorsers must endorse a request (M of N)")
	f.DurationVar(&window, "window", 24*time.Hour, "how long a request stays open before it lapses")
	required(cmd, "from", "token", "threshold", "endorser", "required")
	return cmd
}

func endorsePolicyClearCmd(g *globals) *cobra.Command {
	var from, tok string
	cmd := &cobra.Command{
		Use:   "clear --from OWNER --token ID",
		Short: "Remove a token's endorsement policy: every mint executes at once again (owner)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			id, err := endorseTokenArg(tok)
			if err != nil {
				return err
			}
			rc, err := g.submit(cmd, from, &txpb.Body{Msg: &txpb.Body_SetEndorsePolicy{SetEndorsePolicy: &txpb.SetEndorsePolicy{Token: string(id), Clear: true}}})
			if err != nil {
				return err
			}
			return g.printReceipt(cmd, rc, fmt.Sprintf("endorsement policy of %s cleared; requests already open stay open", id))
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the token's owner: key name")
	cmd.Flags().StringVar(&tok, "token", "", "token id")
	required(cmd, "from", "token")
	return cmd
}

func printMintRequest(w io.Writer, q *client.MintRequest) {
	fmt.Fprintf(w, "mint request %s  %s (recorded %s)\n", q.ID, q.Status, q.RecordedStatus)
	fmt.Fprintf(w, "mint         %s %s to %s by %s\n", q.Amount.Amount, q.Token, q.To, q.Minter)
	fmt.Fprintf(w, "endorsed     %d of %d needed, by %s; endorsers %s\n", len(q.Endorsed), q.Required, orNone(q.Endorsed), strings.Join(q.Endorsers, " "))
	fmt.Fprintf(w, "opened       %s at height %d; deadline %s\n", q.Opened.Format(time.RFC3339), q.Height, q.Deadline.Format(time.RFC3339))
	if q.ClosedBy != "" {
		fmt.Fprintf(w, "closed       %s in %s by %s\n", q.ClosedAt.Format(time.RFC3339), q.ClosedBy, q.Closer)
	}
	if q.Code != "" {
		fmt.Fprintf(w, "refused      %s: %s\n", q.Code, q.Log)
	}
}

func orNone(as []string) string {
	if len(as) == 0 {
		return "none"
	}
	return strings.Join(as, " ")
}

func endorseShowCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "show REQUEST",
		Short: "Show a mint request: its endorsements and how it closed, judged at the latest block",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := requestArg(args[0])
			if err != nil {
				return err
			}
			ctx, cancel := context60()
			defer cancel()
			q, err := g.client().MintRequest(ctx, id)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), q, func(w io.Writer) { printMintRequest(w, q) })
		},
	}
}

func endorseListCmd(g *globals) *cobra.Command {
	var after string
	var limit int
	cmd := &cobra.Command{
		Use:   "list TOKEN [--limit N] [--after CURSOR]",
		Short: "List TOKEN's open mint requests, oldest first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			tok, err := endorseTokenArg(args[0])
			if err != nil {
				return err
			}
			ctx, cancel := context60()
			defer cancel()
			l, err := g.client().MintRequests(ctx, tok, after, limit)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), l, func(w io.Writer) {
				if len(l.Requests) == 0 {
					fmt.Fprintf(w, "%s has no open mint requests\n", tok)
				}
				for _, q := range l.Requests {
					fmt.Fprintf(w, "%s  %s %s to %s  %d of %d endorsed, until %s\n", q.ID, q.Amount.Amount, q.Token, q.To,
						len(q.Endorsed), q.Required, q.Deadline.Format(time.RFC3339))
				}
				if l.Next != "" {
					fmt.Fprintf(w, "more: peg endorse list %s --after %s\n", tok, l.Next)
				}
			})
		},
	}
	cmd.Flags().StringVar(&after, "after", "", "the cursor a previous page printed")
	cmd.Flags().IntVar(&limit, "limit", 0, "the most requests to list (default 20, at most 64)")
	return cmd
}

func endorseApproveCmd(g *globals) *cobra.Command {
	var from string
	cmd := &cobra.Command{
		Use:   "approve REQUEST --from ENDORSER",
		Short: "Endorse a mint request; the endorsement that makes the count executes the mint",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := requestArg(args[0])
			if err != nil {
				return err
			}
			rc, err := g.submit(cmd, from, &txpb.Body{Msg: &txpb.Body_EndorseMint{EndorseMint: &txpb.EndorseMint{Request: id[:]}}})
			if err != nil {
				return err
			}
			summary := fmt.Sprintf("endorsed mint request %s: %s of %s endorsements", id,
				attr(rc, "mint_request.endorsed", "endorsements"), attr(rc, "mint_request.endorsed", "required"))
			switch {
			case attr(rc, "mint_request.executed", "request") != "":
				summary += fmt.Sprintf("; minted (coin %s)", attr(rc, "coin.created", "coin"))
			case attr(rc, "mint_request.refused", "request") != "":
				summary += fmt.Sprintf("; the mint was refused: %s: %s", attr(rc, "mint_request.refused", "code"), attr(rc, "mint_request.refused", "log"))
			}
			return g.printReceipt(cmd, rc, summary)
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the endorser: key name")
	required(cmd, "from")
	return cmd
}

func endorseCancelCmd(g *globals) *cobra.Command {
	var from string
	cmd := &cobra.Command{
		Use:   "cancel REQUEST --from MINTER|OWNER",
		Short: "Cancel an open mint request (its minter or the token's owner)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := requestArg(args[0])
			if err != nil {
				return err
			}
			rc, err := g.submit(cmd, from, &txpb.Body{Msg: &txpb.Body_CancelMintRequest{CancelMintRequest: &txpb.CancelMintRequest{Request: id[:]}}})
			if err != nil {
				return err
			}
			return g.printReceipt(cmd, rc, fmt.Sprintf("cancelled mint request %s", id))
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the request's minter or the token's owner: key name")
	required(cmd, "from")
	return cmd
}
