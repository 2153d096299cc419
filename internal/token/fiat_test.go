package token

import (
	"slices"
	"strings"
	"testing"
)

func TestCheckIBAN(t *testing.T) {
	for _, tc := range []struct {
		name  string
		iban  string
		valid bool
	}{
		{"GB sample", "GB82WEST12345698765432", true},
		{"DE sample", "DE89370400440532013000", true},
		{"FR sample with letter", "FR1420041010050500013M02606", true},
		{"NO shortest", "NO9386011117947", true},
		{"checksum", "GB82WEST12345698765431", false},
		{"swapped digits", "GB82WEST12345698765423", false},
		{"check digits 00", "GB00WEST12345698765432", false},
		{"check digits 99", "GB99WEST12345698765432", false},
		{"check digits letters", "GBAAWEST12345698765432", false},
		{"too short for GB", "GB82WEST1234569876543", false},
		{"too long for GB", "GB82WEST123456987654321", false},
		{"DE length of GB", "DE8937040044053201300012", false},
		{"country not in registry", "US64SVBKUS6S3300958879", false},
		{"not a country", "ZZ82WEST12345698765432", false},
		{"lower case", "gb82west12345698765432", false},
		{"spaces", "GB82 WEST 1234 5698 7654 32", false},
		{"punctuation", "GB82-WEST-12345698765432", false},
		{"empty", "", false},
		{"too long", strings.Repeat("1", 35), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckIBAN(tc.iban)
			if got := err == nil; got != tc.valid {
				t.Fatalf("CheckIBAN(%q) = %v, want valid %v", tc.iban, err, tc.valid)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "token: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestCheckBIC(t *testing.T) {
	for _, tc := range []struct {
		name  string
		bic   string
		valid bool
	}{
		{"8 characters", "DEUTDEFF", true},
		{"11 characters", "DEUTDEFF500", true},
		{"digit in location", "NWBKGB2L", true},
		{"Kosovo", "RBKOXKPR", true},
		{"test BIC location 0", "BANKGB0A", true},
		{"lower case", "deutdeff", false},
		{"unknown country", "DEUTZZFF", false},
		{"digit in bank code", "DEU1DEFF", false},
		{"digit in country", "DEUTD1FF", false},
		{"7 characters", "DEUTDEF", false},
		{"9 characters", "DEUTDEFF5", false},
		{"10 characters", "DEUTDEFF50", false},
		{"12 characters", "DEUTDEFF5000", false},
		{"space", "DEUT DEFF", false},
		{"empty", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := CheckBIC(tc.bic); (err == nil) != tc.valid {
				t.Fatalf("CheckBIC(%q) = %v, want valid %v", tc.bic, err, tc.valid)
			}
		})
	}
}

func TestKnowsBank(t *testing.T) {
	p := Params{Banks: []string{"DEUTDEFF", "BKCHCNBJ300", "HSBCHKHHXXX"}}
	for _, tc := range []struct {
		bic  string
		want bool
	}{
		{"DEUTDEFF", true},
		{"DEUTDEFF500", true},   // branch of a listed head office
		{"DEUTDEFFXXX", true},   // the head office itself
		{"BKCHCNBJ300", true},   // listed branch
		{"BKCHCNBJ301", false},  // another branch
		{"BKCHCNBJ", false},     // head office of a listed branch
		{"HSBCHKHH", true},      // listed as XXX
		{"HSBCHKHH001", false},  // XXX lists only the head office
		{"DEUTDEBB", false},     // another office
		{"NWBKGB2L", false},     // not listed
		{"DEUTDEF", false},      // malformed
		{"DEUTDEFF5000", false}, // malformed
		{"DEUTDEFFDEUT", false}, // malformed
		{"", false},             // empty
		{"HSBCHKHHXXXX", false}, // malformed
		{"DEUTDEFF 500", false}, // malformed
		{"deutdeff", false},     // case matters
		{"DEUTDEFFXXX ", false}, // trailing space
		{"BKCHCNBJ300 ", false}, // trailing space
		{"BKCHCNBJXXX", false},  // head office of a listed branch
	} {
		if got := p.KnowsBank(tc.bic); got != tc.want {
			t.Errorf("KnowsBank(%q) = %v, want %v", tc.bic, got, tc.want)
		}
	}
}

func TestCheckAccount(t *testing.T) {
	for _, tc := range []struct {
		name    string
		scheme  Scheme
		account string
		valid   bool
	}{
		{"iban", SchemeIBAN, "DE89370400440532013000", true},
		{"iban checksum", SchemeIBAN, "DE89370400440532013001", false},
		{"sort code", SchemeSortCode, "60161331926819", true},
		{"sort code letters", SchemeSortCode, "6016133192681A", false},
		{"sort code 15 digits", SchemeSortCode, "601613319268190", false},
		{"other", SchemeOther, "0123-4567/89 (A.B.C.), 'x'+?:", true},
		{"other 34", SchemeOther, strings.Repeat("a", 34), true},
		{"other 35", SchemeOther, strings.Repeat("a", 35), false},
		{"other underscore", SchemeOther, "a_b", false},
		{"other non-ASCII", SchemeOther, "konto-ä", false},
		{"other only space", SchemeOther, " ", false},
		{"unknown scheme", Scheme("BBAN"), "123", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := CheckAccount(tc.scheme, tc.account); (err == nil) != tc.valid {
				t.Fatalf("CheckAccount(%s, %q) = %v, want valid %v", tc.scheme, tc.account, err, tc.valid)
			}
		})
	}
}

func TestCurrencyTable(t *testing.T) {
	if !slices.IsSortedFunc(currencies, func(a, b Currency) int { return strings.Compare(a.Code, b.Code) }) {
		t.Fatal("currencies are not sorted by code")
	}
	for i, c := range currencies {
		if len(c.Code) != 3 || strings.ToUpper(c.Code) != c.Code || c.Digits > 4 {
			t.Errorf("currencies[%d] = %+v is malformed", i, c)
		}
		if i > 0 && currencies[i-1].Code == c.Code {
			t.Errorf("currency %s listed twice", c.Code)
		}
	}
	for _, tc := range []struct {
		code   string
		digits uint8
		ok     bool
	}{
		{"USD", 2, true}, {"EUR", 2, true}, {"GBP", 2, true}, {"CNY", 2, true}, {"HKD", 2, true},
		{"CHF", 2, true}, {"SGD", 2, true}, {"JPY", 0, true}, {"KRW", 0, true}, {"BHD", 3, true},
		{"KWD", 3, true}, {"CLF", 4, true}, {"UYW", 4, true}, {"XCG", 2, true}, {"ZWG", 2, true},
		{"usd", 0, false}, {"XAU", 0, false}, {"XXX", 0, false}, {"XDR", 0, false}, {"ZWL", 0, false},
		{"HRK", 0, false}, {"", 0, false}, {"US", 0, false}, {"USDD", 0, false},
	} {
		got, ok := LookupCurrency(tc.code)
		if ok != tc.ok || (ok && (got.Code != tc.code || got.Digits != tc.digits)) {
			t.Errorf("LookupCurrency(%q) = %+v, %v; want digits %d, %v", tc.code, got, ok, tc.digits, tc.ok)
		}
	}
	all := Currencies()
	all[0].Code = "changed"
	if currencies[0].Code == "changed" {
		t.Error("Currencies returned the package's own slice")
	}
}

func TestCountryTable(t *testing.T) {
	codes := strings.Fields(countryCodes)
	if got, want := len(codes), 249+1; got != want {
		t.Fatalf("%d country codes, want %d (ISO 3166-1 and XK)", got, want)
	}
	if !slices.IsSorted(codes) {
		t.Error("country codes are not sorted")
	}
	if len(countries) != len(codes) {
		t.Error("a country code is listed twice")
	}
	for _, c := range []string{"GB", "CN", "HK", "US", "DE", "XK"} {
		if !IsCountry(c) {
			t.Errorf("IsCountry(%q) = false", c)
		}
	}
	for _, c := range []string{"UK", "EU", "ZZ", "gb", "", "GBR"} {
		if IsCountry(c) {
			t.Errorf("IsCountry(%q) = true", c)
		}
	}
}

func TestIBANRegistryTable(t *testing.T) {
	for cc, n := range ibanLengths {
		if !IsCountry(cc) || n < MinIBANLen || n > MaxIBANLen {
			t.Errorf("IBAN registry entry %s: %d is malformed", cc, n)
		}
	}
}

func TestFiatBalance(t *testing.T) {
	gbp, eur := mustCurrency(t, "GBP"), mustCurrency(t, "EUR")
	iban := FiatAccount{BIC: "NWBKGB2L", Scheme: SchemeIBAN, Account: "GB82WEST12345698765432", Currency: gbp}
	other := FiatAccount{BIC: "ABCDMXXX", Scheme: SchemeOther, Account: "12345", Currency: gbp}
	for _, tc := range []struct {
		name string
		a, b FiatAccount
		same bool
	}{
		{"an IBAN under another BIC", iban, with(iban, func(f *FiatAccount) { f.BIC = "DEUTDEFF" }), true},
		{"an IBAN in another currency", iban, with(iban, func(f *FiatAccount) { f.Currency = eur }), false},
		{"another IBAN", iban, with(iban, func(f *FiatAccount) { f.Account = "GB33BUKB20201555555555" }), false},
		{"Other at the bank's primary office", other, with(other, func(f *FiatAccount) { f.BIC = "ABCDMXXXXXX" }), true},
		{"Other at another bank", other, with(other, func(f *FiatAccount) { f.BIC = "EFGHMXXX" }), false},
		{"Other at another branch", other, with(other, func(f *FiatAccount) { f.BIC = "ABCDMXXX001" }), false},
		{"a sort code the same as an Other identifier", with(other, func(f *FiatAccount) { f.Scheme, f.Account = SchemeSortCode, "20041531926819" }),
			with(other, func(f *FiatAccount) { f.Account = "20041531926819" }), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.a.Balance() == tc.b.Balance(); got != tc.same {
				t.Errorf("%q and %q: same balance = %v, want %v", tc.a.Balance(), tc.b.Balance(), got, tc.same)
			}
		})
	}
}

func with(f FiatAccount, change func(*FiatAccount)) FiatAccount {
	change(&f)
	return f
}
