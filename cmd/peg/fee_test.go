package main

import (
	"encoding/json"
	"os"
	"path/filepath"
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

// TestFeeEndToEnd runs fees against a real `peg up`: none at first, then
// examples/fees.toml set by the operator; alice's payment refused for want
// of a fee account; a deposit, released until the payment's fee is
// available, and the payment charged to it, in her account and in the books.
func TestFeeEndToEnd(t *testing.T) {
	home := t.TempDir()
	up := startUp(t, home, freeBasePort(t))
	defer up.stop(t)
	mustPeg(t, home, "token", "deploy", "--from", "issuer", "--file", "../../examples/gbpt.toml")
	mustPeg(t, home, "reserve", "status", "gbpt", "--wait", "OK", "--timeout", "30s")
	mustPeg(t, home, "token", "mint", "--from", "minter", "--token", "gbpt", "--to", "alice", "--amount", "1000")

	// peg up's genesis sets no fees: nothing is charged, nothing deposited.
	if out := mustPeg(t, home, "fee", "schedule"); !strings.Contains(out, "no fee policy is set") {
		t.Errorf("fee schedule without a policy:\n%s", out)
	}
	code, _, errs := peg(t, home, "fee", "deposit", "--from", "alice", "--amount", "10")
	if code != exitRejected || !strings.Contains(errs, "FEE_NOT_ENABLED") {
		t.Errorf("deposit without a policy: exit %d, stderr %q; want FEE_NOT_ENABLED", code, errs)
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

	out := mustPeg(t, home, "fee", "set", "--from", "operator", "--file", "../../examples/fees.toml")
	if !strings.Contains(out, "paid in GBPT") || !strings.Contains(out, "3 deposit tier(s), 4 kind(s) priced") {
		t.Errorf("fee set output:\n%s", out)
	}
	f := feesOf(t, home)
	if !f.Enabled || f.Policy.Token != "gbpt" || len(f.Policy.Tiers) != 3 || f.Policy.Tiers[2].Validity.Text != "2160h0m0s" ||
		f.Policy.LowBalance.Amount != "1" || f.Policy.MaxGrants != 8 || len(f.Schedule) != 4 || f.Schedule[1].Kind != "pay" ||
		f.Schedule[1].Fixed.Amount != "0.02" || f.Schedule[1].PerOutput.Amount != "0.01" {
		t.Errorf("fees after setting examples/fees.toml = %+v", f)
	}
	out = mustPeg(t, home, "fee", "schedule")
	for _, want := range []string{"revenue", "0.02 GBPT", "0.01 GBPT", "100.00 GBPT", "2160h0m0s", "spend_from", "held"} {
		if !strings.Contains(out, want) {
			t.Errorf("fee schedule lacks %q:\n%s", want, out)
		}
	}

	code, _, errs = peg(t, home, "pay", "--from", "alice", "--token", "gbpt", "--to", "bob", "--amount", "1")
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

	// The same policy with every tier an hour long, so that the release is
	// quick to watch: 100 GBPT releases 0.01 every 0.36 s.
	mustPeg(t, home, "fee", "set", "--from", "operator", "--file",
		variant("hourly.toml", `validity = "720h"`, `validity = "1h"`, `validity = "2160h"`, `validity = "1h"`))

	deposited := mustPeg(t, home, "fee", "deposit", "--from", "alice", "--amount", "100")
	a := feeAccountOf(t, home, "alice")
	if len(a.Grants) != 1 {
		t.Fatalf("fee account after the deposit = %+v, want one grant", a)
	}
	window := "from " + a.Grants[0].Start.Format(time.RFC3339) + " to " + a.Grants[0].End.Format(time.RFC3339)
	if !strings.Contains(deposited, "deposited 100.00 GBPT") || !strings.Contains(deposited, window) ||
		!strings.Contains(deposited, "change 900.00 GBPT") {
		t.Errorf("fee deposit output lacks the amount, the window (%s) or the change:\n%s", window, deposited)
	}
	if a.Grants[0].Amount.Amount != "100" || a.Deposited.Amount != "100" || a.Spent.Amount != "0" ||
		a.Grants[0].End.Sub(a.Grants[0].Start) != time.Hour || a.Status == "" || a.Status == fee.Expired {
		t.Errorf("fee account after the deposit = %+v, want one live grant of 100 over an hour", a)
	}
	out = mustPeg(t, home, "fee", "account", "alice")
	for _, want := range []string{"status", "available", "100.00", "DEPOSIT TX", "next release"} {
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
	if a.Spent.Amount != "0.04" || a.Grants[0].Spent.Amount != "0.04" || a.Unspent.Amount != "99.96" {
		t.Errorf("fee account after the payment = %+v, want 0.04 spent", a)
	}
	if f = feesOf(t, home); f.Books.Deposited.Amount != "100" || f.Books.Spent.Amount != "0.04" || f.Books.Held.Amount != "99.96" {
		t.Errorf("books after the payment = %+v, want 0.04 spent of 100", f.Books)
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
	if !strings.Contains(out, "collected 0.04 GBPT of fees") || !strings.Contains(out, "99.96 GBPT back to the fee contract") {
		t.Errorf("fee collect output:\n%s", out)
	}
	if f = feesOf(t, home); f.Books.Collected.Amount != "0.04" || f.Books.Collectable.Amount != "0" {
		t.Errorf("books after the collection = %+v, want 0.04 collected", f.Books)
	}
}
