package bank

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/token"
)

// The decoders' fuzz targets run their seeds as plain tests; with -fuzz they
// look for an answer that panics, is accepted for another account or
// currency, gives an amount that does not round-trip, or fails without
// saying which kind of failure it is.

var sentinels = []error{ErrUnavailable, ErrRefused, ErrMalformed, ErrWrongAccount, ErrWrongCurrency, ErrNoBalance, ErrNegative}

var fuzzNow = time.Date(2025, 3, 16, 8, 0, 0, 0, time.UTC)

func addSeeds(f *testing.F, pattern string, extra ...string) {
	names, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil || len(names) == 0 {
		f.Fatalf("no seeds for %s: %v", pattern, err)
	}
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range extra {
		f.Add([]byte(s))
	}
}

// checkDecoded is the contract every decoder keeps, whatever its input.
func checkDecoded(t *testing.T, in []byte, b Balance, err error, account string, cur token.Currency, types []string) {
	t.Helper()
	if err != nil {
		if !slices.ContainsFunc(sentinels, func(s error) bool { return errors.Is(err, s) }) {
			t.Fatalf("error wraps no sentinel: %v", err)
		}
		if b.Raw != nil || !b.Amount.IsZero() {
			t.Fatalf("failed decode returned a balance: %+v", b)
		}
		return
	}
	if b.Account != account || b.Currency != cur.Code || !slices.Contains(types, b.Type) {
		t.Fatalf("accepted %s %s %s, want %s %s one of %v", b.Account, b.Currency, b.Type, account, cur.Code, types)
	}
	if back, err := money.Parse(b.Amount.Format(cur.Digits), cur.Digits); err != nil || back != b.Amount {
		t.Fatalf("amount %s does not round-trip: %v %v", b.Amount, back, err)
	}
	if !bytes.Equal(b.Raw, in) {
		t.Fatal("Raw is not the input")
	}
	if b.Time.After(fuzzNow.Add(MaxClockSkew)) {
		t.Fatalf("accepted a balance dated %s", b.Time)
	}
}

func FuzzOpenBanking(f *testing.F) {
	addSeeds(f, "openbanking/*.json", `{"Data":{"Balance":[]}}`, `{"Data":null}`, `[]`)
	gbp, _ := token.LookupCurrency("GBP")
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := decodeOpenBanking("fuzz", obAccount, gbp, DefaultOpenBankingTypes, body, fuzzNow)
		checkDecoded(t, body, b, err, obAccount, gbp, DefaultOpenBankingTypes)
	})
}

func FuzzBerlinGroup(f *testing.F) {
	addSeeds(f, "berlingroup/*.json", `{"account":{"iban":"DE89370400440532013000"},"balances":[]}`)
	eur, _ := token.LookupCurrency("EUR")
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := decodeBerlinGroup("fuzz", bgIBAN, eur, DefaultBerlinGroupTypes, body, fuzzNow, fuzzNow)
		checkDecoded(t, body, b, err, bgIBAN, eur, DefaultBerlinGroupTypes)
	})
}

func FuzzCamt(f *testing.F) {
	addSeeds(f, "camt/*.xml", `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"/>`)
	want := camtWantFor(f, dirIBAN, "EUR", nil, nil)
	types := append(slices.Clone(want.statementCodes), want.reportCodes...)
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := parseCamt("fuzz", want, data, fuzzNow)
		checkDecoded(t, data, file.balance, err, dirIBAN, want.currency, types)
	})
}
