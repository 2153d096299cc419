package main

import (
	"strings"
	"testing"

	"github.com/pegledger/peg/internal/keyring"
)

// TestResolveAddressCase: an address is accepted in lower or upper case, as
// BIP-173 allows, and refused in mixed case as an address, not looked up as
// a key name.
func TestResolveAddressCase(t *testing.T) {
	kr, err := keyring.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	k, err := kr.Add("alice", "GB", nil)
	if err != nil {
		t.Fatal(err)
	}
	lower := k.Address.String()
	for _, s := range []string{lower, strings.ToUpper(lower), "alice"} {
		if got, err := resolveAddress(kr, s); err != nil || got != k.Address {
			t.Errorf("resolveAddress(%q) = %v, %v; want %v", s, got, err, k.Address)
		}
	}
	mixed := "PEG1" + lower[4:]
	if _, err := resolveAddress(kr, mixed); err == nil || strings.Contains(err.Error(), "neither an address nor a key") {
		t.Errorf("resolveAddress(%q) error = %v, want the address's own error", mixed, err)
	}
}
