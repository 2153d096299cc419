package main

import (
	"context"
	"errors"
	"fmt"
	"io"
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

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/wallet"
)

// Where the wallet commands find things.
const (
	walletPassphraseEnv = "PEG_WALLET_PASSPHRASE"
	walletServerEnv     = "PEG_WALLET_SERVER"
	walletTokenEnv      = "PEG_WALLET_TOKEN"
	walletListen        = "127.0.0.1:26680"
)

// walletFlags is the wallet server a client command talks to, and its API
// token ($PEG_WALLET_TOKEN).
type walletFlags struct{ server string }

func (f *walletFlags) client() *wallet.Client {
	return wallet.NewClient(f.server, os.Getenv(walletTokenEnv))
}

func walletCmd(g *globals) *cobra.Command {
	f := &walletFlags{}
	cmd := &cobra.Command{
		Use:   "wallet",
		Short: "Run a wallet server for a member institution's customers, and use it",
		Long: `A wallet server (peg wallet serve) keeps custodial wallets for a member
institution's customers (S1.8): it makes their keys and keeps them sealed
under a master passphrase, takes deposits from fund platforms into member
accounts (with an Idempotency-Key), moves member balances into wallets as
coins paid from its treasury wallet, pays from wallets, records every wallet
transaction by source, and takes shop checkouts (S0.9): payment requests with
a one-time address and a peg: URI, announced to the shop by signed webhooks.
The other commands are clients of a running server (--wallet-server).`,
	}
	def := os.Getenv(walletServerEnv)
	if def == "" {
		def = "http://" + walletListen
	}
	cmd.PersistentFlags().StringVar(&f.server, "wallet-server", def, "URL of the wallet server ($"+walletServerEnv+")")
	checkout := &cobra.Command{Use: "checkout", Short: "Shop payment requests: create one, show one"}
	checkout.AddCommand(walletCheckoutCreateCmd(g, f), walletCheckoutShowCmd(g, f))
	cmd.AddCommand(walletServeCmd(g), walletCreateCmd(g, f), walletListCmd(g, f), walletShowCmd(g, f),
		walletDepositCmd(g, f), walletMoveCmd(g, f), walletPayCmd(g, f), walletFeeDepositCmd(g, f), checkout)
	return cmd
}

// walletErr turns the server's refusal into the CLI's: the chain's refusal
// of a transaction the server signed exits 3 as any refusal does; the
// server's own exits 1 with its code and name.
func walletErr(err error) error {
	var e *wallet.Error
	if !errors.As(err, &e) {
		return err
	}
	if e.Code < 1000 {
		return &rejectedError{code: e.Code, name: e.Name, message: e.Message, txID: e.TxID}
	}
	return &client.APIError{Status: e.Status, Code: e.Code, Name: e.Name, Message: e.Message, TxID: e.TxID}
}

