package bank_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/bank"
	"github.com/pegledger/peg/internal/bank/demobank"
	"github.com/pegledger/peg/internal/money"
)

// TestAgainstDemoBank runs the Open Banking and camt connectors unchanged
// against Peg's demo bank over real HTTP and mutual TLS on loopback, with
// the certificates and credentials the demo bank generates for itself.
func TestAgainstDemoBank(t *testing.T) {
	const iban = "GB82WEST12345698765432"
	b, err := demobank.Open(t.TempDir(), demobank.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	acct, err := b.CreateAccount(demobank.NewAccount{ID: "reserve-1", IBAN: iban, BIC: "WESTGB2L", Currency: "GBP", Name: "Peg Reserve"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Credit(acct.ID, money.FromUint64(100_000_000), "opening"); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go b.Serve(ln)
	files, creds := b.Files(), b.Credentials()
	tlsConf, err := bank.NewTLSConfig(files.CA, files.ClientCert, files.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	base := "https://" + ln.Addr().String()
	connect := func(secret string) *bank.OpenBanking {
		c, err := bank.NewOpenBanking(bank.OpenBankingConfig{
			BaseURL: base + "/open-banking/v3.1/aisp", TokenURL: base + "/token",
			ClientID: creds.ClientID, ClientSecret: secret, FinancialID: creds.FinancialID,
			AccountID: string(acct.ID), Currency: "GBP", TLS: tlsConf, Timeout: 10 * time.Second,
		})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ctx := context.Background()
	for name, c := range map[string]*bank.OpenBanking{"client secret": connect(creds.ClientSecret), "tls_client_auth": connect("")} {
		got, err := c.Balance(ctx)
		if err != nil || got.Amount != money.FromUint64(100_000_000) || got.Type != "InterimAvailable" || got.Account != string(acct.ID) {
			t.Fatalf("%s: Balance = %+v, %v", name, got, err)
		}
	}

	if _, err := b.Debit(acct.ID, money.FromUint64(20_000_000), "redemption"); err != nil {
		t.Fatal(err)
	}
	c := connect(creds.ClientSecret)
	if got, err := c.Balance(ctx); err != nil || got.Amount != money.FromUint64(80_000_000) {
		t.Fatalf("after a debit: Balance = %+v, %v", got, err)
	}

	wrong, err := bank.NewOpenBanking(bank.OpenBankingConfig{
		BaseURL: base + "/open-banking/v3.1/aisp", TokenURL: base + "/token",
		ClientID: creds.ClientID, ClientSecret: creds.ClientSecret, FinancialID: creds.FinancialID,
		AccountID: string(acct.ID), Currency: "EUR", TLS: tlsConf,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wrong.Balance(ctx); !errors.Is(err, bank.ErrWrongCurrency) {
		t.Fatalf("configured in EUR: err = %v, want ErrWrongCurrency", err)
	}

	statement, err := b.Statement(acct.ID, time.Now().Add(-24*time.Hour), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "statement.xml"), statement, 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := bank.NewCamtDir(bank.CamtDirConfig{Dir: dir, Account: iban, Currency: "GBP"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := d.Scan(ctx)
	if err != nil || len(s.Skipped) != 0 || s.Balance.Type != "CLBD" || s.Message != "camt.053.001.08" {
		t.Fatalf("camt.053 of the demo bank: %+v, %v", s, err)
	}
	if s.Balance.Amount != money.FromUint64(80_000_000) {
		t.Errorf("camt.053 closing balance %s, want 80000000", s.Balance.Amount)
	}
}
