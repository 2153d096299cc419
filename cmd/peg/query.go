package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/tx/txpb"
)

func optionalToken(s string) (ledger.TokenID, error) {
	if s == "" {
		return "", nil
	}
	id, err := ledger.ParseTokenID(s)
	if err != nil {
		return "", &usageError{err}
	}
	return id, nil
}

// tokenArg is the token a command about one token names: its argument, or
// the deprecated --token (tok) of scripts written before it was one, which
// gets a warning on stderr. "" with neither when the token is optional.
func tokenArg(cmd *cobra.Command, args []string, tok string, optional bool) (ledger.TokenID, error) {
	switch {
	case len(args) == 1 && tok != "" && args[0] != tok:
		return "", usageErrorf("the token is named twice: %q as the argument, %q as --token", args[0], tok)
	case len(args) == 1:
		tok = args[0]
	case tok != "":
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: --token is deprecated; give the token as the argument: %s %s\n", cmd.CommandPath(), tok)
	case !optional:
		return "", usageErrorf("name the token as the argument, e.g. %s gbpt", cmd.CommandPath())
	}
	return optionalToken(tok)
}

// deprecatedTokenFlag keeps --token, hidden, for a command that now takes
// the token as its argument, so that scripts written before keep working.
func deprecatedTokenFlag(cmd *cobra.Command, tok *string) {
	cmd.Flags().StringVar(tok, "token", "", "token id (deprecated: give it as the argument)")
	_ = cmd.Flags().MarkHidden("token")
}

// accountAndToken parses an ADDR argument (address or key name) and an
// optional --token.
func (g *globals) accountAndToken(addr, tok string) (ledger.Address, ledger.TokenID, error) {
	a, err := g.lookup(addr)
	if err != nil {
		return ledger.Address{}, "", &usageError{err}
	}
	id, err := optionalToken(tok)
	return a, id, err
}

func balanceCmd(g *globals) *cobra.Command {
	var tok string
	cmd := &cobra.Command{
		Use:   "balance ADDR [--token ID]",
		Short: "Show an account's balances (address or key name)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, id, err := g.accountAndToken(args[0], tok)
			if err != nil {
				return err
			}
			ctx, cancel := context60()
			defer cancel()
			bs, err := g.client().Balances(ctx, a, id)
			if err != nil {
				return err
			}
			dec, err := g.textDecimals(ctx)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), bs, func(w io.Writer) {
				if len(bs) == 0 {
					fmt.Fprintf(w, "%s holds no coins\n", a)
					return
				}
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "TOKEN\tBALANCE\tCOINS")
				for _, b := range bs {
					fmt.Fprintf(tw, "%s\t%s\t%d\n", b.Token, tokenText(b.Value, dec[b.Token]), b.Coins)
				}
				tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&tok, "token", "", "only this token")
	return cmd
}

func coinsCmd(g *globals) *cobra.Command {
	var tok, after string
	var limit int
	cmd := &cobra.Command{
		Use:   "coins ADDR [--token ID]",
		Short: "List an account's unspent coins",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, id, err := g.accountAndToken(args[0], tok)
			if err != nil {
				return err
			}
			ctx, cancel := context60()
			defer cancel()
			l, err := g.client().CoinsPage(ctx, a, id, after, limit)
			if err != nil {
				return err
			}
			cs := l.Coins
			dec, err := g.textDecimals(ctx)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), cs, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "COIN\tTOKEN\tAMOUNT")
				for _, c := range cs {
					fmt.Fprintf(tw, "%s\t%s\t%s\n", c.ID, c.Token, tokenText(c.Value, dec[c.Token]))
				}
				tw.Flush()
				if l.Next != "" {
					fmt.Fprintf(w, "more follow: --after %s\n", l.Next)
				}
			})
		},
	}
	cmd.Flags().StringVar(&tok, "token", "", "only this token")
	cmd.Flags().IntVar(&limit, "limit", 100, fmt.Sprintf("at most this many coins (≤ %d)", client.MaxCoinsPage))
	cmd.Flags().StringVar(&after, "after", "", "only the coins after this place in (token, coin id) order: TOKEN.COINID, the last coin of the page before")
	cmd.AddCommand(coinsMergeCmd(g))
	return cmd
}

func txCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "tx", Short: "Inspect transactions"}
	cmd.AddCommand(&cobra.Command{
		Use:   "show TXID",
		Short: "Show a transaction's receipt: block, outcome and events",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := ledger.ParseTxID(args[0])
			if err != nil {
				return &usageError{err}
			}
			ctx, cancel := context60()
			defer cancel()
			rc, err := g.client().Tx(ctx, id)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), rc, func(w io.Writer) { printTx(w, rc) })
		},
	})
	return cmd
}

