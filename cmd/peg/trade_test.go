package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pegledger/peg/internal/client"
)

// TestTradeEndToEnd runs a trade against a real `peg up`, as the README's
// walkthrough does: the operator sets the trade rules; importer, exporter
// and arbiter register their certificates; the exporter offers 300 GBPT of
// tea, the importer counters at 280, the exporter accepts; the importer
// funds the pool, the exporter ships, the importer confirms and the
// exporter settles, and holds the 280. On the way each bad step is refused
// with its code: an offer before the importer's certificate
// (CERT_NOT_REGISTERED), an offer over the position limit
// (TRADE_POSITION_LIMIT), the proposer accepting its own version
// (TRADE_WRONG_PARTY), a counter-offer past the rounds (TRADE_ROUND_LIMIT),
// funding before acceptance (TRADE_WRONG_STATE), shipping by the buyer
// (TRADE_WRONG_PARTY), a stranger's confirmation (TRADE_NOT_PARTY), a
// settlement before the payment rule is met (TRADE_RULE_NOT_MET) and a
// second one (TRADE_CLOSED). Then a second trade is disputed and split by
// the arbiter (a resolution before the dispute, by a party, or of more than
// the pool each refused), a third withdrawn, and the arbiter's trades read
// a page at a time.
func TestTradeEndToEnd(t *testing.T) {
	home := t.TempDir()
	base := freeBasePort(t)
	up := startUp(t, home, base)
	defer up.stop(t)
	issued := filepath.Join(home, caDirName, "issued")
	dir := t.TempDir()
	file := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	contract, invoice, lading := file("contract.txt", "sales contract 7: 200 cases of green tea"), file("invoice.txt", "invoice 7"), file("lading.txt", "bill of lading 7")
	rejected := func(want string, args ...string) {
		t.Helper()
		if code, out, errs := peg(t, home, args...); code != exitRejected || !strings.Contains(out+errs, want) {
			t.Errorf("peg %s: exit %d, output %q %q; want %s", strings.Join(args, " "), code, out, errs, want)
		}
	}

	mustPeg(t, home, "token", "deploy", "--from", "issuer", "--file", "../../examples/gbpt.toml")
	mustPeg(t, home, "reserve", "status", "gbpt", "--wait", "OK", "--timeout", "30s")
	mustPeg(t, home, "trade", "rules", "set", "--from", "operator", "--max-rounds", "1", "--version-open", "72h", "--limit", "gbpt=1000")
	mustPeg(t, home, "token", "mint", "--from", "minter", "--token", "gbpt", "--to", "importer", "--amount", "500")
	mustPeg(t, home, "cert", "register", filepath.Join(issued, "exporter.pem"), "--from", "exporter")
	mustPeg(t, home, "cert", "register", filepath.Join(issued, "arbiter.pem"), "--from", "arbiter")
	offer := []string{"trade", "offer", "--from", "exporter", "--buyer", "importer", "--seller", "exporter", "--arbiter", "arbiter",
		"--token", "gbpt", "--amount", "300", "--description", "200 cases of green tea", "--document", contract,
		"--delivery", "FOB Shanghai", "-o", "json"}
	rejected("CERT_NOT_REGISTERED", offer...)
	mustPeg(t, home, "cert", "register", filepath.Join(issued, "importer.pem"), "--from", "importer")
	over := append([]string(nil), offer...)
	over[13] = "1000.01"
	rejected("TRADE_POSITION_LIMIT", over...)
	var rc client.Receipt
	if err := json.Unmarshal([]byte(mustPeg(t, home, offer...)), &rc); err != nil {
		t.Fatal(err)
	}
	id := rc.TxID.String()
	rejected("TRADE_WRONG_PARTY", "trade", "accept", id, "--from", "exporter")
	rejected("TRADE_WRONG_STATE", "trade", "fund", id, "--from", "importer")
	if out := mustPeg(t, home, "trade", "counter", id, "--from", "importer", "--amount", "280"); !strings.Contains(out, "version 2, 280.00 GBPT") {
		t.Errorf("peg trade counter says %q, want the version and 280.00 GBPT", out)
	}
	rejected("TRADE_ROUND_LIMIT", "trade", "counter", id, "--from", "exporter", "--amount", "290")
	mustPeg(t, home, "trade", "accept", id, "--from", "exporter")
	mustPeg(t, home, "trade", "fund", id, "--from", "importer")
	rejected("TRADE_WRONG_PARTY", "trade", "ship", id, "--from", "importer", "--invoice", invoice, "--bill-of-lading", lading)
	if got := balanceOf(t, home, "importer"); got != "220" {
		t.Errorf("the importer holds %s GBPT after funding, want 220", got)
	}
	mustPeg(t, home, "trade", "ship", id, "--from", "exporter", "--invoice", invoice, "--bill-of-lading", lading)
	rejected("TRADE_RULE_NOT_MET", "trade", "settle", id, "--from", "exporter")
	rejected("TRADE_NOT_PARTY", "trade", "confirm", id, "--from", "alice")
	mustPeg(t, home, "trade", "confirm", id, "--from", "importer")
	if out := mustPeg(t, home, "trade", "settle", id, "--from", "exporter"); !strings.Contains(out, ": 280.00 GBPT to the seller") {
		t.Errorf("peg trade settle says %q, want 280.00 GBPT to the seller", out)
	}
	rejected("TRADE_CLOSED", "trade", "settle", id, "--from", "exporter")
	if got := balanceOf(t, home, "exporter"); got != "280" {
		t.Errorf("the exporter holds %s GBPT, want the 280 settled", got)
	}

	var tr client.Trade
	if err := json.Unmarshal([]byte(mustPeg(t, home, "trade", "show", id, "-o", "json")), &tr); err != nil {
		t.Fatal(err)
	}
	if tr.Status != "SETTLED" || len(tr.Versions) != 2 || tr.Terms.Amount.Amount != "280" || tr.Released.Amount != "280" ||
		len(tr.Movements) != 2 || tr.Movements[0].Issuance != tr.Movements[1].Issuance || tr.Invoice == "" {
		t.Errorf("peg trade show: %+v", tr)
	}
	text := mustPeg(t, home, "trade", "show", id)
	for _, want := range []string{"SETTLED", "FOB Shanghai", "movement     settle", "amount       280.00 GBPT", "holds 0.00 GBPT (funded 280.00 GBPT, released 280.00 GBPT", "version      2 (1 counter-offer)"} {
		if !strings.Contains(text, want) {
			t.Errorf("peg trade show does not say %q:\n%s", want, text)
		}
	}
	var l client.TradeList
	if err := json.Unmarshal([]byte(mustPeg(t, home, "trade", "list", "importer", "-o", "json")), &l); err != nil {
		t.Fatal(err)
	}
	if len(l.Trades) != 1 || l.Trades[0].ID != id || l.Open != 0 {
		t.Errorf("peg trade list importer: %+v", l)
	}
	if out := mustPeg(t, home, "trade", "rules", "show"); !strings.Contains(out, "1000 gbpt per party") {
		t.Errorf("peg trade rules show: %s", out)
	}

	// A second trade, offered by the importer, is disputed and split by the
	// arbiter; a third is withdrawn.
	second := append([]string(nil), offer...)
	second[3], second[13] = "importer", "100"
	if err := json.Unmarshal([]byte(mustPeg(t, home, second...)), &rc); err != nil {
		t.Fatal(err)
	}
	id2 := rc.TxID.String()
	mustPeg(t, home, "trade", "accept", id2, "--from", "exporter")
	mustPeg(t, home, "trade", "fund", id2, "--from", "importer")
	mustPeg(t, home, "trade", "ship", id2, "--from", "exporter", "--invoice", invoice, "--bill-of-lading", lading)
	photos := file("photos.txt", "wet crates")
	rejected("TRADE_WRONG_STATE", "trade", "resolve", id2, "--from", "arbiter", "--to-seller", "40", "--reason", "too soon")
	mustPeg(t, home, "trade", "dispute", id2, "--from", "importer", "--reason", "half the crates arrived wet", "--evidence", photos)
	rejected("TRADE_NOT_PARTY", "trade", "resolve", id2, "--from", "importer", "--to-seller", "0", "--reason", "mine")
	rejected("TRADE_OVER_AMOUNT", "trade", "resolve", id2, "--from", "arbiter", "--to-seller", "100.01", "--reason", "all and more")
	if out := mustPeg(t, home, "trade", "resolve", id2, "--from", "arbiter", "--to-seller", "40", "--reason", "60% was spoilt"); !strings.Contains(out, "60.00 GBPT back to the buyer") {
		t.Errorf("peg trade resolve: %s", out)
	}
	if got := balanceOf(t, home, "exporter"); got != "320" {
		t.Errorf("the exporter holds %s GBPT, want 280 + 40", got)
	}
	if got := balanceOf(t, home, "importer"); got != "180" {
		t.Errorf("the importer holds %s GBPT, want 220 − 100 + 60", got)
	}
	if err := json.Unmarshal([]byte(mustPeg(t, home, offer...)), &rc); err != nil {
		t.Fatal(err)
	}
	if out := mustPeg(t, home, "trade", "cancel", rc.TxID.String(), "--from", "importer"); !strings.Contains(out, "CANCELLED") {
		t.Errorf("peg trade cancel: %s", out)
	}
	if err := json.Unmarshal([]byte(mustPeg(t, home, "trade", "list", "arbiter", "--limit", "2", "-o", "json")), &l); err != nil {
		t.Fatal(err)
	}
	if len(l.Trades) != 2 || l.Trades[0].Status != "CANCELLED" || l.Trades[1].Status != "RESOLVED" || l.Next == "" {
		t.Errorf("the arbiter's first page: %+v", l)
	}
	if out := mustPeg(t, home, "trade", "list", "arbiter", "--limit", "2", "--before", l.Next); !strings.Contains(out, id) {
		t.Errorf("the arbiter's second page does not list the first trade:\n%s", out)
	}
}
