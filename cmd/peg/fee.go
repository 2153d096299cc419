package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/feefile"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

func feeCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fee",
		Short: "Prepaid fee accounts (S3): the schedule, an account, deposits, setting the policy",
		Long: `Every accepted transaction of a kind the fee schedule prices is charged from
its signer's prepaid fee account. A deposit into that account is a grant,
released evenly over the validity its size earns (the policy's tiers): fees are
paid only from what has been released and not yet spent, and what is unspent
when a grant's window ends expires. Without a fee policy nothing is charged.`,
	}
	cmd.AddCommand(feeScheduleCmd(g), feeAccountCmd(g), feeHistoryCmd(g), feeDepositCmd(g), feeSetCmd(g), feeCollectCmd(g))
	return cmd
}

func feeScheduleCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "schedule",
		Short: "Show the fee policy, what each kind costs, and the fee books",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context60()
			defer cancel()
			f, err := g.client().Fees(ctx)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), f, func(w io.Writer) { printFees(w, f) })
		},
	}
}

func printFees(w io.Writer, f *client.Fees) {
	if !f.Enabled {
		fmt.Fprintf(w, "no fee policy is set: nothing is charged (fee contract %s)\n", f.Contract)
		return
	}
	p := f.Policy
	amt := func(v client.Value) string { return tokenText(v, p.Decimals) + " " + p.Symbol }
	if f.TokenPending {
		fmt.Fprintf(w, "fees are paid in %s, which is not deployed yet: nothing can be deposited or charged until it is; amounts below are in its minor units\n", p.Token)
		amt = func(v client.Value) string { return v.Units.String() + " units" }
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "fee token\t%s (%s)\n", p.Token, cmp.Or(p.Symbol, "not deployed"))
	fmt.Fprintf(tw, "revenue\t%s\n", p.Revenue)
	fmt.Fprintf(tw, "fee contract\t%s (holds every deposit; nobody can sign for it)\n", f.Contract)
	fmt.Fprintf(tw, "low balance\t%s (an account with less available is LOW)\n", amt(p.LowBalance))
	fmt.Fprintf(tw, "max grants\t%d live deposits per account\n", p.MaxGrants)
	tw.Flush()
	fmt.Fprintln(w, "deposit tiers (a deposit is released evenly over the validity of the last tier it reaches):")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  MIN DEPOSIT\tVALIDITY")
	for _, t := range p.Tiers {
		fmt.Fprintf(tw, "  %s\t%s\n", amt(t.MinDeposit), t.Validity.Text)
	}
	tw.Flush()
	if len(f.Schedule) == 0 {
		fmt.Fprintln(w, "schedule: every kind is free")
	} else {
		fmt.Fprintln(w, "schedule (a kind not listed is free; per output: each coin a payment creates):")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  KIND\tFIXED\tPER OUTPUT")
		for _, k := range f.Schedule {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", k.Kind, amt(k.Fixed), amt(k.PerOutput))
		}
		tw.Flush()
	}
	b := f.Books
	if b == nil {
		return
	}
	fmt.Fprintln(w, "books:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  deposited\t%s\n", amt(b.Deposited))
	fmt.Fprintf(tw, "  spent\t%s (revenue)\n", amt(b.Spent))
	fmt.Fprintf(tw, "  expired\t%s (booked at each account's next charge or deposit)\n", amt(b.Expired))
	fmt.Fprintf(tw, "  held\t%s (deposited − spent − expired)\n", amt(b.Held))
	tw.Flush()
}

func feeAccountCmd(g *globals) *cobra.Command {
	return accountViewCmd(g, "account ADDR", "Show a fee account (address or key name) as of the latest block: status, what is available, each deposit",
		(*client.Client).FeeAccount, func(w io.Writer, _ ledger.Address, a *client.FeeAccount) { printFeeAccount(w, a) })
}

func printFeeAccount(w io.Writer, a *client.FeeAccount) {
	decimals := a.Decimals
	amt := func(v client.Value) string { return tokenText(v, decimals) + " " + a.Symbol }
	status := string(a.Status)
	if a.RecordedStatus != a.Status {
		status += fmt.Sprintf(" (recorded %s)", a.RecordedStatus)
	}
	next := "nothing more will be released: deposit again"
	if !a.NextRelease.IsZero() {
		next = a.NextRelease.Format(time.RFC3339Nano)
	}
	fmt.Fprintf(w, "fee account of %s as of %s (the latest block's time)\n", a.Address, a.AsOf.Format(time.RFC3339))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "status\t%s\n", status)
	fmt.Fprintf(tw, "available\t%s (released and not yet spent: fees are paid from this)\n", amt(a.Available))
	fmt.Fprintf(tw, "unspent\t%s\n", amt(a.Unspent))
	fmt.Fprintf(tw, "deposited\t%s\n", amt(a.Deposited))
	fmt.Fprintf(tw, "spent\t%s\n", amt(a.Spent))
	fmt.Fprintf(tw, "expired\t%s\n", amt(a.Expired))
	fmt.Fprintf(tw, "next release\t%s\n", next)
	tw.Flush()
	if len(a.Grants) == 0 {
		fmt.Fprintln(w, "no live deposits")
		return
	}
	fmt.Fprintln(w, "deposits, in the order fees are charged to them:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  DEPOSIT TX\tAMOUNT\tRELEASED\tSPENT\tAVAILABLE\tSTART\tEND")
	for _, gr := range a.Grants {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", gr.Deposit, tokenText(gr.Amount, decimals), tokenText(gr.Released, decimals),
			tokenText(gr.Spent, decimals), tokenText(gr.Available, decimals), gr.Start.Format(time.RFC3339), gr.End.Format(time.RFC3339))
	}
	tw.Flush()
}

