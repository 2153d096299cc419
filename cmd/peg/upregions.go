package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pegledger/peg/internal/aliaskey"
	"github.com/pegledger/peg/internal/durable"
	"github.com/pegledger/peg/internal/gateway"
	"github.com/pegledger/peg/internal/keyring"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/monitor"
	pegnet "github.com/pegledger/peg/internal/network"
	"github.com/pegledger/peg/internal/node"
	"github.com/pegledger/peg/internal/state"
)

// devRegions are the regions of `peg up --regions N`, in order: the first N.
var devRegions = []ledger.Region{"GB", "HK", "SG", "DE"}

// maxDevRegions bounds --regions: every region is a chain in this process.
var maxDevRegions = len(devRegions)

// devPeople are the development keys that are people rather than roles,
// each at home in one region, registered there: alice in the first region,
// bob in the second (or the first, with one region).
var devPeople = []string{"alice", "bob"}

// devNetworkFile is the network file `peg up --regions` writes in its home.
const devNetworkFile = "network.toml"

// regionHome is the home of region r's node under dir: dir/gb, dir/hk.
func regionHome(dir string, r ledger.Region) string {
	return filepath.Join(dir, strings.ToLower(string(r)))
}

// personRegion is the home region of person i of devPeople in a network of
// n regions.
func personRegion(i, n int) ledger.Region { return devRegions[min(i, n-1)] }

// gatewayPort is the port of the gateway of a network of n regions from
// base: the first after every region's block of devPorts.
func gatewayPort(base, n int) int { return base + n*devPorts }

// runRegions creates the network of `peg up --regions n` under --home unless
// it exists, and runs its nodes, the gateway, the demo bank and the monitor
// until interrupted.
func runRegions(cmd *cobra.Command, g *globals, basePort, n int, hooks []monitor.Webhook) error {
	created, err := ensureDevRegions(g.home, basePort, n)
	if err != nil {
		return err
	}
	homes := make([]string, n)
	for i := range homes {
		homes[i] = regionHome(g.home, devRegions[i])
	}
	return runHomes(cmd, homes, regionsSidecar(g.home, hooks, created))
}

// ensureDevRegions creates the regions' homes and the network file under
// dir unless dir holds them; it refuses a home that holds another kind of
// network, or regions other than n.
func ensureDevRegions(dir string, basePort, n int) (bool, error) {
	for _, other := range []string{dir, node.TestnetHome(dir, 0)} {
		if ok, err := holdsNode(other); err != nil {
			return false, err
		} else if ok {
			return false, fmt.Errorf("%s holds a network without regions; use another --home for --regions %d", dir, n)
		}
	}
	exists, err := holdsNode(regionHome(dir, devRegions[0]))
	if err != nil {
		return false, err
	}
	if exists {
		for i, r := range devRegions {
			ok, err := holdsNode(regionHome(dir, r))
			if err != nil {
				return false, err
			}
			if ok != (i < n) {
				return false, fmt.Errorf("%s holds a network of other regions than the first %d of %v", dir, n, devRegions)
			}
		}
		return false, nil
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", gatewayPort(basePort, n)))
	if err != nil {
		return false, fmt.Errorf("port %d, the gateway's, is in use (%v); pass another --base-port", gatewayPort(basePort, n), err)
	}
	ln.Close()
	return true, initDevRegions(dir, basePort, n)
}

// initDevRegions writes the keyrings, the regions' homes and the network
// file.
func initDevRegions(dir string, basePort, n int) error {
	people, err := devPeopleKeys(dir, n)
	if err != nil {
		return err
	}
	homes := make([]node.RegionHome, n)
	endpoints := make(map[ledger.Region][]string, n)
	for i := range n {
		r := devRegions[i]
		home := regionHome(dir, r)
		gen, err := regionGenesis(filepath.Join(home, node.KeyringDir), r, people)
		if err != nil {
			return err
		}
		cfg := node.DefaultConfig(devChainID+"-"+strings.ToLower(string(r)), r, basePort+i*devPorts)
		cfg.Moniker = strings.ToLower(string(r))
		homes[i] = node.RegionHome{Home: home, Config: cfg, Genesis: gen}
		endpoints[r] = []string{"http://" + cfg.API.Listen}
	}
	regions, err := node.InitRegions(homes)
	if err != nil {
		return err
	}
	b, err := pegnet.Encode(regions, endpoints)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, devNetworkFile), b, 0o644)
}

