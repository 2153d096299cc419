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

	"github.com/pegledger/peg/internal/node"
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
	var rej *rejectedError
	var usage *usageError
	switch {
	case errors.As(err, &rej):
		fmt.Fprintf(stderr, "rejected: %s (code %d): %s\n", rej.name, rej.code, rej.message)
		return exitRejected
	case errors.As(err, &usage), isCobraUsage(err):
		fmt.Fprintf(stderr, "error: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stderr, "error: %v\n", err)
	return exitFailure
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:           "peg",
		Short:         "Peg: a ledger for fiat-reserve-backed stablecoins",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
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
		issuerCmd(g), accountCmd(g),
		balanceCmd(g), coinsCmd(g), txCmd(g),
		reserveCmd(g), bankCmd(g), monitorCmd(g), benchCmd(g),
		auditCmd(g),
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

// rejectedError is the ledger's refusal of a transaction.
type rejectedError struct {
	code    uint32
	name    string
	message string
	txID    string
}

func (e *rejectedError) Error() string { return e.name + ": " + e.message }

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
