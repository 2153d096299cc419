// Package contractfile reads token contract files: the TOML an issuer writes to
// deploy a coin (examples/gbpt.toml documents every field). It checks the file's
// shape strictly — unknown keys and wrong types are errors — and leaves the
// contract's rules to token.Build, which runs before publication.
package contractfile

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"github.com/pegledger/peg/internal/token"
)

// MaxFileSize bounds a contract file; a real one is well under 4 KiB.
const MaxFileSize = 64 << 10

type file struct {
	ID              string `toml:"id"`
	Name            string `toml:"name"`
	Symbol          string `toml:"symbol"`
	Decimals        uint32 `toml:"decimals"`
	SupplyCap       string `toml:"supply_cap"`
	DeclaredReserve string `toml:"declared_reserve"`
	Ratio           string `toml:"ratio"`
	MinUnit         string `toml:"min_unit"`
	MaxTransfer     string `toml:"max_transfer"`
	TransferRule    string `toml:"transfer_rule"`
	RedeemRule      string `toml:"redeem_rule"`
	MinRedeem       string `toml:"min_redeem"`
	Fiat            struct {
		BIC      string `toml:"bic"`
		Scheme   string `toml:"scheme"`
		Account  string `toml:"account"`
		Currency string `toml:"currency"`
	} `toml:"fiat"`
	Reserve struct {
		StalenessWindow string `toml:"staleness_window"`
		PauseWhenAtRisk bool   `toml:"pause_when_at_risk"`
	} `toml:"reserve"`
	Roles struct {
		Owner    string `toml:"owner"`
		Pauser   string `toml:"pauser"`
		Freezer  string `toml:"freezer"`
		Attestor string `toml:"attestor"`
		Minters  []struct {
			Address   string `toml:"address"`
			Allowance string `toml:"allowance"`
		} `toml:"minters"`
	} `toml:"roles"`
}

// Resolver turns a role entry — an address, or a name the caller knows, such as
// a key in the local keyring — into an address string.
type Resolver func(nameOrAddress string) (string, error)

// Parse reads a contract file into a draft. Role entries go through resolve; a
// nil resolve leaves them as written.
func Parse(b []byte, resolve Resolver) (token.Draft, error) {
	if len(b) > MaxFileSize {
		return token.Draft{}, fmt.Errorf("contractfile: file is %d bytes, limit %d", len(b), MaxFileSize)
	}
	var f file
	dec := toml.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		var strict *toml.StrictMissingError
		if errors.As(err, &strict) {
			return token.Draft{}, fmt.Errorf("contractfile: unknown field: %s", strict.String())
		}
		var derr *toml.DecodeError
		if errors.As(err, &derr) {
			row, col := derr.Position()
			return token.Draft{}, fmt.Errorf("contractfile: line %d column %d (%s): %w", row, col, strings.Join(derr.Key(), "."), err)
		}
		return token.Draft{}, fmt.Errorf("contractfile: %w", err)
	}
	d := token.Draft{
		ID: f.ID, Name: f.Name, Symbol: f.Symbol, Decimals: f.Decimals, SupplyCap: f.SupplyCap,
		DeclaredReserve: f.DeclaredReserve, Ratio: f.Ratio, MinUnit: f.MinUnit, MaxTransfer: f.MaxTransfer,
		TransferRule: f.TransferRule, RedeemRule: f.RedeemRule, MinRedeem: f.MinRedeem,
		Fiat:    token.FiatDraft{BIC: f.Fiat.BIC, Scheme: f.Fiat.Scheme, Account: f.Fiat.Account, Currency: f.Fiat.Currency},
		Reserve: token.ReserveDraft{StalenessWindow: f.Reserve.StalenessWindow, PauseWhenAtRisk: f.Reserve.PauseWhenAtRisk},
	}
	if resolve == nil {
		resolve = func(s string) (string, error) { return s, nil }
	}
	var errs []error
	role := func(field, v string) string {
		if v == "" {
			return ""
		}
		a, err := resolve(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", field, err))
		}
		return a
	}
	d.Roles = token.RolesDraft{
		Owner:    role("roles.owner", f.Roles.Owner),
		Pauser:   role("roles.pauser", f.Roles.Pauser),
		Freezer:  role("roles.freezer", f.Roles.Freezer),
		Attestor: role("roles.attestor", f.Roles.Attestor),
	}
	for i, m := range f.Roles.Minters {
		d.Roles.Minters = append(d.Roles.Minters, token.MinterDraft{
			Address:   role(fmt.Sprintf("roles.minters[%d].address", i), m.Address),
			Allowance: m.Allowance,
		})
	}
	if err := errors.Join(errs...); err != nil {
		return token.Draft{}, fmt.Errorf("contractfile: %w", err)
	}
	return d, nil
}
