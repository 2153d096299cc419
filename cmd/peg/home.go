package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pegledger/peg/internal/keyring"
	"github.com/pegledger/peg/internal/node"
)

// openKeyring opens --home's keyring for a command that reads keys. A
// missing keyring is refused with the path looked at (noHome): opening it
// would create an empty one, and the command would fail later with no such
// key.
func (g *globals) openKeyring() (*keyring.Keyring, error) {
	kr, err := keyring.OpenExisting(g.keyringDir())
	if errors.Is(err, keyring.ErrNoKeyring) {
		return nil, g.noHome(g.keyringDir())
	}
	return kr, err
}

// createKeyring opens --home's keyring for a command that adds keys,
// creating it if it is missing, and then says so on w: a new keyring where
// one was expected is how a mistyped --home shows.
func (g *globals) createKeyring(w io.Writer) (*keyring.Keyring, error) {
	_, statErr := os.Stat(g.keyringDir())
	kr, err := keyring.Open(g.keyringDir())
	if err == nil && errors.Is(statErr, os.ErrNotExist) {
		abs, _ := filepath.Abs(kr.Dir())
		fmt.Fprintf(w, "created a new keyring in %s\n", abs)
	}
	return kr, err
}

// requireNode refuses a --home that holds no node's configuration, for a
// command that runs or reads a node.
func (g *globals) requireNode() error {
	path := filepath.Join(g.home, node.ConfigFile)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return g.noHome(path)
	}
	return nil
}

// noHome is the error of a command that needs something under --home that
// is not there: where it looked, and how to point elsewhere.
func (g *globals) noHome(looked string) error {
	home, _ := filepath.Abs(g.home)
	looked, _ = filepath.Abs(looked)
	what := "no Peg home at " + home
	if _, err := os.Stat(home); err == nil {
		what = home + " is not a Peg home"
	}
	return &homeError{fmt.Sprintf("%s (no %s): pass --home DIR or set $PEG_HOME to a Peg home, or create one with `peg up` or `peg init`", what, looked)}
}

// homeError is a missing home: an error (exit 1) named NO_HOME, even where
// a command reports its other lookup failures as usage errors.
type homeError struct{ msg string }

func (e *homeError) Error() string { return e.msg }
