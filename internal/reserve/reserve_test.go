package reserve

import (
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/token"
)

var attestedAt = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// contract is a token of decimals at ratio, backed by currency, with the
// default staleness window.
func contract(t testing.TB, currency string, decimals uint8, ratio string) token.Contract {
	t.Helper()
	cur, ok := token.LookupCurrency(currency)
	if !ok {
		t.Fatalf("unknown currency %s", currency)
	}
	r, err := token.ParseRatio(ratio)
	if err != nil {
		t.Fatal(err)
	}
	return token.Contract{ID: "gbpt", Symbol: "GBPT", Decimals: decimals, Ratio: r,
		Fiat:            token.FiatAccount{Account: "GB81PEGD20041531926819", Currency: cur},
		StalenessWindow: token.DefaultStalenessWindow}
}

func amount(t testing.TB, s string, decimals uint8) money.Amount {
	t.Helper()
	a, err := money.Parse(s, decimals)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// reading is an attestation of balance (in the currency's units) at bank time
// attestedAt, accepted a minute later.
func reading(t testing.TB, c token.Contract, balance string) *Reading {
	return &Reading{Balance: amount(t, balance, c.Fiat.Currency.Digits), BalanceType: "ClosingBooked",
		BankTime: attestedAt, AttestedAt: attestedAt.Add(time.Minute)}
}

func TestEvaluate(t *testing.T) {
	window := token.DefaultStalenessWindow
	for _, tc := range []struct {
		name     string
		currency string
		decimals uint8
		ratio    string
		balance  string // "" for no reading
		supply   string // in coins
		age      time.Duration
		want     Status
	}{
		{"no reading", "GBP", 0, "1", "", "0", 0, Unattested},
		{"no reading, whatever the supply", "GBP", 0, "1", "", "100", window * 2, Unattested},
		{"covered", "GBP", 0, "1", "1000", "999", 0, OK},
		{"capacity exactly the supply", "GBP", 0, "1", "1000", "1000", 0, OK},
		{"one coin short", "GBP", 0, "1", "999", "1000", 0, AtRisk},
		{"one penny short", "GBP", 2, "1", "999.99", "1000", 0, AtRisk},
		{"empty account, no supply", "GBP", 0, "1", "0", "0", 0, OK},
		{"empty account", "GBP", 0, "1", "0", "1", 0, AtRisk},
		{"exactly at the window", "GBP", 0, "1", "1000", "1000", window, OK},
		{"a nanosecond past the window", "GBP", 0, "1", "1000", "1000", window + time.Nanosecond, Stale},
		{"stale wins over at risk", "GBP", 0, "1", "1", "1000", window + time.Second, Stale},
		{"reading from a later block", "GBP", 0, "1", "1000", "1000", -time.Hour, OK},
		// Ratio 0.5: a pound backs half a coin.
		{"half ratio, exactly", "GBP", 2, "0.5", "1000", "500", 0, OK},
		{"half ratio, capacity rounds down", "GBP", 2, "0.5", "999.99", "500", 0, AtRisk},
		{"half ratio, the odd penny backs nothing", "GBP", 2, "0.5", "1000.01", "500.01", 0, AtRisk},
		// Ratio 3: a pound backs three coins.
		{"ratio 3", "GBP", 0, "3", "10", "30", 0, OK},
		{"ratio 3, one over", "GBP", 0, "3", "10", "31", 0, AtRisk},
		{"ratio 3, pennies", "GBP", 0, "3", "10.34", "31", 0, OK},
		// Currency digits against token decimals.
		{"yen to six decimals", "JPY", 6, "1", "5", "5", 0, OK},
		{"yen to six decimals, a millionth over", "JPY", 6, "1", "5", "5.000001", 0, AtRisk},
		{"dinar fils to whole coins", "BHD", 0, "1", "0.999", "1", 0, AtRisk},
		{"dinar to eighteen decimals", "BHD", 18, "1", "0.001", "0.001", 0, OK},
		{"fine ratio at eighteen decimals", "USD", 18, "1.000000000000000001", "1", "1.000000000000000001", 0, OK},
		{"fine ratio, one unit over", "USD", 18, "1.000000000000000001", "1", "1.000000000000000002", 0, AtRisk},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := contract(t, tc.currency, tc.decimals, tc.ratio)
			var last *Reading
			if tc.balance != "" {
				last = reading(t, c, tc.balance)
			}
			supply := amount(t, tc.supply, tc.decimals)
			if got := Evaluate(c, supply, last, attestedAt.Add(tc.age)); got != tc.want {
				t.Fatalf("Evaluate(balance %s %s, supply %s, age %s) = %s, want %s",
					tc.balance, tc.currency, tc.supply, tc.age, got, tc.want)
			}
		})
	}
}

