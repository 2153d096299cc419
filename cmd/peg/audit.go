package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/node"
)

// homeAudit is the answer of `peg audit --home`: the invariants as
// GET /v1/audit gives them, with OK covering the replay too, and the replay.
type homeAudit struct {
	client.Audit
	Replay replayView `json:"replay"`
}

// replayView is the app-hash recomputation of `peg audit --home`.
type replayView struct {
	Blocks      int64    `json:"blocks"`
	BlockHeight int64    `json:"block_height"`
	AppHash     string   `json:"app_hash"`
	Problems    []string `json:"problems"`
}

func auditCmd(g *globals) *cobra.Command {
	var networkFile string
	cmd := &cobra.Command{
		Use:   "audit [--home DIR | --node URL | --network FILE]",
		Short: "Check the ledger's money invariants and recompute its app hash",
		Long: `Audit recomputes from the committed state that every token's unspent coins
sum to its supply, that no coin is both spent and unspent, that every coin's
owner and token exist and that supply is within the cap.

With --home (the default), it reads a stopped node's data and also recomputes
the app hash: it replays every block of the node's block store from genesis
through a fresh state machine and compares the app hash at every height with
the one the next block's header carries, and at the committed height with the
stored app hash and the stored state, key by key.

With --node, it asks a running node (GET /v1/audit), which checks the
invariants only.

With --network, it asks every region of a network file (GET /v1/audit and
every page of GET /v1/transfers) and checks conservation across regions: for
every token, the unspent coins of all regions plus the transfers in flight
(pending on the payer's region and not delivered on the payee's) equal the
home region's minted less redeemed; every delivered or returned transfer was
sent so, every acknowledged one delivered and every refunded one returned.

It prints OK, or each problem, and exits 1 on any problem.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := cmd.OutOrStdout()
			if networkFile != "" {
				return g.auditNetwork(w, networkFile)
			}
			if cmd.Flags().Changed("node") {
				return g.auditNode(w)
			}
			return g.auditHome(w, cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&networkFile, "network", "", "network file: audit every region's running node and conservation across them")
	return cmd
}

// auditNode asks the running node at --node.
func (g *globals) auditNode(w io.Writer) error {
	ctx, cancel := context60()
	defer cancel()
	a, err := g.client().Audit(ctx)
	if err != nil {
		return err
	}
	if err := g.print(w, a, func(w io.Writer) {
		fmt.Fprintf(w, "audit of %s at height %d (app hash %s)\n", g.nodeURL(), a.Height, a.AppHash)
		printInvariants(w, a)
		fmt.Fprintln(w, "replay: not done on a running node; stop it and run peg audit --home")
	}); err != nil {
		return err
	}
	return verdict(w, g.output, len(a.Problems))
}

// auditHome audits the stopped node at --home.
func (g *globals) auditHome(w, stderr io.Writer) error {
	if err := g.requireNode(); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rep, err := node.Audit(g.home, log)
	if err != nil {
		return fmt.Errorf("%w; a running node is audited with --node", err)
	}
	a := homeAudit{
		Audit: client.Audit{Height: rep.Height, AppHash: hex.EncodeToString(rep.AppHash), OK: rep.OK(),
			Tokens: rep.State.Tokens, Coins: rep.State.Coins, Spent: rep.State.Spent,
			Problems: append([]string{}, rep.State.Problems...), AppHashReplayed: true},
		Replay: replayView{Blocks: rep.Replay.Blocks, BlockHeight: rep.Replay.BlockHeight,
			AppHash: hex.EncodeToString(rep.Replay.AppHash), Problems: append([]string{}, rep.Replay.Problems...)},
	}
	if err := g.print(w, a, func(w io.Writer) {
		fmt.Fprintf(w, "audit of %s at height %d (app hash %s)\n", g.home, a.Height, a.AppHash)
		printInvariants(w, &a.Audit)
		fmt.Fprintf(w, "replay: %d blocks from genesis (block store at height %d): ", a.Replay.Blocks, a.Replay.BlockHeight)
		if len(a.Replay.Problems) == 0 {
			fmt.Fprintln(w, "app hash agrees at every height, state agrees key by key: OK")
		}
		printProblems(w, a.Replay.Problems)
	}); err != nil {
		return err
	}
	return verdict(w, g.output, len(a.Problems)+len(a.Replay.Problems))
}

func printInvariants(w io.Writer, a *client.Audit) {
	fmt.Fprintf(w, "invariants: %d tokens, %d unspent coins, %d spent: ", a.Tokens, a.Coins, a.Spent)
	if len(a.Problems) == 0 {
		fmt.Fprintln(w, "OK")
	}
	printProblems(w, a.Problems)
}

func printProblems(w io.Writer, ps []string) {
	if len(ps) == 0 {
		return
	}
	fmt.Fprintf(w, "%d problem(s)\n", len(ps))
	for _, p := range ps {
		fmt.Fprintf(w, "  - %s\n", p)
	}
}

// verdict ends the text output with OK or BROKEN, and fails the command
// (exit 1) if there were problems, which the output has reported.
func verdict(w io.Writer, output string, problems int) error {
	if output == "text" {
		if problems == 0 {
			fmt.Fprintln(w, "verdict: OK")
		} else {
			fmt.Fprintf(w, "verdict: BROKEN (%d problem(s))\n", problems)
		}
	}
	if problems > 0 {
		return &reportedError{fmt.Errorf("audit found %d problem(s)", problems)}
	}
	return nil
}
