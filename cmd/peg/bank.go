package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pegledger/peg/internal/bank/demobank"
	"github.com/pegledger/peg/internal/node"
)

// bankDirName is the demo bank's data directory inside the peg home.
const bankDirName = "bank"

// bankAdminTokenEnv overrides the admin token read from the data directory,
// for a bank whose directory is on another machine.
const bankAdminTokenEnv = "PEG_BANK_ADMIN_TOKEN"

// bankFlags are the flags every `peg bank` command shares.
type bankFlags struct {
	data string // data directory; empty means <home>/bank
	url  string // admin API URL
}

func (f *bankFlags) dir(g *globals) string {
	if f.data != "" {
		return f.data
	}
	return filepath.Join(g.home, bankDirName)
}

// admin is a client of the running bank's admin API, with the admin token
// from $PEG_BANK_ADMIN_TOKEN or the data directory's credentials.json.
func (f *bankFlags) admin(g *globals) (*demobank.AdminClient, error) {
	if tok := os.Getenv(bankAdminTokenEnv); tok != "" {
		return demobank.NewAdminClient(f.url, tok), nil
	}
	cr, err := demobank.LoadCredentials(f.dir(g))
	if err != nil {
		return nil, fmt.Errorf("no admin token for the demo bank: %w (pass the bank's --data directory, or set $%s)", err, bankAdminTokenEnv)
	}
	return demobank.NewAdminClient(f.url, cr.AdminToken), nil
}

// bankError makes the bank's refusal of malformed input a usage error.
func bankError(err error) error {
	if errors.Is(err, demobank.ErrInvalid) {
		return &usageError{err}
	}
	return err
}

func bankCmd(g *globals) *cobra.Command {
	f := &bankFlags{}
	cmd := &cobra.Command{
		Use:   "bank",
		Short: "Run and operate the demo bank (Open Banking read API, camt.053 statements)",
		Long: `The demo bank is a bank we control, for demos and tests. It speaks UK Open
Banking (OAuth 2.0 client credentials and the account information API over
mutual TLS) and exports ISO 20022 camt.053 statements, so that Peg's reserve
monitor reads it as it would read a real bank. 'peg bank serve' runs it; the
other commands move money through its admin API.`,
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.data, "data", "", "the bank's data directory (default $PEG_HOME/bank, or .peg/bank)")
	pf.StringVar(&f.url, "bank", "http://"+demobank.DefaultAdminAddr, "admin API URL of the running bank")
	account := &cobra.Command{Use: "account", Short: "Open accounts and move money"}
	account.AddCommand(bankCreateCmd(g, f), bankPostCmd(g, f, demobank.Credit), bankPostCmd(g, f, demobank.Debit),
		bankShowCmd(g, f), bankListCmd(g, f))
	cmd.AddCommand(bankServeCmd(g, f), account, bankStatementCmd(g, f), bankFaultCmd(g, f))
	return cmd
}

// bankServer is a demo bank serving both APIs; `peg bank serve` runs one.
type bankServer struct {
	bank            *demobank.Bank
	obLn, adminLn   net.Listener
	obURL, adminURL string
}

// startBankServer opens the bank in dir and listens on both addresses. It
// serves nothing until run.
func startBankServer(dir, obAddr, adminAddr string, opts demobank.Options) (*bankServer, error) {
	b, err := demobank.Open(dir, opts)
	if err != nil {
		return nil, err
	}
	s := &bankServer{bank: b}
	if s.obLn, err = net.Listen("tcp", obAddr); err == nil {
		s.adminLn, err = net.Listen("tcp", adminAddr)
	}
	if err != nil {
		if s.obLn != nil {
			s.obLn.Close()
		}
		b.Close()
		return nil, fmt.Errorf("demo bank: %w", err)
	}
	s.obURL, s.adminURL = "https://"+dialable(s.obLn.Addr()), "http://"+dialable(s.adminLn.Addr())
	return s, nil
}

// dialable is a listener's address as a client can dial it: an unspecified
// IP (0.0.0.0, ::) becomes loopback.
func dialable(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
}

