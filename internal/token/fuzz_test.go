package token

import (
	"cmp"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// FuzzBuild varies the free-text, amount and staleness window fields of a
// valid draft: Build must never panic, must report violations sorted, and a
// contract that builds must come back unchanged through its canonical Draft.
func FuzzBuild(f *testing.F) {
	d := validDraft()
	f.Add(d.Name, d.Symbol, d.SupplyCap, d.DeclaredReserve, d.Ratio, d.MinUnit, d.MaxTransfer, d.Fiat.Account, uint8(6), "")
	f.Add("Peg 英镑", "X1", "0.5", "1000", "2.50", "0.1", "0.1", "GB82WEST12345698765432", uint8(1), "26h")
	f.Add("", "", "", "", "", "", "", "", uint8(0), "0")
	f.Add("a\x00", "gbpp", "1e9", "-1", "0", "0.03", "0.001", "gb82", uint8(19), "-1ns")
	f.Add("x", "ZZ", "340282366920938463463374607431768211455", "340282366920938463463374607431768211455",
		"1.000000000000000001", "0.000000000000000001", "1", "FR1420041010050500013M02606", uint8(18), "744h")
	f.Fuzz(func(t *testing.T, name, symbol, supplyCap, reserve, ratio, minUnit, maxTransfer, account string, decimals uint8, window string) {
		d := validDraft()
		d.Name, d.Symbol, d.SupplyCap, d.DeclaredReserve = name, symbol, supplyCap, reserve
		d.Ratio, d.MinUnit, d.MaxTransfer, d.Fiat.Account = ratio, minUnit, maxTransfer, account
		d.Decimals = uint32(decimals)
		d.Reserve.StalenessWindow = window
		d.Roles.Minters[0].Allowance = supplyCap
		d.MinRedeem = minUnit

		c, vs := Build(d, testParams())
		sorted := slices.IsSortedFunc(vs, func(x, y Violation) int {
			return cmp.Or(cmp.Compare(x.Code, y.Code), strings.Compare(x.Field, y.Field))
		})
		if !sorted {
			t.Fatalf("violations not sorted: %v", vs)
		}
		for _, v := range vs {
			if v.Message == "" || v.Field == "" {
				t.Fatalf("violation without field or message: %+v", v)
			}
		}
		if len(vs) > 0 {
			return
		}
		back, vs := Build(c.Draft(), testParams())
		if len(vs) != 0 {
			t.Fatalf("Build(c.Draft()) violations = %v for %+v", vs, c.Draft())
		}
		if !reflect.DeepEqual(back, c) {
			t.Fatalf("Build(c.Draft()) =\n%+v\nwant\n%+v", back, c)
		}
		if c.SupplyCap.Cmp(c.ReserveCapacity()) > 0 {
			t.Fatalf("built contract's cap %s exceeds its reserve capacity %s", c.SupplyCap, c.ReserveCapacity())
		}
		if r := c.CheckTransfer(c.MinUnit); r != nil {
			t.Fatalf("CheckTransfer(MinUnit) = %v", r)
		}
		if r := c.CheckTransfer(c.MaxTransfer); r != nil {
			t.Fatalf("CheckTransfer(MaxTransfer) = %v", r)
		}
	})
}
