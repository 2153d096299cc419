package fee

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

// units parses minor units, failing the test on a malformed literal.
func units(t testing.TB, s string) money.Amount {
	t.Helper()
	a, err := money.ParseUnits(s)
	if err != nil {
		t.Fatalf("units(%q): %v", s, err)
	}
	return a
}

const testMaxOutputs = 16

// knownKind stands for the state machine's list of transaction kinds: the
// real ones a schedule names in these tests, the free ones, and generated
// "kind-NN" names for schedules of many entries.
func knownKind(kind string) bool {
	switch kind {
	case "burn", "mint", "pay", "redeem", "freeze":
		return true
	}
	return strings.HasPrefix(kind, "kind-") || slices.Contains(Free, kind)
}

// manyKinds is a schedule of n distinct known kinds in strict order.
func manyKinds(n int) Schedule {
	s := make(Schedule, n)
	for i := range s {
		s[i] = Fee{Kind: fmt.Sprintf("kind-%03d", i), Fixed: money.FromUint64(1)}
	}
	return s
}

func TestScheduleValidate(t *testing.T) {
	maxPer, _ := money.Max.QuoRem(money.FromUint64(testMaxOutputs))
	overPer, _ := maxPer.Add(money.FromUint64(1))
	perTotal, _ := maxPer.Mul64(testMaxOutputs)
	fixedRoom, _ := money.Max.Sub(perTotal) // the most Fixed that still fits beside maxPer per output
	fixedOver, _ := fixedRoom.Add(money.FromUint64(1))
	for _, tc := range []struct {
		name    string
		s       Schedule
		wantErr string // a part of the error; empty for a valid schedule
	}{
		{"empty", nil, ""},
		{"valid", Schedule{
			{Kind: "mint", Fixed: money.FromUint64(100), PerOutput: money.FromUint64(10)},
			{Kind: "pay", Fixed: money.FromUint64(5)},
			{Kind: "redeem"},
		}, ""},
		{"as many entries as allowed", manyKinds(MaxScheduleEntries), ""},
		{"too many entries", manyKinds(MaxScheduleEntries + 1), "65 entries, at most 64"},
		{"unknown kind", Schedule{{Kind: "pay"}, {Kind: "teleport"}}, `"teleport", which is no transaction kind`},
		{"empty kind", Schedule{{Kind: ""}}, `"", which is no transaction kind`},
		{"free kind", Schedule{{Kind: "fee_deposit", Fixed: money.FromUint64(1)}}, "fee_deposit is free"},
		{"out of order", Schedule{{Kind: "pay"}, {Kind: "mint"}}, `not in strict order at "mint"`},
		{"duplicate", Schedule{{Kind: "mint"}, {Kind: "pay"}, {Kind: "pay"}}, `not in strict order at "pay"`},
		{"per output fills the amount", Schedule{{Kind: "mint", Fixed: fixedRoom, PerOutput: maxPer}}, ""},
		{"per output overflows", Schedule{{Kind: "mint", PerOutput: overPer}}, "the fee of mint overflows with 16 outputs"},
		{"fixed overflows beside per output", Schedule{{Kind: "mint", Fixed: fixedOver, PerOutput: maxPer}}, "the fee of mint overflows with 16 outputs"},
		{"fixed at max", Schedule{{Kind: "pay", Fixed: money.Max}}, ""},
		{"fixed at max with per output", Schedule{{Kind: "pay", Fixed: money.Max, PerOutput: money.FromUint64(1)}}, "the fee of pay overflows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.s.Validate(knownKind, testMaxOutputs)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tc.wantErr != "" && err == nil:
				t.Fatalf("Validate() = nil, want an error containing %q", tc.wantErr)
			case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
				t.Fatalf("Validate() = %q, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

// TestScheduleRefusesEveryFreeKind: no free kind may carry a fee, even a zero one.
func TestScheduleRefusesEveryFreeKind(t *testing.T) {
	for _, kind := range Free {
		t.Run(kind, func(t *testing.T) {
			err := Schedule{{Kind: kind}}.Validate(knownKind, testMaxOutputs)
			if err == nil || !strings.Contains(err.Error(), kind+" is free") {
				t.Fatalf("Validate() = %v, want %s refused as free", err, kind)
			}
		})
	}
}

func TestScheduleOf(t *testing.T) {
	s := Schedule{
		{Kind: "burn", Fixed: money.FromUint64(7)},
		{Kind: "mint", Fixed: money.FromUint64(100), PerOutput: money.FromUint64(10)},
		{Kind: "pay", Fixed: money.FromUint64(5), PerOutput: money.FromUint64(2)},
		{Kind: "redeem", PerOutput: money.Max},
	}
	if err := s.Validate(knownKind, 1); err != nil {
		t.Fatalf("Validate() = %v, want nil", err)
	}
	for _, tc := range []struct {
		name    string
		kind    string
		outputs int
		want    money.Amount
		wantOK  bool
	}{
		{"listed, no outputs", "mint", 0, money.FromUint64(100), true},
		{"listed, per output", "mint", 3, money.FromUint64(130), true},
		{"listed, other entry", "pay", 2, money.FromUint64(9), true},
		{"first entry", "burn", 4, money.FromUint64(7), true},
		{"negative outputs count as none", "mint", -5, money.FromUint64(100), true},
		{"unlisted kind is free", "freeze", 3, money.Amount{}, true},
		{"free kind is free", "fee_deposit", 1, money.Amount{}, true},
		{"unknown kind is free", "teleport", 0, money.Amount{}, true},
		{"per output at the validated bound", "redeem", 1, money.Max, true},
		{"per output beyond the validated bound overflows", "redeem", 2, money.Amount{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := s.Of(tc.kind, tc.outputs)
			if got != tc.want || ok != tc.wantOK {
				t.Fatalf("Of(%q, %d) = %s, %t, want %s, %t", tc.kind, tc.outputs, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func testRevenue() ledger.Address {
	return ledger.AddressOf("GB", [ledger.KeyHashSize]byte{1, 2, 3})
}

func validPolicy() Policy {
	return Policy{
		Token:   "usdp",
		Revenue: testRevenue(),
		Tiers: []Tier{
			{MinDeposit: money.FromUint64(100), Validity: 24 * time.Hour},
			{MinDeposit: money.FromUint64(1_000), Validity: 30 * 24 * time.Hour},
			{MinDeposit: money.FromUint64(10_000), Validity: 365 * 24 * time.Hour},
		},
		LowBalance: money.FromUint64(50),
		MaxGrants:  8,
	}
}

func TestPolicyValidate(t *testing.T) {
	manyTiers := func(n int) []Tier {
		tiers := make([]Tier, n)
		for i := range tiers {
			tiers[i] = Tier{MinDeposit: money.FromUint64(uint64(i + 1)), Validity: MinValidity}
		}
		return tiers
	}
	for _, tc := range []struct {
		name    string
		edit    func(p *Policy)
		wantErr string // a part of the error; empty for a valid policy
	}{
		{"valid", func(p *Policy) {}, ""},
		{"one tier", func(p *Policy) { p.Tiers = p.Tiers[:1] }, ""},
		{"as many tiers as allowed", func(p *Policy) { p.Tiers = manyTiers(MaxTiers) }, ""},
		{"shortest and longest validity", func(p *Policy) { p.Tiers[0].Validity, p.Tiers[2].Validity = MinValidity, MaxValidity }, ""},
		{"one grant", func(p *Policy) { p.MaxGrants = 1 }, ""},
		{"as many grants as allowed", func(p *Policy) { p.MaxGrants = MaxGrantsLimit }, ""},
		{"zero low balance", func(p *Policy) { p.LowBalance = money.Amount{} }, ""},
		{"no token", func(p *Policy) { p.Token = "" }, "no fee token"},
		{"no revenue account", func(p *Policy) { p.Revenue = ledger.Address{} }, "no revenue account"},
		{"no tiers", func(p *Policy) { p.Tiers = nil }, "0 tiers, want 1 to 16"},
		{"too many tiers", func(p *Policy) { p.Tiers = manyTiers(MaxTiers + 1) }, "17 tiers, want 1 to 16"},
		{"first tier minimum zero", func(p *Policy) { p.Tiers[0].MinDeposit = money.Amount{} }, "first tier's minimum deposit must be above zero"},
		{"no grants", func(p *Policy) { p.MaxGrants = 0 }, "max_grants 0, want 1 to 64"},
		{"negative grants", func(p *Policy) { p.MaxGrants = -1 }, "max_grants -1, want 1 to 64"},
		{"too many grants", func(p *Policy) { p.MaxGrants = MaxGrantsLimit + 1 }, "max_grants 65, want 1 to 64"},
		{"validity too short", func(p *Policy) { p.Tiers[1].Validity = MinValidity - 1 }, "tier 1's validity 59m59.999999999s is outside"},
		{"validity zero", func(p *Policy) { p.Tiers[0].Validity = 0 }, "tier 0's validity 0s is outside"},
		{"validity too long", func(p *Policy) { p.Tiers[2].Validity = MaxValidity + 1 }, "tier 2's validity"},
		{"equal minimums", func(p *Policy) { p.Tiers[2].MinDeposit = p.Tiers[1].MinDeposit }, "tier 2's minimum deposit is not above tier 1's"},
		{"decreasing minimums", func(p *Policy) { p.Tiers[1].MinDeposit = money.FromUint64(99) }, "tier 1's minimum deposit is not above tier 0's"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := validPolicy()
			tc.edit(&p)
			err := p.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tc.wantErr != "" && err == nil:
				t.Fatalf("Validate() = nil, want an error containing %q", tc.wantErr)
			case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
				t.Fatalf("Validate() = %q, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestPolicyValidity(t *testing.T) {
	p := validPolicy()
	if err := p.Validate(); err != nil {
		t.Fatalf("Validate() = %v, want nil", err)
	}
	for _, tc := range []struct {
		name   string
		amount money.Amount
		want   time.Duration
		wantOK bool
	}{
		{"zero", money.Amount{}, 0, false},
		{"just below the first tier", money.FromUint64(99), 0, false},
		{"at the first tier", money.FromUint64(100), 24 * time.Hour, true},
		{"between the first and second tiers", money.FromUint64(999), 24 * time.Hour, true},
		{"at the second tier", money.FromUint64(1_000), 30 * 24 * time.Hour, true},
		{"just below the last tier", money.FromUint64(9_999), 30 * 24 * time.Hour, true},
		{"at the last tier", money.FromUint64(10_000), 365 * 24 * time.Hour, true},
		{"above the last tier", money.FromUint64(10_001), 365 * 24 * time.Hour, true},
		{"largest amount", money.Max, 365 * 24 * time.Hour, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := p.Validity(tc.amount)
			if got != tc.want || ok != tc.wantOK {
				t.Fatalf("Validity(%s) = %s, %t, want %s, %t", tc.amount, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}
