package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/pegledger/peg/internal/index"
	"github.com/pegledger/peg/internal/index/query"
	"github.com/pegledger/peg/internal/node"
	"github.com/pegledger/peg/internal/sqldb"
)

// reportsDir is where `peg report publish` writes report files by default,
// in the home.
const reportsDir = "reports"

func reportCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Published daily and monthly reports of the index: publish, list, show, verify",
		Long: `Daily and monthly reports of what the index holds (volumes, corridors, active
accounts, settlement times, reserve coverage), published for each complete
period as canonical JSON with its SHA-256 and the height it covers, in the
index's reports table (served at GET /v1/published) and as files.
docs/queries.md gives the format and how to check one.`,
	}
	cmd.AddCommand(reportPublishCmd(g), reportListCmd(g), reportShowCmd(g), reportVerifyCmd(g))
	return cmd
}

// indexWhere is --db, or the index the home's node configuration names.
func (g *globals) indexWhere(db string) (string, error) {
	if db != "" {
		return db, nil
	}
	cfg, err := node.LoadConfig(g.home)
	if err != nil {
		return "", usageErrorf("no --db, and no node configuration in --home to take the index from: %v", err)
	}
	if w := cfg.IndexDatabase(g.home); w != "" {
		return w, nil
	}
	return "", usageErrorf("no --db, and the node in %s has no [index] database", g.home)
}

type publishedView struct {
	Name   string `json:"name"`
	Height int64  `json:"height"`
	SHA256 string `json:"sha256"`
	File   string `json:"file"`
}

func reportPublishCmd(g *globals) *cobra.Command {
	var db, dir string
	cmd := &cobra.Command{
		Use:   "publish [--db INDEX] [--dir DIR]",
		Short: "Publish every complete day and month that has no report yet (what peg index does on a schedule)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			where, err := g.indexWhere(db)
			if err != nil {
				return err
			}
			if dir == "" {
				dir = filepath.Join(g.home, reportsDir)
			}
			// A first publish over a long index builds many reports: it
			// runs without the requests' time limit.
			ctx := context.Background()
			d, err := index.Open(ctx, where)
			if err != nil {
				return err
			}
			defer d.Close()
			ps, err := query.PublishDue(ctx, d, dir)
			views := []publishedView{}
			for _, p := range ps {
				views = append(views, publishedView{Name: p.Name, Height: p.Height, SHA256: p.SHA256, File: p.File})
			}
			if perr := g.print(cmd.OutOrStdout(), views, func(w io.Writer) {
				if len(views) == 0 {
					fmt.Fprintln(w, "nothing due: every complete period is published")
				}
				for _, v := range views {
					fmt.Fprintf(w, "published %s (height %d) sha256 %s  %s\n", v.Name, v.Height, v.SHA256, v.File)
				}
			}); perr != nil {
				return perr
			}
			return err
		},
	}
	cmd.Flags().StringVar(&db, "db", "", "the index database (default: the one the node in --home names)")
	cmd.Flags().StringVar(&dir, "dir", "", "where to write the report files (default: HOME/reports)")
	return cmd
}

func reportListCmd(g *globals) *cobra.Command {
	var kind, cursor string
	var limit int
	cmd := &cobra.Command{
		Use:   "list [--kind daily|monthly] [--limit N] [--cursor C]",
		Short: "List the node's published reports, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context60()
			defer cancel()
			p, err := g.client().Published(ctx, kind, cursor, limit)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), p, func(w io.Writer) {
				if len(p.Items) == 0 {
					fmt.Fprintln(w, "no reports published")
					return
				}
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tHEIGHT\tCHAINS\tSHA256")
				for _, it := range p.Items {
					fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", it.Name, it.Height, strings.Join(it.ChainIDs, ","), it.SHA256)
				}
				tw.Flush()
				if p.NextCursor != "" {
					fmt.Fprintf(w, "more: peg report list --cursor %s\n", p.NextCursor)
				}
			})
		},
	}
	cmd.Flags().StringVar(&kind, "kind", "", "daily or monthly (default both)")
	cmd.Flags().IntVar(&limit, "limit", 0, "the most reports a page holds (default 50, at most 500)")
	cmd.Flags().StringVar(&cursor, "cursor", "", "the cursor a previous page printed")
	return cmd
}

func reportShowCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "show NAME",
		Short: "Print a published report (daily-YYYY-MM-DD or monthly-YYYY-MM) exactly as published",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context60()
			defer cancel()
			body, sum, err := g.client().PublishedReport(ctx, args[0])
			if err != nil {
				return err
			}
			if g.output == "json" {
				_, err := cmd.OutOrStdout().Write(body)
				return err
			}
			var b bytes.Buffer
			if err := json.Indent(&b, body, "", "  "); err != nil {
				return fmt.Errorf("report %s: %w", args[0], err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s\nsha256 %s (of the report as published: peg report show %s --output json)\n", b.String(), sum, args[0])
			return nil
		},
	}
}

// verifyView is what peg report verify found.
type verifyView struct {
	File            string   `json:"file"`
	Name            string   `json:"name"`
	SHA256          string   `json:"sha256"`
	PublishedSHA256 string   `json:"published_sha256"`
	HashOK          bool     `json:"hash_ok"`
	FiguresChecked  bool     `json:"figures_checked"`
	FiguresOK       bool     `json:"figures_ok"`
	Differences     []string `json:"differences"`
}

func reportVerifyCmd(g *globals) *cobra.Command {
	var db string
	var hashOnly bool
	cmd := &cobra.Command{
		Use:   "verify FILE [--db INDEX] [--hash-only]",
		Short: "Check a report file: its SHA-256 against the one the node published, and its figures against the index",
		Long: `Recompute FILE's SHA-256 and compare it with the one the node keeps for the
report (GET /v1/published/NAME); then rebuild the report from the index
database (--db, or the one the node in --home names) and compare every figure.
--hash-only skips the second check, for one who has no access to the index.
Exits 1 when anything differs.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := g.verifyReport(args[0], db, hashOnly)
			if err != nil {
				return err
			}
			if perr := g.print(cmd.OutOrStdout(), v, func(w io.Writer) { verifyText(w, v) }); perr != nil {
				return perr
			}
			if !v.HashOK || (v.FiguresChecked && !v.FiguresOK) {
				return &reportedError{fmt.Errorf("report %s does not verify", v.Name)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&db, "db", "", "the index database (default: the one the node in --home names)")
	cmd.Flags().BoolVar(&hashOnly, "hash-only", false, "check the SHA-256 only, not the figures")
	return cmd
}

func (g *globals) verifyReport(file, db string, hashOnly bool) (*verifyView, error) {
	body, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var rep query.Report
	if err := json.Unmarshal(body, &rep); err != nil || rep.Name == "" {
		return nil, fmt.Errorf("%s is not a published report (%v)", file, err)
	}
	v := &verifyView{File: file, Name: rep.Name, SHA256: query.SHA256(body), Differences: []string{}}
	ctx, cancel := context60()
	defer cancel()
	_, v.PublishedSHA256, err = g.client().PublishedReport(ctx, rep.Name)
	if err != nil {
		return nil, err
	}
	v.HashOK = v.SHA256 == v.PublishedSHA256
	if hashOnly {
		return v, nil
	}
	where, err := g.indexWhere(db)
	if err != nil {
		return nil, err
	}
	d, err := sqldb.OpenReader("index", where, 1)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	rebuilt, err := query.Build(ctx, d, rep.Name)
	if err != nil {
		var inv *query.InvalidError
		if errors.As(err, &inv) {
			return nil, usageErrorf("%s", inv.Msg)
		}
		return nil, err
	}
	v.FiguresChecked = true
	v.Differences = append(v.Differences, query.Compare(&rep, rebuilt)...)
	if !bytes.Equal(rep.Canonical(), body) && len(v.Differences) == 0 {
		v.Differences = append(v.Differences, "the file is not in canonical form (its bytes are not the report's JSON as published)")
	}
	v.FiguresOK = len(v.Differences) == 0
	return v, nil
}

func verifyText(w io.Writer, v *verifyView) {
	ok := map[bool]string{true: "OK", false: "DIFFERS"}
	fmt.Fprintf(w, "%s: report %s\n", v.File, v.Name)
	fmt.Fprintf(w, "  sha256 %s, published %s: %s\n", v.SHA256, v.PublishedSHA256, ok[v.HashOK])
	if !v.FiguresChecked {
		fmt.Fprintln(w, "  figures not checked (--hash-only)")
		return
	}
	fmt.Fprintf(w, "  figures against the index: %s\n", ok[v.FiguresOK])
	for _, d := range v.Differences {
		fmt.Fprintf(w, "    %s\n", d)
	}
}
