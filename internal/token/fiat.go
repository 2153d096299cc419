package token

import (
	"fmt"
	"regexp"
	"strings"
)

// Scheme names how a reserve account is identified, in the words of the UK Open
// Banking account-information API that the reserve monitor reads (S0.3).
type Scheme string

// The account identification schemes a contract may use.
const (
	SchemeIBAN     Scheme = "IBAN"                  // ISO 13616 IBAN, electronic format
	SchemeSortCode Scheme = "SortCodeAccountNumber" // UK: 6-digit sort code then 8-digit account number
	SchemeOther    Scheme = "Other"                 // any other bank's own identifier
)

// Valid reports whether s is one of the schemes above.
func (s Scheme) Valid() bool {
	return s == SchemeIBAN || s == SchemeSortCode || s == SchemeOther
}

// FiatAccount is the bank account that holds a token's reserve (S0.1, S0.2).
type FiatAccount struct {
	BIC      string // ISO 9362 business identifier code of the bank, 8 or 11 characters
	Scheme   Scheme
	Account  string // the account identifier in Scheme's format
	Currency Currency
}

// Balance names the one bank balance f designates, the same for every
// contract that designates it: an account backs at most one token, so that
// one balance is never counted for two (S0.1). IBANs and UK sort-code
// accounts are unique on their own, whichever BIC a contract gives with them;
// an identifier of the Other scheme is the bank's own, so it is qualified by
// the bank (the BIC without a primary-office "XXX" branch). A multi-currency
// account holds one balance per currency, so the currency is part of it.
func (f FiatAccount) Balance() string {
	account := string(f.Scheme) + ":" + f.Account
	if f.Scheme == SchemeOther {
		bank := f.BIC
		if len(bank) == 11 {
			bank = strings.TrimSuffix(bank, "XXX")
		}
		account = string(f.Scheme) + ":" + bank + ":" + f.Account
	}
	return account + ":" + f.Currency.Code
}

// Account identifier limits.
const (
	// MinIBANLen and MaxIBANLen bound an IBAN: the shortest in the registry
	// (Norway) and the longest ISO 13616 allows.
	MinIBANLen = 15
	MaxIBANLen = 34
	// SortCodeAccountLen is a UK sort code (6 digits) followed by an account
	// number (8 digits), as Open Banking's SortCodeAccountNumber carries it.
	SortCodeAccountLen = 14
	// MaxOtherAccountLen bounds an identifier of the Other scheme; 34 is the
	// longest account identifier SWIFT messages carry.
	MaxOtherAccountLen = 34
)

var bicPattern = regexp.MustCompile(`^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$`)

// bicProblem says what is wrong with a BIC, or "" when it is valid: 4 letters of
// institution, an ISO 3166 country, 2 characters of location and optionally 3
// of branch.
func bicProblem(bic string) string {
	if !bicPattern.MatchString(bic) {
		return fmt.Sprintf("BIC %q is not 8 or 11 upper-case characters: 4 letters of bank, 2 of country, 2 of location, optionally 3 of branch", clip(bic))
	}
	if cc := bic[4:6]; !IsCountry(cc) {
		return fmt.Sprintf("BIC %q names country %q, which is not an ISO 3166-1 code", bic, cc)
	}
	return ""
}

// CheckBIC validates a business identifier code (ISO 9362).
func CheckBIC(bic string) error { return problemErr(bicProblem(bic)) }

// ibanLengths is the SWIFT IBAN registry (ISO 13616): each country that issues
// IBANs and the length of its IBANs. Territories that use their parent
// country's prefix (Åland FI, French overseas FR …) are covered by the parent.
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
	"BH": 22, "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24,
	"DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
	"FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27,
	"GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
	"IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20,
	"LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20,
	"MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
	"PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
	"SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
	"SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
	"YE": 30,
}

