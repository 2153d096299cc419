package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/index"
	"github.com/pegledger/peg/internal/index/query"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/node"
	"github.com/pegledger/peg/internal/sqldb"
)

// indexFlags are what `peg index` and `peg index status` share.
type indexFlags struct {
	db string
}

// where is the index database: --db, the one the node configuration in
// --home names, or index.db in --home (an indexer with no node beside it).
func (f *indexFlags) where(g *globals) string {
	if w, err := g.indexWhere(f.db); err == nil {
		return w
	}
	return filepath.Join(g.home, node.DefaultIndexFile)
}

// indexNodes are the nodes --node names, comma-separated, or the home's.
func indexNodes(g *globals) ([]*client.Client, error) {
	if g.node == "" {
		return []*client.Client{client.New(g.nodeURL())}, nil
	}
	var out []*client.Client
	seen := map[string]bool{}
	for u := range strings.SplitSeq(g.node, ",") {
		u = strings.TrimSpace(u)
		if u == "" || seen[u] {
			return nil, usageErrorf("--node %q: want API URLs separated by commas, each once", g.node)
		}
		seen[u] = true
		out = append(out, client.New(u))
	}
	return out, nil
}

// indexStart is what `peg index` prints as it starts.
type indexStart struct {
	Database string   `json:"database"`
	Nodes    []string `json:"nodes"`
}

func indexCmd(g *globals) *cobra.Command {
	var f indexFlags
	var reports, profile string
	cmd := &cobra.Command{
		Use:   "index [--node URL[,URL...]] [--db PATH|postgres://...]",
		Short: "Index committed blocks into the trade database (SQLite or PostgreSQL)",
		Long: `Run the indexer: for each node (--node, comma-separated, one per region; the
home's node by default) it catches up from genesis, then follows the chain as
blocks are committed, writing what each block did (transactions, account
entries, coins, mints, redemptions, attestations, reserve status changes,
trades and credit) into the index database: the SQLite file index.db in --home
by default, or a postgres:// URL. Each batch of blocks is written in one SQL
transaction with the height it reaches, so that a stopped indexer resumes where
it stopped, with nothing lost or doubled. It is a client of the nodes' APIs and
never slows consensus.

A node whose chain id is not the one the database holds for its region, or
whose block at the indexed height has another hash (a chain rolled back or
replaced), is refused, and the indexer stops with an error naming both.

Every minute it publishes the daily and monthly reports of the periods that
are over on every chain it follows (see peg report), into the index and as
files in --reports. Progress goes to the log on stderr. See docs/index.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			nodes, err := indexNodes(g)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			where := f.where(g)
			db, err := index.Open(ctx, where)
			if err != nil {
				return err
			}
			defer db.Close()
			start := indexStart{Database: redactURL(where)}
			for _, n := range nodes {
				start.Nodes = append(start.Nodes, n.BaseURL())
			}
			err = g.print(cmd.OutOrStdout(), start, func(w io.Writer) {
				fmt.Fprintf(w, "indexing %s into %s\n", strings.Join(start.Nodes, ", "), start.Database)
			})
			if err != nil {
				return err
			}
			if reports == "" {
				reports = filepath.Join(g.home, reportsDir)
			}
			stopProfile, err := tuneProcess(index.GCPercent, profile)
			if err != nil {
				return err
			}
			defer stopProfile()
			return runIndex(ctx, db, nodes, reports, node.NewLogger(cmd.ErrOrStderr(), "info", "text"))
		},
	}
	cmd.Flags().StringVar(&reports, "reports", "", "where to publish the daily and monthly reports' files (default: HOME/reports)")
	cmd.Flags().StringVar(&profile, "cpuprofile", "", "write a CPU profile of the indexer, from start to stop, to this file")
	cmd.PersistentFlags().StringVar(&f.db, "db", "", "index database: an SQLite file or a postgres:// URL (default: the index the node configuration in --home names, or index.db in --home)")
	cmd.AddCommand(indexStatusCmd(g, &f), indexVerifyCmd(g, &f))
	return cmd
}

// PublishEvery is how often the indexer publishes the reports that are due.
const PublishEvery = time.Minute

// runIndex follows every node into db until ctx ends or one is refused,
// which stops them all, and publishes the reports that are due into db and
// reports (query.PublishDue) every PublishEvery.
func runIndex(ctx context.Context, db *sqldb.DB, nodes []*client.Client, reports string, log *slog.Logger) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		publishEvery(ctx, db, reports, PublishEvery, log)
	}()
	errs := make([]error, len(nodes))
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = (&index.Follower{Node: n, DB: db, Log: log}).Run(ctx)
			if errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// publishEvery publishes the reports that are due every interval until ctx
// ends. A failure is logged and tried again at the next tick: reports wait,
// the index does not.
func publishEvery(ctx context.Context, db *sqldb.DB, dir string, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		done, err := query.PublishDue(ctx, db, dir)
		if err != nil && ctx.Err() == nil {
			log.Warn("publishing reports", "err", err)
		}
		for _, p := range done {
			log.Info("report published", "name", p.Name, "height", p.Height, "sha256", p.SHA256, "file", p.File)
		}
	}
}

// redactURL drops a PostgreSQL URL's password for printing.
func redactURL(where string) string {
	if !sqldb.IsURL(where) {
		return where
	}
	if i, j := strings.Index(where, "://"), strings.LastIndex(where, "@"); i >= 0 && j > i {
		if k := strings.Index(where[i+3:j], ":"); k >= 0 {
			return where[:i+3+k] + ":***" + where[j:]
		}
	}
	return where
}

func indexStatusCmd(g *globals, f *indexFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "status [--node URL[,URL...]] [--db PATH|postgres://...]",
		Short: "Print each chain's indexed height against its node's height",
		Long: `Print every chain the index database holds, with the height it is indexed to,
and, for each node named (--node, comma-separated; the home's by default), the
node's height and how many blocks the index lags behind it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			nodes, err := indexNodes(g)
			if err != nil {
				return err
			}
			where := f.where(g)
			db, err := openIndexReader(where)
			if err != nil {
				return err
			}
			defer db.Close()
			lags, err := index.Status(cmd.Context(), db, nodes)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), lags, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "CHAIN\tREGION\tINDEXED\tNODE HEIGHT\tLAG\tNODE")
				for _, l := range lags {
					if l.Error != "" {
						fmt.Fprintf(tw, "?\t?\t\t\t\t%s: %s\n", l.Node, l.Error)
						continue
					}
					height, lag := "-", "-"
					if l.Node != "" {
						height, lag = fmt.Sprint(l.Height), fmt.Sprint(l.Lag)
					}
					fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", l.ChainID, l.Region, l.Indexed, height, lag, l.Node)
				}
				tw.Flush()
			})
		},
	}
	return cmd
}

