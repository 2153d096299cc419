package proof

import (
	"bytes"
	"errors"
	"fmt"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmttypes "github.com/cometbft/cometbft/types"
)

// MaxTrustValidators bounds the validators a trust file may list: far more
// than a region runs, few enough that a junk file costs little.
const MaxTrustValidators = 1000

// TrustFile is a region's chain id and validators, in the form of
// CometBFT's genesis file, of which it is the part a verifier needs: a
// genesis file is a trust file, and so is what `peg validators export`
// writes.
type TrustFile struct {
	ChainID    string                      `json:"chain_id"`
	Validators []cmttypes.GenesisValidator `json:"validators"`
}

// LoadTrust reads a trust file (a genesis file, or the chain id and
// validators alone) and checks it: a chain id, at least one validator, each
// with a key and positive power, its address (if given) the key's, none
// listed twice.
func LoadTrust(b []byte) (Trust, error) {
	var f TrustFile
	if err := cmtjson.Unmarshal(b, &f); err != nil {
		return Trust{}, fmt.Errorf("proof: trust file: %w", err)
	}
	if f.ChainID == "" {
		return Trust{}, errors.New("proof: trust file names no chain_id")
	}
	if len(f.Validators) == 0 || len(f.Validators) > MaxTrustValidators {
		return Trust{}, fmt.Errorf("proof: trust file lists %d validators; want 1 to %d", len(f.Validators), MaxTrustValidators)
	}
	vals := make([]*cmttypes.Validator, len(f.Validators))
	seen := make(map[string]bool, len(f.Validators))
	var total int64
	for i, v := range f.Validators {
		if v.PubKey == nil || v.Power <= 0 || v.Power > cmttypes.MaxTotalVotingPower-total {
			return Trust{}, fmt.Errorf("proof: trust file validator %d has no key, no power or too much (at most %d in all)", i, cmttypes.MaxTotalVotingPower)
		}
		total += v.Power
		addr := v.PubKey.Address()
		if len(v.Address) > 0 && !bytes.Equal(v.Address, addr) {
			return Trust{}, fmt.Errorf("proof: trust file validator %d: address %X is not its key's, %X", i, v.Address, addr)
		}
		if seen[string(addr)] {
			return Trust{}, fmt.Errorf("proof: trust file lists validator %X twice", addr)
		}
		seen[string(addr)] = true
		vals[i] = cmttypes.NewValidator(v.PubKey, v.Power)
	}
	set := cmttypes.NewValidatorSet(vals)
	if err := set.ValidateBasic(); err != nil {
		return Trust{}, fmt.Errorf("proof: trust file validators: %w", err)
	}
	return Trust{ChainID: f.ChainID, Validators: set}, nil
}

// ExportTrust reads a genesis file (or a trust file) and writes the trust
// file of its chain: the chain id and the validators alone, checked as
// LoadTrust checks them.
func ExportTrust(genesis []byte) ([]byte, Trust, error) {
	trust, err := LoadTrust(genesis)
	if err != nil {
		return nil, Trust{}, err
	}
	var f TrustFile
	if err := cmtjson.Unmarshal(genesis, &f); err != nil {
		return nil, Trust{}, fmt.Errorf("proof: trust file: %w", err)
	}
	b, err := cmtjson.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, Trust{}, fmt.Errorf("proof: writing a trust file: %w", err)
	}
	return b, trust, nil
}
