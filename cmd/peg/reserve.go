package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/durable"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/reserve"
	"github.com/pegledger/peg/internal/token"
	"github.com/pegledger/peg/internal/tx/txpb"
)

func reserveCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "reserve", Short: "Watch the fiat reserves behind the coins"}
	cmd.AddCommand(attestCmd(g), reserveStatusCmd(g), reserveHistoryCmd(g), reserveReportCmd(g))
	return cmd
}

func attestCmd(g *globals) *cobra.Command {
	var from, tok, balance, balanceType, bankTime, evidence string
	cmd := &cobra.Command{
		Use:   "attest --from KEY --token ID --balance DEC [--evidence FILE]",
		Short: "Post a reading of the reserve's bank balance by hand (attestor)",
		Long: `Post an attestation of the reserve's bank balance, read from a statement or the
bank's portal, signed by the token's attestor. The monitor posts these on its own
for banks it can reach; this is for the rest. The hash of --evidence (the bank's
statement file as received) is recorded so that an auditor can match it; without
it the hash covers the entered figures.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context60()
			defer cancel()
			t, _, err := g.tokenAmount(ctx, tok, "")
			if err != nil {
				return err
			}
			cur, ok := token.LookupCurrency(t.Contract.Fiat.Currency)
			if !ok {
				return fmt.Errorf("token %s has unknown currency %q", t.ID, t.Contract.Fiat.Currency)
			}
			amt, err := money.Parse(balance, cur.Digits)
			if err != nil {
				return usageErrorf("--balance %q in %s (%d decimals): %v", balance, cur.Code, cur.Digits, err)
			}
			at := time.Now().UTC().Truncate(time.Second)
			if bankTime != "" {
				if at, err = time.Parse(time.RFC3339, bankTime); err != nil {
					return usageErrorf("--bank-time: %v", err)
				}
			}
			raw := []byte(fmt.Sprintf("manual %s %s %s %s %s %s", t.ID, t.Contract.Fiat.Account, cur.Code, amt, balanceType, at.Format(time.RFC3339)))
			if evidence != "" {
				if raw, err = os.ReadFile(evidence); err != nil {
					return err
				}
			}
			hash := sha256.Sum256(raw)
			rc, err := g.submit(cmd, from, &txpb.Body{Msg: &txpb.Body_Attest{Attest: &txpb.Attest{
				Token: string(t.ID), Account: t.Contract.Fiat.Account, Currency: cur.Code, Balance: amt.String(),
				BalanceType: balanceType, BankTime: at.Unix(), RawHash: hash[:], Source: "manual"}}})
			if err != nil {
				return err
			}
			return g.printReceipt(cmd, rc, fmt.Sprintf("attested %s %s in %s for %s; reserve %s",
				amt.FormatFixed(cur.Digits), cur.Code, t.Contract.Fiat.Account, t.ID, attr(rc, "reserve.attested", "status")))
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "attestor", "attestor: key name")
	f.StringVar(&tok, "token", "", "token id")
	f.StringVar(&balance, "balance", "", "balance in the reserve's currency, e.g. 1000000.00")
	f.StringVar(&balanceType, "type", "ClosingBooked", "the bank's balance type")
	f.StringVar(&bankTime, "bank-time", "", "the bank's time of the balance, RFC 3339 (default now)")
	f.StringVar(&evidence, "evidence", "", "the bank's statement or answer as received, to hash")
	required(cmd, "token", "balance")
	return cmd
}

func reserveStatusCmd(g *globals) *cobra.Command {
	var tok, wait string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "status [ID] [--wait STATUS [--timeout 30s]]",
		Short: "Show every coin's reserve (or one): status, balance, required, coverage, last attestation",
		Long: `Show how the ledger judges each coin's fiat reserve at the latest block's time:
its status (and the status last recorded, when a reading has since outlived its
window), the attested bank balance, what the supply requires, the coverage
(balance ÷ required, rounded down), the bank's time of the last attestation and
its age, and the staleness window.

With --wait STATUS (UNATTESTED, OK, AT_RISK or STALE) and a token, ask the node
every second until the token's reserve has that status, then show it; after
--timeout, exit 1 naming the status last seen. A change at the bank reaches the
ledger with the monitor's next attestation: wait for it before going on.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := tokenArg(cmd, args, tok, true)
			if err != nil {
				return err
			}
			var rs []client.TokenReserve
			if wait != "" {
				rs, err = g.waitReserve(id, reserve.Status(wait), timeout)
			} else {
				ctx, cancel := context60()
				defer cancel()
				rs, err = g.reserves(ctx, id)
			}
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), rs, func(w io.Writer) { printReserves(w, rs) })
		},
	}
	deprecatedTokenFlag(cmd, &tok)
	cmd.Flags().StringVar(&wait, "wait", "", "wait until the token's status is this one: UNATTESTED, OK, AT_RISK or STALE")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "with --wait, how long to wait")
	return cmd
}

