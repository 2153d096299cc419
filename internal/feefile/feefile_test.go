package feefile

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/fee"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

var operator = ledger.NewAddress("GB", make([]byte, 32))

// resolve knows one key, operator.
func resolve(s string) (ledger.Address, error) {
	if s == "operator" {
		return operator, nil
	}
	return ledger.Address{}, errors.New("no key " + s)
}

// twoDecimals knows one token, gbpt.
func twoDecimals(id ledger.TokenID) (uint8, error) {
	if id == "gbpt" {
		return 2, nil
	}
	return 0, errors.New("no such token")
}

func cents(n uint64) money.Amount { return money.FromUint64(n) }

func TestParseExample(t *testing.T) {
	b, err := os.ReadFile("../../examples/fees.toml")
	if err != nil {
		t.Fatal(err)
	}
	p, s, err := Parse(b, resolve, twoDecimals)
	if err != nil {
		t.Fatal(err)
	}
	wantP := fee.Policy{
		Token: "gbpt", Revenue: operator, LowBalance: cents(100), MaxGrants: 8,
		Tiers: []fee.Tier{
			{MinDeposit: cents(100), Validity: time.Hour},
			{MinDeposit: cents(10000), Validity: 720 * time.Hour},
			{MinDeposit: cents(100000), Validity: 2160 * time.Hour},
		},
	}
	wantS := fee.Schedule{ // in kind order, as the ledger requires
		{Kind: "approve", Fixed: cents(1)},
		{Kind: "pay", Fixed: cents(2), PerOutput: cents(1)},
		{Kind: "redeem", Fixed: cents(10)},
		{Kind: "spend_from", Fixed: cents(2)},
	}
	if !reflect.DeepEqual(p, wantP) {
		t.Errorf("policy = %+v\nwant %+v", p, wantP)
	}
	if !reflect.DeepEqual(s, wantS) {
		t.Errorf("schedule = %+v\nwant %+v", s, wantS)
	}
	if err := p.Validate(); err != nil {
		t.Errorf("the example's policy: %v", err)
	}
}

const minimal = `
[policy]
token = "gbpt"
revenue = "operator"
low_balance = "1"
max_grants = 1
[[policy.tiers]]
min_deposit = "1"
validity = "1h"
`

func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		want       []string // every one in the error
	}{
		{"unknown field", minimal + "\n[schedule]\npay = { fixed = \"1\", per_ouput = \"1\" }", []string{"unknown field", "per_ouput"}},
		{"unknown section", minimal + "\n[fees]\npay = \"1\"", []string{"unknown field", "fees"}},
		{"wrong type", strings.Replace(minimal, `max_grants = 1`, `max_grants = "1"`, 1), []string{"max_grants"}},
		{"negative max_grants", strings.Replace(minimal, `max_grants = 1`, `max_grants = -1`, 1), []string{"max_grants"}},
		{"no token", strings.Replace(minimal, `token = "gbpt"`, ``, 1), []string{"policy.token"}},
		{"unknown token", strings.Replace(minimal, `token = "gbpt"`, `token = "euro"`, 1), []string{"policy.token euro: no such token"}},
		{"every problem at once", strings.NewReplacer(`revenue = "operator"`, `revenue = "treasury"`,
			`low_balance = "1"`, `low_balance = "0.001"`, `validity = "1h"`, `validity = "1.5s"`).Replace(minimal),
			[]string{"policy.revenue: no key treasury", "policy.low_balance: \"0.001\"", "policy.tiers[0].validity: 1.5s"}},
		{"missing amounts and validity", strings.NewReplacer(`low_balance = "1"`, ``, `min_deposit = "1"`, ``, `validity = "1h"`, ``).Replace(minimal),
			[]string{"policy.low_balance: missing", "policy.tiers[0].min_deposit: missing", "policy.tiers[0].validity: missing"}},
		{"no revenue", strings.Replace(minimal, `revenue = "operator"`, ``, 1), []string{"policy.revenue: missing"}},
		{"bad fee", minimal + "\n[schedule]\npay = { fixed = \"1.234\" }", []string{"schedule.pay.fixed"}},
		{"too large", minimal + "#" + strings.Repeat("x", MaxFileSize), []string{"limit"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Parse([]byte(tc.file), resolve, twoDecimals)
			if err == nil {
				t.Fatal("Parse accepted the file")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestParseFreeSchedule: a file without a schedule sets a policy under which
// every kind is free.
func TestParseFreeSchedule(t *testing.T) {
	p, s, err := Parse([]byte(minimal), resolve, twoDecimals)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 0 || p.Revenue != operator || p.Tiers[0].Validity != time.Hour {
		t.Errorf("policy %+v, schedule %+v", p, s)
	}
}
