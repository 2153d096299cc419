package token

import (
	"fmt"
	"strings"
	"testing"
)

func TestParamsValidate(t *testing.T) {
	tooMany := make([]string, MaxBanks+1)
	for i := range tooMany {
		tooMany[i] = fmt.Sprintf("BANKGB%02d", i%100) + fmt.Sprintf("%03d", i)
	}
	for _, tc := range []struct {
		name   string
		mutate func(*Params)
		err    string // substring; "" for valid
	}{
		{"valid", func(*Params) {}, ""},
		{"no overrides", func(p *Params) { p.MinReserveByCurrency = nil }, ""},
		{"zero minimum", func(p *Params) { p.MinReserve = 0 }, "min reserve is 0"},
		{"override of unknown currency", func(p *Params) { p.MinReserveByCurrency["XYZ"] = 5 }, `"XYZ"`},
		{"zero override", func(p *Params) { p.MinReserveByCurrency["EUR"] = 0 }, "EUR is 0"},
		{"no banks", func(p *Params) { p.Banks = nil }, "no reserve banks"},
		{"too many banks", func(p *Params) { p.Banks = tooMany }, "at most 1024"},
		{"malformed bank", func(p *Params) { p.Banks = append(p.Banks, "BANK") }, "banks[4]"},
		{"bank listed twice", func(p *Params) { p.Banks = append(p.Banks, "DEUTDEFF") }, "listed twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := testParams()
			tc.mutate(&p)
			err := p.Validate()
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("Validate() = %v, want an error containing %q", err, tc.err)
			case err != nil && !strings.HasPrefix(err.Error(), "token: params: "):
				t.Fatalf("Validate() = %q lacks its prefix", err)
			}
		})
	}
}

func TestMinReserveFor(t *testing.T) {
	p := testParams()
	if got := p.MinReserveFor("JPY"); got != 100000 {
		t.Errorf("MinReserveFor(JPY) = %d, want the override 100000", got)
	}
	if got := p.MinReserveFor("USD"); got != 1000 {
		t.Errorf("MinReserveFor(USD) = %d, want the default 1000", got)
	}
}