// reservePoll is how often --wait asks the node for a reserve's status.
const reservePoll = time.Second

// waitReserve asks for id's reserve every reservePoll until its status is
// want, and returns it; after timeout, an error naming the status last seen.
func (g *globals) waitReserve(id ledger.TokenID, want reserve.Status, timeout time.Duration) ([]client.TokenReserve, error) {
	switch {
	case id == "":
		return nil, usageErrorf("--wait needs the token whose status to wait for, e.g. peg reserve status gbpt --wait %s", want)
	case !slices.Contains([]reserve.Status{reserve.Unattested, reserve.OK, reserve.AtRisk, reserve.Stale}, want):
		return nil, usageErrorf("--wait %q: want UNATTESTED, OK, AT_RISK or STALE", want)
	case timeout <= 0:
		return nil, usageErrorf("--timeout %s: want a positive duration, e.g. 30s", timeout)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tick := time.NewTicker(reservePoll)
	defer tick.Stop()
	var last reserve.Status
	for {
		rs, err := g.reserves(ctx, id)
		switch {
		case err == nil && rs[0].Status == want:
			return rs, nil
		case err == nil:
			last = rs[0].Status
		case ctx.Err() == nil:
			return nil, err
		}
		select {
		case <-ctx.Done():
			if last == "" {
				return nil, fmt.Errorf("%s's reserve: no answer within %s while waiting for %s", id, timeout, want)
			}
			return nil, fmt.Errorf("%s's reserve is %s, not %s, after waiting %s", id, last, want, timeout)
		case <-tick.C:
		}
	}
}

// reserves lists every token's reserve, or only id's.
func (g *globals) reserves(ctx context.Context, id ledger.TokenID) ([]client.TokenReserve, error) {
	if id == "" {
		return g.client().Reserves(ctx)
	}
	t, err := g.client().Token(ctx, id)
	if err != nil {
		return nil, err
	}
	return []client.TokenReserve{{Token: t.ID, Symbol: t.Symbol, Reserve: t.Reserve}}, nil
}

func printReserves(w io.Writer, rs []client.TokenReserve) {
	if len(rs) == 0 {
		fmt.Fprintln(w, "no tokens")
		return
	}
	fmt.Fprintf(w, "as of %s (the latest block's time)\n", rs[0].AsOf.Format(time.RFC3339))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TOKEN\tSTATUS\tBALANCE\tREQUIRED\tCOVERAGE\tBANK TIME\tAGE\tWINDOW")
	for _, r := range rs {
		status := string(r.Status)
		if r.RecordedStatus != r.Status {
			status += fmt.Sprintf(" (recorded %s)", r.RecordedStatus)
		}
		balance, bankTime, age := "-", "-", "-"
		if rd := r.Reading; rd != nil {
			balance = fiatText(rd.Balance)
			bankTime = rd.BankTime.Format(time.RFC3339)
			age = seconds(rd.AgeSeconds)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Token, status, balance,
			fiatText(r.Required), orDash(r.Coverage), bankTime, age, r.StalenessWindow.Text)
	}
	tw.Flush()
	fmt.Fprintln(w, "reserve accounts (a balance backs one token only, so it is never counted twice):")
	for _, r := range rs {
		a := r.Account
		fmt.Fprintf(w, "  %s: the %s balance of %s %s at %s\n", r.Token, a.Currency, a.Scheme, a.Account, a.BIC)
	}
}

func reserveHistoryCmd(g *globals) *cobra.Command {
	var tok string
	var limit int
	cmd := &cobra.Command{
		Use:   "history ID [--limit N]",
		Short: "List a coin's accepted attestations of its reserve, newest first",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := tokenArg(cmd, args, tok, false)
			if err != nil {
				return err
			}
			if limit < 1 || limit > client.MaxAttestationsPage {
				return usageErrorf("--limit %d: want 1 to %d", limit, client.MaxAttestationsPage)
			}
			ctx, cancel := context60()
			defer cancel()
			rs, err := g.client().Attestations(ctx, id, limit)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), rs, func(w io.Writer) {
				if len(rs) == 0 {
					fmt.Fprintf(w, "%s has no attestations yet\n", id)
					return
				}
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "BANK TIME\tBALANCE\tTYPE\tSOURCE\tHEIGHT\tTX\tRAW HASH")
				for _, r := range rs {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.BankTime.Format(time.RFC3339),
						fiatText(r.Balance), printable(r.BalanceType), printable(r.Source), r.Height, r.TxID, r.RawHash)
				}
				tw.Flush()
			})
		},
	}
	deprecatedTokenFlag(cmd, &tok)
	cmd.Flags().IntVar(&limit, "limit", 100, fmt.Sprintf("at most this many, the newest (≤ %d)", client.MaxAttestationsPage))
	return cmd
}

