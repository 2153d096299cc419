package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cometbft/cometbft/crypto"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/pegledger/peg/internal/state"
)

// DefaultParams are the platform parameters a new chain starts with unless told
// otherwise.
func DefaultParams() state.Params {
	return state.Params{
		MinReserve:     100_000,
		Banks:          []string{DemoBankBIC},
		MaxExpiryDelta: 10_000,
	}
}

// DemoBankBIC is the BIC of the demo bank that `peg up` runs.
const DemoBankBIC = "PEGDGB2L"

// ValidatorPower is the voting power of every genesis validator. All have the
// same, so any two thirds of them by count commit blocks.
const ValidatorPower = 10

// Init writes a new single-validator node's configuration, keys and genesis
// under home. It refuses to touch a home that already has a configuration: a
// genesis is written once and never regenerated.
func Init(home string, cfg Config, g state.Genesis) error {
	if err := g.Validate(); err != nil {
		return err
	}
	if err := checkNew(home, cfg); err != nil {
		return err
	}
	m, err := prepare(home, cfg)
	if err != nil {
		return err
	}
	doc, err := genesis(cfg.ChainID, []member{m}, g)
	if err != nil {
		return err
	}
	return m.finish(doc)
}

// member is a node whose home is being written: where, its configuration, and
// the keys prepare generated for it.
type member struct {
	home string
	cfg  Config
	pub  crypto.PubKey // validator key
	id   p2p.ID        // node key's id, for its peers' address book
}

// checkNew validates cfg and refuses a home that already holds a node.
func checkNew(home string, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(home, ConfigFile)); err == nil {
		return fmt.Errorf("node: %s already holds a node; genesis is written once", home)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("node: %w", err)
	}
	return nil
}

// prepare creates home's directories and its validator and node keys.
func prepare(home string, cfg Config) (member, error) {
	for _, d := range []string{"config", "data"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o700); err != nil {
			return member{}, fmt.Errorf("node: %w", err)
		}
	}
	pv := privval.GenFilePV(filepath.Join(home, ValidatorKey), filepath.Join(home, ValidatorState))
	pv.Save()
	nk, err := p2p.LoadOrGenNodeKey(filepath.Join(home, NodeKeyFile))
	if err != nil {
		return member{}, fmt.Errorf("node: node key: %w", err)
	}
	pub, err := pv.GetPubKey()
	if err != nil {
		return member{}, fmt.Errorf("node: validator key: %w", err)
	}
	return member{home: home, cfg: cfg, pub: pub, id: nk.ID()}, nil
}

// genesis encodes the one genesis document of a chain whose validators are
// vals, each with ValidatorPower, and whose application starts from g, which
// the caller has validated.
func genesis(chainID string, vals []member, g state.Genesis) ([]byte, error) {
	app, err := json.Marshal(g)
	if err != nil {
		return nil, fmt.Errorf("node: encoding app state: %w", err)
	}
	doc := cmttypes.GenesisDoc{
		GenesisTime:     time.Now().UTC().Truncate(time.Millisecond),
		ChainID:         chainID,
		InitialHeight:   1,
		ConsensusParams: consensusParams(),
		AppState:        app,
	}
	for _, v := range vals {
		doc.Validators = append(doc.Validators, cmttypes.GenesisValidator{
			Address: v.pub.Address(), PubKey: v.pub, Power: ValidatorPower, Name: v.cfg.Moniker})
	}
	if err := doc.ValidateAndComplete(); err != nil {
		return nil, fmt.Errorf("node: genesis: %w", err)
	}
	b, err := cmtjson.MarshalIndent(&doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("node: genesis: %w", err)
	}
	return b, nil
}

// consensusParams are CometBFT's defaults with blocks of at most
// MaxBlockBytes.
func consensusParams() *cmttypes.ConsensusParams {
	p := cmttypes.DefaultConsensusParams()
	p.Block.MaxBytes = MaxBlockBytes
	return p
}

// finish writes the genesis document and then the configuration, whose
// presence marks a complete home.
func (m member) finish(genesis []byte) error {
	if err := writeFile(filepath.Join(m.home, GenesisFile), genesis, 0o644); err != nil {
		return err
	}
	return writeConfig(m.home, m.cfg)
}