// TestEvaluateWindow: the window is the contract's own.
func TestEvaluateWindow(t *testing.T) {
	c := contract(t, "GBP", 0, "1")
	c.StalenessWindow = 2 * time.Hour
	last := reading(t, c, "100")
	supply := amount(t, "100", 0)
	if got := Evaluate(c, supply, last, attestedAt.Add(2*time.Hour)); got != OK {
		t.Errorf("at the 2h window: %s, want OK", got)
	}
	if got := Evaluate(c, supply, last, attestedAt.Add(2*time.Hour+time.Second)); got != Stale {
		t.Errorf("a second past the 2h window: %s, want STALE", got)
	}
	// Freshness runs from the bank's time of the balance, not from the block
	// that accepted it: an old reading posted again does not refresh.
	last.BankTime = attestedAt.Add(-48 * time.Hour)
	if got := Evaluate(c, supply, last, attestedAt.Add(time.Hour)); got != Stale {
		t.Errorf("an old bank time accepted an hour ago: %s, want STALE", got)
	}
}

func TestCanMint(t *testing.T) {
	window := token.DefaultStalenessWindow
	for _, tc := range []struct {
		name     string
		currency string
		decimals uint8
		ratio    string
		balance  string // "" for no reading
		supply   string
		amount   string
		age      time.Duration
		want     ledger.Code
		msg      []string // the message names these
	}{
		{"unattested", "GBP", 0, "1", "", "0", "1", 0, ledger.CodeReserveUnattested, []string{"gbpt", "no attestation"}},
		{"within the balance", "GBP", 0, "1", "1000", "0", "999", 0, ledger.OK, nil},
		{"up to exactly the balance", "GBP", 0, "1", "1000", "400", "600", 0, ledger.OK, nil},
		{"one coin beyond", "GBP", 0, "1", "1000", "400", "601", 0, ledger.CodeAboveReserve,
			[]string{"supply would be 1001 GBPT", "attested balance 1000 GBP", "ratio 1", "backs 1000"}},
		{"half ratio", "GBP", 2, "0.5", "1000.01", "0", "500", 0, ledger.OK, nil},
		{"half ratio, a hundredth beyond", "GBP", 2, "0.5", "1000.01", "0", "500.01", 0, ledger.CodeAboveReserve,
			[]string{"supply would be 500.01 GBPT", "attested balance 1000.01 GBP", "ratio 0.5", "backs 500"}},
		{"yen to six decimals", "JPY", 6, "1", "5", "4.5", "0.5", 0, ledger.OK, nil},
		{"yen to six decimals, a millionth beyond", "JPY", 6, "1", "5", "4.5", "0.500001", 0, ledger.CodeAboveReserve,
			[]string{"5.000001 GBPT", "attested balance 5 JPY"}},
		{"at risk", "GBP", 0, "1", "900", "1000", "1", 0, ledger.CodeReserveAtRisk,
			[]string{"attested reserve 900 GBP", "backs 900 GBPT", "supply 1000"}},
		{"stale", "GBP", 0, "1", "1000", "0", "1", window + time.Second, ledger.CodeReserveStale,
			[]string{"2026-03-01T12:00:00Z", "26h0m0s"}},
		{"stale and at risk: stale", "GBP", 0, "1", "1", "1000", "1", window + time.Second, ledger.CodeReserveStale, nil},
		{"at the window", "GBP", 0, "1", "1000", "0", "1", window, ledger.OK, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := contract(t, tc.currency, tc.decimals, tc.ratio)
			var last *Reading
			if tc.balance != "" {
				last = reading(t, c, tc.balance)
			}
			rej := CanMint(c, amount(t, tc.supply, tc.decimals), amount(t, tc.amount, tc.decimals), last, attestedAt.Add(tc.age))
			got := ledger.OK
			if rej != nil {
				got = rej.Code
			}
			if got != tc.want {
				t.Fatalf("CanMint = %v, want %s", rej, tc.want.Name())
			}
			for _, m := range tc.msg {
				if !strings.Contains(rej.Message, m) {
					t.Errorf("message %q does not name %q", rej.Message, m)
				}
			}
		})
	}
}

