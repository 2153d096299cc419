package bench

import (
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/node"
	"github.com/pegledger/peg/internal/ports"
	"github.com/pegledger/peg/internal/state"
)

// Signer is a key the bench signs with.
type Signer struct {
	Addr ledger.Address
	Priv ed25519.PrivateKey
}

// NewSigner generates a key whose address is in region.
func NewSigner(region ledger.Region) Signer {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		panic(fmt.Sprintf("bench: generating a key: %v", err)) // crypto/rand never fails on Linux
	}
	return Signer{Addr: ledger.NewAddress(region, pub), Priv: priv}
}

// Roles are the keys that set the bench token up. The issuer must be an
// authorised issuer of the chain; the other four hold the token's roles, one
// each, as a contract requires.
type Roles struct {
	Issuer, Minter, Attestor, Pauser, Freezer Signer
	// Operator sets the fee policy of a run with fees; a run without them
	// needs none.
	Operator Signer
}

// Target is the network a run loads.
type Target struct {
	// URL is the API's base URL.
	URL   string
	Roles Roles
	// AppDir is the node's Pebble directory, for the state's size; empty
	// when the bench cannot see it.
	AppDir string
	// InProcess says the node runs in this process, so that this process's
	// peak RSS is the node's (with the generator's).
	InProcess bool
	// Network describes the target in the result ("in-process single
	// validator", a URL).
	Network string
}

// The network StartLocal builds.
const (
	localChainID = "peg-bench"
	localRegion  = ledger.Region("GB")
)

// Local is a single-validator network run in this process from a temporary
// home, with its roles' keys in memory only.
type Local struct {
	Home  string
	Node  *node.Node
	Roles Roles
}

// StartLocal creates a fresh single-validator network in a new temporary
// directory (under dir, or the system's if empty), with node.DefaultConfig on
// free loopback ports, and starts it. The caller must Close it.
func StartLocal(dir string, log *slog.Logger) (*Local, error) {
	home, err := os.MkdirTemp(dir, "peg-bench-")
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	l := &Local{Home: home, Roles: newRoles(localRegion)}
	base, err := ports.Block(nodePorts)
	if err != nil {
		os.RemoveAll(home)
		return nil, err
	}
	if err := node.Init(home, node.DefaultConfig(localChainID, localRegion, base), l.Roles.genesis()); err != nil {
		os.RemoveAll(home)
		return nil, err
	}
	if l.Node, err = node.Start(home, log); err != nil {
		os.RemoveAll(home)
		return nil, err
	}
	return l, nil
}

// newRoles generates the roles' keys, at home in region.
func newRoles(region ledger.Region) Roles {
	return Roles{Issuer: NewSigner(region), Minter: NewSigner(region), Attestor: NewSigner(region),
		Pauser: NewSigner(region), Freezer: NewSigner(region), Operator: NewSigner(region)}
}

// genesis is the genesis of a chain of the roles: their operator, their
// issuer, and the node's default parameters.
func (r Roles) genesis() state.Genesis {
	return state.Genesis{Operator: r.Operator.Addr, Issuers: []ledger.Address{r.Issuer.Addr}, Params: node.DefaultParams()}
}

// Target is the local network as a run's target.
func (l *Local) Target() Target {
	return Target{URL: l.Node.APIURL(), Roles: l.Roles, AppDir: filepath.Join(l.Home, node.AppDataDir), InProcess: true,
		Network: fmt.Sprintf("in-process single validator (timeout_commit %s)", l.Node.Config.Consensus.TimeoutCommit)}
}

// Close stops the node and, unless keep, removes its home.
func (l *Local) Close(keep bool) error {
	l.Node.Stop()
	if keep {
		return nil
	}
	return os.RemoveAll(l.Home)
}

// nodePorts is how many consecutive ports a node takes from its base port
// (p2p, consensus RPC, API), as node.DefaultConfig lays them out.
const nodePorts = 3
