package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pegledger/peg/internal/client"
)

// TestIdentityEndToEnd runs the identity service against a real `peg up`:
// gbpt's owner sets its KYC tiers (a stranger is refused, UNAUTHORIZED;
// tiers where a higher level allows less are refused before they are
// sent); bob gets a level 2 certificate from the CA and alice registers her
// level 1 one; then each limit refuses with its code and the excess — a
// mint past anonymous lender's balance limit (KYC_BALANCE_LIMIT), alice
// paying past her per-payment limit (KYC_PAYMENT_LIMIT) and then past her
// daily limit (KYC_DAILY_LIMIT), bob paying lender past lender's balance
// limit — while `peg identity show` reports the levels, holdings and what
// alice has left to pay today.
func TestIdentityEndToEnd(t *testing.T) {
	home := t.TempDir()
	up := startUp(t, home, freeBasePort(t))
	defer up.stop(t)
	issued := filepath.Join(home, caDirName, "issued")
	rejected := func(want string, args ...string) {
		t.Helper()
		if code, out, errs := peg(t, home, args...); code != exitRejected || !strings.Contains(out+errs, want) {
			t.Errorf("peg %s: exit %d, output %q %q; want %s", strings.Join(args, " "), code, out, errs, want)
		}
	}

	mustPeg(t, home, "token", "deploy", "--from", "issuer", "--file", "../../examples/gbpt.toml")
	mustPeg(t, home, "reserve", "status", "gbpt", "--wait", "OK", "--timeout", "30s")
	tiers := []string{"--tier", "0/0/50", "--tier", "100/150/1000", "--tier", "none/none/none"}
	rejected("UNAUTHORIZED", append([]string{"identity", "tiers", "set", "gbpt", "--from", "alice"}, tiers...)...)
	if code, _, errs := peg(t, home, "identity", "tiers", "set", "gbpt", "--from", "issuer", "--tier", "10/10/10", "--tier", "5/10/10"); code != exitUsage || !strings.Contains(errs, "level 1 allows less") {
		t.Errorf("tiers where level 1 allows less: exit %d, stderr %q", code, errs)
	}
	mustPeg(t, home, append([]string{"identity", "tiers", "set", "gbpt", "--from", "issuer"}, tiers...)...)
	var shown client.KYCTiers
	if err := json.Unmarshal([]byte(mustPeg(t, home, "identity", "tiers", "show", "gbpt", "-o", "json")), &shown); err != nil {
		t.Fatal(err)
	}
	if len(shown.Tiers) != 3 || shown.Tiers[1].PerDay.Max == nil || shown.Tiers[1].PerDay.Max.Amount != "150" || !shown.Tiers[2].Balance.None {
		t.Errorf("tiers show: %+v", shown)
	}

	var renewed certView
	if err := json.Unmarshal([]byte(mustPeg(t, home, "ca", "issue", "bob", "--name", "Bob Supplies Ltd", "--registration", "GB-00000002",
		"--country", "GB", "--level", "2", "-o", "json")), &renewed); err != nil {
		t.Fatal(err)
	}
	if renewed.Level != 2 {
		t.Errorf("bob's new certificate states level %d, want 2", renewed.Level)
	}
	mustPeg(t, home, "cert", "register", renewed.Path, "--from", "bob")
	mustPeg(t, home, "cert", "register", filepath.Join(issued, "alice.pem"), "--from", "alice")

	rejected("KYC_BALANCE_LIMIT", "token", "mint", "--from", "minter", "--token", "gbpt", "--to", "lender", "--amount", "60")
	mustPeg(t, home, "token", "mint", "--from", "minter", "--token", "gbpt", "--to", "alice", "--amount", "550")
	mustPeg(t, home, "token", "mint", "--from", "minter", "--token", "gbpt", "--to", "bob", "--amount", "2050")
	depositFees(t, home, "alice", "50", 12) // peg up charges fees: a payment costs 0.04
	depositFees(t, home, "bob", "50", 8)
	rejected("by 20 GBPT", "pay", "--from", "alice", "--token", "gbpt", "--to", "bob", "--amount", "120")
	mustPeg(t, home, "pay", "--from", "alice", "--token", "gbpt", "--to", "bob", "--amount", "100")
	rejected("KYC_DAILY_LIMIT", "pay", "--from", "alice", "--token", "gbpt", "--to", "bob", "--amount", "60")
	rejected("KYC_BALANCE_LIMIT", "pay", "--from", "bob", "--token", "gbpt", "--to", "lender", "--amount", "51")
	mustPeg(t, home, "pay", "--from", "bob", "--token", "gbpt", "--to", "lender", "--amount", "50")

	show := func(who string) client.KYCAccount {
		t.Helper()
		var v client.KYCAccount
		if err := json.Unmarshal([]byte(mustPeg(t, home, "identity", "show", who, "--token", "gbpt", "-o", "json")), &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	alice := show("alice")
	if alice.Level != 1 || alice.Held.Amount != "400" || alice.PaidToday.Amount != "100" || alice.LeftToday == nil || alice.LeftToday.Amount != "50" {
		t.Errorf("alice: %+v; want level 1, holding 400, 100 paid today and 50 left", alice)
	}
	if bob := show("bob"); bob.Level != 2 || bob.Held.Amount != "2050" || bob.LeftToday != nil {
		t.Errorf("bob: %+v; want level 2, holding 2050, no daily limit", bob)
	}
	if lender := show("lender"); lender.Level != 0 || lender.Held.Amount != "50" {
		t.Errorf("lender: %+v; want level 0 holding 50", lender)
	}
	if out := mustPeg(t, home, "identity", "show", "alice", "--token", "gbpt"); !strings.Contains(out, "left today  50") {
		t.Errorf("identity show alice:\n%s", out)
	}
}
