package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/bank/demobank"
)

// runBank runs `peg bank ARGS` in process against the bank at url, whose
// data directory is dir, and returns its standard output.
func runBank(t *testing.T, dir, url, output string, args ...string) (string, error) {
	t.Helper()
	g := &globals{home: t.TempDir(), output: output}
	cmd := bankCmd(g)
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(append(args, "--data", dir, "--bank", url))
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	return out.String(), err
}

func TestBankCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bank")
	s, err := startBankServer(dir, "127.0.0.1:0", "127.0.0.1:0", demobank.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	if v := s.view(); !strings.HasSuffix(v.OpenBankingURL, demobank.OBBasePath) || v.ClientID == "" || filepath.Base(v.CA) != demobank.CAFile {
		t.Errorf("serve view: %+v", v)
	}
	url := s.adminURL
	jsonRun := func(v any, args ...string) {
		t.Helper()
		out, err := runBank(t, dir, url, "json", args...)
		if err != nil {
			t.Fatalf("peg bank %s: %v", strings.Join(args, " "), err)
		}
		if err := json.Unmarshal([]byte(out), v); err != nil {
			t.Fatalf("peg bank %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, out)
		}
	}

	var acct demobank.AccountView
	jsonRun(&acct, "account", "create", "--currency", "GBP", "--id", "reserve", "--name", "Issuer reserve")
	if acct.ID != "reserve" || acct.Balance != "0.00" {
		t.Fatalf("create: %+v", acct)
	}
	var r demobank.PostingResult
	jsonRun(&r, "account", "credit", "--account", "reserve", "--amount", "1000000", "--reference", "initial")
	jsonRun(&r, "account", "debit", "--account", "reserve", "--amount", "200000.01")
	if r.Account.Balance != "799999.99" {
		t.Fatalf("after debit: %+v", r)
	}
	jsonRun(&acct, "account", "show", "--account", "reserve")
	if len(acct.Transactions) != 2 || acct.Transactions[0].Reference != "initial" {
		t.Fatalf("show: %+v", acct)
	}
	var list []demobank.AccountView
	jsonRun(&list, "account", "list")
	if len(list) != 1 {
		t.Fatalf("list: %+v", list)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	var st bankStatementView
	jsonRun(&st, "statement", "--account", "reserve", "--from", today, "--to", today)
	var doc struct {
		Bal []struct {
			Cd  string `xml:"Tp>CdOrPrtry>Cd"`
			Amt string `xml:"Amt"`
		} `xml:"BkToCstmrStmt>Stmt>Bal"`
	}
	if err := xml.Unmarshal([]byte(st.Camt053), &doc); err != nil || len(doc.Bal) != 2 || doc.Bal[1].Amt != "799999.99" {
		t.Fatalf("statement: %v %+v", err, doc)
	}
	var f demobank.FaultView
	jsonRun(&f, "fault", "--mode", "error", "--delay", "2s")
	if f.Mode != demobank.FaultError || f.Delay != "2s" {
		t.Fatalf("fault: %+v", f)
	}
	jsonRun(&f, "fault", "--mode", "none")
	jsonRun(&f, "fault")
	if f.Mode != demobank.FaultNone {
		t.Fatalf("fault after reset: %+v", f)
	}

	out, err := runBank(t, dir, url, "text", "account", "show", "--account", "reserve")
	if err != nil || !strings.Contains(out, "balance:   799999.99 GBP") {
		t.Fatalf("show as text: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		name      string
		args      []string
		usage     bool
		wantInErr string
	}{
		{"overdraft", []string{"account", "debit", "--account", "reserve", "--amount", "800000"}, false, "insufficient funds"},
		{"excess precision", []string{"account", "credit", "--account", "reserve", "--amount", "1.001"}, true, "more decimal places"},
		{"unknown account", []string{"account", "credit", "--account", "nope", "--amount", "1"}, false, "no such account"},
		{"bad date", []string{"statement", "--account", "reserve", "--from", "yesterday", "--to", today}, true, "YYYY-MM-DD"},
		{"missing amount", []string{"account", "credit", "--account", "reserve"}, false, "amount"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runBank(t, dir, url, "text", tc.args...)
			var ue *usageError
			if err == nil || !strings.Contains(err.Error(), tc.wantInErr) || errors.As(err, &ue) != tc.usage {
				t.Fatalf("got %v (usage error: %v), want an error with %q (usage error: %v)", err, errors.As(err, &ue), tc.wantInErr, tc.usage)
			}
		})
	}
	if _, err := runBank(t, t.TempDir(), url, "text", "account", "list"); err == nil || !strings.Contains(err.Error(), "no admin token") {
		t.Errorf("without credentials: got %v", err)
	}
}
