// Command peg is Peg's one binary: it runs nodes (`peg up`, `peg init`, `peg
// start`), manages keys, and is the client of a running node's REST API for
// every ledger action and query.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/node"
	"github.com/pegledger/peg/internal/token"
)

// Exit codes.
const (
	exitOK       = 0
	exitFailure  = 1 // an operating failure: network, disk, configuration
	exitUsage    = 2 // the command line is wrong
	exitRejected = 3 // the ledger refused the transaction
)

// globals are the flags every command shares.
type globals struct {
	home   string
	node   string
	output string
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	g := &globals{}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	code, v := describe(err)
	var reported *reportedError
	switch {
	case g.output == "json" && errors.As(err, &reported):
	case g.output == "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(v)
	case code == exitRejected && shown(err):
	case code == exitRejected:
		fmt.Fprintf(stderr, "rejected: %s (code %d): %s\n", v.Name, v.Code, v.Message)
	default:
		fmt.Fprintf(stderr, "error: %v\n", err)
	}
	return code
}

// errorView is a failed command as --output json prints it, on stdout in
// place of its result: the API's {code, name, message}. Code is the ledger's
// result code for a refusal, the API's code (1000 and up) for an error the API
// answered, and 0 for the CLI's own errors, named USAGE (exit 2), NO_HOME
// (no Peg home where --home points; exit 1) or ERROR (exit 1).
type errorView struct {
	Code    uint32 `json:"code"`
	Name    string `json:"name"`
	Message string `json:"message"`
	// TxID is the transaction refused or failed, if any.
	TxID string `json:"tx_id,omitempty"`
	// Violations are every violation of a refused contract.
	Violations []violationView `json:"violations,omitempty"`
}

// violationView is one violation of a refused contract.
type violationView struct {
	Code    uint32 `json:"code"`
	Name    string `json:"name"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// describe maps a command's error to its exit code and its errorView.
func describe(err error) (int, errorView) {
	var rej *rejectedError
	var home *homeError
	var usage *usageError
	var api *client.APIError
	switch {
	case errors.As(err, &rej):
		v := errorView{Code: rej.code, Name: rej.name, Message: rej.message, TxID: rej.txID}
		for _, x := range rej.violations {
			v.Violations = append(v.Violations, violationView{Code: uint32(x.Code), Name: x.Code.Name(), Field: x.Field, Message: x.Message})
		}
		return exitRejected, v
	case errors.As(err, &home):
		return exitFailure, errorView{Name: "NO_HOME", Message: err.Error()}
	case errors.As(err, &usage), isCobraUsage(err):
		return exitUsage, errorView{Name: "USAGE", Message: err.Error()}
	case errors.As(err, &api):
		return exitFailure, errorView{Code: api.Code, Name: api.Name, Message: api.Message, TxID: api.TxID}
	}
	return exitFailure, errorView{Name: "ERROR", Message: err.Error()}
}

// rootLong is `peg --help`'s text: what peg is, and how it ends.
const rootLong = `Peg: a ledger for fiat-reserve-backed stablecoins. One binary runs nodes
(peg up, peg init, peg start), manages keys, and is the client of a running
node's REST API for every ledger action and query.

Exit status:
  0  success
  1  an error: the node cannot be reached, no Peg home, a file, the disk, the API
  2  a usage error: the command line is wrong
  3  a refusal: the ledger refused the transaction (or a contract, before it is sent)

With --output json a refusal or an error is one JSON object on stdout, in place
of the result: {"code", "name", "message"}, with "tx_id" and a contract's
"violations" ([{"code", "name", "field", "message"}]) when there are. code is
the ledger's result code, the API's own (1000 and up), or 0 for the CLI's own
errors, named USAGE (exit 2), NO_HOME (no Peg home at --home or $PEG_HOME) or
ERROR (exit 1). Without it, the error is a line on stderr.`

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:           "peg",
		Short:         "Peg: a ledger for fiat-reserve-backed stablecoins",
		Long:          rootLong,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if g.output == "csv" && cmd.Annotations[csvOutput] != "" {
				return nil
			}
			if g.output != "text" && g.output != "json" {
				return usageErrorf("--output must be text or json, not %q", g.output)
			}
			return nil
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVar(&g.home, "home", defaultHome(), "node home and keyring directory ($PEG_HOME)")
	pf.StringVar(&g.node, "node", "", "API URL of a running node (default: the one configured in --home)")
	pf.StringVarP(&g.output, "output", "o", "text", "output format: text or json")
	root.AddCommand(
		initCmd(g), startCmd(g), upCmd(g), testnetCmd(g),
		keysCmd(g),
		tokenCmd(g), payCmd(g), redeemCmd(g), approveCmd(g), spendFromCmd(g),
		issuerCmd(g), accountCmd(g), registrarCmd(g), aliasCmd(g),
		balanceCmd(g), coinsCmd(g), txCmd(g),
		reserveCmd(g), feeCmd(g), bankCmd(g), monitorCmd(g), benchCmd(g), gatewayCmd(g), networkCmd(g),
		caCmd(g), certCmd(g), identityCmd(g), creditCmd(g), tradeCmd(g), endorseCmd(g),
		auditCmd(g), coinCmd(g), validatorsCmd(g),
		transferCmd(g), relayCmd(g), regionCmd(g),
		walletCmd(g), notifyCmd(g), consoleCmd(g),
		indexCmd(g), historyCmd(g), reportCmd(g),
	)
	return root
}

func defaultHome() string {
	if h := os.Getenv("PEG_HOME"); h != "" {
		return h
	}
	return ".peg"
}

func (g *globals) keyringDir() string { return filepath.Join(g.home, node.KeyringDir) }

// nodeURL is --node, or the API address in the home's configuration, or the
// default a fresh `peg up` listens on.
func (g *globals) nodeURL() string {
	if g.node != "" {
		return g.node
	}
	if cfg, err := node.LoadConfig(g.home); err == nil {
		return "http://" + cfg.API.Listen
	}
	return "http://" + node.DefaultConfig("", "", node.DefaultBasePort).API.Listen
}

// print writes v as JSON with --output json, or calls text otherwise.
func (g *globals) print(w io.Writer, v any, text func(io.Writer)) error {
	if g.output == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	text(w)
	return nil
}

type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// rejectedError is the ledger's refusal of a transaction, or of a contract
// before it is sent, with its violations.
type rejectedError struct {
	code       uint32
	name       string
	message    string
	txID       string
	violations []token.Violation
	// shown marks a refusal the command's text output has already
	// reported (peg coin verify's COUNTERFEIT): nothing more goes to stderr.
	shown bool
}

func (e *rejectedError) Error() string { return e.name + ": " + e.message }

// shown reports whether err is a refusal the command's output has reported.
func shown(err error) bool {
	var rej *rejectedError
	return errors.As(err, &rej) && rej.shown
}

// reportedError is a failure that the command's output, text or JSON, has
// already reported in full (an audit's problems): it exits 1, and with
// --output json prints nothing more.
type reportedError struct{ err error }

func (e *reportedError) Error() string { return e.err.Error() }
func (e *reportedError) Unwrap() error { return e.err }

// isCobraUsage recognises the command-line errors cobra reports as plain
// errors: a missing required flag, an unknown command, a wrong argument count.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"required flag", "unknown command", "accepts ", "unknown flag", "invalid argument"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}