// TestCanMintOverflow: supply + amount beyond the amount range is refused,
// never wrapped, even against a balance that backs everything.
func TestCanMintOverflow(t *testing.T) {
	c := contract(t, "JPY", 0, "1")
	last := &Reading{Balance: money.Max, BankTime: attestedAt, AttestedAt: attestedAt}
	if rej := CanMint(c, money.Max, money.FromUint64(1), last, attestedAt); rej == nil || rej.Code != ledger.CodeAmountOverflow {
		t.Fatalf("CanMint(Max + 1) = %v, want AMOUNT_OVERFLOW", rej)
	}
	if rej := CanMint(c, money.Amount{}, money.Max, last, attestedAt); rej != nil {
		t.Fatalf("CanMint(0 + Max) against Max = %v, want nil", rej)
	}
}

// TestRequiredMatchesEvaluate: Required is the least balance that keeps a
// supply OK, rounded up; a minor unit less is AT_RISK.
func TestRequiredMatchesEvaluate(t *testing.T) {
	for _, tc := range []struct {
		currency string
		decimals uint8
		ratio    string
		supplies []string
		required []string // in the currency's units, for each supply
	}{
		{"GBP", 0, "1", []string{"1", "1000"}, []string{"1", "1000"}},
		{"GBP", 2, "0.5", []string{"0.01", "500", "500.01"}, []string{"0.02", "1000", "1000.02"}},
		{"GBP", 0, "3", []string{"1", "10", "31"}, []string{"0.34", "3.34", "10.34"}},
		{"GBP", 6, "1", []string{"0.000001", "1.000001"}, []string{"0.01", "1.01"}},
		{"JPY", 6, "1", []string{"0.5", "5"}, []string{"1", "5"}},
		{"BHD", 0, "1", []string{"1"}, []string{"1"}},
		{"BHD", 18, "1.000000000000000001", []string{"1"}, []string{"1"}},
		{"USD", 0, "1000", []string{"1", "1001"}, []string{"0.01", "1.01"}},
	} {
		c := contract(t, tc.currency, tc.decimals, tc.ratio)
		digits := c.Fiat.Currency.Digits
		for i, s := range tc.supplies {
			supply := amount(t, s, tc.decimals)
			req := Required(c, supply)
			if want := amount(t, tc.required[i], digits); req != want {
				t.Errorf("%s at %d decimals, ratio %s: Required(%s) = %s, want %s",
					tc.currency, tc.decimals, tc.ratio, s, req.Format(digits), tc.required[i])
			}
			if got := Evaluate(c, supply, &Reading{Balance: req, BankTime: attestedAt, AttestedAt: attestedAt}, attestedAt); got != OK {
				t.Errorf("%s ratio %s: supply %s against Required %s = %s, want OK", tc.currency, tc.ratio, s, req.Format(digits), got)
			}
			less, _ := req.Sub(money.FromUint64(1))
			if got := Evaluate(c, supply, &Reading{Balance: less, BankTime: attestedAt, AttestedAt: attestedAt}, attestedAt); got != AtRisk {
				t.Errorf("%s ratio %s: supply %s against Required - 1 = %s = %s, want AT_RISK", tc.currency, tc.ratio, s, less.Format(digits), got)
			}
		}
	}
}
