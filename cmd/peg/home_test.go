package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWrongHome: a command that reads a home refuses a missing one, naming
// the path it looked at and how to point elsewhere, and creates nothing; a
// command that adds keys creates the keyring and says so.
func TestWrongHome(t *testing.T) {
	t.Setenv(passphraseEnv, "")
	api := fakeAPI(t)
	dir := t.TempDir()
	typo := filepath.Join(dir, "typo")
	for _, tc := range []struct {
		name   string
		home   string
		args   []string
		looked string
	}{
		{"keys list", typo, []string{"keys", "list"}, "keyring"},
		{"keys show", typo, []string{"keys", "show", "alice"}, "keyring"},
		{"signing", typo, []string{"token", "pause", "--from", "alice", "--token", "gbpt", "--node", api}, "keyring"},
		{"a key name", typo, []string{"token", "freeze", "--from", "freezer", "--token", "gbpt", "--account", "bob", "--node", api}, "keyring"},
		{"start", typo, []string{"start"}, "config/peg.toml"},
		{"audit", typo, []string{"audit"}, "config/peg.toml"},
		{"not a home", dir, []string{"keys", "list"}, "keyring"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := peg(t, tc.home, tc.args...)
			want := filepath.Join(tc.home, tc.looked)
			if code != exitFailure || !strings.Contains(errs, want) || !strings.Contains(errs, "--home") ||
				!strings.Contains(errs, "$PEG_HOME") || !strings.Contains(errs, "peg up") {
				t.Errorf("exit %d, stderr %q; want exit %d naming %s, --home, $PEG_HOME and peg up", code, errs, exitFailure, want)
			}
			if _, err := os.Stat(typo); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("the refused command created %s (%v)", typo, err)
			}
		})
	}
	code, out, _ := peg(t, typo, "keys", "list", "-o", "json")
	var v errorView
	oneJSON(t, out, &v)
	if code != exitFailure || v.Name != "NO_HOME" || v.Code != 0 || !strings.Contains(v.Message, typo) {
		t.Errorf("with --output json: exit %d, %+v; want exit %d, NO_HOME naming %s", code, v, exitFailure, typo)
	}
	code, _, errs := peg(t, typo, "keys", "add", "alice")
	if code != exitOK || !strings.Contains(errs, "created a new keyring in "+filepath.Join(typo, "keyring")) {
		t.Errorf("keys add in a new home: exit %d, stderr %q; want it created and said", code, errs)
	}
	if out := mustPeg(t, typo, "keys", "list"); !strings.Contains(out, "alice") {
		t.Errorf("keys list after keys add:\n%s", out)
	}
}

// TestAddressNeedsNoHome: an address, in either case, resolves without a
// home; a key name needs one.
func TestAddressNeedsNoHome(t *testing.T) {
	g := &globals{home: filepath.Join(t.TempDir(), "none")}
	const addr = "peg1qypywsnkpssu2dupapruk78ntt2kdca2xaas07sglayzn"
	for _, s := range []string{addr, strings.ToUpper(addr)} {
		if a, err := g.lookup(s); err != nil || a.String() != addr {
			t.Errorf("lookup(%s) = %s, %v; want %s", s, a, err, addr)
		}
	}
	var home *homeError
	if _, err := g.lookup("alice"); !errors.As(err, &home) {
		t.Errorf("lookup of a key name without a home: %v, want a homeError", err)
	}
}