func walletServeCmd(g *globals) *cobra.Command {
	var listen, database, passFile, secret string
	cmd := &cobra.Command{
		Use:   "serve [--listen ADDR] [--database PATH|postgres://...]",
		Short: "Run the wallet server beside a node",
		Long: `Run the wallet server. Its database is an SQLite file under --home
(wallet/wallet.db) unless --database names another file or a postgres:// URL;
its schema is migrated at start. The master passphrase that seals every key
is read from --passphrase-file or $` + walletPassphraseEnv + ` (at least 12 bytes);
the first start makes the treasury wallet, whose coins moves pay from (mint
or pay coins to its address, and give it a fee account: peg wallet
fee-deposit treasury). Webhooks are signed with --webhook-secret
($PEG_WEBHOOK_SECRET) as the reserve monitor's are. With $` + walletTokenEnv + `
set, every /v1 request must carry it ("Authorization: Bearer TOKEN"; the
client commands send it from the same variable); without it, anyone who
reaches --listen may move the wallets' money, so keep it on loopback.
GET /openapi.yaml documents the API.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pass := []byte(os.Getenv(walletPassphraseEnv))
			if passFile != "" {
				b, err := os.ReadFile(passFile)
				if err != nil {
					return err
				}
				pass = []byte(strings.TrimRight(string(b), "\r\n"))
			}
			if len(pass) == 0 {
				return usageErrorf("no master passphrase: give --passphrase-file or set $%s", walletPassphraseEnv)
			}
			if database == "" {
				dir := filepath.Join(g.home, "wallet")
				if err := os.MkdirAll(dir, 0o700); err != nil {
					return err
				}
				database = filepath.Join(dir, "wallet.db")
			}
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			s, err := wallet.New(ctx, wallet.Config{Database: database, Node: g.nodeURL(), Passphrase: pass, WebhookSecret: secret,
				APIToken: os.Getenv(walletTokenEnv)}, log)
			if err != nil {
				return err
			}
			if os.Getenv(walletTokenEnv) == "" {
				log.Warn("no $" + walletTokenEnv + ": the API is open to anyone who can reach " + listen)
			}
			defer s.Close()
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return err
			}
			srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
			go func() {
				if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
					log.Error("wallet server stopped", "err", err)
				}
			}()
			treasury, err := s.Wallet(ctx, wallet.TreasuryName)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wallet server on http://%s for chain %s (treasury %s)\n", ln.Addr(), s.ChainID(), treasury.Address)
			s.Run(ctx)
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return srv.Shutdown(sctx)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&listen, "listen", walletListen, "address to serve on")
	fl.StringVar(&database, "database", "", "SQLite file or postgres:// URL (default --home/wallet/wallet.db)")
	fl.StringVar(&passFile, "passphrase-file", "", "file holding the master passphrase (default $"+walletPassphraseEnv+")")
	fl.StringVar(&secret, "webhook-secret", os.Getenv("PEG_WEBHOOK_SECRET"), "HMAC-SHA256 key of the Peg-Signature header ($PEG_WEBHOOK_SECRET)")
	return cmd
}

func walletCreateCmd(g *globals, f *walletFlags) *cobra.Command {
	var kind string
	cmd := &cobra.Command{
		Use:   "create NAME [--kind customer|shop]",
		Short: "Create a custodial wallet",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context60()
			defer cancel()
			w, err := f.client().CreateWallet(ctx, args[0], kind)
			if err != nil {
				return walletErr(err)
			}
			return g.print(cmd.OutOrStdout(), w, func(out io.Writer) {
				fmt.Fprintf(out, "created %s wallet %s (%s)\n  address %s\n", w.Kind, w.Name, w.ID, w.Address)
			})
		},
	}
	cmd.Flags().StringVar(&kind, "kind", wallet.KindCustomer, "customer or shop")
	return cmd
}

func walletListCmd(g *globals, f *walletFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the wallets",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context60()
			defer cancel()
			ws, err := f.client().Wallets(ctx)
			if err != nil {
				return walletErr(err)
			}
			return g.print(cmd.OutOrStdout(), ws, func(out io.Writer) {
				for _, w := range ws {
					fmt.Fprintf(out, "%-16s %-9s %s  %s\n", w.Name, w.Kind, w.Address, w.ID)
				}
			})
		},
	}
}

// walletShow is `peg wallet show`'s JSON: the wallet, its balances and its
// latest records.
type walletShow struct {
	wallet.View
	Records []wallet.Record `json:"records"`
}

func walletShowCmd(g *globals, f *walletFlags) *cobra.Command {
	var records int
	cmd := &cobra.Command{
		Use:   "show NAME|ID [--records N]",
		Short: "Show a wallet: member balances, coins on chain, and its latest transactions by source",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context60()
			defer cancel()
			c := f.client()
			v, err := c.View(ctx, args[0])
			if err != nil {
				return walletErr(err)
			}
			rs, err := c.Records(ctx, args[0], records)
			if err != nil {
				return walletErr(err)
			}
			return g.print(cmd.OutOrStdout(), walletShow{v, rs}, func(out io.Writer) {
				fmt.Fprintf(out, "%s wallet %s (%s)\n  address %s\n", v.Kind, v.Name, v.ID, v.Address)
				for _, a := range v.Member {
					fmt.Fprintf(out, "  member account  %s %s\n", a.Amount, a.Token)
				}
				for _, a := range v.Chain {
					fmt.Fprintf(out, "  on chain        %s %s\n", a.Amount, a.Token)
				}
				for _, a := range v.Requests {
					fmt.Fprintf(out, "  requests        %s %s received\n", a.Amount, a.Token)
				}
				for _, r := range rs {
					fmt.Fprintf(out, "  %s  %-14s %-3s %10s %s  %s %s\n", r.Time.Format(time.RFC3339), r.Source, r.Direction,
						r.Amount.Amount, r.Amount.Token, r.Counterparty, r.Reference)
				}
			})
		},
	}
	cmd.Flags().IntVar(&records, "records", 20, "how many of the latest records to show (1 to 500)")
	return cmd
}

func walletDepositCmd(g *globals, f *walletFlags) *cobra.Command {
	var req wallet.DepositRequest
	var tok, key string
	cmd := &cobra.Command{
		Use:   "deposit NAME|ID --token ID --amount DEC --key IDEMPOTENCY-KEY [--platform P] [--reference R]",
		Short: "Deposit into a wallet's member account, as a fund platform does",
		Long: `Deposit into a wallet's member account, as a fund platform does over the
API (POST /v1/wallets/{wallet}/deposits). --key is the Idempotency-Key: the
same key with the same deposit answers the first answer and deposits nothing
more; with a different deposit it is refused (IDEMPOTENCY_KEY_REUSED).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context60()
			defer cancel()
			req.Token = ledger.TokenID(tok)
			d, err := f.client().Deposit(ctx, args[0], key, req)
			if err != nil {
				return walletErr(err)
			}
			return g.print(cmd.OutOrStdout(), d, func(out io.Writer) {
				fmt.Fprintf(out, "deposited %s %s from %s into %s's member account (%s)\n  balance %s %s\n",
					d.Amount.Amount, d.Amount.Token, d.Platform, args[0], d.ID, d.Balance.Amount, d.Balance.Token)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&tok, "token", "", "token id")
	fl.StringVar(&req.Amount, "amount", "", "amount in the token's units")
	fl.StringVar(&key, "key", "", "Idempotency-Key: unique per deposit")
	fl.StringVar(&req.Platform, "platform", "", "the fund platform's name")
	fl.StringVar(&req.Reference, "reference", "", "the fund platform's reference")
	required(cmd, "token", "amount", "key")
	return cmd
}

func walletMoveCmd(g *globals, f *walletFlags) *cobra.Command {
	var tok, amount, key string
	cmd := &cobra.Command{
		Use:   "move NAME|ID --token ID --amount DEC [--key IDEMPOTENCY-KEY]",
		Short: "Move a member-account balance into the wallet as coins paid from the treasury",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context60()
			defer cancel()
			m, err := f.client().Move(ctx, args[0], key, wallet.MoveRequest{Token: ledger.TokenID(tok), Amount: amount})
			if err != nil {
				return walletErr(err)
			}
			err = g.print(cmd.OutOrStdout(), m, func(out io.Writer) {
				fmt.Fprintf(out, "move %s of %s %s into %s: %s\n  tx      %s\n", m.ID, m.Amount.Amount, m.Amount.Token, args[0], m.Status, m.TxID)
				if m.Height != 0 {
					fmt.Fprintf(out, "  height  %d\n", m.Height)
				}
			})
			if err == nil && (m.Status == wallet.MoveRefused || m.Status == wallet.MoveExpired) {
				// The member account was credited back; the move's status says why.
				return &reportedError{fmt.Errorf("move %s %s: %s", m.ID, m.Status, m.Message)}
			}
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&tok, "token", "", "token id")
	fl.StringVar(&amount, "amount", "", "amount in the token's units")
	fl.StringVar(&key, "key", "", "Idempotency-Key (optional)")
	required(cmd, "token", "amount")
	return cmd
}

func walletPayCmd(g *globals, f *walletFlags) *cobra.Command {
	var req wallet.PayRequest
	var tok, key string
	cmd := &cobra.Command{
		Use:   "pay NAME|ID (--uri peg:... | --token ID --amount DEC --to ADDR) [--key IDEMPOTENCY-KEY]",
		Short: "Pay from a wallet's coins: to an address, or a payment request's peg: URI",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context60()
			defer cancel()
			req.Token = ledger.TokenID(tok)
			p, err := f.client().Pay(ctx, args[0], key, req)
			if err != nil {
				return walletErr(err)
			}
			return g.print(cmd.OutOrStdout(), p, func(out io.Writer) {
				fmt.Fprintf(out, "paid %s %s from %s to %s\n  tx      %s\n  height  %d\n", p.Amount.Amount, p.Amount.Token, args[0], p.To, p.TxID, p.Height)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&req.URI, "uri", "", "a payment request's peg: URI")
	fl.StringVar(&tok, "token", "", "token id")
	fl.StringVar(&req.Amount, "amount", "", "amount in the token's units")
	fl.StringVar(&req.To, "to", "", "payee address")
	fl.StringVar(&key, "key", "", "Idempotency-Key (optional): a retry with it never pays twice")
	return cmd
}

func walletFeeDepositCmd(g *globals, f *walletFlags) *cobra.Command {
	var amount string
	cmd := &cobra.Command{
		Use:   "fee-deposit NAME|ID --amount DEC",
		Short: "Deposit the fee token from a wallet's coins into its prepaid fee account",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context60()
			defer cancel()
			p, err := f.client().FeeDeposit(ctx, args[0], amount)
			if err != nil {
				return walletErr(err)
			}
			return g.print(cmd.OutOrStdout(), p, func(out io.Writer) {
				fmt.Fprintf(out, "deposited %s %s into %s's fee account\n  tx      %s\n  height  %d\n", p.Amount.Amount, p.Amount.Token, args[0], p.TxID, p.Height)
			})
		},
	}
	cmd.Flags().StringVar(&amount, "amount", "", "amount of the fee token")
	required(cmd, "amount")
	return cmd
}

func walletCheckoutCreateCmd(g *globals, f *walletFlags) *cobra.Command {
	var req wallet.CheckoutRequest
	var tok, key string
	cmd := &cobra.Command{
		Use:   "create --shop NAME --token ID --amount DEC --reference R [--expires 15m] [--webhook URL]",
		Short: "Create a payment request for a shop: a one-time address and a peg: URI",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context60()
			defer cancel()
			req.Token = ledger.TokenID(tok)
			c, err := f.client().CreateCheckout(ctx, key, req)
			if err != nil {
				return walletErr(err)
			}
			return g.print(cmd.OutOrStdout(), c, func(out io.Writer) { printCheckout(out, c) })
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&req.Shop, "shop", "", "the shop's wallet")
	fl.StringVar(&tok, "token", "", "token id")
	fl.StringVar(&req.Amount, "amount", "", "amount in the token's units")
	fl.StringVar(&req.Reference, "reference", "", "the shop's reference (an order number)")
	fl.StringVar(&req.ExpiresIn, "expires", "15m", "how long the request stays open, in block time")
	fl.StringVar(&req.WebhookURL, "webhook", "", "URL the shop is told at when the request is paid, underpaid or expired")
	fl.StringVar(&key, "key", "", "Idempotency-Key (optional)")
	required(cmd, "shop", "token", "amount")
	return cmd
}

func walletCheckoutShowCmd(g *globals, f *walletFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show a payment request and its state",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context60()
			defer cancel()
			c, err := f.client().Checkout(ctx, args[0])
			if err != nil {
				return walletErr(err)
			}
			return g.print(cmd.OutOrStdout(), c, func(out io.Writer) { printCheckout(out, c) })
		},
	}
}

func printCheckout(out io.Writer, c wallet.Checkout) {
	fmt.Fprintf(out, "payment request %s: %s\n  amount    %s %s (received %s)\n  reference %s\n  address   %s\n  expires   %s\n  uri       %s\n",
		c.ID, c.Status, c.Amount.Amount, c.Amount.Token, c.Received.Amount, c.Reference, c.Address, c.Expires.Format(time.RFC3339), c.URI)
	if c.TxID != "" {
		fmt.Fprintf(out, "  paid by   %s at height %d\n", c.TxID, c.Height)
	}
}
