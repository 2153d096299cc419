package node

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/state"
)

// RegionHome is one region of a network InitRegions writes: a single
// validator node at Home with its own configuration (chain id, region,
// ports) and the application state its chain starts from.
type RegionHome struct {
	Home    string
	Config  Config
	Genesis state.Genesis
}

// InitRegions writes one single-validator chain per region, the way Init
// writes one, except that every region's genesis records the whole network
// (state.NetworkRegion: each region's code, chain id and validator) so that
// every chain knows every other from height 1. It returns that network. It
// refuses if any home already holds a node, before writing anything.
func InitRegions(regions []RegionHome) ([]state.NetworkRegion, error) {
	for _, r := range regions {
		if err := checkNew(r.Home, r.Config); err != nil {
			return nil, err
		}
	}
	ms := make([]member, len(regions))
	net := make([]state.NetworkRegion, len(regions))
	for i, r := range regions {
		m, err := prepare(r.Home, r.Config)
		if err != nil {
			return nil, err
		}
		ms[i] = m
		net[i] = state.NetworkRegion{
			Region:     ledger.Region(r.Config.Region),
			ChainID:    r.Config.ChainID,
			Validators: []state.Validator{{PubKey: m.pub.Bytes(), Power: ValidatorPower}},
		}
	}
	if err := state.ValidateNetwork(net); err != nil {
		return nil, err
	}
	for i, r := range regions {
		g := r.Genesis
		g.Network = net
		if err := g.Validate(); err != nil {
			return nil, fmt.Errorf("node: region %s: %w", r.Config.Region, err)
		}
		doc, err := genesis(r.Config.ChainID, ms[i:i+1], g)
		if err != nil {
			return nil, err
		}
		if err := ms[i].finish(doc); err != nil {
			return nil, err
		}
	}
	return net, nil
}

// SetGenesisNetwork records regions in the genesis of the node at home,
// which must not have started yet: a genesis is fixed from the chain's first
// block. The network must list the node's region with its chain id and
// exactly the validators its genesis has, so that every region's genesis
// agrees with the chain it describes. This is how a network of regions whose
// nodes were written one by one (`peg init`) gets its genesis section:
// write every region's node, gather their validators into the network file,
// then record it in each before any starts.
func SetGenesisNetwork(home string, regions []state.NetworkRegion) error {
	cfg, err := LoadConfig(home)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(home, AppDataDir)); err == nil {
		return fmt.Errorf("node: %s has started; its genesis is fixed", home)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("node: %w", err)
	}
	path := filepath.Join(home, GenesisFile)
	doc, err := cmttypes.GenesisDocFromFile(path)
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	var g state.Genesis
	dec := json.NewDecoder(bytes.NewReader(doc.AppState))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&g); err != nil {
		return fmt.Errorf("node: %s app_state: %w", GenesisFile, err)
	}
	g.Network = regions
	if err := g.Validate(); err != nil {
		return err
	}
	if err := g.CheckMember(cfg.ChainID, ledger.Region(cfg.Region)); err != nil {
		return err
	}
	if err := sameValidators(doc.Validators, regions, ledger.Region(cfg.Region)); err != nil {
		return err
	}
	if doc.AppState, err = json.Marshal(g); err != nil {
		return fmt.Errorf("node: encoding app state: %w", err)
	}
	b, err := cmtjson.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("node: genesis: %w", err)
	}
	return writeFile(path, b, 0o644)
}

// sameValidators checks that the network lists region's validators as the
// genesis does: the same keys with the same powers, in any order.
func sameValidators(vals []cmttypes.GenesisValidator, regions []state.NetworkRegion, region ledger.Region) error {
	want := make(map[string]int64, len(vals))
	for _, v := range vals {
		want[string(v.PubKey.Bytes())] = v.Power
	}
	for _, r := range regions {
		if r.Region != region {
			continue
		}
		ok := len(r.Validators) == len(want)
		for _, v := range r.Validators {
			ok = ok && want[string(v.PubKey)] == v.Power
		}
		if !ok {
			return fmt.Errorf("node: the network lists region %s with validators other than its genesis's %d", region, len(vals))
		}
	}
	return nil
}