func printTx(w io.Writer, rc *client.Receipt) {
	fmt.Fprintf(w, "tx       %s\nkind     %s\nsigner   %s\nblock    %d (index %d) at %s\nresult   %s (%d)",
		rc.TxID, rc.Kind, rc.Signer, rc.Height, rc.Index, rc.Time.Format(time.RFC3339), rc.Name, rc.Code)
	if rc.Message != "" {
		fmt.Fprintf(w, ": %s", rc.Message)
	}
	fmt.Fprintln(w)
	for _, e := range rc.Events {
		fmt.Fprintf(w, "  %s", e.Type)
		for _, a := range e.Attrs {
			if a.Decimal != "" {
				fmt.Fprintf(w, " %s=%s %s", a.Key, a.Decimal, a.Unit)
				continue
			}
			fmt.Fprintf(w, " %s=%s", a.Key, a.Value)
		}
		fmt.Fprintln(w)
	}
}

// operatorCmd builds an operator action on one address.
func operatorCmd(g *globals, use, short, done string, msg func(ledger.Address) *txpb.Body) *cobra.Command {
	var from string
	cmd := &cobra.Command{
		Use:   use + " ADDR --from KEY",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.lookup(args[0])
			if err != nil {
				return &usageError{err}
			}
			rc, err := g.submit(cmd, from, msg(a))
			if err != nil {
				return err
			}
			return g.printReceipt(cmd, rc, fmt.Sprintf("%s %s", a, done))
		},
	}
	cmd.Flags().StringVar(&from, "from", "operator", "operator: key name")
	return cmd
}

func issuerCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "issuer", Short: "Manage the issuers allowed to deploy contracts"}
	cmd.AddCommand(operatorCmd(g, "authorize", "Authorise an issuer (operator)", "may now deploy token contracts",
		func(a ledger.Address) *txpb.Body {
			return &txpb.Body{Msg: &txpb.Body_AuthorizeIssuer{AuthorizeIssuer: &txpb.AuthorizeIssuer{Issuer: a.String()}}}
		}))
	return cmd
}

func accountCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "account", Short: "Manage and inspect accounts"}
	cmd.AddCommand(operatorCmd(g, "register", "Register an account for registered-only tokens (operator)", "is registered",
		func(a ledger.Address) *txpb.Body {
			return &txpb.Body{Msg: &txpb.Body_RegisterAccount{RegisterAccount: &txpb.RegisterAccount{Account: a.String()}}}
		}),
		&cobra.Command{
			Use:   "show ADDR",
			Short: "Show an account: region, standing and balances",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				a, err := g.lookup(args[0])
				if err != nil {
					return &usageError{err}
				}
				ctx, cancel := context60()
				defer cancel()
				acc, err := g.client().Account(ctx, a)
				if err != nil {
					return err
				}
				dec, err := g.textDecimals(ctx)
				if err != nil {
					return err
				}
				return g.print(cmd.OutOrStdout(), acc, func(w io.Writer) {
					fmt.Fprintf(w, "address     %s\nregion      %s\nissuer      %v\nregistered  %v\nfrozen in   %v\n",
						acc.Address, acc.Region, acc.Issuer, acc.Registered, acc.Frozen)
					for _, b := range acc.Balances {
						fmt.Fprintf(w, "balance     %s %s (%d coins)\n", tokenText(b.Value, dec[b.Token]), b.Token, b.Coins)
					}
				})
			},
		})
	return cmd
}

// accountViewCmd is a command that reads one view of the account its
// argument names (an address or a key name) with get and prints it: as JSON
// with --output json, with text otherwise.
func accountViewCmd[T any](g *globals, use, short string, get func(*client.Client, context.Context, ledger.Address) (*T, error),
	text func(io.Writer, ledger.Address, *T)) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.lookup(args[0])
			if err != nil {
				return &usageError{err}
			}
			ctx, cancel := context60()
			defer cancel()
			v, err := get(g.client(), ctx, a)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), v, func(w io.Writer) { text(w, a, v) })
		},
	}
}

// partyPageCmd is the command use ADDR that lists a page of what the
// account ADDR names (an address or a key name) is a party to, newest
// first: get reads the page before --before (the cursor a previous page
// printed), at most --limit of them (what they are and the most the API
// lists go in the flag's help). text prints the page, and the text output
// ends with the command for the next page when next gives its cursor.
func partyPageCmd[T any](g *globals, use, short, what string, most int,
	get func(*client.Client, context.Context, ledger.Address, string, int) (*T, error), next func(*T) string,
	text func(io.Writer, ledger.Address, *T, map[ledger.TokenID]uint8)) *cobra.Command {
	var before string
	var limit int
	cmd := &cobra.Command{
		Use:   use + " ADDR [--limit N] [--before CURSOR]",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.lookup(args[0])
			if err != nil {
				return &usageError{err}
			}
			ctx, cancel := context60()
			defer cancel()
			v, err := get(g.client(), ctx, a, before, limit)
			if err != nil {
				return err
			}
			dec, err := g.textDecimals(ctx)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), v, func(w io.Writer) {
				text(w, a, v, dec)
				if n := next(v); n != "" {
					fmt.Fprintf(w, "more: %s %s --before %s\n", cmd.CommandPath(), args[0], n)
				}
			})
		},
	}
	cmd.Flags().StringVar(&before, "before", "", "the cursor a previous page printed")
	cmd.Flags().IntVar(&limit, "limit", 0, fmt.Sprintf("the most %s to list (default 20, at most %d)", what, most))
	return cmd
}
