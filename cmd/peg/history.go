package main

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pegledger/peg/internal/client"
)

// maxHistoryAll bounds the pages `peg history --all` walks: 2,000 pages of
// the largest size are a million rows, more than one export should be.
const maxHistoryAll = 2000

// csvOutput marks a command that takes --output csv besides text and json.
const csvOutput = "output-csv"

func historyCmd(g *globals) *cobra.Command {
	var q client.HistoryQuery
	var all bool
	cmd := &cobra.Command{
		Use:   "history [--account ADDR] [--token T] [--kind K] [--from T] [--to T] [--all] [--output text|json|csv]",
		Short: "Search the node's index of transactions, newest first, a page at a time (or --all of them)",
		Long: `Search the transactions the node's index holds (GET /v1/history): by account,
counterparty, token, kind, time range, amount range, region, trade status and
result code, newest first. A page ends with the command for the next one; --all
walks every page (for a whole range as CSV: --all --output csv). docs/queries.md
defines each filter.`,
		Annotations: map[string]string{csvOutput: "yes"},
		Args:        cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, p := range []*string{&q.Account, &q.Counterparty} {
				if *p == "" {
					continue
				}
				a, err := g.lookup(*p)
				if err != nil {
					return &usageError{err}
				}
				*p = a.String()
			}
			if all && q.Cursor != "" {
				return usageErrorf("--all walks from the newest page; it takes no --cursor")
			}
			if g.output == "csv" {
				return g.historyCSV(cmd.OutOrStdout(), cmd.ErrOrStderr(), q, all)
			}
			page, err := g.historyPages(q, all)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), page, func(w io.Writer) { historyText(w, q, page) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&q.Account, "account", "", "only this account's transactions (address or key name), each as its entry")
	f.StringVar(&q.Counterparty, "counterparty", "", "only the account's entries with this address (needs --account)")
	f.StringVar(&q.Token, "token", "", "only this token")
	f.StringVar(&q.Kind, "kind", "", "only this transaction kind (pay, mint, redeem…)")
	f.StringVar(&q.From, "from", "", "from this time (RFC 3339) or day (YYYY-MM-DD)")
	f.StringVar(&q.To, "to", "", "to this time (excluded) or day (included)")
	f.StringVar(&q.Min, "min", "", "amounts of at least this many units of --token")
	f.StringVar(&q.Max, "max", "", "amounts of at most this many units of --token")
	f.StringVar(&q.Region, "region", "", "only this region (GB)")
	f.StringVar(&q.TradeStatus, "trade-status", "", "only the offers of trades now in this status")
	f.StringVar(&q.Code, "code", "", "ok (default), refused or any")
	f.IntVar(&q.Limit, "limit", 0, "the most transactions a page holds (default 50, at most 500)")
	f.StringVar(&q.Cursor, "cursor", "", "the cursor a previous page printed")
	f.BoolVar(&all, "all", false, "walk every page")
	return cmd
}

// historyPages reads one page, or with all every page into one.
func (g *globals) historyPages(q client.HistoryQuery, all bool) (*client.HistoryPage, error) {
	out := &client.HistoryPage{Items: []client.HistoryItem{}}
	for range maxHistoryAll {
		ctx, cancel := context60()
		p, err := g.client().History(ctx, q)
		cancel()
		if err != nil {
			return nil, err
		}
		out.Items = append(out.Items, p.Items...)
		out.NextCursor = p.NextCursor
		if !all || p.NextCursor == "" {
			return out, nil
		}
		q.Cursor = p.NextCursor
	}
	return nil, fmt.Errorf("--all stops at %d pages; narrow the range with --from and --to", maxHistoryAll)
}

// historyCSV writes the API's CSV export: one page, or every page with
// one header line; without all, the next page's command goes to stderr.
func (g *globals) historyCSV(w, stderr io.Writer, q client.HistoryQuery, all bool) error {
	for i := range maxHistoryAll {
		ctx, cancel := context60()
		body, next, err := g.client().HistoryCSV(ctx, q)
		cancel()
		if err != nil {
			return err
		}
		if i > 0 {
			_, body, _ = bytes.Cut(body, []byte("\n"))
		}
		if _, err := w.Write(body); err != nil {
			return err
		}
		if next == "" {
			return nil
		}
		if !all {
			fmt.Fprintf(stderr, "more: %s\n", nextCommand(q, next))
			return nil
		}
		q.Cursor = next
	}
	return fmt.Errorf("--all stops at %d pages; narrow the range with --from and --to", maxHistoryAll)
}

// historyText writes a page as a table people can read, and the command
// for the next page.
func historyText(w io.Writer, q client.HistoryQuery, p *client.HistoryPage) {
	if len(p.Items) == 0 {
		fmt.Fprintln(w, "no transactions")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if q.Account != "" {
		fmt.Fprintln(tw, "TIME\tREGION\tHEIGHT\tKIND\tDIR\tIN\tOUT\tUNIT\tCOUNTERPARTY\tTX")
	} else {
		fmt.Fprintln(tw, "TIME\tREGION\tHEIGHT\tKIND\tCODE\tAMOUNT\tUNIT\tPAYER\tPAYEE\tTX")
	}
	for _, it := range p.Items {
		unit := it.Unit
		if unit == "" {
			unit = it.Token
		}
		when := it.Time.Format(time.DateTime)
		if q.Account != "" {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", when, it.Region, it.Height, it.Kind, it.Direction,
				it.AmountIn, it.AmountOut, unit, short(it.Counterparty), short(it.TxID))
		} else {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", when, it.Region, it.Height, it.Kind, it.CodeName,
				it.Amount, unit, short(it.Payer), short(it.Payee), short(it.TxID))
		}
	}
	tw.Flush()
	if p.NextCursor != "" {
		fmt.Fprintf(w, "more: %s\n", nextCommand(q, p.NextCursor))
	}
}

// short clips an address or id for the table; --output json has them whole.
func short(s string) string {
	if len(s) > 16 {
		return s[:10] + "…" + s[len(s)-5:]
	}
	return s
}

// nextCommand is the peg history command for the page after cursor.
func nextCommand(q client.HistoryQuery, cursor string) string {
	parts := []string{"peg history"}
	for _, f := range []struct{ flag, v string }{
		{"account", q.Account}, {"counterparty", q.Counterparty}, {"token", q.Token}, {"kind", q.Kind}, {"from", q.From},
		{"to", q.To}, {"min", q.Min}, {"max", q.Max}, {"region", q.Region}, {"trade-status", q.TradeStatus}, {"code", q.Code},
	} {
		if f.v != "" {
			parts = append(parts, "--"+f.flag+" "+shellQuote(f.v))
		}
	}
	if q.Limit > 0 {
		parts = append(parts, "--limit "+strconv.Itoa(q.Limit))
	}
	return strings.Join(append(parts, "--cursor "+cursor), " ")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