// openIndexReader opens an index database that exists, for reading.
func openIndexReader(where string) (*sqldb.DB, error) {
	if !sqldb.IsURL(where) {
		if _, err := os.Stat(where); err != nil {
			return nil, fmt.Errorf("no index database at %s (peg index writes one): %w", where, err)
		}
	}
	return sqldb.OpenReader("index", where, 1)
}

func indexVerifyCmd(g *globals, f *indexFlags) *cobra.Command {
	var tok string
	cmd := &cobra.Command{
		Use:   "verify [ADDRESS|KEY...] [--token ID]",
		Short: "Hold the index to the node's chain",
		Long: `Compare the index with the node's chain (--node; the home's by default) up to
the height the index holds: every receipt of every block exactly once, in order,
with its code; and, when the node is at that height, each named account's
unspent coins of --token and its balance summed from the index's entries. Exits
1 when anything differs, listing what.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 && tok == "" {
				return usageErrorf("naming accounts needs --token")
			}
			addrs := make([]ledger.Address, len(args))
			for i, s := range args {
				a, err := g.lookup(s)
				if err != nil {
					return &usageError{err}
				}
				addrs[i] = a
			}
			db, err := openIndexReader(f.where(g))
			if err != nil {
				return err
			}
			defer db.Close()
			v, err := index.Verify(cmd.Context(), db, client.New(g.nodeURL()), ledger.TokenID(tok), addrs)
			if err != nil {
				return err
			}
			err = g.print(cmd.OutOrStdout(), v, func(w io.Writer) {
				fmt.Fprintf(w, "chain %s indexed to height %d: %d receipts compared", v.ChainID, v.Height, v.Receipts)
				if v.Holdings {
					fmt.Fprintf(w, ", and %d account(s)' coins and balances", v.Accounts)
				}
				fmt.Fprintln(w)
				for _, d := range v.Differences {
					fmt.Fprintln(w, "DIFFERS:", d)
				}
			})
			if err == nil && len(v.Differences) > 0 {
				err = &reportedError{fmt.Errorf("the index differs from the chain in %d way(s)", len(v.Differences))}
			}
			return err
		},
	}
	cmd.Flags().StringVar(&tok, "token", "", "the token whose coins and balances to compare (needed with accounts)")
	return cmd
}
