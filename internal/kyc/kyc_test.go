package kyc

import (
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/cert"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

func amt(v uint64) money.Amount { return money.FromUint64(v) }

func units(a money.Amount) string { return a.String() }

var tiers = Tiers{
	{PerPayment: Cap(amt(0)), PerDay: Cap(amt(0)), Balance: Cap(amt(0))},
	{PerPayment: Cap(amt(100)), PerDay: Cap(amt(250)), Balance: Cap(amt(1000))},
	{PerPayment: Unlimited, PerDay: Unlimited, Balance: Unlimited},
}

func TestLevelsMatchCertificates(t *testing.T) {
	if MaxLevels != cert.MaxLevel+1 {
		t.Fatalf("MaxLevels %d, want cert.MaxLevel+1 = %d: every level a certificate states has a tier", MaxLevels, cert.MaxLevel+1)
	}
}

func TestValidate(t *testing.T) {
	if err := tiers.Validate(); err != nil {
		t.Fatal(err)
	}
	many := make(Tiers, MaxLevels+1)
	for _, tc := range []struct {
		name string
		ts   Tiers
		want string
	}{
		{"none", Tiers{}, "levels"},
		{"too many", many, "levels"},
		{"a higher level allows less", Tiers{tiers[1], tiers[0]}, "level 1 allows less"},
		{"a cap above unlimited", Tiers{tiers[2], tiers[1]}, "level 1 allows less"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.ts.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestAt(t *testing.T) {
	if got := tiers.At(1); got != tiers[1] {
		t.Fatalf("level 1: %+v", got)
	}
	if got := tiers.At(cert.MaxLevel); got != tiers[2] {
		t.Fatalf("a level above the top: %+v, want the top tier", got)
	}
}

func TestDay(t *testing.T) {
	mid := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	if Day(mid) != Day(mid.Add(24*time.Hour-time.Nanosecond)) || Day(mid) == Day(mid.Add(-time.Nanosecond)) {
		t.Fatal("a day runs from midnight to midnight UTC")
	}
	if Day(time.Unix(-1, 0)) != -1 {
		t.Fatalf("the second before the epoch is day %d, want -1", Day(time.Unix(-1, 0)))
	}
}

func TestCheckPayment(t *testing.T) {
	for _, tc := range []struct {
		name   string
		level  uint8
		u      Usage
		amount uint64
		code   ledger.Code
		msg    string
	}{
		{"within", 1, Usage{Day: 5, Paid: amt(100)}, 100, ledger.OK, ""},
		{"anonymous pays nothing", 0, Usage{}, 1, ledger.CodeKYCPaymentLimit, "limit of 0 by 1"},
		{"per payment", 1, Usage{}, 101, ledger.CodeKYCPaymentLimit, "limit of 100 by 1"},
		{"per day", 1, Usage{Day: 5, Paid: amt(200)}, 60, ledger.CodeKYCDailyLimit, "limit of 250 by 10"},
		{"yesterday's payments do not count", 1, Usage{Day: 4, Paid: amt(250)}, 100, ledger.OK, ""},
		{"unlimited", 2, Usage{Day: 5, Paid: amt(1 << 40)}, 1 << 40, ledger.OK, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rej := CheckPayment(tiers.At(tc.level), tc.level, tc.u, 5, amt(tc.amount), units)
			if tc.code == ledger.OK {
				if rej != nil {
					t.Fatalf("refused: %s", rej)
				}
				return
			}
			if rej == nil || rej.Code != tc.code || !strings.Contains(rej.Message, tc.msg) {
				t.Fatalf("got %v, want %s %q", rej, tc.code.Name(), tc.msg)
			}
		})
	}
}

func TestPaying(t *testing.T) {
	u := Usage{Held: amt(7), Day: 4, Paid: amt(90)}
	u = u.Paying(5, amt(30))
	if u.Day != 5 || u.Paid != amt(30) || u.Held != amt(7) {
		t.Fatalf("a new day: %+v, want paid 30 on day 5", u)
	}
	if u = u.Paying(5, amt(20)); u.Paid != amt(50) {
		t.Fatalf("the same day: %+v, want paid 50", u)
	}
}

func TestCheckReceipt(t *testing.T) {
	if rej := CheckReceipt(tiers[1], 1, Usage{Held: amt(900)}, amt(100), units); rej != nil {
		t.Fatalf("up to the limit: %s", rej)
	}
	rej := CheckReceipt(tiers[1], 1, Usage{Held: amt(900)}, amt(150), units)
	if rej == nil || rej.Code != ledger.CodeKYCBalanceLimit || !strings.Contains(rej.Message, "limit of 1000 by 50") {
		t.Fatalf("got %v, want KYC_BALANCE_LIMIT by 50", rej)
	}
	if rej := CheckReceipt(tiers[2], 2, Usage{Held: amt(1 << 60)}, amt(1<<60), units); rej != nil {
		t.Fatalf("unlimited: %s", rej)
	}
}

// TestCheckRefund: a refund is held to the balance limit alone, under its own
// code; a day's payments used up and a refund above the per-payment limit
// do not refuse it.
func TestCheckRefund(t *testing.T) {
	spent := Usage{Held: amt(500), Day: 3, Paid: amt(250)}
	if rej := CheckRefund(tiers[1], 1, spent, amt(500), units); rej != nil {
		t.Fatalf("up to the balance limit, past the per-payment and daily limits: %s", rej)
	}
	rej := CheckRefund(tiers[1], 1, spent, amt(501), units)
	if rej == nil || rej.Code != ledger.CodeKYCRefundLimit || !strings.Contains(rej.Message, "getting back 501 passes level 1's balance limit of 1000 by 1") {
		t.Fatalf("got %v, want KYC_REFUND_LIMIT by 1", rej)
	}
	if rej := CheckRefund(tiers[0], 0, Usage{}, amt(1), units); rej == nil || rej.Code != ledger.CodeKYCRefundLimit {
		t.Fatalf("a zero cap: got %v, want KYC_REFUND_LIMIT", rej)
	}
	if rej := CheckRefund(tiers[2], 2, Usage{Held: amt(1 << 60)}, amt(1<<60), units); rej != nil {
		t.Fatalf("unlimited: %s", rej)
	}
}
