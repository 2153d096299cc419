package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/pegledger/peg/internal/creditnode"
)

func creditServeCmd(g *globals) *cobra.Command {
	var listen, docs, secret string
	var chains, webhooks []string
	var maxAge time.Duration
	var minSigned int64
	cmd := &cobra.Command{
		Use:   "serve [--chain NAME=URL ...] [--listen ADDR]",
		Short: "Run the credit node's service: accept credit transactions over HTTP, follow the chains, notify payers and payees",
		Long: `Run the credit node's service beside the chains it serves (S4.1, S4.11).
It submits signed credit transactions (POST /v1/txs {"chain", "tx"}) and
refuses every one while any served chain is not live, naming the chain and
why (CHAIN_NOT_LIVE, 503): unreachable, no block within --max-block-age, or
less than --min-signed (in thousandths) of its voting power signing the
commit its latest block carries (default 800: every block needs more than
2/3, and a chain that commits with less than 4/5 is one fault from
stopping, as four validators with one down are).
It keeps the documents that requests for a higher limit prove
(POST /v1/documents, GET /v1/documents/{sha256}), and tells payers and payees
of each credit step on every chain: GET /v1/events (server-sent events) and
signed webhooks (Peg-Signature, as the reserve monitor's). GET /v1/chains shows
each chain's liveness. Without --chain it serves the home's node, named by
its region.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := creditnode.Config{MaxBlockAge: maxAge, MinSignedPermille: minSigned, Documents: docs}
			if cfg.Documents == "" {
				cfg.Documents = filepath.Join(g.home, "credit", "documents")
			}
			for _, c := range chains {
				name, url, ok := strings.Cut(c, "=")
				if !ok || name == "" || url == "" {
					return usageErrorf("--chain %q: want NAME=URL", c)
				}
				cfg.Chains = append(cfg.Chains, creditnode.Chain{Name: name, URL: url})
			}
			if len(cfg.Chains) == 0 {
				ctx, cancel := context60()
				defer cancel()
				st, err := g.client().Status(ctx)
				if err != nil {
					return err
				}
				cfg.Chains = []creditnode.Chain{{Name: string(st.Region), URL: g.nodeURL()}}
			}
			hooks, err := upWebhooks(webhooks, secret)
			if err != nil {
				return err
			}
			cfg.Webhooks = hooks
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			s, err := creditnode.New(cfg, log)
			if err != nil {
				return &usageError{err}
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return err
			}
			srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
			go func() {
				if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
					log.Error("credit service stopped", "err", err)
				}
			}()
			fmt.Fprintf(cmd.OutOrStdout(), "credit node service on http://%s serving %d chain(s)\n", ln.Addr(), len(cfg.Chains))
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			s.Run(ctx)
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return srv.Shutdown(sctx)
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:26670", "address to serve on")
	f.StringArrayVar(&chains, "chain", nil, "a served chain, NAME=API URL (repeatable)")
	f.DurationVar(&maxAge, "max-block-age", creditnode.DefaultMaxBlockAge, "how old a chain's latest block may be while it counts as live")
	f.Int64Var(&minSigned, "min-signed", creditnode.DefaultMinSignedPermille, "least share of a chain's voting power, in thousandths (667-1000), signing its latest commit while it counts as live")
	f.StringVar(&docs, "documents", "", "where documents are kept (default --home/credit/documents)")
	f.StringSliceVar(&webhooks, "webhook", nil, "http(s) URL to POST credit events to (repeatable); needs --webhook-secret")
	f.StringVar(&secret, "webhook-secret", os.Getenv("PEG_WEBHOOK_SECRET"), "HMAC-SHA256 key for the Peg-Signature header ($PEG_WEBHOOK_SECRET)")
	return cmd
}
