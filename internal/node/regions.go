package node

import (
	"fmt"

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
