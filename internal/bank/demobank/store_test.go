package demobank

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/money"
)

func TestPersistsAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	tb := startBank(t, dir, Options{})
	tb.mustCreate(t, "r1", "GBP")
	tb.mustCreate(t, "r2", "JPY")
	tb.mustPost(t, "r1", Credit, "500")
	tb.mustPost(t, "r1", Debit, "123.45")
	tb.mustPost(t, "r2", Credit, "7")
	tok := tb.token(t)
	creds := tb.Credentials()
	ca, err := os.ReadFile(tb.Files().CA)
	if err != nil {
		t.Fatal(err)
	}
	tb.close(t)

	again := startBank(t, dir, Options{})
	if again.Credentials() != creds {
		t.Error("credentials changed on reopen")
	}
	if ca2, _ := os.ReadFile(again.Files().CA); !bytes.Equal(ca, ca2) {
		t.Error("CA regenerated on reopen")
	}
	v, err := again.admin.Account(context.Background(), "r1", 10)
	if err != nil {
		t.Fatal(err)
	}
	if v.Balance != "376.55" || len(v.Transactions) != 2 || v.Transactions[1].Reference != "debit 123.45" {
		t.Fatalf("after reopen: %+v", v)
	}
	// A token issued before the restart still works: tokens are signed, not stored.
	if resp, body := again.get(t, "/accounts/r2/balances", tok); resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"Amount":"7"`) {
		t.Fatalf("old token after reopen: %s %s", resp.Status, body)
	}
	// New postings continue the transaction numbering.
	if r := again.mustPost(t, "r2", Credit, "1"); r.Transaction.ID != "T00000004" {
		t.Errorf("next transaction id %s, want T00000004", r.Transaction.ID)
	}
}

func TestFilesAndModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bank")
	b, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.CreateAccount(NewAccount{Currency: "USD"}); err != nil {
		t.Fatal(err)
	}
	f := b.Files()
	for path, mode := range map[string]os.FileMode{
		f.Dir: 0o700 | os.ModeDir, f.CA: 0o644, f.ServerCert: 0o644, f.ServerKey: 0o600,
		f.ClientCert: 0o644, f.ClientKey: 0o600, f.Credentials: 0o600, f.State: 0o600,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Error(err)
			continue
		}
		if fi.Mode() != mode {
			t.Errorf("%s: mode %v, want %v", filepath.Base(path), fi.Mode(), mode)
		}
	}
	if _, err := LoadCredentials(dir); err != nil {
		t.Errorf("LoadCredentials: %v", err)
	}
	if _, err := Open(dir, Options{}); err == nil || !strings.Contains(err.Error(), "another process") {
		t.Errorf("second Open of a data directory in use: got %v", err)
	}
}

func TestOpenRefusesBadOptions(t *testing.T) {
	for _, o := range []Options{
		{MaxAccounts: -1}, {MaxHistory: -1}, {MaxHistory: MaxHistoryCeiling + 1},
		{MaxAccounts: 10_000, MaxHistory: 1000}, {TokenTTL: time.Millisecond}, {TokenTTL: 48 * time.Hour},
		{MaxFaultDelay: 2 * time.Hour},
	} {
		if b, err := Open(t.TempDir(), o); err == nil {
			b.Close()
			t.Errorf("Open accepted %+v", o)
		}
	}
}

func TestOpenRefusesTamperedState(t *testing.T) {
	dir := t.TempDir()
	b, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.CreateAccount(NewAccount{ID: "r1", Currency: "GBP"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Credit("r1", money.FromUint64(1000), "x"); err != nil {
		t.Fatal(err)
	}
	b.Close()
	good, err := os.ReadFile(b.Files().State)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, old, new, want string }{
		{"balance raised", `"balance": "1000"`, `"balance": "9000"`, "history ends at"},
		{"newer version", `"version": 1`, `"version": 2`, "version 2"},
		{"unknown field", `"next_tx"`, `"colour": 1, "next_tx"`, "unknown field"},
		{"bad currency", `"currency": "GBP"`, `"currency": "GBX"`, "GBX"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !bytes.Contains(good, []byte(tc.old)) {
				t.Fatalf("state file lacks %s:\n%s", tc.old, good)
			}
			if err := os.WriteFile(b.Files().State, bytes.Replace(good, []byte(tc.old), []byte(tc.new), 1), 0o600); err != nil {
				t.Fatal(err)
			}
			b2, err := Open(dir, Options{})
			if err == nil {
				b2.Close()
				t.Fatal("Open accepted a tampered state file")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

// FuzzDecodeState feeds the state decoder mutations of a valid file: it must
// answer with a state or an error, never a panic, and a state it accepts
// must encode back to something it accepts again.
func FuzzDecodeState(f *testing.F) {
	st := &ledgerState{nextTx: 1, nextAccount: 1, accounts: map[AccountID]*account{}}
	a := &account{Account: Account{ID: "r1", IBAN: makeIBAN(DefaultBIC, 1), BIC: DefaultBIC, Currency: mustCurrency("GBP"),
		Opened: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}, day: "2025-01-01"}
	a, _, err := a.post(Posting{Direction: Credit, Amount: money.FromUint64(500), Reference: "seed"}, "T1", a.Opened, 10)
	if err != nil {
		f.Fatal(err)
	}
	seed, err := st.with(a).encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"version":1,"accounts":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := decodeState(b, 10, 10)
		if err != nil {
			return
		}
		again, err := s.encode()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decodeState(again, 10, 10); err != nil {
			t.Fatalf("accepted state does not round-trip: %v", err)
		}
		var v any
		if json.Unmarshal(again, &v) != nil {
			t.Fatal("encoded state is not JSON")
		}
	})
}
