package webhook

import (
	"bytes"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/monitor"
)

func account(seed byte) ledger.Address {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	return ledger.NewAddress("GB", priv.Public().(ed25519.PublicKey))
}

func TestNewRefuses(t *testing.T) {
	dir := t.TempDir()
	good := func() Config {
		return Config{API: client.New("http://127.0.0.1:1"), Accounts: []ledger.Address{account(1)},
			Hook: monitor.Webhook{URL: "http://127.0.0.1:2/hook", Secret: "s"}, State: filepath.Join(dir, "cursors.json")}
	}
	many := make([]ledger.Address, MaxAccounts+1)
	for i := range many {
		many[i] = account(byte(i + 1))
	}
	cases := []struct {
		name, want string
		change     func(*Config)
	}{
		{"no API", "no API", func(c *Config) { c.API = nil }},
		{"no account", "no account", func(c *Config) { c.Accounts = nil }},
		{"too many accounts", "more than the 64", func(c *Config) { c.Accounts = many }},
		{"an account twice", "listed twice", func(c *Config) { c.Accounts = append(c.Accounts, account(1)) }},
		{"no state file", "no state file", func(c *Config) { c.State = "" }},
		{"no secret", "no secret", func(c *Config) { c.Hook.Secret = "" }},
		{"not http", "want an http", func(c *Config) { c.Hook.URL = "ftp://example.com/" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := good()
			c.change(&cfg)
			if _, err := New(cfg, nil); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("New = %v, want an error saying %q", err, c.want)
			}
		})
	}
	if _, err := New(good(), nil); err != nil {
		t.Errorf("New with a good config and no state file yet: %v", err)
	}
}

func TestStateFile(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{API: client.New("http://127.0.0.1:1"), Accounts: []ledger.Address{account(1)},
		Hook: monitor.Webhook{URL: "http://127.0.0.1:2/hook", Secret: "s"}, State: filepath.Join(dir, "cursors.json")}
	s, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.save(account(1), "7.3"); err != nil {
		t.Fatal(err)
	}
	again, err := New(cfg, nil)
	if err != nil || again.Cursor(account(1)) != "7.3" {
		t.Fatalf("after a restart the cursor is %q, %v; want 7.3", again.Cursor(account(1)), err)
	}
	for _, bad := range []string{"{", `{"` + account(1).String() + `":"x"}`, `{"` + account(1).String() + `":"0.0"}`} {
		if err := os.WriteFile(cfg.State, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := New(cfg, nil); err == nil || !strings.Contains(err.Error(), "state file") {
			t.Errorf("a state file %q: %v, want it refused", bad, err)
		}
	}
}