// run serves until ctx ends or a server fails, then closes the bank.
func (s *bankServer) run(ctx context.Context) error {
	errc := make(chan error, 2)
	go func() { errc <- s.bank.Serve(s.obLn) }()
	go func() { errc <- s.bank.ServeAdmin(s.adminLn) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	return errors.Join(err, s.bank.Close())
}

// bankServeView is what `peg bank serve` prints: everything a client needs
// to connect, and where the secrets are (not the secrets).
type bankServeView struct {
	OpenBankingURL string `json:"open_banking_url"`
	TokenURL       string `json:"token_url"`
	AdminURL       string `json:"admin_url"`
	FinancialID    string `json:"financial_id"`
	ClientID       string `json:"client_id"`
	DataDir        string `json:"data_dir"`
	CA             string `json:"ca"`
	ClientCert     string `json:"client_cert"`
	ClientKey      string `json:"client_key"`
	Credentials    string `json:"credentials"`
}

func (s *bankServer) view() bankServeView {
	files, cr := s.bank.Files(), s.bank.Credentials()
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	return bankServeView{
		OpenBankingURL: s.obURL + demobank.OBBasePath, TokenURL: s.obURL + demobank.TokenPath, AdminURL: s.adminURL,
		FinancialID: cr.FinancialID, ClientID: cr.ClientID, DataDir: abs(files.Dir),
		CA: abs(files.CA), ClientCert: abs(files.ClientCert), ClientKey: abs(files.ClientKey), Credentials: abs(files.Credentials),
	}
}

func printBankServe(w io.Writer, v bankServeView) {
	fmt.Fprintf(w, `
Demo bank is up (data in %s)

  Open Banking  %s   (mutual TLS)
  token         %s   (client credentials, scope accounts)
  admin API     %s
  financial id  %s
  client id     %s   (secret and admin token in %s)
  CA            %s
  client cert   %s
  client key    %s

Try:  peg bank account create --currency GBP --name "Reserve"
Stop with Ctrl-C.
`, v.DataDir, v.OpenBankingURL, v.TokenURL, v.AdminURL, v.FinancialID, v.ClientID, v.Credentials, v.CA, v.ClientCert, v.ClientKey)
}

func bankServeCmd(g *globals, f *bankFlags) *cobra.Command {
	var addr, adminAddr string
	var hosts []string
	var opts demobank.Options
	cmd := &cobra.Command{
		Use:   "serve [--addr ADDR] [--admin-addr ADDR] [--data DIR]",
		Short: "Run the demo bank until interrupted",
		Long: `Run the demo bank: the Open Banking API and its token endpoint over mutual TLS on
--addr, the admin API in plain HTTP on --admin-addr. The first run creates the
data directory with a CA, the server's and a client's certificates, and
credentials.json (OAuth client id and secret, admin token); accounts are kept in
state.json. Keep the admin API on loopback: its token travels in clear.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Hosts = hosts
			opts.Logger = node.NewLogger(cmd.ErrOrStderr(), "info", "text")
			s, err := startBankServer(f.dir(g), addr, adminAddr, opts)
			if err != nil {
				return err
			}
			if ip, ok := s.adminLn.Addr().(*net.TCPAddr); ok && !ip.IP.IsLoopback() {
				opts.Logger.Warn("the admin API listens beyond loopback; its token travels in clear", "addr", s.adminLn.Addr())
			}
			v := s.view()
			if err := g.print(cmd.OutOrStdout(), v, func(w io.Writer) { printBankServe(w, v) }); err != nil {
				s.bank.Close()
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			err = s.run(ctx)
			opts.Logger.Info("demo bank stopped")
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&addr, "addr", demobank.DefaultOBAddr, "address of the Open Banking API (TLS)")
	fl.StringVar(&adminAddr, "admin-addr", demobank.DefaultAdminAddr, "address of the admin API (plain HTTP; keep it on loopback)")
	fl.StringSliceVar(&hosts, "host", nil, "extra name or IP for the server certificate, used when the data directory is first created (repeatable)")
	fl.IntVar(&opts.MaxAccounts, "max-accounts", demobank.DefaultMaxAccounts, "most accounts the bank holds")
	fl.IntVar(&opts.MaxHistory, "max-history", demobank.DefaultMaxHistory, "most transactions kept per account")
	return cmd
}

func bankCreateCmd(g *globals, f *bankFlags) *cobra.Command {
	var req demobank.CreateAccountRequest
	var id string
	cmd := &cobra.Command{
		Use:   "create --currency CCY [--id ID] [--name NAME] [--iban IBAN] [--bic BIC]",
		Short: "Open an account with a zero balance",
		Long: `Open an account. Without --id the bank numbers it; without --iban it makes up a
valid GB IBAN; without --bic it is the demo bank's own (` + demobank.DefaultBIC + `). The id is the
account's Open Banking AccountId, which the monitor is configured with.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req.ID = demobank.AccountID(id)
			c, err := f.admin(g)
			if err != nil {
				return err
			}
			ctx, cancel := context60()
			defer cancel()
			v, err := c.CreateAccount(ctx, req)
			if err != nil {
				return bankError(err)
			}
			return g.print(cmd.OutOrStdout(), v, func(w io.Writer) {
				fmt.Fprintf(w, "created account %s: IBAN %s, BIC %s, %s, balance %s %s\n", v.ID, v.IBAN, v.BIC, v.Currency, v.Balance, v.Currency)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&req.Currency, "currency", "", "ISO 4217 currency of the account, e.g. GBP (required)")
	fl.StringVar(&id, "id", "", "Open Banking AccountId: letters, digits, . _ - (default: numbered by the bank)")
	fl.StringVar(&req.Name, "name", "", "the holder's name")
	fl.StringVar(&req.IBAN, "iban", "", "IBAN in electronic format (default: made up)")
	fl.StringVar(&req.BIC, "bic", "", "BIC of the servicing bank (default "+demobank.DefaultBIC+")")
	required(cmd, "currency")
	return cmd
}

func bankPostCmd(g *globals, f *bankFlags, dir demobank.Direction) *cobra.Command {
	var id string
	var req demobank.PostingRequest
	verb, prep, refusal := "Credit", "to", ""
	if dir == demobank.Debit {
		verb, prep, refusal = "Debit", "from", " A debit that would take the balance below zero is refused."
	}
	cmd := &cobra.Command{
		Use:   string(dir) + " --account ID --amount DEC [--reference TEXT]",
		Short: verb + " an account (amount in its currency; excess decimals refused)",
		Long: verb + ` an account by a decimal amount in its currency ("1000", "12.50"). More decimals
than the currency has are refused, never rounded.` + refusal + ` With --idempotency-key a
repeated command is booked once.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.admin(g)
			if err != nil {
				return err
			}
			ctx, cancel := context60()
			defer cancel()
			post := c.Credit
			if dir == demobank.Debit {
				post = c.Debit
			}
			r, err := post(ctx, demobank.AccountID(id), req)
			if err != nil {
				return bankError(err)
			}
			return g.print(cmd.OutOrStdout(), r, func(w io.Writer) {
				again := ""
				if r.Replayed {
					again = " (booked before under this idempotency key)"
				}
				fmt.Fprintf(w, "%sed %s %s %s %s (%s)%s; balance %s %s\n", dir, r.Transaction.Amount, r.Account.Currency,
					prep, r.Account.ID, r.Transaction.ID, again, r.Account.Balance, r.Account.Currency)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&id, "account", "", "account id (required)")
	fl.StringVar(&req.Amount, "amount", "", "decimal amount in the account's currency (required)")
	fl.StringVar(&req.Reference, "reference", "", "reference shown in the history and statements")
	fl.StringVar(&req.IdempotencyKey, "idempotency-key", "", "book at most once under this key")
	required(cmd, "account", "amount")
	return cmd
}

func bankShowCmd(g *globals, f *bankFlags) *cobra.Command {
	var id string
	var n int
	cmd := &cobra.Command{
		Use:   "show --account ID [--transactions N]",
		Short: "Show an account and its latest transactions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.admin(g)
			if err != nil {
				return err
			}
			ctx, cancel := context60()
			defer cancel()
			v, err := c.Account(ctx, demobank.AccountID(id), n)
			if err != nil {
				return bankError(err)
			}
			return g.print(cmd.OutOrStdout(), v, func(w io.Writer) {
				fmt.Fprintf(w, "account:   %s\nname:      %s\nIBAN:      %s\nBIC:       %s\nbalance:   %s %s\nopened:    %s\n",
					v.ID, v.Name, v.IBAN, v.BIC, v.Balance, v.Currency, v.Opened.Format(time.RFC3339))
				if len(v.Transactions) == 0 {
					return
				}
				fmt.Fprintln(w)
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "TIME\tID\tDIRECTION\tAMOUNT\tBALANCE AFTER\tREFERENCE")
				for _, t := range v.Transactions {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Time.Format(time.RFC3339), t.ID, t.Direction, t.Amount, t.BalanceAfter, t.Reference)
				}
				tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&id, "account", "", "account id (required)")
	cmd.Flags().IntVar(&n, "transactions", 0, fmt.Sprintf("how many of the latest transactions to list (default %d)", demobank.DefaultShowTransactions))
	required(cmd, "account")
	return cmd
}

func bankListCmd(g *globals, f *bankFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the bank's accounts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.admin(g)
			if err != nil {
				return err
			}
			ctx, cancel := context60()
			defer cancel()
			list, err := c.Accounts(ctx)
			if err != nil {
				return bankError(err)
			}
			return g.print(cmd.OutOrStdout(), list, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tIBAN\tCURRENCY\tBALANCE\tNAME")
				for _, v := range list {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", v.ID, v.IBAN, v.Currency, v.Balance, v.Name)
				}
				tw.Flush()
			})
		},
	}
}

// bankStatementView is `peg bank statement --output json`: the statement
// inline, or the file it was written to.
type bankStatementView struct {
	Account demobank.AccountID `json:"account"`
	From    string             `json:"from"`
	To      string             `json:"to"`
	File    string             `json:"file,omitempty"`
	Camt053 string             `json:"camt053,omitempty"`
}

func bankStatementCmd(g *globals, f *bankFlags) *cobra.Command {
	var id, from, to, out string
	cmd := &cobra.Command{
		Use:   "statement --account ID --from DATE --to DATE [--out FILE]",
		Short: "Export a camt.053.001.08 statement of an account",
		Long: `Export an ISO 20022 camt.053.001.08 statement of an account for the UTC days
--from through --to (YYYY-MM-DD, inclusive): opening and closing booked balances
and an entry per transaction. It is written to --out, or to standard output.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fromDay, err := demobank.ParseDate(from)
			if err != nil {
				return usageErrorf("--from: %v", err)
			}
			toDay, err := demobank.ParseDate(to)
			if err != nil {
				return usageErrorf("--to: %v", err)
			}
			c, err := f.admin(g)
			if err != nil {
				return err
			}
			ctx, cancel := context60()
			defer cancel()
			doc, err := c.Statement(ctx, demobank.AccountID(id), fromDay, toDay)
			if err != nil {
				return bankError(err)
			}
			v := bankStatementView{Account: demobank.AccountID(id), From: from, To: to, File: out}
			if out != "" {
				if err := os.WriteFile(out, doc, 0o644); err != nil {
					return err
				}
			} else if g.output == "json" {
				v.Camt053 = string(doc)
			}
			return g.print(cmd.OutOrStdout(), v, func(w io.Writer) {
				if out == "" {
					_, _ = w.Write(doc)
					return
				}
				fmt.Fprintf(w, "wrote the camt.053 statement of %s from %s to %s to %s\n", id, from, to, out)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&id, "account", "", "account id (required)")
	fl.StringVar(&from, "from", "", "first day, YYYY-MM-DD (UTC; required)")
	fl.StringVar(&to, "to", "", "last day, YYYY-MM-DD (UTC; required)")
	fl.StringVar(&out, "out", "", "file to write (default: standard output)")
	required(cmd, "account", "from", "to")
	return cmd
}

func bankFaultCmd(g *globals, f *bankFlags) *cobra.Command {
	var v demobank.FaultView
	var delay time.Duration
	cmd := &cobra.Command{
		Use:   "fault [--mode none|error|garbage] [--delay DURATION] [--include-token]",
		Short: "Make the Open Banking API fail on purpose, or show the fault in force",
		Long: `Make the bank's Open Banking API misbehave, to test the reserve monitor against a
failing bank without stopping it: --mode error answers 500, --mode garbage
answers a body that is not JSON, --delay holds every answer back (in any mode),
--mode none goes back to normal. Faults spare the token endpoint unless
--include-token. Without flags, show the fault in force.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.admin(g)
			if err != nil {
				return err
			}
			ctx, cancel := context60()
			defer cancel()
			fl := cmd.Flags()
			var got demobank.FaultView
			if fl.Changed("mode") || fl.Changed("delay") || fl.Changed("include-token") {
				if delay > 0 {
					v.Delay = delay.String()
				}
				got, err = c.SetFault(ctx, v)
			} else {
				got, err = c.Fault(ctx)
			}
			if err != nil {
				return bankError(err)
			}
			return g.print(cmd.OutOrStdout(), got, func(w io.Writer) {
				d := got.Delay
				if d == "" {
					d = "none"
				}
				fmt.Fprintf(w, "fault: mode %s, delay %s, token endpoint included: %v\n", got.Mode, d, got.IncludeToken)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar((*string)(&v.Mode), "mode", string(demobank.FaultNone), "none, error or garbage")
	fl.DurationVar(&delay, "delay", 0, "hold every answer back this long, e.g. 5s")
	fl.BoolVar(&v.IncludeToken, "include-token", false, "apply the fault to POST /token too")
	return cmd
}
