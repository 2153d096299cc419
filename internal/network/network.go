// Package network owns the network file: the regions of a Peg network (S2.4),
// each with its code, the chain id of the chain that keeps its accounts, that
// chain's validator set as its CometBFT genesis has it, and the endpoints of
// its nodes' APIs. Region chains carry the first three in their genesis
// (state.NetworkRegion); gateways and relayers read the endpoints from the
// file. examples/network.toml is a commented example.
package network

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"

	"github.com/pelletier/go-toml/v2"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/state"
)

// Limits of a network file.
const (
	// MaxFileSize bounds the file read, which a gateway reloads on SIGHUP.
	MaxFileSize = 1 << 20
	// MaxEndpoints bounds one region's API endpoints, tried in turn.
	MaxEndpoints = 16
)

// File is the network file as written: TOML, one [[region]] table per region.
type File struct {
	Regions []FileRegion `toml:"region"`
}

// FileRegion is one [[region]] of the file.
type FileRegion struct {
	Code       string          `toml:"code" comment:"ISO 3166 code of the region, carried in its owners' addresses (GB, HK, CN-SH)"`
	ChainID    string          `toml:"chain_id" comment:"the chain id of the region's chain"`
	Endpoints  []string        `toml:"endpoints" comment:"base URLs of the region's node APIs, tried in turn"`
	Validators []FileValidator `toml:"validator"`
}

// FileValidator is one validator of a region, as its CometBFT genesis lists
// it: the Ed25519 public key in base64 (pub_key.value) and the power.
type FileValidator struct {
	PubKey string `toml:"pub_key" comment:"Ed25519 public key, base64, as the region's genesis.json has it under pub_key.value"`
	Power  int64  `toml:"power" comment:"voting power"`
}

// Region is one region of a validated network.
type Region struct {
	state.NetworkRegion
	// Endpoints are the base URLs of the region's node APIs, without a
	// trailing slash, in the order to try them.
	Endpoints []string
}

// Network is a validated network file.
type Network struct {
	Regions []Region
	byCode  map[ledger.Region]int
}

// Load reads and validates the network file at path.
func Load(path string) (*Network, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	defer f.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(io.LimitReader(f, MaxFileSize+1)); err != nil {
		return nil, fmt.Errorf("network: reading %s: %w", path, err)
	}
	if b.Len() > MaxFileSize {
		return nil, fmt.Errorf("network: %s is over %d bytes", path, MaxFileSize)
	}
	n, err := Parse(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return n, nil
}

// Parse decodes a network file strictly (unknown keys are errors) and
// validates it: region codes valid and distinct, chain ids distinct, each
// region with 1 to state.MaxRegionValidators validators of valid keys and
// positive power and 1 to MaxEndpoints http(s) endpoints.
func Parse(b []byte) (*Network, error) {
	var f File
	dec := toml.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		var strict *toml.StrictMissingError
		if errors.As(err, &strict) {
			return nil, fmt.Errorf("network: unknown keys:\n%s", strict.String())
		}
		return nil, fmt.Errorf("network: %w", err)
	}
	return f.Network()
}

// Network validates f and returns the network it describes.
func (f File) Network() (*Network, error) {
	if len(f.Regions) == 0 {
		return nil, errors.New("network: no [[region]]")
	}
	n := &Network{byCode: make(map[ledger.Region]int, len(f.Regions))}
	var errs []error
	gen := make([]state.NetworkRegion, len(f.Regions))
	for i, fr := range f.Regions {
		r := Region{NetworkRegion: state.NetworkRegion{Region: ledger.Region(fr.Code), ChainID: fr.ChainID}}
		for j, v := range fr.Validators {
			key, err := base64.StdEncoding.DecodeString(v.PubKey)
			if err != nil {
				errs = append(errs, fmt.Errorf("region %s: validator %d: pub_key is not base64: %v", fr.Code, j, err))
			}
			r.Validators = append(r.Validators, state.Validator{PubKey: key, Power: v.Power})
		}
		eps, err := endpoints(fr.Endpoints)
		if err != nil {
			errs = append(errs, fmt.Errorf("region %s: %w", fr.Code, err))
		}
		r.Endpoints = eps
		gen[i] = r.NetworkRegion
		n.Regions = append(n.Regions, r)
		n.byCode[r.Region] = i
	}
	if err := state.ValidateNetwork(gen); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	return n, nil
}

// endpoints validates a region's endpoints: 1 to MaxEndpoints distinct
// http(s) URLs with a host and nothing after the path.
func endpoints(raw []string) ([]string, error) {
	if len(raw) == 0 || len(raw) > MaxEndpoints {
		return nil, fmt.Errorf("%d endpoints, want 1 to %d", len(raw), MaxEndpoints)
	}
	out := make([]string, 0, len(raw))
	seen := make(map[string]bool, len(raw))
	for _, s := range raw {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("endpoint %q is not an http(s) base URL such as http://127.0.0.1:26658", s)
		}
		s = u.Scheme + "://" + u.Host + trimSlash(u.EscapedPath())
		if seen[s] {
			return nil, fmt.Errorf("endpoint %q listed twice", s)
		}
		seen[s] = true
		out = append(out, s)
	}
	return out, nil
}

func trimSlash(p string) string {
	for len(p) > 0 && p[len(p)-1] == '/' {
		p = p[:len(p)-1]
	}
	return p
}

// Region returns the region with code c.
func (n *Network) Region(c ledger.Region) (Region, bool) {
	i, ok := n.byCode[c]
	if !ok {
		return Region{}, false
	}
	return n.Regions[i], true
}

// Genesis is the network as a region's genesis records it.
func (n *Network) Genesis() []state.NetworkRegion {
	out := make([]state.NetworkRegion, len(n.Regions))
	for i, r := range n.Regions {
		out[i] = r.NetworkRegion
	}
	return out
}

// Encode writes the network file of regions, each with its endpoints, as
// Parse reads it.
func Encode(regions []state.NetworkRegion, endpoints map[ledger.Region][]string) ([]byte, error) {
	var f File
	for _, r := range regions {
		fr := FileRegion{Code: string(r.Region), ChainID: r.ChainID, Endpoints: endpoints[r.Region]}
		for _, v := range r.Validators {
			fr.Validators = append(fr.Validators, FileValidator{PubKey: base64.StdEncoding.EncodeToString(v.PubKey), Power: v.Power})
		}
		f.Regions = append(f.Regions, fr)
	}
	if _, err := f.Network(); err != nil {
		return nil, err
	}
	b, err := toml.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("network: encoding: %w", err)
	}
	return append([]byte(header), b...), nil
}

// header opens every file Encode writes.
const header = `# A Peg network: one [[region]] per region chain (examples/network.toml
# explains each key). Gateways read it, and reload it on SIGHUP.

`
