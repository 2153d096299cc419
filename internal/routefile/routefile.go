// Package routefile reads routing-table files: the TOML in which a network
// publishes which region's chain holds the alias of a phone number or an ID
// number (examples/routing.toml documents the format). It checks the file's
// shape strictly — unknown keys and wrong types are errors — and leaves the
// rules (prefixes well formed and listed once, region codes, the size bound)
// to region.NewTable.
package routefile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/region"
)

// MaxFileSize bounds a routing file: MaxRoutes lines of a few dozen bytes
// with comments.
const MaxFileSize = 256 << 10

type file struct {
	Phone map[string]string `toml:"phone"`
	ID    map[string]string `toml:"id"`
}

// Parse reads a routing file into its table; every problem is reported at
// once.
func Parse(b []byte) (*region.Table, error) {
	if len(b) > MaxFileSize {
		return nil, fmt.Errorf("routefile: file is %d bytes, limit %d", len(b), MaxFileSize)
	}
	var f file
	dec := toml.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		var strict *toml.StrictMissingError
		if errors.As(err, &strict) {
			return nil, fmt.Errorf("routefile: unknown field: %s", strict.String())
		}
		var derr *toml.DecodeError
		if errors.As(err, &derr) {
			row, col := derr.Position()
			return nil, fmt.Errorf("routefile: line %d column %d (%s): %w", row, col, strings.Join(derr.Key(), "."), err)
		}
		return nil, fmt.Errorf("routefile: %w", err)
	}
	var routes []region.Route
	for _, s := range []struct {
		kind region.Kind
		m    map[string]string
	}{{region.Phone, f.Phone}, {region.ID, f.ID}} {
		for _, p := range slices.Sorted(maps.Keys(s.m)) {
			routes = append(routes, region.Route{Kind: s.kind, Prefix: p, Region: ledger.Region(s.m[p])})
		}
	}
	if len(routes) == 0 {
		return nil, errors.New("routefile: no routes: a [phone] or [id] table with at least one prefix")
	}
	t, err := region.NewTable(routes)
	if err != nil {
		return nil, fmt.Errorf("routefile: %w", err)
	}
	return t, nil
}

// Load reads and parses the routing file at path.
func Load(path string) (*region.Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	t, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}
