package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pegledger/peg/examples"
	"github.com/pegledger/peg/internal/bank/demobank"
	"github.com/pegledger/peg/internal/contractfile"
	"github.com/pegledger/peg/internal/feefile"
	"github.com/pegledger/peg/internal/index"
	"github.com/pegledger/peg/internal/keyring"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/monitor"
	"github.com/pegledger/peg/internal/node"
	"github.com/pegledger/peg/internal/state"
)

// The development network `peg up` builds.
const (
	devChainID = "peg-local"
	devRegion  = ledger.Region("GB")
)

// devKeys are the keys of the development keyring, one per role a walkthrough
// needs. They are encrypted under the empty passphrase.
var devKeys = []string{"operator", "issuer", "minter", "pauser", "freezer", "attestor", "alice", "bob", "registrar", "merchant", "lender",
	"importer", "exporter", "arbiter"}

func upCmd(g *globals) *cobra.Command {
	var basePort, validators, regions int
	var webhooks []string
	var webhookSecret string
	cmd := &cobra.Command{
		Use:   "up [--home DIR]",
		Short: "Run a complete single-machine network (created on first run)",
		Long: `Run a single-validator Peg network on loopback with a development keyring.
The first run creates it under --home (default ./.peg or $PEG_HOME): keys named
` + fmt.Sprint(devKeys) + ` with an EMPTY passphrase, a genesis whose operator
is "operator", with "issuer" authorised to deploy, alice and bob registered and
"registrar" a registrar of the alias directory, and, beside the keyring, the
platform's alias key (alias.key) and the routing table of
examples/routing.toml (routing.toml). Later runs reuse them. Beside the node it runs the demo bank, where it opens the
reserve account of examples/gbpt.toml (1,000,000.00 GBP), and the reserve
monitor, which polls the demo bank for every coin whose reserve is there and
attests the balance as the coin's attestor. Stop with Ctrl-C.

With --validators N (N > 1) it runs N validators of one chain instead, all in
this process: the network ` + "`peg testnet`" + ` writes, created under --home on first
run (nodes in --home/node0 to node{N-1}, each with its own block of six ports
from --base-port, each with a copy of the development keyring) and reused
later. Every node serves its own API; the demo bank and the monitor run
against node0, under node0's home, so the CLI's --home is --home/node0.
One process keeps a walkthrough to one command and one Ctrl-C; for nodes that
fail independently, run ` + "`peg testnet`" + ` and one ` + "`peg start`" + ` per node.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if validators < 1 || validators > node.MaxTestnetNodes {
				return usageErrorf("--validators %d: want 1 to %d", validators, node.MaxTestnetNodes)
			}
			hooks, err := upWebhooks(webhooks, webhookSecret)
			if err != nil {
				return err
			}
			if regions != 1 {
				return upRegions(cmd, g, basePort, validators, regions, hooks)
			}
			if err := refuseRegionsHome(g.home); err != nil {
				return err
			}
			return firstRun(g.home, basePort, validators, func() error {
				return runDev(cmd, g, basePort, validators, hooks)
			})
		},
	}
	f := cmd.Flags()
	f.IntVar(&basePort, "base-port", node.DefaultBasePort, "first of six loopback ports (p2p, consensus RPC, API, bank Open Banking, bank admin, metrics) when creating the network; checked free before anything is written")
	f.IntVar(&validators, "validators", 1, "validators of the network, all run in this process (more than one: see above)")
	f.IntVar(&regions, "regions", 1, regionsFlagHelp)
	f.StringSliceVar(&webhooks, "webhook", nil, "http(s) URL to POST reserve alerts to (repeatable); needs --webhook-secret")
	f.StringVar(&webhookSecret, "webhook-secret", os.Getenv("PEG_WEBHOOK_SECRET"), "HMAC-SHA256 key for the Peg-Signature header ($PEG_WEBHOOK_SECRET); required with --webhook")
	return cmd
}

// runDev creates the development network of `peg up` under --home unless it
// exists, and runs it until interrupted.
func runDev(cmd *cobra.Command, g *globals, basePort, validators int, hooks []monitor.Webhook) error {
	if validators > 1 {
		created, err := ensureDevTestnet(g.home, basePort, validators)
		if err != nil {
			return err
		}
		return runNodes(cmd, g.home, validators, devSidecar(g.home, node.TestnetHome(g.home, 0), node.TestnetHome(g.home, 0), hooks, created))
	}
	created, err := ensureDevNetwork(g.home, basePort)
	if err != nil {
		return err
	}
	return runNode(cmd, g, func(ctx context.Context, w io.Writer, n *node.Node, log *slog.Logger) (func(), error) {
		return devSidecar(g.home, g.home, g.home, hooks, created)(ctx, w, []*node.Node{n}, log)
	})
}

// upWebhooks builds the webhooks of --webhook, refusing with a usage error
// what monitor.Webhook.Validate refuses: a URL that is not an http(s) URL
// with a host, and no secret, which would sign every delivery with an empty
// key.
func upWebhooks(urls []string, secret string) ([]monitor.Webhook, error) {
	if len(urls) > 0 && secret == "" {
		return nil, usageErrorf("--webhook needs --webhook-secret (or $PEG_WEBHOOK_SECRET): every delivery is signed with it")
	}
	hooks := make([]monitor.Webhook, len(urls))
	for i, u := range urls {
		hooks[i] = monitor.Webhook{URL: u, Secret: secret}
		if err := hooks[i].Validate(); err != nil {
			return nil, usageErrorf("--webhook: %v", err)
		}
	}
	return hooks, nil
}

// devSidecar is what `peg up` runs beside its node, or beside node0 of its
// validators (nodes[0]): the reserve watch, with the demo bank's state and
// the keyring under cliHome, the indexer into index.db in nodeHome (node0's
// home), and the banner. dir is the network's directory.
func devSidecar(dir, cliHome, nodeHome string, hooks []monitor.Webhook, created bool) multiSidecar {
	return func(ctx context.Context, w io.Writer, nodes []*node.Node, log *slog.Logger) (func(), error) {
		base, err := basePortOf(nodes[0])
		if err != nil {
			return nil, err
		}
		if err := ensureAliasFiles(cliHome); err != nil {
			return nil, err
		}
		idx := (&indexFlags{}).where(&globals{home: nodeHome})
		waitIndex, err := startIndex(ctx, idx, nodes[0], log)
		if err != nil {
			return nil, err
		}
		rw, wait, err := startReserveWatch(ctx, cliHome, base, nodes[0], hooks, log)
		if err != nil {
			waitIndex()
			return nil, err
		}
		printBanner(w, dir, cliHome, idx, nodes, rw, created)
		return func() { wait(); waitIndex() }, nil
	}
}

// ensureDevNetwork creates the development network under home unless it exists.
func ensureDevNetwork(home string, basePort int) (bool, error) {
	if exists, err := holdsNode(home); err != nil || exists {
		return false, err
	}
	gen, err := devGenesis(filepath.Join(home, node.KeyringDir), true)
	if err != nil {
		return false, err
	}
	return true, node.Init(home, devConfig(basePort), gen)
}

// devConfig is the development network's node configuration: the default,
// with the index peg up runs (index.db in the home) served by the API.
func devConfig(basePort int) node.Config {
	c := node.DefaultConfig(devChainID, devRegion, basePort)
	c.Index.Database = node.DefaultIndexFile
	return c
}

// holdsNode reports whether home holds a node's configuration.
func holdsNode(home string) (bool, error) {
	_, err := os.Stat(filepath.Join(home, node.ConfigFile))
	if err == nil {
		return true, nil
	}
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return false, err
}

// devGenesis opens the development keyring in dir, adding any of devKeys it
// lacks, and returns the genesis of a development network: "operator" runs
// the platform, "issuer" may deploy, alice, bob and merchant are registered,
// "registrar" binds phone and ID numbers, the development CA (devCA) is the
// chain's, and with fees, examples/fees.toml
// is the fee policy and schedule.
func devGenesis(dir string, fees bool) (state.Genesis, error) {
	kr, err := keyring.Open(dir)
	if err != nil {
		return state.Genesis{}, err
	}
	addr := make(map[string]ledger.Address, len(devKeys))
	for _, name := range devKeys {
		k, err := kr.Get(name)
		if errors.Is(err, keyring.ErrNotFound) {
			k, err = kr.Add(name, devRegion, nil)
		}
		if err != nil {
			return state.Genesis{}, err
		}
		addr[name] = k.Address
	}
	ca, err := devCA(filepath.Join(filepath.Dir(dir), caDirName), kr)
	if err != nil {
		return state.Genesis{}, err
	}
	gen := state.Genesis{
		Operator:   addr["operator"],
		Issuers:    []ledger.Address{addr["issuer"]},
		Registered: []ledger.Address{addr["alice"], addr["bob"], addr["merchant"]},
		Registrars: []ledger.Address{addr["registrar"]},
		Params:     node.DefaultParams(),
		CA:         ca,
	}
	if fees {
		f, err := devFees(addr)
		if err != nil {
			return state.Genesis{}, err
		}
		gen.Fees = &f
	}
	return gen, nil
}

// devFees reads examples/fees.toml, with its key names among the development
// keys. Its fee token is the walkthrough's coin, deployed after genesis from
// examples/gbpt.toml, so the amounts are read in that file's decimals.
func devFees(addr map[string]ledger.Address) (state.Fees, error) {
	coin, err := contractfile.Parse(examples.GBPT, nil)
	if err != nil {
		return state.Fees{}, fmt.Errorf("examples/gbpt.toml: %w", err)
	}
	p, s, err := feefile.Parse(examples.Fees, func(name string) (ledger.Address, error) {
		a, ok := addr[name]
		if !ok {
			return ledger.Address{}, fmt.Errorf("%q is not a development key", name)
		}
		return a, nil
	}, func(id ledger.TokenID) (uint8, error) {
		if string(id) != coin.ID {
			return 0, fmt.Errorf("fee token %s: the development network's coin is %s", id, coin.ID)
		}
		return uint8(coin.Decimals), nil
	})
	if err != nil {
		return state.Fees{}, fmt.Errorf("examples/fees.toml: %w", err)
	}
	return state.Fees{Policy: p, Schedule: s}, nil
}

// basePortOf recovers the base port from the node's p2p address: the
// sidecars use the ports after the node's three.
func basePortOf(n *node.Node) (int, error) {
	u, err := url.Parse(n.Config.P2P.Listen)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(u.Port())
}

func printBanner(w io.Writer, dir, cliHome, idx string, nodes []*node.Node, rw *reserveWatch, created bool) {
	state := "reusing"
	if created {
		state = "created"
	}
	abs, _ := filepath.Abs(dir)
	absCLI, _ := filepath.Abs(cliHome)
	absIdx, _ := filepath.Abs(idx)
	n := nodes[0]
	var validators, try string
	if len(nodes) > 1 {
		var b strings.Builder
		fmt.Fprintf(&b, "  validators %d in this process, one API each:\n", len(nodes))
		for _, v := range nodes {
			fmt.Fprintf(&b, "             %s %s\n", v.Config.Moniker, v.APIURL())
		}
		fmt.Fprintf(&b, "  CLI home   %s (pass --home; the sidecars use node0)\n", absCLI)
		validators, try = b.String(), " --home "+cliHome
	}
	fmt.Fprintf(w, `
Peg is up (%s network in %s)

  API        %s
  console    %[3]s/console/ (open it in a browser)
  chain id   %s
  region     %s
%s  keyring    %s
  demo bank  %s (Open Banking, mutual TLS)
             %s (admin: peg bank account list)
  metrics    %s
  index      %s (SQLite; peg index status --db %s)

WARNING: the development keyring's keys (%v) are encrypted with an EMPTY
passphrase. Anyone who can read the keyring can spend from them. Never use them
for real money.

Try:  peg%s keys list    peg%s token deploy --from issuer --file examples/gbpt.toml
Stop with Ctrl-C.
`, state, abs, n.APIURL(), n.Config.ChainID, n.Config.Region, validators, filepath.Join(absCLI, node.KeyringDir),
		rw.bank.obURL+demobank.OBBasePath, rw.bank.adminURL, rw.metricsURL, absIdx, absIdx, devKeys, try, try)
}

// IndexNice is the CPU priority (nice) of the indexer `peg up` runs,
// below the node's: where both want the same core, the node gets some ten
// times the indexer's share. Under a load the machine cannot carry for
// both, the index falls behind and catches up once the load drops, instead
// of slowing the chain (BENCHMARKS.md "Index"). It is not the lowest (19,
// a sixtieth of the node's share), which would leave the index stale for
// minutes on a machine busy with anything else.
const IndexNice = 10

// startIndex runs `peg index` beside the node, as a child process at
// IndexNice, following the node's API into the SQLite file at where and
// publishing the reports that are due into reports/ beside it, until ctx
// ends; the function returned waits for it to stop. Its log goes to this
// process's standard error. An indexer that stops (a refusal: the file
// holds another chain) is logged: the node runs on. On Linux the kernel
// stops the indexer (SIGTERM) if this process dies without doing so, and
// sets its priority; elsewhere it runs at the node's priority.
func startIndex(ctx context.Context, where string, n *node.Node, log *slog.Logger) (func(), error) {
	// The schema is made here, so that the index answers (empty) from
	// the moment the banner is printed.
	db, err := index.Open(ctx, where)
	if err != nil {
		return nil, err
	}
	db.Close()
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("starting the indexer: %w", err)
	}
	cmd := exec.Command(exe, "index", "--node", n.APIURL(), "--db", where,
		"--reports", filepath.Join(filepath.Dir(where), reportsDir))
	cmd.Stderr = os.Stderr
	tieToParent(cmd)
	log = log.With("module", "index")
	started := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		// The parent-death signal follows the thread that started the
		// child: this goroutine keeps that thread until the child exits.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		if err := lowerPriority(cmd.Process.Pid, IndexNice); err != nil {
			log.Warn("the indexer runs at the node's priority", "err", err)
		}
		if err := cmd.Wait(); err != nil && ctx.Err() == nil {
			log.Error("the indexer stopped", "err", err)
		}
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("starting the indexer: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { cmd.Process.Signal(os.Interrupt) })
	return func() {
		<-done
		stop()
	}, nil
}