// ibanProblem says what is wrong with an IBAN in electronic format (upper case,
// no spaces), or "" when it is valid: a registry country, that country's length,
// check digits 02–98, and the ISO 7064 mod-97 check.
func ibanProblem(iban string) string {
	if len(iban) < MinIBANLen || len(iban) > MaxIBANLen {
		return fmt.Sprintf("IBAN %q has %d characters; IBANs have %d to %d", clip(iban), len(iban), MinIBANLen, MaxIBANLen)
	}
	for i := 0; i < len(iban); i++ {
		if !isUpper(iban[i]) && !isDigit(iban[i]) {
			return fmt.Sprintf("IBAN %q is not in electronic format: only upper-case letters and digits, no spaces", clip(iban))
		}
	}
	cc := iban[:2]
	want, ok := ibanLengths[cc]
	if !ok {
		return fmt.Sprintf("IBAN %q starts with %q, which is not a country in the IBAN registry", iban, cc)
	}
	if len(iban) != want {
		return fmt.Sprintf("IBAN %q has %d characters; %s IBANs have %d", iban, len(iban), cc, want)
	}
	if cd := iban[2:4]; !isDigit(cd[0]) || !isDigit(cd[1]) || cd == "00" || cd == "01" || cd == "99" {
		return fmt.Sprintf("IBAN %q has check digits %q; they must be 02 to 98", iban, cd)
	}
	if mod97(iban[4:]+iban[:4]) != 1 {
		return fmt.Sprintf("IBAN %q fails its check digits (mod 97)", iban)
	}
	return ""
}

// CheckIBAN validates an IBAN in electronic format.
func CheckIBAN(iban string) error { return problemErr(ibanProblem(iban)) }

// mod97 is ISO 7064 MOD 97-10 over s with letters read as 10 (A) to 35 (Z).
// s holds only upper-case letters and digits.
func mod97(s string) int {
	r := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			r = (r*10 + int(s[i]-'0')) % 97
		} else {
			r = (r*100 + int(s[i]-'A') + 10) % 97
		}
	}
	return r
}

// accountProblem says what is wrong with an account identifier of a scheme,
// or "" when it is valid. The scheme must be Valid.
func accountProblem(s Scheme, account string) string {
	switch s {
	case SchemeIBAN:
		return ibanProblem(account)
	case SchemeSortCode:
		if len(account) != SortCodeAccountLen || !allDigits(account) {
			return fmt.Sprintf("sort code and account number %q must be exactly %d digits, without separators", clip(account), SortCodeAccountLen)
		}
	case SchemeOther:
		if len(account) == 0 || len(account) > MaxOtherAccountLen {
			return fmt.Sprintf("account identifier %q has %d characters; it must have 1 to %d", clip(account), len(account), MaxOtherAccountLen)
		}
		if account[0] == ' ' || account[len(account)-1] == ' ' {
			return fmt.Sprintf("account identifier %q starts or ends with a space", account)
		}
		for i := 0; i < len(account); i++ {
			if !isSwiftChar(account[i]) {
				return fmt.Sprintf("account identifier %q contains %q; allowed are letters, digits, space and / - ? : ( ) . , ' +", account, account[i])
			}
		}
	default:
		panic(fmt.Sprintf("token: account problem for invalid scheme %q", s))
	}
	return ""
}

// CheckAccount validates an account identifier of a scheme.
func CheckAccount(s Scheme, account string) error {
	if !s.Valid() {
		return problemErr(schemeProblem(s))
	}
	return problemErr(accountProblem(s, account))
}

func schemeProblem(s Scheme) string {
	return fmt.Sprintf("account scheme %q is not one of %s, %s, %s", clip(string(s)), SchemeIBAN, SchemeSortCode, SchemeOther)
}

// isSwiftChar reports whether c is in the SWIFT "x" character set.
func isSwiftChar(c byte) bool {
	switch {
	case isUpper(c), isDigit(c), 'a' <= c && c <= 'z':
		return true
	}
	switch c {
	case '/', '-', '?', ':', '(', ')', '.', ',', '\'', '+', ' ':
		return true
	}
	return false
}

func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
