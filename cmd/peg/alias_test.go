package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/pegledger/peg/internal/aliaskey"
)

// TestAliasEndToEnd runs the alias directory against a real `peg up`: the
// registrar of its genesis binds alice's phone number; show finds it by
// number and by hash; bob pays the number and the coins reach alice, the
// output naming the address the number resolved to; a number that routes to
// another region, one bound to nobody, and one after its revocation are
// refused with what went wrong; alias key init never replaces a key.
func TestAliasEndToEnd(t *testing.T) {
	home := t.TempDir()
	up := startUp(t, home, freeBasePort(t))
	defer up.stop(t)

	fi, err := os.Stat(filepath.Join(home, aliaskey.FileName))
	if err != nil {
		t.Fatalf("peg up made no alias key: %v", err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("alias key mode %v, want 0600", fi.Mode().Perm())
	}
	code, _, errs := peg(t, home, "alias", "key", "init")
	if code != exitFailure || !strings.Contains(errs, "never replaced") {
		t.Errorf("alias key init over peg up's key: exit %d, stderr %q; want a refusal", code, errs)
	}

	mustPeg(t, home, "token", "deploy", "--from", "issuer", "--file", "../../examples/gbpt.toml")
	mustPeg(t, home, "reserve", "status", "gbpt", "--wait", "OK", "--timeout", "30s")
	mustPeg(t, home, "token", "mint", "--from", "minter", "--token", "gbpt", "--to", "bob", "--amount", "100")
	depositFees(t, home, "bob", "50", 4) // peg up charges fees: the payment by phone costs 0.04
	var key keyView
	if err := json.Unmarshal([]byte(mustPeg(t, home, "keys", "show", "alice", "-o", "json")), &key); err != nil {
		t.Fatal(err)
	}
	alice := key.Address

	regs := mustPeg(t, home, "registrar", "list")
	if !strings.Contains(regs, "peg1") {
		t.Errorf("registrar list: %q, want peg up's registrar", regs)
	}

	var reg struct {
		Code  uint32 `json:"code"`
		Alias struct {
			Value, Hash, Region string
		} `json:"alias"`
		Address string `json:"address"`
	}
	out := mustPeg(t, home, "alias", "register", "--from", "registrar", "--phone", "+44 7700 900123", "--to", "alice", "-o", "json")
	if err := json.Unmarshal([]byte(out), &reg); err != nil {
		t.Fatal(err)
	}
	if reg.Code != 0 || reg.Alias.Value != "+447700900123" || reg.Alias.Region != "GB" || len(reg.Alias.Hash) != 64 || reg.Address != alice {
		t.Fatalf("alias register: %s", out)
	}
	code, _, errs = peg(t, home, "alias", "register", "--from", "registrar", "--phone", "+447700900123", "--to", "bob")
	if code != exitRejected || !strings.Contains(errs, "ALIAS_TAKEN") {
		t.Errorf("second binding: exit %d, stderr %q; want ALIAS_TAKEN", code, errs)
	}
	code, _, errs = peg(t, home, "alias", "register", "--from", "alice", "--phone", "+447700900999", "--to", "alice")
	if code != exitRejected || !strings.Contains(errs, "UNAUTHORIZED") {
		t.Errorf("binding by alice: exit %d, stderr %q; want UNAUTHORIZED", code, errs)
	}

	for _, args := range [][]string{{"--phone", "+44 (0)7700 900123"}, {reg.Alias.Hash}} {
		out := mustPeg(t, home, append([]string{"alias", "show"}, args...)...)
		if !strings.Contains(out, "pays "+alice) || !strings.Contains(out, reg.Alias.Hash) {
			t.Errorf("alias show %v:\n%s", args, out)
		}
	}

	code, stdout, errs := peg(t, home, "pay", "--from", "bob", "--token", "gbpt", "--to-phone", "+44 7700 900123", "--amount", "12.50", "-o", "json")
	if code != exitOK {
		t.Fatalf("pay by phone: exit %d, stderr %q", code, errs)
	}
	var paid struct {
		Code  uint32 `json:"code"`
		Alias struct {
			Value, Address string
		} `json:"alias"`
	}
	if err := json.Unmarshal([]byte(stdout), &paid); err != nil {
		t.Fatal(err)
	}
	if paid.Alias.Value != "+447700900123" || paid.Alias.Address != alice || !strings.Contains(errs, "+447700900123 pays "+alice) {
		t.Errorf("pay by phone: %s\nstderr %q", stdout, errs)
	}
	if got := balanceOf(t, home, "alice"); got != "12.5" {
		t.Errorf("alice's balance after the payment by phone: %s, want 12.5", got)
	}

	code, _, errs = peg(t, home, "pay", "--from", "bob", "--token", "gbpt", "--to-phone", "+852 2123 4567", "--amount", "1")
	if code != exitFailure || !strings.Contains(errs, "routes to region HK") {
		t.Errorf("pay a Hong Kong number on GB's node: exit %d, stderr %q; want the route named", code, errs)
	}
	code, stdout, _ = peg(t, home, "pay", "--from", "bob", "--token", "gbpt", "--to-id", "GB-12345678", "--amount", "1", "-o", "json")
	if code != exitFailure || !strings.Contains(stdout, `"ALIAS_UNKNOWN"`) || !strings.Contains(stdout, "GB-12345678") {
		t.Errorf("pay an unbound ID: exit %d, %s; want ALIAS_UNKNOWN naming it", code, stdout)
	}
	code, _, errs = peg(t, home, "pay", "--from", "bob", "--token", "gbpt", "--to-phone", "+44 77OO", "--amount", "1")
	if code != exitUsage || !strings.Contains(errs, "--to-phone") {
		t.Errorf("pay a malformed number: exit %d, stderr %q; want a usage error", code, errs)
	}

	out = mustPeg(t, home, "alias", "revoke", "--from", "registrar", "--phone", "+447700900123")
	if !strings.Contains(out, "no longer pays "+alice) {
		t.Errorf("alias revoke:\n%s", out)
	}
	code, _, errs = peg(t, home, "pay", "--from", "bob", "--token", "gbpt", "--to-phone", "+447700900123", "--amount", "1")
	if code != exitFailure || !strings.Contains(errs, "no address is bound to +447700900123") {
		t.Errorf("pay a revoked number: exit %d, stderr %q; want ALIAS_UNKNOWN", code, errs)
	}
	if got := balanceOf(t, home, "alice"); got != "12.5" {
		t.Errorf("alice's balance after the refused payments: %s, want 12.5", got)
	}
}
