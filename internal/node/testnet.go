package node

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/cometbft/cometbft/p2p"

	"github.com/pegledger/peg/internal/state"
)

// MaxTestnetNodes bounds the nodes one InitTestnet writes: each takes a block
// of loopback ports and, once started, a share of one machine.
const MaxTestnetNodes = 64

// maxPort is the highest TCP port.
const maxPort = 65535

// Testnet describes a network of nodes on one machine's loopback interface,
// one chain with one genesis: validators node0 to node{Validators-1}, then
// full nodes that follow the chain without voting.
type Testnet struct {
	Validators int
	FullNodes  int
	// BasePort is node0's first port; node i's block of PortStride ports
	// starts at BasePort + i·PortStride and its own NodePorts come first.
	BasePort   int
	PortStride int
	// Template holds what every node shares: chain id, region, consensus
	// timeouts and logging. Each node's moniker, listen addresses and
	// persistent peers replace the template's; its index database is
	// node0's only (one indexer follows the network, beside node0).
	Template Config
}

// Validate checks the counts and that every node's ports fit.
func (t Testnet) Validate() error {
	var errs []error
	if t.Validators < 1 {
		errs = append(errs, fmt.Errorf("%d validators: need at least one", t.Validators))
	}
	if t.FullNodes < 0 {
		errs = append(errs, fmt.Errorf("%d full nodes: must not be negative", t.FullNodes))
	}
	if n := t.Validators + t.FullNodes; n > MaxTestnetNodes {
		errs = append(errs, fmt.Errorf("%d nodes: at most %d (MaxTestnetNodes)", n, MaxTestnetNodes))
	}
	if t.PortStride < NodePorts {
		errs = append(errs, fmt.Errorf("port stride %d: each node needs %d ports", t.PortStride, NodePorts))
	}
	if last := t.BasePort + (t.Validators+t.FullNodes)*t.PortStride - 1; t.BasePort < 1 || last > maxPort {
		errs = append(errs, fmt.Errorf("ports %d to %d: must lie within 1 to %d", t.BasePort, last, maxPort))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("node: testnet: %w", err)
	}
	return nil
}

// TestnetHome is the home of node i of a testnet written under dir.
func TestnetHome(dir string, i int) string {
	return filepath.Join(dir, fmt.Sprintf("node%d", i))
}

// TestnetNode is one node InitTestnet wrote.
type TestnetNode struct {
	Home      string
	ID        string // CometBFT node id, the ID in its peers' ID@host:port
	Validator bool
	Config    Config
}

// InitTestnet writes the homes of t's nodes under dir (TestnetHome), the same
// way Init writes one: keys per node, then one genesis document naming every
// validator with ValidatorPower, written byte for byte into every home, then
// each configuration, whose persistent peers are all the other nodes. It
// refuses if any of the homes already holds a node, before writing anything.
func InitTestnet(dir string, t Testnet, g state.Genesis) ([]TestnetNode, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	n := t.Validators + t.FullNodes
	ms := make([]member, n)
	for i := range ms {
		cfg := t.Template
		cfg.Moniker = fmt.Sprintf("node%d", i)
		if i > 0 {
			cfg.Index.Database = ""
		}
		cfg.setPorts(t.BasePort + i*t.PortStride)
		if err := checkNew(TestnetHome(dir, i), cfg); err != nil {
			return nil, err
		}
		ms[i].cfg = cfg
	}
	for i := range ms {
		m, err := prepare(TestnetHome(dir, i), ms[i].cfg)
		if err != nil {
			return nil, err
		}
		ms[i] = m
	}
	doc, err := genesis(t.Template.ChainID, ms[:t.Validators], g)
	if err != nil {
		return nil, err
	}
	out := make([]TestnetNode, n)
	for i := range ms {
		ms[i].cfg.P2P.PersistentPeers = peersOf(ms, i)
		if err := ms[i].finish(doc); err != nil {
			return nil, err
		}
		out[i] = TestnetNode{Home: ms[i].home, ID: string(ms[i].id), Validator: i < t.Validators, Config: ms[i].cfg}
	}
	return out, nil
}

// peersOf lists every member but ms[i] as ID@host:port.
func peersOf(ms []member, i int) string {
	var peers []string
	for j, m := range ms {
		if j == i {
			continue
		}
		hostPort := strings.TrimPrefix(m.cfg.P2P.Listen, "tcp://")
		peers = append(peers, p2p.IDAddressString(m.id, hostPort))
	}
	return strings.Join(peers, ",")
}
