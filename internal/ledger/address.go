package ledger

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"

	"github.com/btcsuite/btcd/btcutil/bech32"
)

// AddressPrefix is the bech32 human-readable part of every Peg address.
const AddressPrefix = "peg"

// AddressVersion is the version byte at the front of an address payload. Versions
// only ever move up; a decoder rejects versions it does not know.
const AddressVersion byte = 1

// KeyHashSize is the number of bytes of SHA-256(public key) an address carries.
const KeyHashSize = 20

// MaxRegionLen bounds a region code: ISO 3166-1 alpha-2, optionally followed by a
// hyphen and an ISO 3166-2 subdivision of up to three characters ("GB", "CN-SH").
const MaxRegionLen = 6

var regionPattern = regexp.MustCompile(`^[A-Z]{2}(-[A-Z0-9]{1,3})?$`)

// Region is the code of a home region: the chain that keeps an owner's coins
// (S2.2, S2.4). It is carried inside every address so that a gateway can route a
// payment without a lookup.
type Region string

// ParseRegion validates a region code.
func ParseRegion(s string) (Region, error) {
	if !regionPattern.MatchString(s) {
		return "", fmt.Errorf("ledger: region %q is not an ISO 3166 code such as GB or CN-SH", s)
	}
	return Region(s), nil
}

// Address identifies an account: an Ed25519 key at home in one region. The zero
// Address is not valid; IsZero tells.
type Address struct {
	region Region
	key    [KeyHashSize]byte
}

// NewAddress derives the address of pub in region.
func NewAddress(region Region, pub ed25519.PublicKey) Address {
	sum := sha256.Sum256(pub)
	var a Address
	a.region = region
	copy(a.key[:], sum[:KeyHashSize])
	return a
}

// Region is the owner's home region.
func (a Address) Region() Region { return a.region }

// IsZero reports whether a is the zero Address.
func (a Address) IsZero() bool { return a.region == "" }

// Owns reports whether pub is the key behind a.
func (a Address) Owns(pub ed25519.PublicKey) bool {
	sum := sha256.Sum256(pub)
	return bytes.Equal(sum[:KeyHashSize], a.key[:])
}

// Bytes is the binary form: version, region length, region, key hash. It sorts
// addresses by region first, which keeps one region's accounts together in a store.
func (a Address) Bytes() []byte {
	b := make([]byte, 0, 2+len(a.region)+KeyHashSize)
	b = append(b, AddressVersion, byte(len(a.region)))
	b = append(b, a.region...)
	return append(b, a.key[:]...)
}

// AddressFromBytes parses the binary form written by Bytes.
func AddressFromBytes(b []byte) (Address, error) {
	if len(b) < 2 {
		return Address{}, errors.New("ledger: address too short")
	}
	if b[0] != AddressVersion {
		return Address{}, fmt.Errorf("ledger: unknown address version %d", b[0])
	}
	n := int(b[1])
	if n > MaxRegionLen || len(b) != 2+n+KeyHashSize {
		return Address{}, fmt.Errorf("ledger: address has %d bytes, want %d", len(b), 2+n+KeyHashSize)
	}
	region, err := ParseRegion(string(b[2 : 2+n]))
	if err != nil {
		return Address{}, err
	}
	a := Address{region: region}
	copy(a.key[:], b[2+n:])
	return a, nil
}

// String is the bech32 form, "peg1...".
func (a Address) String() string {
	if a.IsZero() {
		return ""
	}
	s, err := bech32.EncodeFromBase256(AddressPrefix, a.Bytes())
	if err != nil {
		panic(fmt.Sprintf("ledger: encoding address: %v", err))
	}
	return s
}

// ParseAddress parses the bech32 form.
func ParseAddress(s string) (Address, error) {
	hrp, data, err := bech32.DecodeToBase256(s)
	if err != nil {
		return Address{}, fmt.Errorf("ledger: address %q: %v", s, err)
	}
	if hrp != AddressPrefix {
		return Address{}, fmt.Errorf("ledger: address %q has prefix %q, want %q", s, hrp, AddressPrefix)
	}
	return AddressFromBytes(data)
}

// MarshalText encodes a as its bech32 form.
func (a Address) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText parses the bech32 form; the empty string is the zero Address.
func (a *Address) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*a = Address{}
		return nil
	}
	p, err := ParseAddress(string(b))
	if err != nil {
		return err
	}
	*a = p
	return nil
}

// ContractAddress derives the address of a published contract from its hash: it
// has no private key, so nothing can ever sign for it.
func ContractAddress(region Region, contractHash [HashSize]byte) Address {
	b := make([]byte, 0, len("peg/contract/")+HashSize)
	b = append(append(b, "peg/contract/"...), contractHash[:]...)
	sum := sha256.Sum256(b)
	a := Address{region: region}
	copy(a.key[:], sum[:KeyHashSize])
	return a
}