func feeHistoryCmd(g *globals) *cobra.Command {
	var limit int
	var before string
	cmd := &cobra.Command{
		Use:   "history ADDR [--limit N] [--before CURSOR]",
		Short: "List a fee account's deposits and the fees charged to it, newest first",
		Long: `List the history of a fee account (address or key name), newest first: every
deposit and every fee charged, with what expired as it was booked (deposits
whose window had ended) and what was available after it. The entries add up
to the account's deposited, spent and expired, which ` + "`peg audit`" + ` checks. A page
that is not the last ends with the command that lists the next one.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.lookup(args[0])
			if err != nil {
				return &usageError{err}
			}
			ctx, cancel := context60()
			defer cancel()
			h, err := g.client().FeeHistory(ctx, a, before, limit)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), h, func(w io.Writer) { printFeeHistory(w, args[0], h) })
		},
	}
	f := cmd.Flags()
	f.IntVar(&limit, "limit", 20, "the most entries to list")
	f.StringVar(&before, "before", "", "list the entries older than this cursor (printed at the end of a page)")
	return cmd
}

func printFeeHistory(w io.Writer, name string, h *client.FeeHistory) {
	if len(h.Entries) == 0 {
		fmt.Fprintf(w, "no fee history for %s\n", h.Address)
		return
	}
	fmt.Fprintf(w, "fee history of %s, newest first, in %s:\n", h.Address, h.Symbol)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tHEIGHT\tTX\tKIND\tDEPOSITED\tCHARGED\tEXPIRED\tAVAILABLE\tSTATUS")
	d := h.Decimals
	for _, e := range h.Entries {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.Format(time.RFC3339), e.Height, e.TxID, e.Kind,
			tokenText(e.Deposited, d), tokenText(e.Charged, d), tokenText(e.Expired, d), tokenText(e.Available, d), e.Status)
	}
	tw.Flush()
	if h.Next != "" {
		fmt.Fprintf(w, "older entries: peg fee history %s --before %s\n", name, h.Next)
	}
}

func feeDepositCmd(g *globals) *cobra.Command {
	var from, amount string
	cmd := &cobra.Command{
		Use:   "deposit --from KEY --amount DEC",
		Short: "Deposit coins of the fee token into your fee account, released evenly over the validity the policy gives",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			holder, err := g.lookup(from)
			if err != nil {
				return &usageError{err}
			}
			ctx, cancel := context60()
			defer cancel()
			tok, err := g.feeToken(ctx)
			if err != nil {
				return err
			}
			t, amt, err := g.tokenAmount(ctx, string(tok), amount)
			if err != nil {
				return err
			}
			inputs, total, err := g.selectCoins(ctx, holder, t, amt)
			if err != nil {
				return err
			}
			rc, err := g.submit(cmd, from, &txpb.Body{Msg: &txpb.Body_FeeDeposit{FeeDeposit: &txpb.FeeDeposit{
				Token: string(t.ID), Inputs: inputs, Amount: amt.String()}}})
			if err != nil {
				return err
			}
			change, _ := total.Sub(amt)
			return g.printReceipt(cmd, rc, fmt.Sprintf("deposited %s %s into %s's fee account, released evenly from %s to %s (change %s %s)",
				amt.FormatFixed(t.Decimals), t.Symbol, holder, eventTime(attr(rc, "fee.deposited", "start")),
				eventTime(attr(rc, "fee.deposited", "end")), change.FormatFixed(t.Decimals), t.Symbol))
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "holder: key name")
	f.StringVar(&amount, "amount", "", "amount in units of the fee token, e.g. 100")
	required(cmd, "from", "amount")
	return cmd
}

// eventTime writes an event's RFC 3339 time to the second, for people; s
// itself if it is no such time.
func eventTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.Format(time.RFC3339)
}

func feeCollectCmd(g *globals) *cobra.Command {
	var from, amount string
	cmd := &cobra.Command{
		Use:   "collect --from KEY [--amount DEC]",
		Short: "Collect fee revenue (fees spent, deposits expired) from the fee contract to the revenue account",
		Long: `Move collected fees from the fee contract's coins to the policy's revenue
account, which signs: --amount of them, or everything collectable (spent +
expired − collected, in multiples of the fee token's minimum unit).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context60()
			defer cancel()
			f, err := g.enabledFees(ctx, "there are no fees to collect")
			if err != nil {
				return err
			}
			t, amt, err := g.tokenAmount(ctx, string(f.Policy.Token), amount)
			if err != nil {
				return err
			}
			if amount == "" {
				unit, err := money.Parse(t.Contract.MinUnit, t.Decimals)
				if err != nil {
					return fmt.Errorf("%s's minimum unit %q: %w", t.ID, t.Contract.MinUnit, err)
				}
				_, rem := f.Books.Collectable.Units.QuoRem(unit)
				amt, _ = f.Books.Collectable.Units.Sub(rem)
			}
			if amt.IsZero() {
				return fmt.Errorf("nothing to collect: %s %s is collectable, less than the minimum unit %s",
					f.Books.Collectable.Units.FormatFixed(t.Decimals), t.Symbol, t.Contract.MinUnit)
			}
			inputs, total, err := g.selectCoins(ctx, f.Contract, t, amt)
			if err != nil {
				return err
			}
			rc, err := g.submit(cmd, from, &txpb.Body{Msg: &txpb.Body_FeeCollect{FeeCollect: &txpb.FeeCollect{Inputs: inputs, Amount: amt.String()}}})
			if err != nil {
				return err
			}
			change, _ := total.Sub(amt)
			return g.printReceipt(cmd, rc, fmt.Sprintf("collected %s %s of fees for %s (%s %s back to the fee contract)",
				amt.FormatFixed(t.Decimals), t.Symbol, f.Policy.Revenue, change.FormatFixed(t.Decimals), t.Symbol))
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "the policy's revenue account: key name")
	f.StringVar(&amount, "amount", "", "amount in units of the fee token (default: everything collectable)")
	required(cmd, "from")
	return cmd
}

// feeToken is the policy's fee token; without a policy, the refusal the
// ledger would give a deposit, before anything is signed.
func (g *globals) feeToken(ctx context.Context) (ledger.TokenID, error) {
	f, err := g.enabledFees(ctx, "nothing is charged, and there is nothing to deposit into")
	if err != nil {
		return "", err
	}
	return f.Policy.Token, nil
}

// enabledFees reads the fee policy; without one, the ledger's refusal
// (FEE_NOT_ENABLED), saying why that matters (why), before anything is
// signed.
func (g *globals) enabledFees(ctx context.Context, why string) (*client.Fees, error) {
	f, err := g.client().Fees(ctx)
	if err != nil {
		return nil, err
	}
	if !f.Enabled {
		return nil, &rejectedError{code: uint32(ledger.CodeFeeNotEnabled), name: ledger.CodeFeeNotEnabled.Name(),
			message: "no fee policy is set: " + why}
	}
	return f, nil
}

func feeSetCmd(g *globals) *cobra.Command {
	var from, file string
	cmd := &cobra.Command{
		Use:   "set --from KEY --file fees.toml",
		Short: "Set the fee policy and schedule from a file (operator; see examples/fees.toml)",
		Long: `Set the platform's fee policy and schedule (set_fee_schedule), replacing any
before, from a TOML file: see examples/fees.toml, commented field by field. The
revenue account may be an address or a key name. The file is read strictly
(unknown fields, wrong types and amounts with more decimals than the fee token
are errors); the ledger checks the rules (tiers in increasing order, validities
from 1h to 10 years, kinds that may be priced) and refuses with FEE_SCHEDULE.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := os.ReadFile(file)
			if err != nil {
				return err
			}
			ctx, cancel := context60()
			defer cancel()
			var symbol string
			var apiErr error // the fee token's lookup failing is the API's error, not the file's
			p, s, err := feefile.Parse(b, g.lookup, func(id ledger.TokenID) (uint8, error) {
				t, err := g.client().Token(ctx, id)
				if err != nil {
					apiErr = err
					return 0, err
				}
				symbol = t.Symbol
				return t.Decimals, nil
			})
			switch {
			case apiErr != nil:
				return apiErr
			case err != nil:
				return &usageError{err}
			}
			rc, err := g.submit(cmd, from, &txpb.Body{Msg: &txpb.Body_SetFeeSchedule{SetFeeSchedule: tx.FeeScheduleToProto(p, s)}})
			if err != nil {
				return err
			}
			return g.printReceipt(cmd, rc, fmt.Sprintf("set the fees from %s: paid in %s for %s, %d deposit tier(s), %d kind(s) priced",
				file, symbol, p.Revenue, len(p.Tiers), len(s)))
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "operator: key name")
	f.StringVar(&file, "file", "", "fee file (TOML)")
	required(cmd, "from", "file")
	return cmd
}
