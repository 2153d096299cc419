package demobank

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/token"
)

func TestCreateAccount(t *testing.T) {
	tb := startBank(t, "", Options{MaxAccounts: 4})
	ctx := context.Background()
	v, err := tb.admin.CreateAccount(ctx, CreateAccountRequest{Currency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	if v.ID != "00000001" || v.BIC != DefaultBIC || v.Currency != "USD" || v.Decimals != 2 || v.Balance != "0.00" {
		t.Fatalf("got %+v", v)
	}
	if err := token.CheckIBAN(v.IBAN); err != nil {
		t.Fatalf("made-up IBAN: %v", err)
	}
	iban := "DE89370400440532013000"
	if _, err := tb.admin.CreateAccount(ctx, CreateAccountRequest{ID: "00000003", IBAN: iban, BIC: "COBADEFFXXX", Currency: "EUR"}); err != nil {
		t.Fatal(err)
	}
	// The next made-up id skips the one taken.
	if v, err := tb.admin.CreateAccount(ctx, CreateAccountRequest{Currency: "GBP"}); err != nil || v.ID != "00000004" {
		t.Fatalf("got %+v, %v; want id 00000004", v, err)
	}
	for _, tc := range []struct {
		name string
		req  CreateAccountRequest
		want error
	}{
		{"duplicate id", CreateAccountRequest{ID: "00000001", Currency: "USD"}, ErrExists},
		{"duplicate IBAN", CreateAccountRequest{IBAN: iban, Currency: "EUR"}, ErrExists},
		{"no currency", CreateAccountRequest{}, ErrInvalid},
		{"lower-case currency", CreateAccountRequest{Currency: "usd"}, ErrInvalid},
		{"unknown currency", CreateAccountRequest{Currency: "XXX"}, ErrInvalid},
		{"bad IBAN check digits", CreateAccountRequest{IBAN: "DE88370400440532013000", Currency: "EUR"}, ErrInvalid},
		{"bad BIC", CreateAccountRequest{BIC: "BANK", Currency: "EUR"}, ErrInvalid},
		{"bad id", CreateAccountRequest{ID: "a/b", Currency: "EUR"}, ErrInvalid},
		{"long id", CreateAccountRequest{ID: AccountID(strings.Repeat("a", MaxAccountIDLen+1)), Currency: "EUR"}, ErrInvalid},
		{"control character in name", CreateAccountRequest{Name: "a\nb", Currency: "EUR"}, ErrInvalid},
		{"long name", CreateAccountRequest{Name: strings.Repeat("n", MaxNameLen+1), Currency: "EUR"}, ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tb.admin.CreateAccount(ctx, tc.req)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := tb.admin.CreateAccount(ctx, CreateAccountRequest{Currency: "GBP"}); err != nil {
		t.Fatal(err)
	}
	_, err = tb.admin.CreateAccount(ctx, CreateAccountRequest{Currency: "GBP"})
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "MaxAccounts") {
		t.Fatalf("fifth account: got %v, want ErrLimit naming MaxAccounts", err)
	}
	list, err := tb.admin.Accounts(ctx)
	if err != nil || len(list) != 4 {
		t.Fatalf("list: %d accounts, %v", len(list), err)
	}
}

func TestCreditDebit(t *testing.T) {
	tb := startBank(t, "", Options{})
	ctx := context.Background()
	tb.mustCreate(t, "r1", "GBP")
	tb.mustPost(t, "r1", Credit, "100.5")
	r := tb.mustPost(t, "r1", Debit, "0.25")
	if r.Account.Balance != "100.25" || r.Transaction.BalanceAfter != "100.25" || r.Transaction.Amount != "0.25" || r.Transaction.Direction != Debit {
		t.Fatalf("got %+v", r)
	}
	for _, tc := range []struct {
		name   string
		id     AccountID
		debit  bool
		amount string
		want   error
	}{
		{"overdraft", "r1", true, "100.26", ErrInsufficientFunds},
		{"excess precision", "r1", false, "1.001", ErrInvalid},
		{"zero", "r1", false, "0", ErrInvalid},
		{"negative", "r1", false, "-1", ErrInvalid},
		{"exponent", "r1", false, "1e3", ErrInvalid},
		{"unknown account", "nope", false, "1", ErrNotFound},
		{"balance beyond 13 digits", "r1", false, "9999999999900", ErrLimit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			post := tb.admin.Credit
			if tc.debit {
				post = tb.admin.Debit
			}
			_, err := post(ctx, tc.id, PostingRequest{Amount: tc.amount})
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	v, err := tb.admin.Account(ctx, "r1", 10)
	if err != nil {
		t.Fatal(err)
	}
	if v.Balance != "100.25" || len(v.Transactions) != 2 {
		t.Fatalf("refused postings changed the account: %+v", v)
	}
	if _, err := tb.admin.Debit(ctx, "r1", PostingRequest{Amount: "100.26"}); err == nil || !strings.Contains(err.Error(), "balance is 100.25 GBP") {
		t.Errorf("overdraft error does not say the balance: %v", err)
	}
	if _, err := tb.admin.Account(ctx, "r1", -1); !errors.Is(err, ErrInvalid) {
		t.Errorf("transactions=-1: got %v, want ErrInvalid", err)
	}
}

func TestIdempotentPosting(t *testing.T) {
	tb := startBank(t, "", Options{})
	ctx := context.Background()
	tb.mustCreate(t, "r1", "EUR")
	req := PostingRequest{Amount: "10", Reference: "top-up", IdempotencyKey: "k1"}
	first, err := tb.admin.Credit(ctx, "r1", req)
	if err != nil {
		t.Fatal(err)
	}
	again, err := tb.admin.Credit(ctx, "r1", req)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Replayed || again.Transaction.ID != first.Transaction.ID || again.Account.Balance != "10.00" {
		t.Fatalf("replay: got %+v", again)
	}
	if _, err := tb.admin.Debit(ctx, "r1", req); !errors.Is(err, ErrIdempotency) {
		t.Fatalf("same key, other direction: got %v, want ErrIdempotency", err)
	}
	req.Amount = "11"
	if _, err := tb.admin.Credit(ctx, "r1", req); !errors.Is(err, ErrIdempotency) {
		t.Fatalf("same key, other amount: got %v, want ErrIdempotency", err)
	}
}

func TestHistoryBounded(t *testing.T) {
	tb := startBank(t, "", Options{MaxHistory: 3})
	tb.mustCreate(t, "r1", "GBP")
	for i := 1; i <= 5; i++ {
		tb.mustPost(t, "r1", Credit, "1")
	}
	txs, err := tb.Transactions("r1", 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(txs) != 3 || txs[0].ID != "T00000003" || txs[2].BalanceAfter != money.FromUint64(500) {
		t.Fatalf("kept %+v", txs)
	}
	if _, err := tb.Transactions("r1", 4); !errors.Is(err, ErrInvalid) {
		t.Fatalf("more than MaxHistory: got %v", err)
	}
	// The admin API's default shows no more than MaxHistory.
	if v, err := tb.admin.Account(context.Background(), "r1", 0); err != nil || len(v.Transactions) != 3 {
		t.Fatalf("default show: %d transactions, %v", len(v.Transactions), err)
	}
}

func TestAdminAuthAndLimits(t *testing.T) {
	tb := startBank(t, "", Options{})
	ctx := context.Background()
	for _, tok := range []string{"", "wrong"} {
		c := NewAdminClient(tb.adminURL, tok)
		_, err := c.Accounts(ctx)
		if status, ok := IsAdminError(err); !ok || status != http.StatusUnauthorized {
			t.Errorf("token %q: got %v, want 401", tok, err)
		}
	}
	big := strings.NewReader(`{"currency":"GBP","name":"` + strings.Repeat("x", MaxRequestBytes) + `"}`)
	req, _ := http.NewRequest(http.MethodPost, tb.adminURL+AdminPath+"/accounts", big)
	req.Header.Set("Authorization", "Bearer "+tb.Credentials().AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("oversized body: got %s, want 400", resp.Status)
	}
	req, _ = http.NewRequest(http.MethodPost, tb.adminURL+AdminPath+"/accounts", strings.NewReader(`{"currency":"GBP","colour":"red"}`))
	req.Header.Set("Authorization", "Bearer "+tb.Credentials().AdminToken)
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown field: got %s, want 400", resp.Status)
	}
	req, _ = http.NewRequest(http.MethodDelete, tb.adminURL+AdminPath+"/accounts", nil)
	req.Header.Set("Authorization", "Bearer "+tb.Credentials().AdminToken)
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, POST" {
		t.Errorf("DELETE: got %s Allow %q, want 405 GET, POST", resp.Status, resp.Header.Get("Allow"))
	}
}

func TestFormatAmount(t *testing.T) {
	for _, tc := range []struct {
		units uint64
		code  string
		want  string
	}{
		{0, "GBP", "0.00"}, {1, "GBP", "0.01"}, {10, "GBP", "0.10"}, {123450, "GBP", "1234.50"},
		{5, "JPY", "5"}, {1005, "BHD", "1.005"}, {10000, "CLF", "1.0000"},
	} {
		c, _ := token.LookupCurrency(tc.code)
		if got := formatAmount(money.FromUint64(tc.units), c); got != tc.want {
			t.Errorf("formatAmount(%d %s) = %q, want %q", tc.units, tc.code, got, tc.want)
		}
	}
}

func TestMadeUpIBANsAreValid(t *testing.T) {
	for _, n := range []uint64{0, 1, 42, 99_999_999, 100_000_000} {
		for _, bic := range []string{DefaultBIC, "COBADEFFXXX"} {
			if err := token.CheckIBAN(makeIBAN(bic, n)); err != nil {
				t.Errorf("makeIBAN(%s, %d): %v", bic, n, err)
			}
		}
	}
}
