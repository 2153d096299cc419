package contractfile

import (
	"reflect"
	"testing"

	"github.com/pelletier/go-toml/v2"

	"github.com/pegledger/peg/internal/token"
)

// toFile is the contract file that says d.
func toFile(d token.Draft) file {
	var f file
	f.ID, f.Name, f.Symbol, f.Decimals, f.SupplyCap = d.ID, d.Name, d.Symbol, d.Decimals, d.SupplyCap
	f.DeclaredReserve, f.Ratio, f.MinUnit, f.MaxTransfer = d.DeclaredReserve, d.Ratio, d.MinUnit, d.MaxTransfer
	f.TransferRule, f.RedeemRule, f.MinRedeem = d.TransferRule, d.RedeemRule, d.MinRedeem
	f.Fiat.BIC, f.Fiat.Scheme, f.Fiat.Account, f.Fiat.Currency = d.Fiat.BIC, d.Fiat.Scheme, d.Fiat.Account, d.Fiat.Currency
	f.Reserve.StalenessWindow, f.Reserve.PauseWhenAtRisk = d.Reserve.StalenessWindow, d.Reserve.PauseWhenAtRisk
	f.Roles.Owner, f.Roles.Pauser, f.Roles.Freezer, f.Roles.Attestor = d.Roles.Owner, d.Roles.Pauser, d.Roles.Freezer, d.Roles.Attestor
	for _, m := range d.Roles.Minters {
		f.Roles.Minters = append(f.Roles.Minters, struct {
			Address   string `toml:"address"`
			Allowance string `toml:"allowance"`
		}{m.Address, m.Allowance})
	}
	return f
}

// resolved is what the fuzz resolver turns a role entry into.
func resolved(s string) (string, error) { return "resolved " + s, nil }

// FuzzParse feeds Parse arbitrary files. Parse must never panic; a file it
// accepts must say the same draft when written out again, must have every
// role entry (and nothing else) go through the resolver, and must go through
// token.Build without a panic. The seed corpus is in testdata/fuzz/FuzzParse;
// without -fuzz it runs as a plain test.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Parse(b, nil)
		if err != nil {
			return
		}
		again, err := toml.Marshal(toFile(d))
		if err != nil {
			t.Fatalf("writing %+v: %v", d, err)
		}
		d2, err := Parse(again, nil)
		if err != nil {
			t.Fatalf("the file written from %+v does not parse: %v\n%s", d, err, again)
		}
		if !reflect.DeepEqual(d2, d) {
			t.Fatalf("written out and parsed again, %+v became %+v", d, d2)
		}

		r, err := Parse(b, resolved)
		if err != nil {
			t.Fatalf("Parse with a resolver that accepts everything: %v", err)
		}
		want := d
		want.Roles.Minters = append([]token.MinterDraft(nil), d.Roles.Minters...)
		for _, p := range []*string{&want.Roles.Owner, &want.Roles.Pauser, &want.Roles.Freezer, &want.Roles.Attestor} {
			if *p != "" {
				*p, _ = resolved(*p)
			}
		}
		for i := range want.Roles.Minters {
			if a := want.Roles.Minters[i].Address; a != "" {
				want.Roles.Minters[i].Address, _ = resolved(a)
			}
		}
		if !reflect.DeepEqual(r, want) {
			t.Fatalf("with the resolver, Parse = %+v, want %+v", r, want)
		}
		token.Build(d, token.Params{MinReserve: 1, Banks: []string{"PEGDGB2L"}})
	})
}