// devPeopleKeys creates each of devPeople in its home region, in a keyring
// under dir that `peg up` shares into every region's keyring, and returns
// their key files by name.
func devPeopleKeys(dir string, n int) (map[string][]byte, error) {
	kr, err := keyring.Open(filepath.Join(dir, node.KeyringDir))
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(devPeople))
	for i, name := range devPeople {
		if _, err := kr.Get(name); errors.Is(err, keyring.ErrNotFound) {
			if _, err := kr.Add(name, personRegion(i, n), nil); err != nil {
				return nil, err
			}
		} else if err != nil {
			return nil, err
		}
		if out[name], err = kr.Export(name); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// regionGenesis opens the keyring of region r in dir, creating the roles of
// devKeys at home in r and importing the people, and returns r's genesis:
// its own operator, issuer and registrar, and the people at home in r
// registered, and a development CA of its own (devCA, under the region's
// home), which certifies the keys of its keyring: each chain checks the
// certificates it holds, a payer's on the payer's region and a payee's on
// the payee's (S4.1). It sets no fees: the fee token of examples/fees.toml
// is GB's coin, which the other regions do not know at genesis.
func regionGenesis(dir string, r ledger.Region, people map[string][]byte) (state.Genesis, error) {
	kr, err := keyring.Open(dir)
	if err != nil {
		return state.Genesis{}, err
	}
	g := state.Genesis{Params: node.DefaultParams()}
	for _, name := range devKeys {
		k, err := kr.Get(name)
		switch {
		case errors.Is(err, keyring.ErrNotFound) && people[name] != nil:
			k, err = kr.Import(name, people[name])
		case errors.Is(err, keyring.ErrNotFound):
			k, err = kr.Add(name, r, nil)
		}
		if err != nil {
			return state.Genesis{}, err
		}
		switch {
		case name == "operator":
			g.Operator = k.Address
		case name == "issuer":
			g.Issuers = []ledger.Address{k.Address}
		case name == "registrar":
			g.Registrars = []ledger.Address{k.Address}
		case people[name] != nil && k.Address.Region() == r:
			g.Registered = append(g.Registered, k.Address)
		}
	}
	if g.CA, err = devCA(filepath.Join(filepath.Dir(dir), caDirName), kr); err != nil {
		return state.Genesis{}, err
	}
	return g, nil
}

// regionsSidecar is what `peg up --regions` runs beside its nodes: the
// reserve watch on the first region, the gateway, a relayer, and the
// banner.
func regionsSidecar(dir string, hooks []monitor.Webhook, created bool) multiSidecar {
	return func(ctx context.Context, w io.Writer, nodes []*node.Node, log *slog.Logger) (func(), error) {
		base, err := basePortOf(nodes[0])
		if err != nil {
			return nil, err
		}
		file := filepath.Join(dir, devNetworkFile)
		n, err := pegnet.Load(file)
		if err != nil {
			return nil, err
		}
		aliases, err := shareAliasFiles(dir, n)
		if err != nil {
			return nil, err
		}
		gw, err := startGateway(ctx, file, n, "", aliases, fmt.Sprintf("127.0.0.1:%d", gatewayPort(base, len(nodes))), log)
		if err != nil {
			return nil, err
		}
		stopRelay, err := startRelay(ctx, n, devRegions[0], log)
		if err != nil {
			gw.stop()
			return nil, err
		}
		rw, wait, err := startReserveWatch(ctx, regionHome(dir, devRegions[0]), base, nodes[0], hooks, log)
		if err != nil {
			stopRelay()
			gw.stop()
			return nil, err
		}
		printRegionsBanner(w, dir, nodes, gw.addr, rw, created)
		return func() { wait(); stopRelay(); gw.stop() }, nil
	}
}

func printRegionsBanner(w io.Writer, dir string, nodes []*node.Node, gateway string, rw *reserveWatch, created bool) {
	state := "reusing"
	if created {
		state = "created"
	}
	abs, _ := filepath.Abs(dir)
	fmt.Fprintf(w, "\nPeg is up (%s network of %d regions in %s)\n\n", state, len(nodes), abs)
	fmt.Fprintf(w, "  gateway    http://%s (submit here: it routes by the payer's region)\n", gateway)
	fmt.Fprintf(w, "  network    %s\n\n", filepath.Join(abs, devNetworkFile))
	fmt.Fprintf(w, "  region  chain id          API                      p2p / consensus RPC    CLI home\n")
	for _, n := range nodes {
		fmt.Fprintf(w, "  %-6s  %-16s  %-23s  %s / %s  %s\n", n.Config.Region, n.Config.ChainID, n.APIURL(),
			strings.TrimPrefix(n.Config.P2P.Listen, "tcp://"), strings.TrimPrefix(n.Config.RPC.Listen, "tcp://"),
			regionHome(abs, ledger.Region(n.Config.Region)))
	}
	people := make([]string, len(devPeople))
	for i, p := range devPeople {
		people[i] = fmt.Sprintf("%s in %s", p, personRegion(i, len(nodes)))
	}
	fmt.Fprintf(w, `
  demo bank  %s and the monitor, for the first region (%s)
  metrics    %s (monitor), http://%s/metrics (gateway)
  people     %s; every region has its own operator, issuer and roles

Ports: region i takes %d ports from --base-port + %d·i (p2p, consensus RPC, API,
then the demo bank and the metrics on the first region only); the gateway
takes the port after the last region's block.

A relayer carries payments between regions: a payment to a payee of another
region is an outbound transfer on the payer's region, delivered to the
payee's region with its proof (peg transfer list; peg audit --network %s).

WARNING: the development keyrings' keys (%v) are encrypted with an EMPTY
passphrase. Never use them for real money.

Try:  peg --home %s --node http://%s keys list
Stop with Ctrl-C.
`, rw.bank.adminURL, nodes[0].Config.Region, rw.metricsURL, gateway, strings.Join(people, ", "), devPorts, devPorts,
		filepath.Join(abs, devNetworkFile), devKeys, regionHome(dir, devRegions[0]), gateway)
}

// regionsFlagHelp documents `peg up --regions`.
var regionsFlagHelp = fmt.Sprintf("regions of the network (1 to %d: %v in order), each its own chain with one validator, "+
	"under --home/gb, --home/hk…, with a gateway in front; 1 is the network without regions", maxDevRegions, devRegions)

// upRegions checks --regions and runs the network of that many regions,
// created on first run as `peg up` creates its own.
func upRegions(cmd *cobra.Command, g *globals, basePort, validators, regions int, hooks []monitor.Webhook) error {
	if regions < 1 || regions > maxDevRegions {
		return usageErrorf("--regions %d: want 1 to %d", regions, maxDevRegions)
	}
	if validators != 1 {
		return usageErrorf("--regions and --validators: each region has one validator in `peg up`")
	}
	exists, err := holdsNode(regionHome(g.home, devRegions[0]))
	if err != nil {
		return err
	}
	if exists {
		return runRegions(cmd, g, basePort, regions, hooks)
	}
	return firstRun(g.home, basePort, regions, func() error { return runRegions(cmd, g, basePort, regions, hooks) })
}

// refuseRegionsHome refuses to start a network without regions in a home
// that holds one with regions.
func refuseRegionsHome(home string) error {
	exists, err := holdsNode(regionHome(home, devRegions[0]))
	if err != nil || !exists {
		return err
	}
	return fmt.Errorf("%s holds a network of regions; run it with `peg up --regions N`, or use another --home", home)
}

// shareAliasFiles makes one alias key and routing table for the network in
// dir and copies them, where missing, into each region's home, where the
// alias commands read them: a number is hashed under the same platform key
// whichever region's registrar binds it and whichever gateway resolves it.
func shareAliasFiles(dir string, n *pegnet.Network) (*gateway.Aliases, error) {
	if err := ensureAliasFiles(dir); err != nil {
		return nil, err
	}
	for _, r := range n.Regions {
		home := regionHome(dir, r.Region)
		for _, name := range []string{aliaskey.FileName, routesFile} {
			dst := filepath.Join(home, name)
			if _, err := os.Stat(dst); !errors.Is(err, os.ErrNotExist) {
				if err != nil {
					return nil, err
				}
				continue
			}
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				return nil, err
			}
			if err := durable.WriteFile(dst, b, 0o600); err != nil {
				return nil, err
			}
		}
	}
	return loadAliases(filepath.Join(dir, aliaskey.FileName), filepath.Join(dir, routesFile))
}
