package token

import (
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

func mustRatio(t testing.TB, s string) Ratio {
	t.Helper()
	r, err := ParseRatio(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustCurrency(t testing.TB, code string) Currency {
	t.Helper()
	c, ok := LookupCurrency(code)
	if !ok {
		t.Fatalf("unknown currency %s", code)
	}
	return c
}

func TestCapacity(t *testing.T) {
	for _, tc := range []struct {
		name     string
		reserve  string // in the currency's units
		currency string
		decimals uint8
		ratio    string
		want     string // in coins
	}{
		{"dollars to 6 decimals", "1000000.00", "USD", 6, "1", "1000000"},
		{"yen to 0 decimals", "5", "JPY", 0, "1", "5"},
		{"dinar to 18 decimals at half", "1.001", "BHD", 18, "0.5", "0.5005"},
		{"yen to 18 decimals at half", "3", "JPY", 18, "0.5", "1.5"},
		{"floors half a coin", "3", "USD", 0, "0.5", "1"},
		{"floors below the smallest unit", "0.01", "USD", 0, "0.5", "0"},
		{"dinar fils to whole coins", "0.999", "BHD", 0, "1", "0"},
		{"ratio 100", "1.23", "USD", 2, "100", "123"},
		{"ratio 100 from one cent", "0.01", "USD", 0, "100", "1"},
		{"fine ratio at 18 decimals", "1", "USD", 18, "1.000000000000000001", "1.000000000000000001"},
		{"fine ratio floors at 18 decimals", "0.01", "USD", 18, "1.000000000000000001", "0.01"},
		{"fine ratio floors at 6 decimals", "1000", "USD", 6, "1.000000000000000001", "1000"},
		{"fine ratio, dinar, 18 decimals", "2.5", "BHD", 18, "1.000000000000000001", "2.500000000000000002"},
		{"zero reserve", "0", "USD", 6, "1", "0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cur := mustCurrency(t, tc.currency)
			c := Contract{Decimals: tc.decimals, Fiat: FiatAccount{Currency: cur}, Ratio: mustRatio(t, tc.ratio)}
			got := c.Capacity(mustAmount(t, tc.reserve, cur.Digits))
			if want := mustAmount(t, tc.want, tc.decimals); got != want {
				t.Fatalf("Capacity(%s %s) at ratio %s, %d decimals = %s, want %s",
					tc.reserve, tc.currency, tc.ratio, tc.decimals, got.Format(tc.decimals), tc.want)
			}
		})
	}
}

func TestCapacitySaturates(t *testing.T) {
	for _, tc := range []struct {
		name     string
		reserve  money.Amount
		currency string
		decimals uint8
		ratio    string
		want     money.Amount
	}{
		{"max reserve at 100, 18 decimals", money.Max, "USD", 18, "100", money.Max},
		{"just over max", money.Max, "JPY", 0, "1.000000000000000001", money.Max},
		{"max reserve at 1 stays max", money.Max, "JPY", 0, "1", money.Max},
		{"max reserve in cents to whole coins", money.Max, "USD", 0, "1", func() money.Amount {
			q, _ := money.Max.QuoRem(money.FromUint64(100))
			return q
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Contract{Decimals: tc.decimals, Fiat: FiatAccount{Currency: mustCurrency(t, tc.currency)}, Ratio: mustRatio(t, tc.ratio)}
			if got := c.Capacity(tc.reserve); got != tc.want {
				t.Fatalf("Capacity = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestReserveCapacity(t *testing.T) {
	d := validDraft()
	d.Ratio, d.SupplyCap, d.Roles.Minters = "0.5", "400000", nil
	c, vs := Build(d, testParams())
	if len(vs) != 0 {
		t.Fatal(vs)
	}
	if got, want := c.ReserveCapacity(), mustAmount(t, "500000", 6); got != want {
		t.Fatalf("ReserveCapacity() = %s, want %s", got.Format(6), want.Format(6))
	}
}

func TestParseRatio(t *testing.T) {
	for _, tc := range []struct {
		in    string
		num   string
		scale uint8
		ok    bool
	}{
		{"1", "1", 0, true},
		{"1.0", "1", 0, true},
		{"1.50", "15", 1, true},
		{"0.5", "5", 1, true},
		{"100", "100", 0, true},
		{"100.00", "100", 0, true},
		{"0.000000000000000001", "1", 18, true},
		{"1.000000000000000001", "1000000000000000001", 18, true},
		{"1.0000000000000000000", "", 0, false}, // 19 fractional digits, though equal to 1
		{"0", "", 0, false},
		{"0.000", "", 0, false},
		{"", "", 0, false},
		{"1.", "", 0, false},
		{".5", "", 0, false},
		{"-1", "", 0, false},
		{"1e3", "", 0, false},
		{"340282366920938463463374607431768211456", "", 0, false},
	} {
		got, err := ParseRatio(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseRatio(%q) error = %v, want ok %v", tc.in, err, tc.ok)
			continue
		}
		if tc.ok && (got.Num.String() != tc.num || got.Scale != tc.scale) {
			t.Errorf("ParseRatio(%q) = %s/10^%d, want %s/10^%d", tc.in, got.Num, got.Scale, tc.num, tc.scale)
		}
	}
}

func TestRatioString(t *testing.T) {
	for _, in := range []string{"1", "0.5", "100", "1.000000000000000001", "12.34"} {
		if got := mustRatio(t, in).String(); got != in {
			t.Errorf("ParseRatio(%q).String() = %q", in, got)
		}
	}
}

func TestCheckTransfer(t *testing.T) {
	c, vs := Build(validDraft(), testParams()) // min unit 0.01, max transfer 10000, 6 decimals
	if len(vs) != 0 {
		t.Fatal(vs)
	}
	for _, tc := range []struct {
		name   string
		amount money.Amount
		code   ledger.Code
		says   []string
	}{
		{"min unit", mustAmount(t, "0.01", 6), ledger.OK, nil},
		{"ordinary", mustAmount(t, "123.45", 6), ledger.OK, nil},
		{"max transfer", mustAmount(t, "10000", 6), ledger.OK, nil},
		{"zero", money.Amount{}, ledger.CodeInvalidAmount, []string{"greater than zero"}},
		{"below min unit", mustAmount(t, "0.005", 6), ledger.CodeNotMinUnitMultiple, []string{"0.005 GBPP", "0.01 GBPP"}},
		{"not a multiple", mustAmount(t, "1.234", 6), ledger.CodeNotMinUnitMultiple, []string{"1.234 GBPP", "0.01 GBPP"}},
		{"above max", mustAmount(t, "10000.01", 6), ledger.CodeAboveMaxTransfer, []string{"10000.01 GBPP", "10000 GBPP"}},
		{"multiple takes precedence", mustAmount(t, "10000.005", 6), ledger.CodeNotMinUnitMultiple, nil},
		{"max amount", money.Max, ledger.CodeNotMinUnitMultiple, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := c.CheckTransfer(tc.amount)
			if tc.code == ledger.OK {
				if got != nil {
					t.Fatalf("CheckTransfer(%s) = %v, want nil", c.FormatAmount(tc.amount), got)
				}
				return
			}
			if got == nil || got.Code != tc.code {
				t.Fatalf("CheckTransfer(%s) = %v, want %s", c.FormatAmount(tc.amount), got, tc.code)
			}
			for _, s := range tc.says {
				if !strings.Contains(got.Message, s) {
					t.Errorf("message %q does not contain %q", got.Message, s)
				}
			}
		})
	}
}

func TestAmountFormatting(t *testing.T) {
	c := Contract{Decimals: 6}
	a, err := c.ParseAmount("1.5")
	if err != nil || a != money.FromUint64(1500000) {
		t.Fatalf("ParseAmount(1.5) = %v, %v", a, err)
	}
	if got := c.FormatAmount(a); got != "1.5" {
		t.Fatalf("FormatAmount = %q, want 1.5", got)
	}
	if _, err := c.ParseAmount("1.0000001"); err == nil {
		t.Fatal("ParseAmount accepted 7 decimal places at 6 decimals")
	}
}

func TestRoleOf(t *testing.T) {
	c, vs := Build(validDraft(), testParams())
	if len(vs) != 0 {
		t.Fatal(vs)
	}
	for _, tc := range []struct {
		addr ledger.Address
		want Role
	}{
		{testAddr(1), RoleOwner},
		{testAddr(2), RolePauser},
		{testAddr(3), RoleFreezer},
		{testAddr(4), RoleAttestor},
		{testAddr(5), RoleMinter},
		{testAddr(9), RoleNone},
		{ledger.Address{}, RoleNone},
	} {
		if got := c.RoleOf(tc.addr); got != tc.want {
			t.Errorf("RoleOf(%s) = %s, want %s", tc.addr, got, tc.want)
		}
	}
	if got := (Contract{}).RoleOf(ledger.Address{}); got != RoleNone {
		t.Errorf("zero contract: RoleOf(zero address) = %s, want none", got)
	}
	if m, ok := c.Minter(testAddr(5)); !ok || m.Allowance != mustAmount(t, "500000", 6) {
		t.Errorf("Minter(minter) = %+v, %v", m, ok)
	}
	if _, ok := c.Minter(testAddr(1)); ok {
		t.Error("Minter(owner) found an entry")
	}
}

func TestRoleString(t *testing.T) {
	for r, want := range map[Role]string{
		RoleNone: "none", RoleOwner: "owner", RolePauser: "pauser", RoleFreezer: "freezer",
		RoleAttestor: "attestor", RoleMinter: "minter", Role(9): "Role(9)",
	} {
		if got := r.String(); got != want {
			t.Errorf("Role(%d).String() = %q, want %q", uint8(r), got, want)
		}
	}
}

func TestCheckInvariants(t *testing.T) {
	c, vs := Build(validDraft(), testParams())
	if len(vs) != 0 {
		t.Fatal(vs)
	}
	if err := c.CheckInvariants(); err != nil {
		t.Fatalf("CheckInvariants() on a built contract = %v", err)
	}
	for _, tc := range []struct {
		name  string
		spoil func(*Contract)
	}{
		{"min unit not a power of ten", func(c *Contract) { c.MinUnit = money.FromUint64(3) }},
		{"min redeem above max", func(c *Contract) { c.MinRedeem = c.SupplyCap }},
		{"cap above reserve", func(c *Contract) { c.DeclaredReserve = money.FromUint64(1) }},
		{"zero ratio", func(c *Contract) { c.Ratio = Ratio{} }},
		{"no owner", func(c *Contract) { c.Roles.Owner = ledger.Address{} }},
		{"zero allowance", func(c *Contract) { c.Roles.Minters = []Minter{{Address: testAddr(5)}} }},
		{"zero max transfer", func(c *Contract) { c.MaxTransfer, c.MinRedeem = money.Amount{}, money.Amount{} }},
		{"no staleness window", func(c *Contract) { c.StalenessWindow = 0 }},
		{"staleness window above the limit", func(c *Contract) { c.StalenessWindow = MaxStalenessWindow + time.Second }},
		{"staleness window fraction of a second", func(c *Contract) { c.StalenessWindow += time.Millisecond }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			broken := c
			broken.Roles.Minters = append([]Minter(nil), c.Roles.Minters...)
			tc.spoil(&broken)
			if err := broken.CheckInvariants(); err == nil {
				t.Fatal("CheckInvariants() = nil on a broken contract")
			}
		})
	}
}

// TestFiatValueAndFiatFor: FiatValue, what coins pay out on redemption, rounds
// down; FiatFor, the reserve they require, rounds up. Both favour the ledger,
// and they differ by at most one minor unit of the currency.
func TestFiatValueAndFiatFor(t *testing.T) {
	for _, tc := range []struct {
		name     string
		coins    string
		currency string
		decimals uint8
		ratio    string
		down     string // FiatValue, in the currency's units
		up       string // FiatFor
	}{
		{"one to one", "10", "GBP", 0, "1", "10", "10"},
		{"zero", "0", "GBP", 6, "1", "0", "0"},
		{"thirds", "10", "GBP", 0, "3", "3.33", "3.34"},
		{"one third of a penny", "0.01", "GBP", 2, "3", "0", "0.01"},
		{"half ratio doubles", "1.5", "GBP", 2, "0.5", "3", "3"},
		{"a millionth of a coin", "0.000001", "GBP", 6, "1", "0", "0.01"},
		{"half a yen", "0.5", "JPY", 2, "1", "0", "1"},
		{"whole yen", "12345", "JPY", 0, "1", "12345", "12345"},
		{"dinar at a fine ratio", "1", "BHD", 18, "1.000000000000000001", "0.999", "1"},
		{"ratio 100", "123", "USD", 0, "100", "1.23", "1.23"},
		{"ratio 100, a coin below a cent", "1", "USD", 0, "100", "0.01", "0.01"},
		{"ratio 1000, a coin below a cent", "1", "USD", 0, "1000", "0", "0.01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cur := mustCurrency(t, tc.currency)
			c := Contract{Decimals: tc.decimals, Fiat: FiatAccount{Currency: cur}, Ratio: mustRatio(t, tc.ratio)}
			a := mustAmount(t, tc.coins, tc.decimals)
			value, forA := c.FiatValue(a), c.FiatFor(a)
			if want := mustAmount(t, tc.down, cur.Digits); value != want {
				t.Errorf("FiatValue(%s) = %s, want %s", tc.coins, value.Format(cur.Digits), tc.down)
			}
			if want := mustAmount(t, tc.up, cur.Digits); forA != want {
				t.Errorf("FiatFor(%s) = %s, want %s", tc.coins, forA.Format(cur.Digits), tc.up)
			}
			// FiatFor is the least balance that backs a: Capacity agrees.
			if c.Capacity(forA).Cmp(a) < 0 {
				t.Errorf("Capacity(FiatFor(%s)) = %s, less than %s", tc.coins, c.FormatAmount(c.Capacity(forA)), tc.coins)
			}
			if less, ok := forA.Sub(money.FromUint64(1)); ok && c.Capacity(less).Cmp(a) >= 0 {
				t.Errorf("Capacity(FiatFor(%s) - 1) = %s, still backs %s", tc.coins, c.FormatAmount(c.Capacity(less)), tc.coins)
			}
			if next, _ := value.Add(money.FromUint64(1)); forA.Cmp(value) < 0 || forA.Cmp(next) > 0 {
				t.Errorf("FiatFor %s is not FiatValue %s or one more", forA, value)
			}
		})
	}
}

func TestFiatSaturates(t *testing.T) {
	c := Contract{Decimals: 0, Fiat: FiatAccount{Currency: mustCurrency(t, "JPY")}, Ratio: mustRatio(t, "0.000001")}
	if got := c.FiatValue(money.Max); got != money.Max {
		t.Errorf("FiatValue(Max) at ratio 0.000001 = %s, want Max", got)
	}
	if got := c.FiatFor(money.Max); got != money.Max {
		t.Errorf("FiatFor(Max) at ratio 0.000001 = %s, want Max", got)
	}
}

func TestRedeemUnit(t *testing.T) {
	for _, tc := range []struct {
		name     string
		currency string
		decimals uint8
		ratio    string
		unit     string // in coins
	}{
		{"pence at par", "GBP", 2, "1", "0.01"},
		{"18 decimals at par", "GBP", 18, "1", "0.01"},
		{"yen, two decimals", "JPY", 2, "1", "1"},
		{"whole coins, a hundred a dollar", "USD", 0, "100", "1"},
		{"a thousand a dollar", "USD", 0, "1000", "10"},
		{"one and a half a pound", "GBP", 6, "1.5", "0.015"},
		{"7.8 a dollar", "USD", 2, "7.8", "0.39"},
		{"a fine ratio", "BHD", 18, "1.000000000000000001", "1.000000000000000001"},
		{"half a coin a pound", "GBP", 2, "0.5", "0.01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cur := mustCurrency(t, tc.currency)
			c := Contract{Decimals: tc.decimals, Fiat: FiatAccount{Currency: cur}, Ratio: mustRatio(t, tc.ratio)}
			unit := c.RedeemUnit()
			if want := mustAmount(t, tc.unit, tc.decimals); unit != want {
				t.Fatalf("RedeemUnit = %s, want %s", c.FormatAmount(unit), tc.unit)
			}
			// The unit pays exactly and nothing smaller does: held to the
			// definition with math/big.
			for a := uint64(1); a <= 2000; a++ {
				amt := money.FromUint64(a)
				if whole := paysWhole(c, amt); whole != amt.IsMultipleOf(unit) {
					t.Fatalf("%s coins: pays whole fiat = %v, multiple of the unit %s = %v",
						c.FormatAmount(amt), whole, c.FormatAmount(unit), !whole)
				}
			}
			if !paysWhole(c, unit) {
				t.Errorf("the unit %s does not pay a whole number of minor units", c.FormatAmount(unit))
			}
		})
	}
}

// paysWhole reports whether a's fiat value at c's ratio is a whole number of
// fiat minor units, straight from the definition.
func paysWhole(c Contract, a money.Amount) bool {
	n := new(big.Int).Mul(a.Big(), pow10Big(int(c.Fiat.Currency.Digits)+int(c.Ratio.Scale)))
	d := new(big.Int).Mul(c.Ratio.Num.Big(), pow10Big(int(c.Decimals)))
	return new(big.Int).Rem(n, d).Sign() == 0
}

func TestCheckRedeemPays(t *testing.T) {
	for _, tc := range []struct {
		name     string
		currency string
		decimals uint8
		ratio    string
		minUnit  string
		amount   string
		near     string // "" when the amount pays
	}{
		{"pence at par", "GBP", 2, "1", "0.01", "250.50", ""},
		{"a wei of a pound", "GBP", 18, "1", "0.000000000000000001", "0.000000000000000001", "such as 0.01 GBPT"},
		{"pounds and a wei", "GBP", 18, "1", "0.000000000000000001", "100.000000000000000001", "such as 100 GBPT or 100.01 GBPT"},
		{"half a yen", "JPY", 2, "1", "0.01", "12.50", "such as 12 GBPT or 13 GBPT"},
		{"7.8 a dollar, on the minimum unit", "USD", 2, "7.8", "0.10", "1.00", "such as 3.9 GBPT"},
		{"7.8 a dollar, paying", "USD", 2, "7.8", "0.10", "1.56", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Contract{ID: "gbpt", Symbol: "GBPT", Decimals: tc.decimals, Fiat: FiatAccount{Currency: mustCurrency(t, tc.currency)},
				Ratio: mustRatio(t, tc.ratio), MinUnit: mustAmount(t, tc.minUnit, tc.decimals)}
			rej := c.CheckRedeemPays(mustAmount(t, tc.amount, tc.decimals))
			switch {
			case tc.near == "" && rej != nil:
				t.Fatalf("CheckRedeemPays(%s) = %v, want nil", tc.amount, rej)
			case tc.near == "":
			case rej == nil:
				t.Fatalf("CheckRedeemPays(%s) = nil, want %s", tc.amount, ledger.CodeRedeemFiatRemainder)
			case rej.Code != ledger.CodeRedeemFiatRemainder || !strings.HasSuffix(rej.Message, tc.near):
				t.Fatalf("CheckRedeemPays(%s) = %v, want %s ending %q", tc.amount, rej, ledger.CodeRedeemFiatRemainder, tc.near)
			}
		})
	}
}
