// Package feefile reads fee files: the TOML a platform operator writes to set
// the fee policy and schedule (S3) with set_fee_schedule (examples/fees.toml
// documents every field). It checks the file's shape strictly — unknown keys
// and wrong types are errors — and reads amounts exactly in the fee token's
// decimals; the rules (tiers in order, validities, kinds that may be priced)
// are fee.Policy.Validate's and fee.Schedule.Validate's, which the ledger runs.
package feefile

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/pegledger/peg/internal/fee"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

// MaxFileSize bounds a fee file; a real one is well under 4 KiB.
const MaxFileSize = 64 << 10

type amounts struct {
	Fixed     string `toml:"fixed"`
	PerOutput string `toml:"per_output"`
}

type file struct {
	Policy struct {
		Token      string `toml:"token"`
		Revenue    string `toml:"revenue"`
		LowBalance string `toml:"low_balance"`
		MaxGrants  uint32 `toml:"max_grants"`
		Tiers      []struct {
			MinDeposit string `toml:"min_deposit"`
			Validity   string `toml:"validity"`
		} `toml:"tiers"`
	} `toml:"policy"`
	Schedule map[string]amounts `toml:"schedule"`
}

// Resolver turns the revenue entry — an address, or a name the caller knows,
// such as a key in the local keyring — into an address.
type Resolver func(nameOrAddress string) (ledger.Address, error)

// Decimals gives the decimals of the fee token the file names, in which its
// amounts are read.
type Decimals func(ledger.TokenID) (uint8, error)

// Parse reads a fee file into the policy and schedule it sets, the schedule
// in kind order. The revenue entry goes through resolve, the amounts are read
// in the decimals decimals gives for the file's token; every problem of the
// file is reported at once.
func Parse(b []byte, resolve Resolver, decimals Decimals) (fee.Policy, fee.Schedule, error) {
	if len(b) > MaxFileSize {
		return fee.Policy{}, nil, fmt.Errorf("feefile: file is %d bytes, limit %d", len(b), MaxFileSize)
	}
	var f file
	dec := toml.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		var strict *toml.StrictMissingError
		if errors.As(err, &strict) {
			return fee.Policy{}, nil, fmt.Errorf("feefile: unknown field: %s", strict.String())
		}
		var derr *toml.DecodeError
		if errors.As(err, &derr) {
			row, col := derr.Position()
			return fee.Policy{}, nil, fmt.Errorf("feefile: line %d column %d (%s): %w", row, col, strings.Join(derr.Key(), "."), err)
		}
		return fee.Policy{}, nil, fmt.Errorf("feefile: %w", err)
	}
	tok, err := ledger.ParseTokenID(f.Policy.Token)
	if err != nil {
		return fee.Policy{}, nil, fmt.Errorf("feefile: policy.token: %w", err)
	}
	d, err := decimals(tok)
	if err != nil {
		return fee.Policy{}, nil, fmt.Errorf("feefile: policy.token %s: %w", tok, err)
	}
	r := reader{decimals: d}
	p := fee.Policy{Token: tok, LowBalance: r.amount("policy.low_balance", f.Policy.LowBalance, true), MaxGrants: int(f.Policy.MaxGrants)}
	if f.Policy.Revenue == "" {
		r.fail("policy.revenue: missing: name the account fees are collected for")
	} else if p.Revenue, err = resolve(f.Policy.Revenue); err != nil {
		r.fail("policy.revenue: %v", err)
	}
	for i, t := range f.Policy.Tiers {
		field := fmt.Sprintf("policy.tiers[%d]", i)
		p.Tiers = append(p.Tiers, fee.Tier{MinDeposit: r.amount(field+".min_deposit", t.MinDeposit, true),
			Validity: r.validity(field+".validity", t.Validity)})
	}
	var s fee.Schedule
	for _, kind := range slices.Sorted(maps.Keys(f.Schedule)) {
		a := f.Schedule[kind]
		field := "schedule." + kind
		s = append(s, fee.Fee{Kind: kind, Fixed: r.amount(field+".fixed", a.Fixed, false),
			PerOutput: r.amount(field+".per_output", a.PerOutput, false)})
	}
	if err := errors.Join(r.errs...); err != nil {
		return fee.Policy{}, nil, fmt.Errorf("feefile: %w", err)
	}
	return p, s, nil
}

// reader converts a file's entries, keeping every problem.
type reader struct {
	decimals uint8
	errs     []error
}

func (r *reader) fail(format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf(format, args...))
}

// amount reads a decimal of the fee token; an absent one is zero unless
// required.
func (r *reader) amount(field, s string, required bool) money.Amount {
	if s == "" {
		if required {
			r.fail("%s: missing", field)
		}
		return money.Amount{}
	}
	a, err := money.Parse(s, r.decimals)
	if err != nil {
		r.fail("%s: %q in the fee token's %d decimals: %v", field, s, r.decimals, err)
	}
	return a
}

// validity reads a Go duration of whole seconds, as the wire carries it.
func (r *reader) validity(field, s string) time.Duration {
	d, err := time.ParseDuration(s)
	switch {
	case s == "":
		r.fail("%s: missing: a Go duration such as \"720h\"", field)
	case err != nil:
		r.fail("%s: %v", field, err)
	case d <= 0 || d%time.Second != 0:
		r.fail("%s: %s: want a positive whole number of seconds", field, s)
	}
	return d
}
