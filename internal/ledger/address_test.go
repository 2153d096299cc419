package ledger

import (
	"crypto/ed25519"
	"strings"
	"testing"
)

func TestAddressRoundTrip(t *testing.T) {
	pub := ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)
	for _, region := range []Region{"GB", "HK", "CN-SH", "US-NY"} {
		a := NewAddress(region, pub)
		s := a.String()
		if !strings.HasPrefix(s, "peg1") {
			t.Errorf("address %q lacks the peg1 prefix", s)
		}
		got, err := ParseAddress(s)
		if err != nil || got != a {
			t.Errorf("ParseAddress(%q) = %v, %v; want %v", s, got, err, a)
		}
		if got.Region() != region || !got.Owns(pub) {
			t.Errorf("parsed address region %s owns %v; want %s true", got.Region(), got.Owns(pub), region)
		}
	}
	if NewAddress("GB", pub) == NewAddress("HK", pub) {
		t.Error("the same key in two regions gave one address")
	}
}

// TestParseAddressUpperCase: BIP-173 allows a bech32 string in upper case
// (QR codes encode it more compactly); it names the same address.
func TestParseAddressUpperCase(t *testing.T) {
	a := NewAddress("GB", ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey))
	got, err := ParseAddress(strings.ToUpper(a.String()))
	if err != nil || got != a || got.String() != a.String() {
		t.Errorf("ParseAddress(upper case) = %v, %v; want %v", got, err, a)
	}
}

func TestParseAddressRejects(t *testing.T) {
	pub := ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)
	good := NewAddress("GB", pub).String()
	flipped := good[:len(good)-1] + string("qpzry9x8"[strings.IndexByte("qpzry9x8", good[len(good)-1])%7+1])
	for name, s := range map[string]string{
		"empty":        "",
		"bad checksum": flipped,
		"other prefix": "cosmos1qypyws3plywhz6hlrz9ja00wdaf6ff7zy6l5vvqmzj2pq",
		"truncated":    good[:20],
		"not bech32":   "peg1!!!",
		"mixed case":   "PEG1" + good[4:],
	} {
		if _, err := ParseAddress(s); err == nil {
			t.Errorf("%s: ParseAddress(%q) accepted it", name, s)
		}
	}
}

func TestParseRegion(t *testing.T) {
	for s, ok := range map[string]bool{"GB": true, "CN-SH": true, "US-NYCX": false, "gb": false, "G": false, "GB-": false, "GBR": false} {
		if _, err := ParseRegion(s); (err == nil) != ok {
			t.Errorf("ParseRegion(%q) error = %v, want ok=%v", s, err, ok)
		}
	}
}

func TestCodesHaveNames(t *testing.T) {
	seen := map[string]Code{}
	for _, c := range Codes() {
		if c.Name() == "" || c.Description() == "" {
			t.Errorf("code %d has no name or description", c)
		}
		if prev, dup := seen[c.Name()]; dup {
			t.Errorf("codes %d and %d share the name %s", prev, c, c.Name())
		}
		seen[c.Name()] = c
	}
}
