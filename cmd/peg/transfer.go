package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	pegnet "github.com/pegledger/peg/internal/network"
	"github.com/pegledger/peg/internal/node"
	"github.com/pegledger/peg/internal/relay"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

func transferCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "transfer", Short: "Show payments between regions (outbound and inbound transfers)"}
	cmd.AddCommand(transferListCmd(g), transferShowCmd(g))
	return cmd
}

func transferListCmd(g *globals) *cobra.Command {
	var status, direction, cursor string
	var limit int
	var all bool
	cmd := &cobra.Command{
		Use:   "list [--status pending|delivered|refunded|returned] [--direction out|in] [--limit N] [--cursor C | --all]",
		Short: "List the node's region's transfers to and from other regions, a page at a time, and every token's books",
		Long: `List the transfers the node's region recorded: outbound ones (a payment to
a payee of another region), pending until the payee region's answer is
proven back, then delivered or refunded; inbound ones (delivered by a
relayer), delivered or returned with the reason. The books show, per token,
what left and came in: the coins here total supply − sent + received +
refunded, and sent − refunded − delivered is what is still pending.

The list comes a page at a time (--limit, 100 by default, at most 1000),
outbound then inbound, each by the height that recorded a transfer then its
id; a page that is not the last ends with the cursor of the next, which
--cursor takes. --all reads every page.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if all && cursor != "" {
				return usageErrorf("--all reads every page from the first; it takes no --cursor")
			}
			ctx, cancel := context60()
			defer cancel()
			var l *client.TransferList
			var err error
			if all {
				l, err = g.client().Transfers(ctx, status, direction)
			} else {
				l, err = g.client().TransferPage(ctx, client.TransferQuery{Status: status, Direction: direction, Limit: limit, Cursor: cursor})
			}
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), l, func(w io.Writer) {
				fmt.Fprintf(w, "region %s at height %d: %d transfer(s)\n", l.Region, l.Height, len(l.Transfers))
				for _, t := range l.Transfers {
					printTransferLine(w, t)
				}
				if l.NextCursor != "" {
					fmt.Fprintf(w, "more: --cursor %s\n", l.NextCursor)
				}
				for _, b := range l.Books {
					fmt.Fprintf(w, "books %s (home %s): supply %s, sent %s, received %s, refunded %s, delivered %s, held here %s (minor units)\n",
						b.Token, b.Home, b.Supply, b.Sent, b.Received, b.Refunded, b.Delivered, b.Held)
				}
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&status, "status", "", "pending, delivered, refunded (outbound), delivered or returned (inbound)")
	f.StringVar(&direction, "direction", "", "out or in")
	f.IntVar(&limit, "limit", 0, "transfers a page (1 to 1000; default 100)")
	f.StringVar(&cursor, "cursor", "", "the cursor a page ended with: the next page")
	f.BoolVar(&all, "all", false, "read every page")
	return cmd
}

func printTransferLine(w io.Writer, t client.Transfer) {
	fmt.Fprintf(w, "  %-3s %s  %-9s %s %s  %s (%s) → %s (%s)", t.Direction, t.ID, t.Status, t.Amount, t.Token, t.Payer, t.From, t.Payee, t.To)
	if t.Reason != "" {
		fmt.Fprintf(w, "  reason %s", t.Reason)
	}
	fmt.Fprintln(w)
}

func transferShowCmd(g *globals) *cobra.Command {
	var direction string
	cmd := &cobra.Command{
		Use:   "show ID [--direction out|in]",
		Short: "Show one transfer by its id (the coin id the payment's output would have had)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := ledger.ParseCoinID(args[0])
			if err != nil {
				return &usageError{err}
			}
			ctx, cancel := context60()
			defer cancel()
			t, err := g.client().Transfer(ctx, id, direction)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), t, func(w io.Writer) {
				fmt.Fprintf(w, "transfer %s (%s, %s)\n", t.ID, t.Direction, t.Status)
				fmt.Fprintf(w, "  amount  %s %s (%s minor units)\n  payer   %s (%s)\n  payee   %s (%s)\n  tx      %s at height %d\n",
					t.Amount, t.Token, t.Units, t.Payer, t.From, t.Payee, t.To, t.Tx, t.Height)
				if t.Coin != nil {
					fmt.Fprintf(w, "  coin    %s\n", *t.Coin)
				}
				if t.Reason != "" {
					fmt.Fprintf(w, "  reason  %s\n", t.Reason)
				}
				if t.Closed != nil {
					what := map[string]string{"refunded": "refund ", "delivered": "ack    "}[t.Status]
					fmt.Fprintf(w, "  %s %s at height %d\n", what, *t.Closed, t.ClosedHeight)
				}
				if t.InTx != nil {
					fmt.Fprintf(w, "  in      %s at height %d of %s\n", *t.InTx, t.InHeight, t.To)
				}
			})
		},
	}
	cmd.Flags().StringVar(&direction, "direction", "", "out or in (default: the outbound record if there is one)")
	return cmd
}

func tokenImportCmd(g *globals) *cobra.Command {
	var from, source string
	cmd := &cobra.Command{
		Use:   "import TOKEN --from KEY --source URL",
		Short: "Record, on the node's region, a token deployed in another region (anyone may sign)",
		Long: `Import a token's contract from its home region: the command reads the token
and the proof of its deploy_token receipt from --source (an API of the home
region) and submits token_import to --node, whose chain checks the proof
against the home region's validators from its genesis and records the same
contract (same id, same hash). A region needs a token's contract before it
can hold its coins; peg relay imports it by itself before the first
transfer. Minting, redeeming and attesting stay with the home region.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := ledger.ParseTokenID(args[0])
			if err != nil {
				return &usageError{err}
			}
			if source == "" {
				return usageErrorf("--source, an API URL of the token's home region, is required")
			}
			ctx, cancel := context60()
			defer cancel()
			home := client.New(source)
			t, err := home.Token(ctx, id)
			if err != nil {
				return err
			}
			p, err := home.TxProof(ctx, t.DeployTx)
			if err != nil {
				return err
			}
			b, err := json.Marshal(p)
			if err != nil {
				return err
			}
			rc, err := g.submit(cmd, from, &txpb.Body{Msg: &txpb.Body_TokenImport{TokenImport: &txpb.TokenImport{
				Proof: b, Contract: tx.DraftToProto(t.Contract)}}})
			if err != nil {
				return err
			}
			return g.printReceipt(cmd, rc, fmt.Sprintf("imported %s from chain %s (deployed by %s at height %d)", id, p.ChainID, t.DeployTx, t.DeployHeight))
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "key that signs (anyone)")
	cmd.Flags().StringVar(&source, "source", "", "API URL of a node of the token's home region")
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

func relayCmd(g *globals) *cobra.Command {
	var file, from, metrics, logLevel string
	var interval time.Duration
	var workers int
	cmd := &cobra.Command{
		Use:   "relay --network FILE --from KEY",
		Short: "Carry payments between regions: deliver each outbound transfer, then close it delivered or refunded",
		Long: `Run a relayer (S2.7): a stateless loop over every region of --network. For
each outbound transfer still pending on a region it asks the payee's region
what became of it: one not seen there is delivered (transfer_in, with the
proof of the payment's receipt, after importing the token's contract if the
region lacks it); one delivered is closed delivered on the payer's region
(transfer_ack, with the proof of the delivery); one returned is refunded
there (transfer_refund, with the proof of the return). A region's
transactions go in batches, many to a block. Before carrying a proof to a
region that trusts another validator set for the proof's region than the
one that signed it, it moves that trust (region_update, with the proof's
signed header). The chains check the proofs, not the relayer: anyone may run
one, and several may run at once; a transfer another relayer already
carried is refused TRANSFER_DONE, which is logged at debug. A region that
does not answer is retried with backoff.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := pegnet.Load(file)
			if err != nil {
				return &usageError{err}
			}
			key, priv, err := signer(cmd, g, from)
			if err != nil {
				return err
			}
			log := node.NewLogger(cmd.ErrOrStderr(), logLevel, "text")
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			reg := prometheus.NewRegistry()
			if metrics != "" {
				ln, err := net.Listen("tcp", metrics)
				if err != nil {
					return err
				}
				srv := &http.Server{Handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), ReadHeaderTimeout: 5 * time.Second}
				go func() {
					if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
						log.Error("relay metrics", "err", err)
					}
				}()
				defer srv.Close()
				fmt.Fprintf(cmd.OutOrStdout(), "relay metrics on http://%s/metrics\n", ln.Addr())
			}
			fmt.Fprintf(cmd.OutOrStdout(), "relaying between %d region(s) of %s as %s\n", len(n.Regions), file, key.Address)
			if workers < 1 || workers > maxRelayWorkers {
				return usageErrorf("--workers %d: want 1 to %d", workers, maxRelayWorkers)
			}
			r := relay.New(relay.Config{Network: n, Key: priv, Signer: key.Address, Interval: interval, Log: log, Registry: reg, Workers: workers})
			return r.Run(ctx)
		},
	}
	f := cmd.Flags()
	f.StringVar(&file, "network", "network.toml", "network file (examples/network.toml)")
	f.StringVar(&from, "from", "", "key that signs the relayer's transactions (anyone)")
	f.StringVar(&metrics, "metrics", "", "address to serve Prometheus metrics on (host:port); none if empty")
	f.DurationVar(&interval, "interval", time.Second, "pause between passes (doubling, up to 30 times, while a region is down)")
	f.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	f.IntVar(&workers, "workers", defaultRelayWorkers, "transfers looked up at once, and batches submitted to a region at once")
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

// Relayer concurrency: defaultRelayWorkers transfers looked up at once by
// `peg relay` and the relayer `peg up --regions` runs; maxRelayWorkers
// bounds the flag, as the connections a relayer opens to each region.
const (
	defaultRelayWorkers = 16
	maxRelayWorkers     = 256
)

// auditNetwork checks conservation across the regions of a network file.
func (g *globals) auditNetwork(w io.Writer, file string) error {
	n, err := pegnet.Load(file)
	if err != nil {
		return &usageError{err}
	}
	ctx, cancel := context60()
	defer cancel()
	a, err := relay.AuditNetwork(ctx, n)
	if err != nil {
		return err
	}
	if err := g.print(w, a, func(w io.Writer) {
		fmt.Fprintf(w, "audit of %d region(s) of %s\n", len(n.Regions), file)
		for _, r := range n.Regions {
			fmt.Fprintf(w, "  %s at height %d\n", r.Region, a.Heights[r.Region])
		}
		for _, t := range a.Tokens {
			fmt.Fprintf(w, "token %s (home %s): held %s + in flight %s = minted %s − redeemed %s (minor units)\n",
				t.Token, t.Home, t.Held, t.InFlight, t.Minted, t.Redeemed)
		}
		for _, c := range a.Credit {
			fmt.Fprintf(w, "credit node %s: paid across regions %s = borrowed %s + in flight %s (minor units)\n",
				c.Node, c.CrossPaid, c.CrossBorrowed, c.InFlight)
		}
		printProblems(w, a.Problems)
	}); err != nil {
		return err
	}
	return verdict(w, g.output, len(a.Problems))
}

// startRelay runs a relayer of n, signing with a key of its own made for
// the run (the chains trust the proofs, not the relayer), until the
// returned stop is called.
func startRelay(ctx context.Context, n *pegnet.Network, region ledger.Region, log *slog.Logger) (func(), error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	r := relay.New(relay.Config{Network: n, Key: priv, Signer: ledger.NewAddress(region, pub), Log: log.With("module", "relay"),
		Workers: defaultRelayWorkers})
	go func() {
		defer close(done)
		r.Run(ctx)
	}()
	return func() { cancel(); <-done }, nil
}
