package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

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

// Init writes a new node's configuration, keys and genesis under home. It
// refuses to touch a home that already has a configuration: a genesis is
// written once and never regenerated.
func Init(home string, cfg Config, g state.Genesis) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := g.Validate(); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(home, ConfigFile)); err == nil {
		return fmt.Errorf("node: %s already holds a node; genesis is written once", home)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("node: %w", err)
	}
	for _, d := range []string{"config", "data"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o700); err != nil {
			return fmt.Errorf("node: %w", err)
		}
	}
	pv := privval.GenFilePV(filepath.Join(home, ValidatorKey), filepath.Join(home, ValidatorState))
	pv.Save()
	if _, err := p2p.LoadOrGenNodeKey(filepath.Join(home, NodeKeyFile)); err != nil {
		return fmt.Errorf("node: node key: %w", err)
	}
	pub, err := pv.GetPubKey()
	if err != nil {
		return fmt.Errorf("node: validator key: %w", err)
	}
	app, err := json.Marshal(g)
	if err != nil {
		return fmt.Errorf("node: encoding app state: %w", err)
	}
	doc := cmttypes.GenesisDoc{
		GenesisTime:     time.Now().UTC().Truncate(time.Millisecond),
		ChainID:         cfg.ChainID,
		InitialHeight:   1,
		ConsensusParams: cmttypes.DefaultConsensusParams(),
		Validators:      []cmttypes.GenesisValidator{{Address: pub.Address(), PubKey: pub, Power: 10, Name: cfg.Moniker}},
		AppState:        app,
	}
	if err := doc.ValidateAndComplete(); err != nil {
		return fmt.Errorf("node: genesis: %w", err)
	}
	if err := doc.SaveAs(filepath.Join(home, GenesisFile)); err != nil {
		return fmt.Errorf("node: genesis: %w", err)
	}
	// The configuration is written last: its presence marks a complete home.
	return writeConfig(home, cfg)
}
