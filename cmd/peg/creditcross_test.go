package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/relay"
)

// TestCreditAcrossRegions runs a credit payment between two real regions
// (`peg up --regions 2`, whose relayer carries each step by proof): lender,
// a credit node at home in GB, is registered on both chains and funds its
// pool on HK with an ordinary payment to it; alice (GB) asks it to pay
// merchant (HK) 40 GBPT; GB holds the 40 against lender's limit for alice
// and a request over what is left is refused there
// (CREDIT_OVER_NODE_LIMIT); the merchant confirms on HK, which pays it
// from HK's pool; alice's debt appears on GB; a second request over the
// merchant's line is refused on HK (CREDIT_OVER_LINE), a third, confirmed
// after its deadline, lapses (CREDIT_LAPSED); alice repays on GB, and HK
// learns of each repayment. Both regions' audits and the network's stay
// clean.
func TestCreditAcrossRegions(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two regions")
	}
	home := t.TempDir()
	base := freePortBlock(t, 2*devPorts+1)
	up := startRegions(t, home, base)
	defer up.stop(t)
	gw := fmt.Sprintf("http://127.0.0.1:%d", gatewayPort(base, 2))
	gbAPI, hkAPI := fmt.Sprintf("http://127.0.0.1:%d", base+2), fmt.Sprintf("http://127.0.0.1:%d", base+devPorts+2)
	gb, hk := filepath.Join(home, "gb"), filepath.Join(home, "hk")
	netFile := filepath.Join(home, devNetworkFile)
	invoice := filepath.Join(t.TempDir(), "invoice.pdf")
	if err := os.WriteFile(invoice, []byte("invoice 7: 40 bales of silk"), 0o600); err != nil {
		t.Fatal(err)
	}
	jsonOf := func(out string, v any) {
		t.Helper()
		if err := json.Unmarshal([]byte(out), v); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
	}
	rejected := func(home, want string, args ...string) {
		t.Helper()
		if code, out, errs := peg(t, home, args...); code != exitRejected || !strings.Contains(out+errs, want) {
			t.Errorf("peg %s: exit %d, output %q %q; want %s", strings.Join(args, " "), code, out, errs, want)
		}
	}
	// status waits until request id, on home's region, is recorded and its
	// status is want.
	status := func(home, id, want string) client.CreditRequest {
		t.Helper()
		var r client.CreditRequest
		for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
			code, out, _ := peg(t, home, "credit", "status", id, "-o", "json")
			if code != exitOK {
				continue
			}
			jsonOf(out, &r)
			if r.RecordedStatus == want {
				return r
			}
		}
		t.Fatalf("request %s on %s is %+v after 90s, want %s", id, home, r, want)
		return r
	}

	mustPeg(t, gb, "token", "deploy", "--from", "issuer", "--file", "../../examples/gbpt.toml", "--node", gw)
	mustPeg(t, gb, "reserve", "status", "gbpt", "--wait", "OK", "--timeout", "30s", "--node", gw)
	mustPeg(t, gb, "token", "mint", "--from", "minter", "--token", "gbpt", "--to", "lender", "--amount", "1000", "--node", gw)
	mustPeg(t, gb, "token", "mint", "--from", "minter", "--token", "gbpt", "--to", "alice", "--amount", "100", "--node", gw)
	mustPeg(t, gb, "credit", "node", "register", "lender", "--token", "gbpt", "--cap", "500", "--base", "100")
	mustPeg(t, gb, "cert", "register", filepath.Join(gb, caDirName, "issued", "alice.pem"), "--from", "alice")
	var lender, merchant client.CreditNode
	jsonOf(mustPeg(t, gb, "credit", "node", "show", "lender", "-o", "json"), &lender)
	var mk keyView
	jsonOf(mustPeg(t, hk, "keys", "show", "merchant", "-o", "json"), &mk)

	// HK learns gbpt's contract, its operator registers lender (at home in
	// GB) there, and lender funds its pool there by paying it from GB.
	mustPeg(t, hk, "token", "import", "gbpt", "--from", "bob", "--source", gbAPI)
	mustPeg(t, hk, "credit", "node", "register", lender.Node, "--token", "gbpt", "--cap", "500", "--base", "100")
	jsonOf(mustPeg(t, hk, "credit", "node", "show", lender.Node, "-o", "json"), &merchant) // lender as HK records it
	hkPool := merchant.Pool
	mustPeg(t, gb, "pay", "--from", "lender", "--token", "gbpt", "--to", hkPool, "--amount", "300", "--node", gw)
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(300 * time.Millisecond) {
		jsonOf(mustPeg(t, hk, "credit", "node", "show", lender.Node, "-o", "json"), &merchant)
		if merchant.Balance.Amount == "300" && merchant.Funded.Amount == "300" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("lender's pool on HK is %+v after 90s, want 300 funded", merchant)
		}
	}
	mustPeg(t, hk, "cert", "register", filepath.Join(hk, caDirName, "issued", "merchant.pem"), "--from", "merchant")
	mustPeg(t, hk, "credit", "line", "set", "--from", "merchant", "--node", lender.Node, "--payer", "alice", "--amount", "50")

	request := func(amount string, extra ...string) string {
		t.Helper()
		var rc client.Receipt
		jsonOf(mustPeg(t, gb, append([]string{"credit", "request", "--from", "alice", "--node", "lender", "--to", mk.Address,
			"--amount", amount, "--description", "bales of silk", "--document", invoice, "-o", "json"}, extra...)...), &rc)
		return rc.TxID.String()
	}
	id := request("40")
	var l client.CreditLimit
	jsonOf(mustPeg(t, gb, "credit", "limit", "--node", "lender", "--payer", "alice", "--payee", mk.Address, "-o", "json"), &l)
	if l.Held.Amount != "40" || l.Available.Amount != "60" {
		t.Errorf("alice's limit on GB with 40 requested = %+v, want 40 held and 60 available", l)
	}
	rejected(gb, "CREDIT_OVER_NODE_LIMIT", "credit", "request", "--from", "alice", "--node", "lender", "--to", mk.Address,
		"--amount", "61", "--description", "more silk", "--document", invoice)

	r := status(hk, id, "PENDING")
	if r.From != "GB" {
		t.Errorf("HK's record of the request = %+v, want it from GB", r)
	}
	mustPeg(t, hk, "credit", "confirm", id, "--from", "merchant")
	if got := balanceOf(t, hk, "merchant"); got != "40" {
		t.Errorf("merchant holds %s on HK, want the 40 paid on credit", got)
	}
	mustPeg(t, hk, "credit", "receipt", id, "--from", "merchant")
	r = status(gb, id, "PAID")
	if r.To != "HK" || r.Owed.Amount != "40" || r.Due == nil {
		t.Errorf("GB's record of the paid request = %+v, want 40 owed, due", r)
	}
	if out := mustPeg(t, gb, "credit", "status", id); !strings.Contains(out, "the debt is kept here") {
		t.Errorf("peg credit status on GB:\n%s", out)
	}

	// Over the merchant's line (50, 40 owed on it): GB holds it, HK refuses it.
	over := request("20")
	status(hk, over, "PENDING")
	rejected(hk, "CREDIT_OVER_LINE", "credit", "confirm", over, "--from", "merchant")
	// Confirmed past its deadline by HK's time: lapsed. A block's time is
	// when the one before it committed, so HK commits a block after the
	// deadline before the confirmation.
	late := request("5", "--within", "4s")
	status(hk, late, "PENDING")
	time.Sleep(6 * time.Second)
	mustPeg(t, hk, "credit", "line", "set", "--from", "merchant", "--node", lender.Node, "--payer", "alice", "--amount", "50")
	rejected(hk, "CREDIT_LAPSED", "credit", "confirm", late, "--from", "merchant")

	mustPeg(t, gb, "credit", "repay", id, "--from", "alice", "--amount", "15")
	mustPeg(t, gb, "credit", "repay", id, "--from", "alice")
	r = status(hk, id, "REPAID")
	if r.Owed.Amount != "0" || r.Repaid.Amount != "40" {
		t.Errorf("HK's record after the repayments = %+v, want 40 repaid", r)
	}
	jsonOf(mustPeg(t, gb, "credit", "node", "show", "lender", "-o", "json"), &lender)
	if lender.Balance.Amount != "40" || lender.CrossBorrowed.Amount != "40" || lender.Repaid.Amount != "40" || lender.Outstanding.Amount != "0" {
		t.Errorf("lender on GB = %+v, want the 40 repaid into GB's pool", lender)
	}
	jsonOf(mustPeg(t, hk, "credit", "node", "show", lender.Node, "-o", "json"), &merchant)
	if merchant.Balance.Amount != "260" || merchant.CrossPaid.Amount != "40" || merchant.Outstanding.Amount != "0" {
		t.Errorf("lender on HK = %+v, want 40 paid from HK's pool of 300", merchant)
	}
	for _, api := range []string{gbAPI, hkAPI} {
		if out := mustPeg(t, gb, "audit", "--node", api); !strings.Contains(out, "verdict: OK") {
			t.Errorf("peg audit --node %s:\n%s", api, out)
		}
	}
	auditNetwork(t, gb, netFile, "1100")
	var a relay.NetworkAudit
	jsonOf(mustPeg(t, gb, "audit", "--network", netFile, "-o", "json"), &a)
	if len(a.Credit) != 1 || a.Credit[0].Node != lender.Node || a.Credit[0].CrossPaid.String() != "4000" ||
		a.Credit[0].CrossBorrowed.String() != "4000" || !a.Credit[0].InFlight.IsZero() {
		t.Errorf("audit --network credit = %+v, want lender's 40.00 paid on HK and borrowed on GB", a.Credit)
	}
}
