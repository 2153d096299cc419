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
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/pegledger/peg/internal/keyring"
	"github.com/pegledger/peg/internal/node"
)

// devPorts is the size of each node's block of loopback ports in a
// development network: the node's own node.NodePorts, then the demo bank's
// Open Banking and admin ports and the metrics port, which `peg up` runs
// beside node0 and which the other nodes leave free.
const devPorts = 6

func testnetCmd(g *globals) *cobra.Command {
	def := node.DefaultConfig(devChainID, devRegion, node.DefaultBasePort)
	var t node.Testnet
	var propose, prevote, precommit, commit, empty time.Duration
	cmd := &cobra.Command{
		Use:   "testnet --validators N --home DIR",
		Short: "Write the homes of a development network of N validators on loopback (once)",
		Long: `Write N validator homes, DIR/node0 to DIR/node{N-1}, and --full-nodes homes
after them, of one development chain: one genesis, written once and copied into
every home, that names every validator with equal power and is otherwise the
genesis ` + "`peg up`" + ` writes (chain ` + devChainID + `, region ` + string(devRegion) + `, "operator"
running the platform, "issuer" allowed to deploy, alice and bob registered)
without its fee policy: nothing is charged until the operator sets one with
` + "`peg fee set`" + `.
Node i takes the six loopback ports from --base-port + 6i: p2p, consensus RPC
and API, then three that ` + "`peg up`" + ` gives node0's demo bank and metrics. Every
node's persistent peers are all the others (id@127.0.0.1:port).

Every home holds its own copy of the development keyring (keys ` + fmt.Sprint(devKeys) + `,
EMPTY passphrase), so any command works with --home DIR/nodeI, against that
node's API. Start each node with ` + "`peg start --home DIR/nodeI`" + `; more than two
thirds of the validators must run for blocks to be committed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t.Template = def
			t.Template.Consensus.TimeoutPropose = propose.String()
			t.Template.Consensus.TimeoutPrevote = prevote.String()
			t.Template.Consensus.TimeoutPrecommit = precommit.String()
			t.Template.Consensus.TimeoutCommit = commit.String()
			t.Template.Consensus.EmptyBlocksInterval = empty.String()
			t.PortStride = devPorts
			if err := errors.Join(t.Validate(), t.Template.Validate()); err != nil {
				return &usageError{err}
			}
			nodes, err := initDevTestnet(g.home, t, false)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), testnetView(nodes), func(w io.Writer) {
				printTestnet(w, g.home, nodes)
			})
		},
	}
	f := cmd.Flags()
	f.IntVar(&t.Validators, "validators", 4, "validators, each with equal voting power")
	f.IntVar(&t.FullNodes, "full-nodes", 0, "nodes that follow the chain without voting, after the validators")
	f.IntVar(&t.BasePort, "base-port", node.DefaultBasePort, "node0's first port; node i's six start at base + 6i")
	f.DurationVar(&propose, "timeout-propose", mustDuration(def.Consensus.TimeoutPropose), "how long a round waits for its proposer's block")
	f.DurationVar(&prevote, "timeout-prevote", mustDuration(def.Consensus.TimeoutPrevote), "how long a round waits for the last prevotes once two thirds have prevoted, not for one block")
	f.DurationVar(&precommit, "timeout-precommit", mustDuration(def.Consensus.TimeoutPrecommit), "how long a round waits once two thirds have precommitted, not for one block")
	f.DurationVar(&commit, "timeout-commit", mustDuration(def.Consensus.TimeoutCommit), "pause after each block")
	f.DurationVar(&empty, "empty-blocks-interval", mustDuration(def.Consensus.EmptyBlocksInterval), "longest time without a block when no transactions arrive")
	return cmd
}

// mustDuration parses one of node.DefaultConfig's durations.
func mustDuration(s string) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		panic(fmt.Sprintf("node.DefaultConfig duration %q: %v", s, err))
	}
	return d
}

// initDevTestnet writes a development testnet under dir: the development
// keyring in node0's home, the genesis devGenesis makes from it, and a copy of
// the keyring in every other home.
func initDevTestnet(dir string, t node.Testnet, fees bool) ([]node.TestnetNode, error) {
	src := filepath.Join(node.TestnetHome(dir, 0), node.KeyringDir)
	gen, err := devGenesis(src, fees)
	if err != nil {
		return nil, err
	}
	nodes, err := node.InitTestnet(dir, t, gen)
	if err != nil {
		return nil, err
	}
	for _, n := range nodes[1:] {
		if err := copyDevKeys(src, filepath.Join(n.Home, node.KeyringDir)); err != nil {
			return nil, err
		}
	}
	return nodes, nil
}

// copyDevKeys copies devKeys, still encrypted, from one keyring to another.
func copyDevKeys(srcDir, dstDir string) error {
	src, err := keyring.Open(srcDir)
	if err != nil {
		return err
	}
	dst, err := keyring.Open(dstDir)
	if err != nil {
		return err
	}
	for _, name := range devKeys {
		file, err := src.Export(name)
		if err != nil {
			return err
		}
		if _, err := dst.Import(name, file); err != nil {
			return err
		}
	}
	return nil
}

// ensureDevTestnet creates the development testnet of `peg up --validators n`
// under dir unless node0's home exists, in which case every one of the n homes
// must.
func ensureDevTestnet(dir string, basePort, n int) (bool, error) {
	if single, err := holdsNode(dir); err != nil {
		return false, err
	} else if single {
		return false, fmt.Errorf("%s holds a single-validator network; use another --home for --validators %d", dir, n)
	}
	exists, err := holdsNode(node.TestnetHome(dir, 0))
	if err != nil {
		return false, err
	}
	if exists {
		for i := 1; i < n; i++ {
			if ok, err := holdsNode(node.TestnetHome(dir, i)); err != nil {
				return false, err
			} else if !ok {
				return false, fmt.Errorf("%s holds a network of fewer than %d validators (no %s)", dir, n, node.TestnetHome(dir, i))
			}
		}
		return false, nil
	}
	_, err = initDevTestnet(dir, node.Testnet{Validators: n, BasePort: basePort, PortStride: devPorts,
		Template: devConfig(basePort)}, true)
	return err == nil, err
}

// multiSidecar is a sidecar of several nodes of one network.
type multiSidecar func(ctx context.Context, w io.Writer, nodes []*node.Node, log *slog.Logger) (wait func(), err error)

// runNodes starts the nodes in dir's first n testnet homes in this process,
// then the sidecar, and runs until SIGINT or SIGTERM (runHomes).
func runNodes(cmd *cobra.Command, dir string, n int, side multiSidecar) error {
	homes := make([]string, n)
	for i := range homes {
		homes[i] = node.TestnetHome(dir, i)
	}
	return runHomes(cmd, homes, side)
}

// runHomes starts the nodes at homes in this process, then the sidecar, and
// runs until SIGINT or SIGTERM. Each node logs with its moniker.
func runHomes(cmd *cobra.Command, homes []string, side multiSidecar) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var nodes []*node.Node
	var logs []*slog.Logger
	stopAll := func() {
		for _, nd := range nodes {
			nd.MarkStopping()
		}
		for i := len(nodes) - 1; i >= 0; i-- {
			nodes[i].Stop()
			logs[i].Info("stopped", "height", nodes[i].Height())
		}
	}
	for _, home := range homes {
		cfg, err := node.LoadConfig(home)
		if err != nil {
			stopAll()
			return err
		}
		log := node.NewLogger(cmd.ErrOrStderr(), cfg.Log.Level, cfg.Log.Format).With("node", cfg.Moniker)
		nd, err := node.Start(home, log)
		if err != nil {
			stopAll()
			return err
		}
		nodes, logs = append(nodes, nd), append(logs, log)
	}
	wait, err := side(ctx, cmd.OutOrStdout(), nodes, logs[0])
	if err != nil {
		stopAll()
		return err
	}
	<-ctx.Done()
	logs[0].Info("shutting down")
	wait()
	stopAll()
	return nil
}

// testnetNodeView is one written node as `peg testnet -o json` reports it.
type testnetNodeView struct {
	Home      string `json:"home"`
	Moniker   string `json:"moniker"`
	ID        string `json:"id"`
	Validator bool   `json:"validator"`
	P2P       string `json:"p2p"`
	RPC       string `json:"rpc"`
	API       string `json:"api"`
}

func testnetView(nodes []node.TestnetNode) []testnetNodeView {
	out := make([]testnetNodeView, len(nodes))
	for i, n := range nodes {
		out[i] = testnetNodeView{Home: n.Home, Moniker: n.Config.Moniker, ID: n.ID, Validator: n.Validator,
			P2P: n.Config.P2P.Listen, RPC: n.Config.RPC.Listen, API: "http://" + n.Config.API.Listen}
	}
	return out
}

func printTestnet(w io.Writer, dir string, nodes []node.TestnetNode) {
	var validators int
	for _, n := range nodes {
		if n.Validator {
			validators++
		}
	}
	fmt.Fprintf(w, "wrote %d validator(s) and %d full node(s) of chain %s under %s\n\n",
		validators, len(nodes)-validators, nodes[0].Config.ChainID, dir)
	for _, n := range nodes {
		role := "full node"
		if n.Validator {
			role = "validator"
		}
		fmt.Fprintf(w, "  %-6s %-9s %s  p2p %s  api http://%s\n", n.Config.Moniker, role, n.ID,
			strings.TrimPrefix(n.Config.P2P.Listen, "tcp://"), n.Config.API.Listen)
	}
	fmt.Fprintf(w, `
Start each node:  peg start --home %s (node0 to node%d)
Use the CLI:      peg --home %s keys list   (development keys, EMPTY passphrase)
`, filepath.Join(dir, "nodeI"), len(nodes)-1, node.TestnetHome(dir, 0))
}
