package main

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/pegledger/peg/internal/cafile"
	"github.com/pegledger/peg/internal/cert"
	"github.com/pegledger/peg/internal/keyring"
)

// devIdentities are the legal identities the development CA certifies, by
// key name.
var devIdentities = []struct {
	key string
	id  cert.Identity
}{
	{"alice", cert.Identity{Name: "Alice Trading Ltd", Registration: "GB-00000001", Country: "GB"}},
	{"bob", cert.Identity{Name: "Bob Supplies Ltd", Registration: "GB-00000002", Country: "GB"}},
	{"merchant", cert.Identity{Name: "Merchant Goods Ltd", Registration: "GB-00000003", Country: "GB"}},
	{"importer", cert.Identity{Name: "Importer Foods Ltd", Registration: "GB-00000004", Country: "GB"}},
	{"exporter", cert.Identity{Name: "Exporter Tea Co", Registration: "GB-00000005", Country: "GB"}},
	{"arbiter", cert.Identity{Name: "Arbiter Chambers LLP", Registration: "GB-00000006", Country: "GB"}},
}

// devCAValidity is how long the development CA and its certificates are valid.
const devCAValidity = 10 * 365 * 24 * time.Hour

// devCA opens the development CA in dir, creating it (its key under the empty
// passphrase) if it is missing, issues a certificate for each of
// devIdentities that has none, and returns the CA's certificate for genesis.
// The holders register their certificates themselves (peg cert register
// DIR/issued/…, see the README).
func devCA(dir string, kr *keyring.Keyring) ([]byte, error) {
	d, err := cafile.Open(dir)
	if errors.Is(err, os.ErrNotExist) {
		d, err = cafile.Init(dir, "Peg development CA", devRegion, nil, time.Now(), devCAValidity)
	}
	if err != nil {
		return nil, err
	}
	issued, err := d.List()
	if err != nil {
		return nil, err
	}
	for _, h := range devIdentities {
		k, err := kr.Get(h.key)
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(issued, func(is cafile.Issued) bool { return is.Cert.Address == k.Address }) {
			continue
		}
		is, err := d.Issue(nil, h.id, 0, k.Address, k.Public, time.Now(), devCAValidity)
		if err != nil {
			return nil, err
		}
		if err := os.Symlink(filepath.Base(is.Path), filepath.Join(filepath.Dir(is.Path), h.key+".pem")); err != nil {
			return nil, err
		}
	}
	return d.CA().Raw, nil
}