func reserveReportCmd(g *globals) *cobra.Command {
	var tok, month, out string
	cmd := &cobra.Command{
		Use:   "report ID --month YYYY-MM [--out DIR]",
		Short: "Write a coin's monthly reserve report as JSON and CSV",
		Long: `Write the monthly reserve report of a coin for one calendar month (UTC, in block
time): opening and closing supply, minted, redeemed, the attestations accepted,
the lowest coverage seen and the time spent in each status. It is judged as of
the latest block; the current month's report runs to it.

Two files are written into --out: reserve-report-ID-YYYY-MM.json, the API's
report, and reserve-report-ID-YYYY-MM.csv, a header and a row of the summary,
then a blank line and the attestations under their own header. With --output json
the report is also printed; the files' paths then go to stderr.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := tokenArg(cmd, args, tok, false)
			if err != nil {
				return err
			}
			if m, err := time.Parse(monthLayout, month); err != nil || m.Format(monthLayout) != month {
				return usageErrorf("--month %q: want YYYY-MM, e.g. %s", month, time.Now().UTC().Format(monthLayout))
			}
			ctx, cancel := context60()
			defer cancel()
			r, err := g.client().Report(ctx, id, month)
			if err != nil {
				return err
			}
			t, err := g.client().Token(ctx, id)
			if err != nil {
				return err
			}
			paths, err := writeReport(out, id, month, r)
			if err != nil {
				return err
			}
			if g.output == "json" { // stdout is the report alone
				for _, p := range paths {
					fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s\n", p)
				}
			}
			return g.print(cmd.OutOrStdout(), r, func(w io.Writer) {
				printReport(w, r, t.Decimals)
				for _, p := range paths {
					fmt.Fprintf(w, "wrote %s\n", p)
				}
			})
		},
	}
	f := cmd.Flags()
	deprecatedTokenFlag(cmd, &tok)
	f.StringVar(&month, "month", "", "calendar month, UTC: YYYY-MM")
	f.StringVar(&out, "out", ".", "directory to write the two files into (created if missing)")
	required(cmd, "month")
	return cmd
}

// monthLayout is how a report's month is written: YYYY-MM, UTC.
const monthLayout = "2006-01"

// writeReport writes r, the report asked for of id and month, into dir as
// reserve-report-ID-YYYY-MM.json and .csv, each whole or not at all, and
// returns their paths. The names come from the request, which the CLI
// validated, never from the answer.
func writeReport(dir string, id ledger.TokenID, month string, r *client.ReserveReport) ([]string, error) {
	if r.Token != id || r.Month != month {
		return nil, fmt.Errorf("asked for the report of %s for %s, the API answered that of %s for %q", id, month, r.Token, r.Month)
	}
	js, err := reportJSON(r)
	if err != nil {
		return nil, err
	}
	cs, err := reportCSV(r)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	base := filepath.Join(dir, fmt.Sprintf("reserve-report-%s-%s", id, month))
	paths := []string{base + ".json", base + ".csv"}
	for i, b := range [][]byte{js, cs} {
		if err := durable.WriteFile(paths[i], b, 0o644); err != nil {
			return nil, err
		}
	}
	return paths, nil
}

// reportJSON is r as --output json prints it: indented, with a final newline.
func reportJSON(r *client.ReserveReport) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// reportCSVHeader and reportCSVAttestationsHeader name the CSV's columns: the
// summary's, then, after a blank line, the attestations'. Amounts are decimals
// in whole units: supply in the token, coverage figures in the reserve's
// currency.
var (
	reportCSVHeader = []string{"token", "symbol", "month", "as_of", "complete",
		"opening_supply", "closing_supply", "minted", "redeemed",
		"attestations", "attestations_omitted", "min_coverage", "min_coverage_balance", "min_coverage_required", "currency",
		"unattested_seconds", "ok_seconds", "at_risk_seconds", "stale_seconds", "at_risk_or_stale_seconds"}
	reportCSVAttestationsHeader = []string{"attested_at", "height", "bank_time", "balance", "currency",
		"balance_type", "source", "tx_id", "raw_hash"}
)

func reportCSV(r *client.ReserveReport) ([]byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	d := func(n int64) string { return strconv.FormatInt(n, 10) }
	s := r.SecondsInStatus
	w.Write(reportCSVHeader)
	w.Write([]string{string(r.Token), r.Symbol, r.Month, r.AsOf.Format(time.RFC3339), strconv.FormatBool(r.Complete),
		r.OpeningSupply.Amount, r.ClosingSupply.Amount, r.Minted.Amount, r.Redeemed.Amount,
		strconv.Itoa(r.AttestationCount), strconv.Itoa(r.AttestationsOmitted), r.MinCoverage,
		r.MinCoverageBalance.Amount, r.MinCoverageRequired.Amount, r.MinCoverageRequired.Currency,
		d(s.Unattested), d(s.OK), d(s.AtRisk), d(s.Stale), d(r.AtRiskOrStaleSeconds)})
	w.Write(nil) // the blank line between the sections
	w.Write(reportCSVAttestationsHeader)
	for _, a := range r.Attestations {
		w.Write([]string{a.AttestedAt.Format(time.RFC3339), strconv.FormatUint(a.Height, 10), a.BankTime.Format(time.RFC3339),
			a.Balance.Amount, a.Balance.Currency, csvText(a.BalanceType), csvText(a.Source), a.TxID.String(), a.RawHash})
	}
	w.Flush()
	return b.Bytes(), w.Error()
}

// csvText keeps free text that the attestor chose (a balance type, a source)
// from reading as a formula in a spreadsheet: a cell that starts with one of
// = + - @ or a control character gets a leading quote.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r\n", rune(s[0])) {
		return "'" + s
	}
	return s
}

func printReport(w io.Writer, r *client.ReserveReport, decimals uint8) {
	state := "the month is under way"
	if r.Complete {
		state = "complete"
	}
	fmt.Fprintf(w, "reserve report of %s (%s) for %s, as of %s: %s\n", r.Token, r.Symbol, r.Month, r.AsOf.Format(time.RFC3339), state)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, v string, args ...any) { fmt.Fprintf(tw, "  %s\t"+v+"\n", append([]any{k}, args...)...) }
	row("opening supply", "%s %s", tokenText(r.OpeningSupply, decimals), r.Symbol)
	row("minted", "%s %s", tokenText(r.Minted, decimals), r.Symbol)
	row("redeemed", "%s %s", tokenText(r.Redeemed, decimals), r.Symbol)
	row("closing supply", "%s %s", tokenText(r.ClosingSupply, decimals), r.Symbol)
	if r.AttestationsOmitted > 0 {
		row("attestations", "%d (the report lists the latest %d)", r.AttestationCount, len(r.Attestations))
	} else {
		row("attestations", "%d", r.AttestationCount)
	}
	if r.MinCoverage == "" {
		row("lowest coverage", "- (nothing was required)")
	} else {
		row("lowest coverage", "%s (%s held for %s required)", r.MinCoverage,
			fiatText(r.MinCoverageBalance), fiatText(r.MinCoverageRequired))
	}
	s := r.SecondsInStatus
	row("time in status", "UNATTESTED %s, OK %s, AT_RISK %s, STALE %s",
		seconds(s.Unattested), seconds(s.OK), seconds(s.AtRisk), seconds(s.Stale))
	row("at risk or stale", "%s", seconds(r.AtRiskOrStaleSeconds))
	tw.Flush()
}

// seconds writes a count of seconds as a Go duration ("26h0m0s").
func seconds(n int64) string { return (time.Duration(n) * time.Second).String() }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// printable replaces what a terminal would not print as text (escape
// sequences in free text an attestor chose) with '?'.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return '?'
	}, s)
}
