package wallet

import (
	"context"
	"crypto/ed25519"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pegledger/peg/internal/ledger"
)

// TestSealedKeys: a wallet's key is stored sealed under the master key and
// bound to its address; the database opens only with the passphrase it was
// made with; a passphrase too short to guard keys is refused.
func TestSealedKeys(t *testing.T) {
	ctx := context.Background()
	for name, where := range databases(t) {
		t.Run(name, func(t *testing.T) {
			dsn := where(t)
			d, err := openDB(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if _, err := openSealer(ctx, d, []byte("short"), cheapKDF); err == nil || !strings.Contains(err.Error(), "at least 12") {
				t.Errorf("a 5-byte passphrase: %v", err)
			}
			s, err := openSealer(ctx, d, []byte(testPassphrase), cheapKDF)
			if err != nil {
				t.Fatal(err)
			}
			a, sealedA, err := s.newKey("GB")
			if err != nil {
				t.Fatal(err)
			}
			_, sealedB, err := s.newKey("GB")
			if err != nil {
				t.Fatal(err)
			}
			if priv, err := s.privateKey(a, sealedA); err != nil || ledger.NewAddress("GB", priv.Public().(ed25519.PublicKey)) != a {
				t.Errorf("opening a's key: %v", err)
			}
			if _, err := s.privateKey(a, sealedB); err == nil {
				t.Error("b's sealed key opened as a's")
			}
			if _, err := openSealer(ctx, d, []byte("another long passphrase"), cheapKDF); !errors.Is(err, ErrWrongPassphrase) {
				t.Errorf("reopening with another passphrase: %v, want ErrWrongPassphrase", err)
			}
			if _, err := openSealer(ctx, d, []byte(testPassphrase), cheapKDF); err != nil {
				t.Errorf("reopening with the passphrase: %v", err)
			}
		})
	}
	if _, err := openDB(ctx, filepath.Join(t.TempDir(), "missing-dir", "x", "wallet.db")); err == nil {
		t.Error("a database in a directory that does not exist opened")
	}
}
