package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pegledger/peg/internal/client"
)

// TestCreditEndToEnd runs a credit payment against a real `peg up`, as the
// README's walkthrough does: the operator registers lender as a credit
// node, which funds its pool; alice and merchant register their
// certificates; merchant grants alice a line; alice requests 40 GBPT for an
// invoice; merchant confirms and is paid from the pool, then confirms
// receipt; alice repays in two parts. On the way: a confirmation by alice
// (CREDIT_NOT_PAYEE), a second confirmation (CREDIT_NOT_PENDING), a request
// over the line (CREDIT_OVER_LINE), a repayment above the debt
// (CREDIT_REPAY_TOO_MUCH), a payer without a certificate
// (CERT_NOT_REGISTERED); then alice asks for a higher limit, granted, and
// again, declined.
func TestCreditEndToEnd(t *testing.T) {
	home := t.TempDir()
	base := freeBasePort(t)
	up := startUp(t, home, base)
	defer up.stop(t)
	issued := filepath.Join(home, caDirName, "issued")
	invoice := filepath.Join(t.TempDir(), "invoice.pdf")
	if err := os.WriteFile(invoice, []byte("invoice 42: 100 crates of tea"), 0o600); err != nil {
		t.Fatal(err)
	}

	mustPeg(t, home, "token", "deploy", "--from", "issuer", "--file", "../../examples/gbpt.toml")
	mustPeg(t, home, "reserve", "status", "gbpt", "--wait", "OK", "--timeout", "30s")
	mustPeg(t, home, "token", "mint", "--from", "minter", "--token", "gbpt", "--to", "lender", "--amount", "1000")
	mustPeg(t, home, "token", "mint", "--from", "minter", "--token", "gbpt", "--to", "alice", "--amount", "100")
	mustPeg(t, home, "credit", "node", "register", "lender", "--token", "gbpt", "--cap", "500", "--base", "100")
	mustPeg(t, home, "credit", "node", "fund", "--from", "lender", "--amount", "300")
	mustPeg(t, home, "cert", "register", filepath.Join(issued, "merchant.pem"), "--from", "merchant")
	mustPeg(t, home, "credit", "line", "set", "--from", "merchant", "--node", "lender", "--payer", "alice", "--amount", "50")

	request := []string{"credit", "request", "--from", "alice", "--node", "lender", "--to", "merchant", "--amount", "40",
		"--description", "100 crates of tea", "--document", invoice, "-o", "json"}
	rejected := func(want string, args ...string) {
		t.Helper()
		if code, out, errs := peg(t, home, args...); code != exitRejected || !strings.Contains(out+errs, want) {
			t.Errorf("peg %s: exit %d, output %q %q; want %s", strings.Join(args, " "), code, out, errs, want)
		}
	}
	rejected("CERT_NOT_REGISTERED", request...)
	mustPeg(t, home, "cert", "register", filepath.Join(issued, "alice.pem"), "--from", "alice")
	var rc client.Receipt
	if err := json.Unmarshal([]byte(mustPeg(t, home, request...)), &rc); err != nil {
		t.Fatal(err)
	}
	id := rc.TxID.String()
	rejected("CREDIT_NOT_PAYEE", "credit", "confirm", id, "--from", "alice")
	mustPeg(t, home, "credit", "confirm", id, "--from", "merchant")
	rejected("CREDIT_NOT_PENDING", "credit", "confirm", id, "--from", "merchant")
	mustPeg(t, home, "credit", "receipt", id, "--from", "merchant")
	if got := balanceOf(t, home, "merchant"); got != "40" {
		t.Errorf("merchant holds %s GBPT, want the 40 paid on credit", got)
	}

	over := append([]string(nil), request...)
	over[9] = "20" // the line is 50, 40 owed on it
	if err := json.Unmarshal([]byte(mustPeg(t, home, over...)), &rc); err != nil {
		t.Fatal(err)
	}
	rejected("CREDIT_OVER_LINE", "credit", "confirm", rc.TxID.String(), "--from", "merchant")

	var l client.CreditLimit
	if err := json.Unmarshal([]byte(mustPeg(t, home, "credit", "limit", "--node", "lender", "--payer", "alice", "--payee", "merchant", "-o", "json")), &l); err != nil {
		t.Fatal(err)
	}
	if l.Owed.Amount != "40" || l.LineOwed.Amount != "40" || l.Available.Amount != "10" {
		t.Errorf("credit limit = %+v, want 40 owed and 10 available", l)
	}
	rejected("CREDIT_REPAY_TOO_MUCH", "credit", "repay", id, "--from", "alice", "--amount", "41")
	mustPeg(t, home, "credit", "repay", id, "--from", "alice", "--amount", "15")
	if out := mustPeg(t, home, "credit", "repay", id, "--from", "alice"); !strings.Contains(out, "0.00 GBPT still owed") {
		t.Errorf("the full repayment says:\n%s", out)
	}
	var r client.CreditRequest
	if err := json.Unmarshal([]byte(mustPeg(t, home, "credit", "status", id, "-o", "json")), &r); err != nil {
		t.Fatal(err)
	}
	if r.Status != "REPAID" || r.Repaid.Amount != "40" || r.RepaidLate {
		t.Errorf("credit status = %+v, want REPAID on time", r)
	}
	var n client.CreditNode
	if err := json.Unmarshal([]byte(mustPeg(t, home, "credit", "node", "show", "lender", "-o", "json")), &n); err != nil {
		t.Fatal(err)
	}
	if n.Balance.Amount != "300" || n.Paid.Amount != "40" || n.Repaid.Amount != "40" || n.Outstanding.Amount != "0" {
		t.Errorf("credit node = %+v", n)
	}
	var h client.CreditHistory
	if err := json.Unmarshal([]byte(mustPeg(t, home, "credit", "history", "alice", "-o", "json")), &h); err != nil {
		t.Fatal(err)
	}
	if len(h.Requests) != 2 || h.Requests[0].ID != rc.TxID.String() || h.Requests[0].Status != "PENDING" || h.Requests[1].ID != id || h.Next != "" {
		t.Errorf("alice's credit history, newest first = %+v", h)
	}
	// A page at a time: the text names the next page's command.
	first := mustPeg(t, home, "credit", "history", "alice", "--limit", "1")
	_, next, ok := strings.Cut(first, "more: peg credit history alice --before ")
	if !strings.Contains(first, rc.TxID.String()) || strings.Contains(first, id) || !ok {
		t.Fatalf("alice's first page of one:\n%s", first)
	}
	if err := json.Unmarshal([]byte(mustPeg(t, home, "credit", "history", "alice", "--limit", "1", "--before", strings.TrimSpace(next), "-o", "json")), &h); err != nil {
		t.Fatal(err)
	}
	if len(h.Requests) != 1 || h.Requests[0].ID != id || h.Next != "" {
		t.Errorf("alice's second page of one = %+v", h)
	}
	// A higher limit: asked with a document, approved, then asked again and declined.
	mustPeg(t, home, "credit", "increase", "--from", "alice", "--node", "lender", "--amount", "200", "--document", invoice)
	rejected("CREDIT_PARAMS", "credit", "decide", "alice", "--from", "lender", "--approve", "--limit", "600")
	mustPeg(t, home, "credit", "decide", "alice", "--from", "lender", "--approve", "--limit", "200", "--reason", "accounts seen")
	if err := json.Unmarshal([]byte(mustPeg(t, home, "credit", "limit", "--node", "lender", "--payer", "alice", "--payee", "merchant", "-o", "json")), &l); err != nil {
		t.Fatal(err)
	}
	if l.Limit.Amount != "200" || l.Increase == nil || l.Increase.Status != "APPROVED" || l.Increase.Limit.Amount != "200" {
		t.Errorf("credit limit after the increase = %+v (increase %+v), want 200 granted", l, l.Increase)
	}
	mustPeg(t, home, "credit", "increase", "--from", "alice", "--node", "lender", "--amount", "400", "--document", invoice)
	mustPeg(t, home, "credit", "decide", "alice", "--from", "lender", "--reason", "not yet")
	rejected("CREDIT_NOT_PENDING", "credit", "decide", "alice", "--from", "lender", "--reason", "again")
	if out := mustPeg(t, home, "audit", "--node", fmt.Sprintf("http://127.0.0.1:%d", base+2)); !strings.Contains(out, "verdict: OK") {
		t.Errorf("peg audit:\n%s", out)
	}
}
