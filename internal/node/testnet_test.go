package node

import (
	"bytes"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cometbft/cometbft/p2p"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/tx"
)

func testGenesis(t *testing.T) state.Genesis {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return state.Genesis{Operator: ledger.NewAddress("GB", pub), Params: DefaultParams()}
}

func testnetOf(validators, fullNodes, base, stride int) Testnet {
	return Testnet{Validators: validators, FullNodes: fullNodes, BasePort: base, PortStride: stride,
		Template: DefaultConfig("test-chain", "GB", base)}
}

func TestTestnetValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		t    Testnet
		want string // in the error; empty for none
	}{
		{"one validator", testnetOf(1, 0, 20000, NodePorts), ""},
		{"four validators and a full node", testnetOf(4, 1, 20000, 6), ""},
		{"no validators", testnetOf(0, 2, 20000, 6), "need at least one"},
		{"negative full nodes", testnetOf(2, -1, 20000, 6), "must not be negative"},
		{"too many nodes", testnetOf(MaxTestnetNodes, 1, 20000, 6), "MaxTestnetNodes"},
		{"stride below a node's ports", testnetOf(2, 0, 20000, NodePorts-1), "port stride"},
		{"ports beyond 65535", testnetOf(4, 0, 65530, 6), "must lie within"},
		{"port zero", testnetOf(1, 0, 0, 6), "must lie within"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.t.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Validate() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestInitTestnet checks the homes of a testnet: one genesis, byte for byte,
// naming every validator with equal power and no full node; ports that do
// not collide; and persistent peers that are every other node by its key's id.
func TestInitTestnet(t *testing.T) {
	dir := t.TempDir()
	tn := testnetOf(4, 1, 30000, 6)
	nodes, err := InitTestnet(dir, tn, testGenesis(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 5 {
		t.Fatalf("InitTestnet wrote %d nodes, want 5", len(nodes))
	}
	first, err := os.ReadFile(filepath.Join(TestnetHome(dir, 0), GenesisFile))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := cmttypes.GenesisDocFromJSON(first)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Validators) != 4 {
		t.Fatalf("genesis names %d validators, want 4", len(doc.Validators))
	}
	ports := map[string]string{}
	for i, n := range nodes {
		if n.Home != TestnetHome(dir, i) || n.Validator != (i < 4) {
			t.Errorf("node %d: home %s validator %v, want %s and %v", i, n.Home, n.Validator, TestnetHome(dir, i), i < 4)
		}
		g, err := os.ReadFile(filepath.Join(n.Home, GenesisFile))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(g, first) {
			t.Errorf("node %d's genesis differs from node0's", i)
		}
		cfg, err := LoadConfig(n.Home)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range []string{cfg.P2P.Listen, cfg.RPC.Listen, "tcp://" + cfg.API.Listen} {
			if other, ok := ports[l]; ok {
				t.Errorf("node %d listens on %s, as %s does", i, l, other)
			}
			ports[l] = cfg.Moniker
		}
		nk, err := p2p.LoadNodeKey(filepath.Join(n.Home, NodeKeyFile))
		if err != nil {
			t.Fatal(err)
		}
		if string(nk.ID()) != n.ID {
			t.Errorf("node %d: reported id %s, key's id %s", i, n.ID, nk.ID())
		}
		if i < 4 && doc.Validators[i].Power != ValidatorPower {
			t.Errorf("validator %d has power %d, want %d", i, doc.Validators[i].Power, ValidatorPower)
		}
	}
	for i, n := range nodes {
		var want []string
		for j, m := range nodes {
			if j != i {
				want = append(want, m.ID+"@"+strings.TrimPrefix(m.Config.P2P.Listen, "tcp://"))
			}
		}
		cfg, _ := LoadConfig(n.Home)
		if got := cfg.P2P.PersistentPeers; got != strings.Join(want, ",") {
			t.Errorf("node %d's persistent peers = %q, want %q", i, got, strings.Join(want, ","))
		}
	}
	if _, err := InitTestnet(dir, tn, testGenesis(t)); err == nil || !strings.Contains(err.Error(), "written once") {
		t.Errorf("second InitTestnet = %v, want a refusal", err)
	}
	again, err := os.ReadFile(filepath.Join(TestnetHome(dir, 0), GenesisFile))
	if err != nil || !bytes.Equal(again, first) {
		t.Errorf("the refused InitTestnet changed node0's genesis (err %v)", err)
	}
}

// TestInitSingle checks that Init, which shares InitTestnet's code, writes a
// one-validator genesis with no peers and refuses a second run.
func TestInitSingle(t *testing.T) {
	home := t.TempDir()
	cfg := DefaultConfig("solo", "GB", 31000)
	if err := Init(home, cfg, testGenesis(t)); err != nil {
		t.Fatal(err)
	}
	doc, err := cmttypes.GenesisDocFromFile(filepath.Join(home, GenesisFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Validators) != 1 || doc.Validators[0].Name != "node0" || doc.ChainID != "solo" {
		t.Errorf("genesis validators %+v, chain %s; want node0 alone on solo", doc.Validators, doc.ChainID)
	}
	// A block must hold the largest batch the mempool admits, with room
	// for its header and commit.
	if got := doc.ConsensusParams.Block.MaxBytes; got != MaxBlockBytes || got < tx.MaxBatchSize+64<<10 {
		t.Errorf("genesis block max_bytes = %d, want %d, above the largest batch (%d)", got, MaxBlockBytes, tx.MaxBatchSize)
	}
	if err := Init(home, cfg, testGenesis(t)); err == nil {
		t.Error("second Init succeeded, want a refusal")
	}
}

// TestLoadConfigWithoutNewTimeouts reads a configuration written before
// timeout_propose, timeout_prevote and timeout_precommit existed.
func TestLoadConfigWithoutNewTimeouts(t *testing.T) {
	home := t.TempDir()
	cfg := DefaultConfig("old", "GB", 32000)
	if err := writeConfig(home, cfg); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(home, ConfigFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, l := range strings.Split(string(b), "\n") {
		if k := strings.TrimSpace(l); !strings.HasPrefix(k, "timeout_propose") &&
			!strings.HasPrefix(k, "timeout_prevote") && !strings.HasPrefix(k, "timeout_precommit") {
			kept = append(kept, l)
		}
	}
	if err := os.WriteFile(path, []byte(strings.Join(kept, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := LoadConfig(home)
	if err != nil {
		t.Fatal(err)
	}
	if got.Consensus != cfg.Consensus {
		t.Errorf("consensus settings = %+v, want %+v", got.Consensus, cfg.Consensus)
	}
}
