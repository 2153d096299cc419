package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestCertEndToEnd runs identities against a real `peg up`: its development
// CA in genesis and in --home/ca with certificates for each of
// devIdentities; alice registers hers; bob cannot register alice's
// (CERT_WRONG_KEY); only the operator revokes, once; a revoked certificate
// cannot be registered; a certificate issued later with `peg ca issue`
// registers.
func TestCertEndToEnd(t *testing.T) {
	home := t.TempDir()
	up := startUp(t, home, freeBasePort(t))
	defer up.stop(t)
	issued := filepath.Join(home, caDirName, "issued")

	var ca caView
	if err := json.Unmarshal([]byte(mustPeg(t, home, "ca", "show", "-o", "json")), &ca); err != nil {
		t.Fatal(err)
	}
	if ca.Name != "Peg development CA" || ca.Issued != len(devIdentities) || !ca.Insecure {
		t.Fatalf("peg ca show = %+v, want the development CA with %d certificates", ca, len(devIdentities))
	}
	var alice certView
	if err := json.Unmarshal([]byte(mustPeg(t, home, "ca", "show", filepath.Join(issued, "alice.pem"), "-o", "json")), &alice); err != nil {
		t.Fatal(err)
	}
	if alice.Name != "Alice Trading Ltd" || alice.Country != "GB" {
		t.Fatalf("alice's certificate = %+v", alice)
	}
	if out := mustPeg(t, home, "cert", "register", filepath.Join(issued, "alice.pem"), "--from", "alice"); !strings.Contains(out, "registered for alice") {
		t.Errorf("peg cert register: %s", out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"cert", "register", filepath.Join(issued, "alice.pem"), "--from", "bob"}, "CERT_WRONG_KEY"},
		{[]string{"ca", "revoke", "2", "--from", "alice"}, "UNAUTHORIZED"},
	} {
		if code, _, errs := peg(t, home, c.args...); code != exitRejected || !strings.Contains(errs, c.want) {
			t.Errorf("peg %s: exit %d, stderr %q; want %s", strings.Join(c.args, " "), code, errs, c.want)
		}
	}
	mustPeg(t, home, "ca", "revoke", "2", "--reason", "key compromised")
	for _, args := range [][]string{
		{"ca", "revoke", "2"},
		{"cert", "register", filepath.Join(issued, "bob.pem"), "--from", "bob"},
	} {
		if code, _, errs := peg(t, home, args...); code != exitRejected || !strings.Contains(errs, "CERT_REVOKED") {
			t.Errorf("peg %s: exit %d, stderr %q; want CERT_REVOKED", strings.Join(args, " "), code, errs)
		}
	}
	var renewed certView
	out := mustPeg(t, home, "ca", "issue", "bob", "--name", "Bob Supplies Ltd", "--registration", "GB-00000002", "--country", "GB", "-o", "json")
	if err := json.Unmarshal([]byte(out), &renewed); err != nil {
		t.Fatal(err)
	}
	if want := uint64(len(devIdentities) + 1); renewed.Serial != want {
		t.Fatalf("the next certificate has serial %d, want %d", renewed.Serial, want)
	}
	mustPeg(t, home, "cert", "register", renewed.Path, "--from", "bob")
	if code, _, errs := peg(t, home, "ca", "issue", "bob", "--name", "Bob", "--registration", "1", "--country", "gb"); code != exitUsage || !strings.Contains(errs, "country") {
		t.Errorf("peg ca issue with a lower-case country: exit %d, stderr %q", code, errs)
	}
}
