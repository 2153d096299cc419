package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/fee"
	"github.com/pegledger/peg/internal/money"
)

// feeAccountOf reads a fee account through `peg fee account ADDR -o json`.
func feeAccountOf(t *testing.T, home, who string) client.FeeAccount {
	t.Helper()
	var a client.FeeAccount
	if err := json.Unmarshal([]byte(mustPeg(t, home, "fee", "account", who, "-o", "json")), &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// feesOf reads the fees through `peg fee schedule -o json`.
func feesOf(t *testing.T, home string) client.Fees {
	t.Helper()
	var f client.Fees
	if err := json.Unmarshal([]byte(mustPeg(t, home, "fee", "schedule", "-o", "json")), &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// depositFees deposits amount GBPT into who's fee account, as the
// walkthrough does, and waits until the latest block has released at least
// need hundredths of it, so that transactions costing that much pass.
func depositFees(t *testing.T, home, who, amount string, need uint64) {
	t.Helper()
	mustPeg(t, home, "fee", "deposit", "--from", who, "--amount", amount)
	want := money.FromUint64(need)
	eventually(t, 60*time.Second, fmt.Sprintf("%s's fee account releasing %s hundredths", who, want), func() bool {
		return feeAccountOf(t, home, who).Available.Units.Cmp(want) >= 0
	})
}

// TestFeeEndToEnd runs fees against a real `peg up`, whose genesis sets
// examples/fees.toml: the policy shown before its fee token is deployed and
// after; alice's payment refused for want of a fee account; a deposit,
// released until the payment's fee is available, and the payment charged to
// it, in her account, in her history and in the books.
func TestFeeEndToEnd(t *testing.T) {
	home := t.TempDir()
	up := startUp(t, home, freeBasePort(t))
	defer up.stop(t)

	// Before gbpt is deployed the policy is there, in its minor units.
	if out := mustPeg(t, home, "fee", "schedule"); !strings.Contains(out, "paid in gbpt, which is not deployed yet") ||
		!strings.Contains(out, "100000 units") {
		t.Errorf("fee schedule before the fee token is deployed:\n%s", out)
	}
	if f := feesOf(t, home); !f.Enabled || !f.TokenPending || f.Books != nil || f.Policy.Token != "gbpt" || f.Policy.Decimals != 0 {
		t.Errorf("fees before the fee token is deployed = %+v", f)
	}
	mustPeg(t, home, "token", "deploy", "--from", "issuer", "--file", "../../examples/gbpt.toml")
	mustPeg(t, home, "reserve", "status", "gbpt", "--wait", "OK", "--timeout", "30s")
	mustPeg(t, home, "token", "mint", "--from", "minter", "--token", "gbpt", "--to", "alice", "--amount", "1000")

	f := feesOf(t, home)
	if !f.Enabled || f.TokenPending || f.Policy.Token != "gbpt" || len(f.Policy.Tiers) != 3 || f.Policy.Tiers[0].Validity.Text != "1h0m0s" ||
		f.Policy.Tiers[2].Validity.Text != "2160h0m0s" || f.Policy.Tiers[2].MinDeposit.Amount != "1000" ||
		f.Policy.LowBalance.Amount != "1" || f.Policy.MaxGrants != 8 || len(f.Schedule) != 4 || f.Schedule[1].Kind != "pay" ||
		f.Schedule[1].Fixed.Amount != "0.02" || f.Schedule[1].PerOutput.Amount != "0.01" {
		t.Errorf("fees of peg up's genesis = %+v", f)
	}
	out := mustPeg(t, home, "fee", "schedule")
	for _, want := range []string{"revenue", "0.02 GBPT", "0.01 GBPT", "1000.00 GBPT", "2160h0m0s", "spend_from", "held"} {
		if !strings.Contains(out, want) {
			t.Errorf("fee schedule lacks %q:\n%s", want, out)
		}
	}

	code, _, errs := peg(t, home, "pay", "--from", "alice", "--token", "gbpt", "--to", "bob", "--amount", "1")
	if code != exitRejected || !strings.Contains(errs, "FEE_NO_ACCOUNT") {
		t.Errorf("pay without a fee account: exit %d, stderr %q; want FEE_NO_ACCOUNT", code, errs)
	}
	code, _, errs = peg(t, home, "fee", "account", "alice")
	if code != exitFailure || !strings.Contains(errs, "no fee account") {
		t.Errorf("fee account before a deposit: exit %d, stderr %q; want exit 1 saying there is none", code, errs)
	}
	if code, _, _ = peg(t, home, "fee", "account"); code != exitUsage {
		t.Errorf("fee account without an account: exit %d, want %d", code, exitUsage)
	}

	// A file with a typo is the command line's fault (exit 2); a fee token
	// the node does not know is the node's answer (exit 1).
	b, err := os.ReadFile("../../examples/fees.toml")
	if err != nil {
		t.Fatal(err)
	}
	variant := func(name string, oldnew ...string) string { // examples/fees.toml with replacements
		path := filepath.Join(home, name)
		if err := os.WriteFile(path, []byte(strings.NewReplacer(oldnew...).Replace(string(b))), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	code, _, errs = peg(t, home, "fee", "set", "--from", "operator", "--file", variant("typo.toml", "per_output", "per_ouput"))
	if code != exitUsage || !strings.Contains(errs, "per_ouput") {
		t.Errorf("fee set with an unknown field: exit %d, stderr %q; want exit 2 naming it", code, errs)
	}
	code, _, errs = peg(t, home, "fee", "set", "--from", "operator", "--file", variant("euro.toml", `token = "gbpt"`, `token = "euro"`))
	if code != exitFailure || !strings.Contains(errs, "UNKNOWN_TOKEN") {
		t.Errorf("fee set in an unknown token: exit %d, stderr %q; want exit 1, UNKNOWN_TOKEN", code, errs)
	}
	out = mustPeg(t, home, "fee", "set", "--from", "operator", "--file", "../../examples/fees.toml")
	if !strings.Contains(out, "paid in GBPT") || !strings.Contains(out, "3 deposit tier(s), 4 kind(s) priced") {
		t.Errorf("fee set output:\n%s", out)
	}

	// 50 GBPT earn the first tier, an hour: 0.01 released every 0.72 s.
	deposited := mustPeg(t, home, "fee", "deposit", "--from", "alice", "--amount", "50")
	a := feeAccountOf(t, home, "alice")
	if len(a.Grants) != 1 {
		t.Fatalf("fee account after the deposit = %+v, want one grant", a)
	}
	window := "from " + a.Grants[0].Start.Format(time.RFC3339) + " to " + a.Grants[0].End.Format(time.RFC3339)
	if !strings.Contains(deposited, "deposited 50.00 GBPT") || !strings.Contains(deposited, window) ||
		!strings.Contains(deposited, "change 950.00 GBPT") {
		t.Errorf("fee deposit output lacks the amount, the window (%s) or the change:\n%s", window, deposited)
	}
	if a.Grants[0].Amount.Amount != "50" || a.Deposited.Amount != "50" || a.Spent.Amount != "0" ||
		a.Grants[0].End.Sub(a.Grants[0].Start) != time.Hour || a.Status == "" || a.Status == fee.Expired {
		t.Errorf("fee account after the deposit = %+v, want one live grant of 50 over an hour", a)
	}
	out = mustPeg(t, home, "fee", "account", "alice")
	for _, want := range []string{"status", "available", "50.00", "DEPOSIT TX", "next release"} {
		if !strings.Contains(out, want) {
			t.Errorf("fee account lacks %q:\n%s", want, out)
		}
	}

	payFee := money.FromUint64(4) // 0.02 + 2 outputs × 0.01, in hundredths
	eventually(t, 60*time.Second, "0.04 GBPT available", func() bool {
		return feeAccountOf(t, home, "alice").Available.Units.Cmp(payFee) >= 0
	})
	if out := mustPeg(t, home, "pay", "--from", "alice", "--token", "gbpt", "--to", "bob", "--amount", "1"); !strings.Contains(out, "  fee     0.04 GBPT") {
		t.Errorf("pay output does not show the fee charged:\n%s", out)
	}
	a = feeAccountOf(t, home, "alice")
	if a.Spent.Amount != "0.04" || a.Grants[0].Spent.Amount != "0.04" || a.Unspent.Amount != "49.96" {
		t.Errorf("fee account after the payment = %+v, want 0.04 spent", a)
	}
	if f = feesOf(t, home); f.Books.Deposited.Amount != "50" || f.Books.Spent.Amount != "0.04" || f.Books.Held.Amount != "49.96" {
		t.Errorf("books after the payment = %+v, want 0.04 spent of 50", f.Books)
	}

	// The history: the payment's fee, then the deposit, a page at a time.
	var h client.FeeHistory
	if err := json.Unmarshal([]byte(mustPeg(t, home, "fee", "history", "alice", "-o", "json")), &h); err != nil {
		t.Fatal(err)
	}
	if len(h.Entries) != 2 || h.Entries[0].Kind != "pay" || h.Entries[0].Charged.Amount != "0.04" ||
		h.Entries[1].Kind != "fee_deposit" || h.Entries[1].Deposited.Amount != "50" || h.Entries[1].TxID != a.Grants[0].Deposit || h.Next != "" {
		t.Errorf("fee history = %+v, want the payment's 0.04 and the deposit of 50", h)
	}
	out = mustPeg(t, home, "fee", "history", "alice", "--limit", "1")
	more := regexp.MustCompile(`peg fee history alice --before ([0-9a-f]+)`).FindStringSubmatch(out)
	if !strings.Contains(out, "CHARGED") || !strings.Contains(out, "pay") || more == nil {
		t.Fatalf("fee history --limit 1 lacks the payment or the next page's command:\n%s", out)
	}
	if out = mustPeg(t, home, "fee", "history", "alice", "--limit", "1", "--before", more[1]); !strings.Contains(out, "fee_deposit") ||
		strings.Contains(out, "--before") {
		t.Errorf("fee history's second page lacks the deposit, or offers a third:\n%s", out)
	}

	// The revenue account, operator's in examples/fees.toml, collects the
	// fee; alice may not, nor may anyone collect more.
	if code, _, errs := peg(t, home, "fee", "collect", "--from", "alice"); code != exitRejected || !strings.Contains(errs, "UNAUTHORIZED") {
		t.Errorf("fee collect by alice: exit %d, stderr %q; want UNAUTHORIZED", code, errs)
	}
	if code, _, errs := peg(t, home, "fee", "collect", "--from", "operator", "--amount", "0.05"); code != exitRejected || !strings.Contains(errs, "FEE_UNCOLLECTABLE") {
		t.Errorf("fee collect of 0.05: exit %d, stderr %q; want FEE_UNCOLLECTABLE", code, errs)
	}
	out = mustPeg(t, home, "fee", "collect", "--from", "operator")
	if !strings.Contains(out, "collected 0.04 GBPT of fees") || !strings.Contains(out, "49.96 GBPT back to the fee contract") {
		t.Errorf("fee collect output:\n%s", out)
	}
	if f = feesOf(t, home); f.Books.Collected.Amount != "0.04" || f.Books.Collectable.Amount != "0" {
		t.Errorf("books after the collection = %+v, want 0.04 collected", f.Books)
	}
}
