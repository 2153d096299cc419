// Package node wires a Peg node together: Peg's own configuration file, the
// CometBFT node embedded in-process with Peg's ABCI application, the Pebble
// state store and the REST API. CometBFT's types stay inside this package and
// internal/abci.
package node

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/sqldb"
	"github.com/pegledger/peg/internal/tx"
)

// Files and directories under a node's home.
const (
	ConfigFile     = "config/peg.toml"
	GenesisFile    = "config/genesis.json"
	ValidatorKey   = "config/priv_validator_key.json"
	NodeKeyFile    = "config/node_key.json"
	ValidatorState = "data/priv_validator_state.json"
	AppDataDir     = "data/app"
	KeyringDir     = "keyring"
)

// Config is a node's configuration, HOME/config/peg.toml. Only these settings
// reach CometBFT; the rest of its configuration keeps its defaults, chosen in
// cometConfig.
type Config struct {
	ChainID string `toml:"chain_id" comment:"the chain this node serves; fixed at init"`
	Region  string `toml:"region" comment:"ISO 3166 code of the region whose accounts this chain keeps"`
	Moniker string `toml:"moniker" comment:"this node's name among its peers"`

	P2P struct {
		Listen          string `toml:"listen" comment:"CometBFT peer-to-peer address"`
		PersistentPeers string `toml:"persistent_peers" comment:"comma-separated ID@host:port"`
	} `toml:"p2p"`
	RPC struct {
		Listen string `toml:"listen" comment:"CometBFT RPC address, for chain tools"`
	} `toml:"rpc"`
	API struct {
		Listen string `toml:"listen" comment:"Peg REST API address (host:port)"`
	} `toml:"api"`
	Consensus struct {
		TimeoutPropose      string `toml:"timeout_propose" comment:"how long a round waits for its proposer's block before voting for none"`
		TimeoutPrevote      string `toml:"timeout_prevote" comment:"how long a round waits, once two thirds have prevoted but not for one block, for the rest"`
		TimeoutPrecommit    string `toml:"timeout_precommit" comment:"how long a round waits, once two thirds have precommitted but not for one block, before the next round"`
		TimeoutCommit       string `toml:"timeout_commit" comment:"pause after each block before the next round"`
		EmptyBlocksInterval string `toml:"empty_blocks_interval" comment:"longest time without a block when no transactions arrive"`
	} `toml:"consensus"`
	Mempool struct {
		MaxBytes int64 `toml:"max_bytes" comment:"bytes of transactions the mempool holds; beyond, the API answers 503"`
	} `toml:"mempool"`
	Log struct {
		Level  string `toml:"level" comment:"debug, info, warn or error"`
		Format string `toml:"format" comment:"text or json"`
	} `toml:"log"`
	Index struct {
		Database string `toml:"database" comment:"the index database the API serves /v1/history, /v1/analytics and /v1/published from (peg index writes it): an SQLite file, relative to the home, or a postgres:// URL; empty for none"`
	} `toml:"index"`
}

// DefaultIndexFile is the index database `peg up` gives the nodes it
// creates, in the node's home.
const DefaultIndexFile = "index.db"

// IndexDatabase is where the node's index database is: a postgres:// URL
// as configured, an SQLite file's path resolved against home; empty when
// the node has none.
func (c Config) IndexDatabase(home string) string {
	d := c.Index.Database
	if d == "" || sqldb.IsURL(d) || filepath.IsAbs(d) {
		return d
	}
	return filepath.Join(home, d)
}

// DefaultBasePort is the first of the NodePorts loopback ports a default node
// uses.
const DefaultBasePort = 26656

// NodePorts is how many consecutive loopback ports DefaultConfig takes from
// its base port: p2p, CometBFT RPC and API.
const NodePorts = 3

// CometBFT's own default consensus timeouts. A configuration file written
// before these settings existed reads as them.
const (
	DefaultTimeoutPropose   = "3s"
	DefaultTimeoutPrevote   = "1s"
	DefaultTimeoutPrecommit = "1s"
)

// DefaultTimeoutCommit is the pause after each block before the next height.
// The chain executes one block at a time and blocks hold at most
// MaxBlockBytes (about 6,500 payments), so under load this pause and a block's
// execution set the rate: at 200 ms a full block came every 260 ms
// (24,600 payments/s over 73 s in `peg bench`); at 100 ms, 38,000 to
// 43,500/s, and at 50 ms no more (BENCHMARKS.md, "Settings"). A shorter
// pause also lets a payment wait less for its block at any load.
const DefaultTimeoutCommit = "100ms"

