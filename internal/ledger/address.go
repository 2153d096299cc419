package ledger

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

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

// AddressOf is the address whose key hashes to key, in region: the parts
// Region and KeyHash return.
func AddressOf(region Region, key [KeyHashSize]byte) Address {
	return Address{region: region, key: key}
}

// Region is the owner's home region.
func (a Address) Region() Region { return a.region }

// KeyHash is the hash of the key behind a, as the address carries it.
func (a Address) KeyHash() [KeyHashSize]byte { return a.key }

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
	return a.AppendBytes(make([]byte, 0, 2+len(a.region)+KeyHashSize))
}

// AppendBytes appends a's Bytes to b.
func (a Address) AppendBytes(b []byte) []byte {
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
	if s, ok := addresses.text(a); ok {
		return s
	}
	s, err := bech32.EncodeFromBase256(AddressPrefix, a.Bytes())
	if err != nil {
		panic(fmt.Sprintf("ledger: encoding address: %v", err))
	}
	addresses.put(a, s)
	return s
}

// ParseAddress parses the bech32 form.
func ParseAddress(s string) (Address, error) {
	if a, ok := addresses.address(s); ok {
		return a, nil
	}
	hrp, data, err := bech32.DecodeToBase256(s)
	if err != nil {
		return Address{}, fmt.Errorf("ledger: address %q: %v", s, err)
	}
	if hrp != AddressPrefix {
		return Address{}, fmt.Errorf("ledger: address %q has prefix %q, want %q", s, hrp, AddressPrefix)
	}
	a, err := AddressFromBytes(data)
	if err == nil {
		addresses.put(a, s)
	}
	return a, err
}

// MaxCachedAddresses bounds the address cache: the accounts that are busy
// at any time. Past it, the cache starts again empty.
const MaxCachedAddresses = 1 << 16

// addresses remembers the text of addresses encoded or parsed recently, both
// ways. Bech32 with its checksum is a large share of decoding a payment and
// of rendering its receipt, and the same accounts pay again and again. The
// text of an address is a pure function of it, so the cache changes no
// answer. Only canonical text is kept: what String gives, and what a parse
// that succeeded read, which bech32 allows in one case only (lower case, as
// String gives, or upper).
var addresses = addressCache{toText: make(map[Address]string), fromText: make(map[string]Address)}

type addressCache struct {
	mu       sync.Mutex
	toText   map[Address]string
	fromText map[string]Address
}

func (c *addressCache) text(a Address) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.toText[a]
	return s, ok
}

func (c *addressCache) address(s string) (Address, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.fromText[s]
	return a, ok
}

func (c *addressCache) put(a Address, s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.fromText) >= MaxCachedAddresses {
		c.toText, c.fromText = make(map[Address]string), make(map[string]Address)
	}
	if s == strings.ToLower(s) {
		c.toText[a] = s
	}
	c.fromText[s] = a
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
