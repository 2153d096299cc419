package state

import (
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/pegledger/peg/internal/ledger"
)

// Limits of a network as a genesis records it.
const (
	// MaxNetworkRegions bounds the regions of one network, so that a
	// genesis, and every gateway's and relayer's table, stays small.
	MaxNetworkRegions = 64
	// MaxRegionValidators bounds one region's validator set, as CometBFT's
	// own practical limit does for a chain.
	MaxRegionValidators = 200
)

// NetworkRegion is one region of the network a chain belongs to (S2.4): its
// code, the chain that keeps its accounts, and that chain's validators at
// genesis, so that every region can check another region's headers from
// height 1. A genesis without a network is a chain alone, as before regions.
type NetworkRegion struct {
	Region     ledger.Region `json:"region"`
	ChainID    string        `json:"chain_id"`
	Validators []Validator   `json:"validators"`
}

// Validator is a member of a region's validator set, as CometBFT's genesis
// lists it: an Ed25519 public key and its voting power.
type Validator struct {
	PubKey ed25519.PublicKey `json:"pub_key"` // 32 bytes; base64 in JSON
	Power  int64             `json:"power"`
}

// ValidateNetwork checks a network: at most MaxNetworkRegions regions with
// valid, distinct codes and distinct chain ids, each with 1 to
// MaxRegionValidators validators of distinct Ed25519 keys and positive power.
func ValidateNetwork(regions []NetworkRegion) error {
	if len(regions) > MaxNetworkRegions {
		return fmt.Errorf("state: network has %d regions, limit %d", len(regions), MaxNetworkRegions)
	}
	var errs []error
	codes := make(map[ledger.Region]bool, len(regions))
	chains := make(map[string]bool, len(regions))
	for i, r := range regions {
		if _, err := ledger.ParseRegion(string(r.Region)); err != nil {
			errs = append(errs, fmt.Errorf("region %d: %w", i, err))
		} else if codes[r.Region] {
			errs = append(errs, fmt.Errorf("region %d: code %s twice", i, r.Region))
		}
		codes[r.Region] = true
		if r.ChainID == "" || len(r.ChainID) > 50 {
			errs = append(errs, fmt.Errorf("region %s: chain_id %q must be 1 to 50 characters", r.Region, r.ChainID))
		} else if chains[r.ChainID] {
			errs = append(errs, fmt.Errorf("region %s: chain_id %q is another region's", r.Region, r.ChainID))
		}
		chains[r.ChainID] = true
		errs = append(errs, validateValidators(r)...)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("state: network: %w", err)
	}
	return nil
}

func validateValidators(r NetworkRegion) []error {
	if len(r.Validators) == 0 || len(r.Validators) > MaxRegionValidators {
		return []error{fmt.Errorf("region %s: %d validators, want 1 to %d", r.Region, len(r.Validators), MaxRegionValidators)}
	}
	var errs []error
	keys := make(map[string]bool, len(r.Validators))
	for j, v := range r.Validators {
		if len(v.PubKey) != ed25519.PublicKeySize {
			errs = append(errs, fmt.Errorf("region %s: validator %d: key of %d bytes, want an Ed25519 key of %d", r.Region, j, len(v.PubKey), ed25519.PublicKeySize))
		} else if keys[string(v.PubKey)] {
			errs = append(errs, fmt.Errorf("region %s: validator %d: key listed twice", r.Region, j))
		}
		keys[string(v.PubKey)] = true
		if v.Power <= 0 {
			errs = append(errs, fmt.Errorf("region %s: validator %d: power %d must be positive", r.Region, j, v.Power))
		}
	}
	return errs
}

// CheckMember checks that a genesis network, if there is one, lists the
// chain being started as the region it serves: a chain must know itself as
// the others know it.
func (g Genesis) CheckMember(chainID string, region ledger.Region) error {
	if len(g.Network) == 0 {
		return nil
	}
	for _, r := range g.Network {
		if r.Region == region {
			if r.ChainID != chainID {
				return fmt.Errorf("state: the genesis network gives region %s chain %q, this chain is %q", region, r.ChainID, chainID)
			}
			return nil
		}
	}
	return fmt.Errorf("state: the genesis network has no region %s, the region this chain serves", region)
}