// DefaultConfig is a single node on loopback with the given base port: p2p on
// base, CometBFT RPC on base+1, API on base+2.
func DefaultConfig(chainID string, region ledger.Region, basePort int) Config {
	var c Config
	c.ChainID, c.Region, c.Moniker = chainID, string(region), "node0"
	c.setPorts(basePort)
	c.setDefaultTimeouts()
	c.Consensus.TimeoutCommit = DefaultTimeoutCommit
	c.Consensus.EmptyBlocksInterval = "10s"
	c.Log.Level, c.Log.Format = "info", "text"
	return c
}

// setDefaultTimeouts sets the timeouts that DefaultConfig and LoadConfig take
// from CometBFT, and the mempool's size, which files written before the
// setting existed lack.
func (c *Config) setDefaultTimeouts() {
	c.Consensus.TimeoutPropose = DefaultTimeoutPropose
	c.Consensus.TimeoutPrevote = DefaultTimeoutPrevote
	c.Consensus.TimeoutPrecommit = DefaultTimeoutPrecommit
	c.Mempool.MaxBytes = MempoolBytes
}

// setPorts puts the node's listeners on loopback ports base to
// base+NodePorts-1.
func (c *Config) setPorts(base int) {
	c.P2P.Listen = fmt.Sprintf("tcp://127.0.0.1:%d", base)
	c.RPC.Listen = fmt.Sprintf("tcp://127.0.0.1:%d", base+1)
	c.API.Listen = fmt.Sprintf("127.0.0.1:%d", base+2)
}

// Validate checks every setting.
func (c Config) Validate() error {
	var errs []error
	if c.ChainID == "" || len(c.ChainID) > 50 {
		errs = append(errs, fmt.Errorf("chain_id %q must be 1 to 50 characters", c.ChainID))
	}
	if _, err := ledger.ParseRegion(c.Region); err != nil {
		errs = append(errs, err)
	}
	if c.Mempool.MaxBytes < tx.MaxBatchSize {
		errs = append(errs, fmt.Errorf("mempool.max_bytes %d is below the largest batch, %d", c.Mempool.MaxBytes, tx.MaxBatchSize))
	}
	if _, _, err := net.SplitHostPort(c.API.Listen); err != nil {
		errs = append(errs, fmt.Errorf("api.listen %q: %v", c.API.Listen, err))
	}
	for _, d := range []struct{ name, value string }{
		{"consensus.timeout_propose", c.Consensus.TimeoutPropose},
		{"consensus.timeout_prevote", c.Consensus.TimeoutPrevote},
		{"consensus.timeout_precommit", c.Consensus.TimeoutPrecommit},
		{"consensus.timeout_commit", c.Consensus.TimeoutCommit},
		{"consensus.empty_blocks_interval", c.Consensus.EmptyBlocksInterval},
	} {
		if v, err := time.ParseDuration(d.value); err != nil {
			errs = append(errs, fmt.Errorf("%s %q: %v", d.name, d.value, err))
		} else if v < 0 {
			errs = append(errs, fmt.Errorf("%s %q: must not be negative", d.name, d.value))
		}
	}
	if strings.ContainsAny(c.Index.Database, "\x00\n") || (strings.Contains(c.Index.Database, "://") && !sqldb.IsURL(c.Index.Database)) {
		errs = append(errs, fmt.Errorf("index.database %q: want an SQLite file's path or a postgres:// URL", c.Index.Database))
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log.level %q: want debug, info, warn or error", c.Log.Level))
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("log.format %q: want text or json", c.Log.Format))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("node: config: %w", err)
	}
	return nil
}

// LoadConfig reads HOME/config/peg.toml strictly: unknown keys are errors. A
// missing timeout_propose, timeout_prevote or timeout_precommit is CometBFT's
// default.
func LoadConfig(home string) (Config, error) {
	b, err := os.ReadFile(filepath.Join(home, ConfigFile))
	if err != nil {
		return Config{}, fmt.Errorf("node: %w (run `peg init` first)", err)
	}
	var c Config
	c.setDefaultTimeouts()
	dec := toml.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("node: %s: %w", ConfigFile, err)
	}
	return c, c.Validate()
}

func writeConfig(home string, c Config) error {
	b, err := toml.Marshal(c)
	if err != nil {
		return fmt.Errorf("node: encoding config: %w", err)
	}
	return writeFile(filepath.Join(home, ConfigFile), b, 0o644)
}

func writeFile(path string, b []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("node: %w", err)
	}
	if err := os.WriteFile(path, b, mode); err != nil {
		return fmt.Errorf("node: %w", err)
	}
	return nil
}
