package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pegledger/peg/internal/client"
)

// TestEndorseEndToEnd runs the endorsement service against a real `peg up`,
// as the README's walkthrough does: gbpt's owner (issuer) sets a policy
// under which a mint above 1000 GBPT needs two of operator, pauser and
// freezer; a mint of 500 executes at once, one of 5000 waits as a mint
// request, which the second endorsement executes; a second request is
// cancelled by its minter. On the way each bad step is refused with its
// code: a policy set by another than the owner (UNAUTHORIZED), an
// endorsement by a non-endorser (NOT_ENDORSER), twice (ENDORSED_TWICE), of
// an executed request (MINT_REQUEST_CLOSED), a cancellation by a stranger
// (NOT_REQUEST_PARTY), and one of a request that does not exist
// (MINT_REQUEST_UNKNOWN).
func TestEndorseEndToEnd(t *testing.T) {
	home := t.TempDir()
	base := freeBasePort(t)
	up := startUp(t, home, base)
	defer up.stop(t)
	rejected := func(want string, args ...string) {
		t.Helper()
		if code, out, errs := peg(t, home, args...); code != exitRejected || !strings.Contains(out+errs, want) {
			t.Errorf("peg %s: exit %d, output %q %q; want %s", strings.Join(args, " "), code, out, errs, want)
		}
	}
	mustPeg(t, home, "token", "deploy", "--from", "issuer", "--file", "../../examples/gbpt.toml")
	mustPeg(t, home, "reserve", "status", "gbpt", "--wait", "OK", "--timeout", "30s")
	set := []string{"endorse", "policy", "set", "--token", "gbpt", "--threshold", "1000", "--endorser", "operator",
		"--endorser", "pauser", "--endorser", "freezer", "--required", "2", "--window", "1h", "--from"}
	rejected("UNAUTHORIZED", append(set, "alice")...)
	mustPeg(t, home, append(set, "issuer")...)
	var p client.EndorsePolicy
	if err := json.Unmarshal([]byte(mustPeg(t, home, "endorse", "policy", "show", "gbpt", "-o", "json")), &p); err != nil {
		t.Fatal(err)
	}
	if p.Threshold.Amount != "1000" || p.Required != 2 || len(p.Endorsers) != 3 || p.Window.Text != "1h0m0s" {
		t.Errorf("the policy: %+v", p)
	}

	mustPeg(t, home, "token", "mint", "--from", "minter", "--token", "gbpt", "--to", "alice", "--amount", "500")
	var rc client.Receipt
	if err := json.Unmarshal([]byte(mustPeg(t, home, "token", "mint", "--from", "minter", "--token", "gbpt", "--to", "alice",
		"--amount", "5000", "-o", "json")), &rc); err != nil {
		t.Fatal(err)
	}
	id := rc.TxID.String()
	if got := balanceOf(t, home, "alice"); got != "500" {
		t.Errorf("alice holds %s GBPT with the request open, want 500", got)
	}
	rejected("NOT_ENDORSER", "endorse", "approve", id, "--from", "alice")
	if out := mustPeg(t, home, "endorse", "approve", id, "--from", "operator"); !strings.Contains(out, "1 of 2 endorsements") {
		t.Errorf("the first endorsement said %q", out)
	}
	rejected("ENDORSED_TWICE", "endorse", "approve", id, "--from", "operator")
	var l client.MintRequestList
	if err := json.Unmarshal([]byte(mustPeg(t, home, "endorse", "list", "gbpt", "-o", "json")), &l); err != nil {
		t.Fatal(err)
	}
	if len(l.Requests) != 1 || l.Requests[0].ID != id || len(l.Requests[0].Endorsed) != 1 {
		t.Errorf("gbpt's open requests: %+v", l)
	}
	if out := mustPeg(t, home, "endorse", "approve", id, "--from", "pauser"); !strings.Contains(out, "minted") {
		t.Errorf("the second endorsement said %q, want minted", out)
	}
	if got := balanceOf(t, home, "alice"); got != "5500" {
		t.Errorf("alice holds %s GBPT after the request executed, want 5500", got)
	}
	rejected("MINT_REQUEST_CLOSED", "endorse", "approve", id, "--from", "freezer")
	var q client.MintRequest
	if err := json.Unmarshal([]byte(mustPeg(t, home, "endorse", "show", id, "-o", "json")), &q); err != nil {
		t.Fatal(err)
	}
	if q.Status != "executed" || q.Closer == "" || len(q.Endorsed) != 2 {
		t.Errorf("the executed request: %+v", q)
	}

	out := mustPeg(t, home, "token", "mint", "--from", "minter", "--token", "gbpt", "--to", "bob", "--amount", "2000")
	if !strings.Contains(out, "pending endorsement") {
		t.Fatalf("a mint above the threshold said %q, want pending endorsement", out)
	}
	second := strings.Fields(out[strings.Index(out, "mint request ")+len("mint request "):])[0]
	rejected("NOT_REQUEST_PARTY", "endorse", "cancel", second, "--from", "alice")
	mustPeg(t, home, "endorse", "cancel", second, "--from", "minter")
	rejected("MINT_REQUEST_CLOSED", "endorse", "approve", second, "--from", "operator")
	rejected("MINT_REQUEST_UNKNOWN", "endorse", "approve", strings.Repeat("ab", 32), "--from", "operator")
	if got := balanceOf(t, home, "bob"); got != "0" {
		t.Errorf("bob holds %s GBPT from a cancelled request, want 0", got)
	}
	mustPeg(t, home, "endorse", "policy", "clear", "--token", "gbpt", "--from", "issuer")
	mustPeg(t, home, "token", "mint", "--from", "minter", "--token", "gbpt", "--to", "bob", "--amount", "2000")
	if got := balanceOf(t, home, "bob"); got != "2000" {
		t.Errorf("bob holds %s GBPT after a mint with the policy cleared, want 2000", got)
	}
}
