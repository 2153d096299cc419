package bank

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/money"
)

const (
	obFinancialID = "0015800001041REAAY"
	obClientID    = "peg-monitor"
	obAccount     = "22289"
	obAPIPath     = "/open-banking/v3.1/aisp"
)

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// obBank is an Open Banking ASPSP over mutual TLS on loopback: a token
// endpoint for client credentials and the balances endpoint, which checks
// what the protocol requires of the request and then answers as the test
// says.
type obBank struct {
	url     string
	secret  string // when set, the client must authenticate with HTTP Basic
	tokens  atomic.Int32
	answer  http.HandlerFunc // the balances answer, once the request is checked
	onToken http.HandlerFunc // when set, replaces the token endpoint's answer
}

func newOBBank(t *testing.T, p *pki, answer http.HandlerFunc) *obBank {
	t.Helper()
	b := &obBank{answer: answer}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		if err := b.checkTokenRequest(r); err != nil {
			t.Errorf("token request: %v", err)
			serveStatus(http.StatusBadRequest, []byte(`{"error":"invalid_request"}`))(w, r)
			return
		}
		if b.onToken != nil {
			b.onToken(w, r)
			return
		}
		n := b.tokens.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":3600,"scope":"accounts"}`, n)
	})
	mux.HandleFunc("GET "+obAPIPath+"/accounts/{id}/balances", func(w http.ResponseWriter, r *http.Request) {
		if got, want := r.Header.Get("Authorization"), fmt.Sprintf("Bearer tok-%d", b.tokens.Load()); got != want {
			serveStatus(http.StatusUnauthorized, []byte(`{"Code":"401","Message":"invalid token"}`))(w, r)
			return
		}
		if got := r.Header.Get("x-fapi-financial-id"); got != obFinancialID {
			t.Errorf("x-fapi-financial-id = %q, want %q", got, obFinancialID)
		}
		id := r.Header.Get("x-fapi-interaction-id")
		if !uuidPattern.MatchString(id) {
			t.Errorf("x-fapi-interaction-id = %q, want a random UUID", id)
		}
		if got := r.PathValue("id"); got != obAccount {
			t.Errorf("AccountId in path = %q, want %q", got, obAccount)
		}
		w.Header().Set("x-fapi-interaction-id", id)
		b.answer(w, r)
	})
	b.url = p.startTLS(t, mux, true).URL
	return b
}

func (b *obBank) checkTokenRequest(r *http.Request) error {
	if len(r.TLS.PeerCertificates) == 0 || r.TLS.PeerCertificates[0].Subject.CommonName != "peg-monitor" {
		return errors.New("no client certificate")
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	if g, s := r.PostForm.Get("grant_type"), r.PostForm.Get("scope"); g != "client_credentials" || s != OpenBankingScope {
		return fmt.Errorf("grant_type %q scope %q", g, s)
	}
	id, secret, basic := r.BasicAuth()
	switch {
	case b.secret != "" && (!basic || id != obClientID || secret != b.secret):
		return fmt.Errorf("want HTTP Basic %s, got %v %q", obClientID, basic, id)
	case b.secret == "" && (basic || r.PostForm.Get("client_id") != obClientID || r.PostForm.Has("client_secret")):
		return fmt.Errorf("want tls_client_auth with client_id %s in the form", obClientID)
	}
	return nil
}

func (b *obBank) config(p *pki) OpenBankingConfig {
	return OpenBankingConfig{
		BaseURL:      b.url + obAPIPath,
		TokenURL:     b.url + "/token",
		ClientID:     obClientID,
		ClientSecret: b.secret,
		FinancialID:  obFinancialID,
		AccountID:    obAccount,
		Currency:     "GBP",
		TLS:          p.clientTLS(true),
		Timeout:      5 * time.Second,
	}
}

func TestOpenBanking(t *testing.T) {
	p := newPKI(t, "ob")
	good := fixture(t, "openbanking/balances.json")
	for _, tc := range []struct {
		name     string
		answer   http.HandlerFunc
		cfg      func(*OpenBankingConfig)
		want     uint64 // minor units
		wantType string
		wantTime string
		err      error
		also     error // a second error the result must wrap
		overdraw uint64
	}{
		{name: "interim available, credit line not added", answer: serve(good),
			want: 100000000, wantType: "InterimAvailable", wantTime: "2025-03-14T09:42:07Z"},
		{name: "preference closing booked first", answer: serve(good),
			cfg:  func(c *OpenBankingConfig) { c.Types = []string{"ClosingBooked", "InterimAvailable"} },
			want: 99875025, wantType: "ClosingBooked", wantTime: "2025-03-13T23:59:59Z"},
		{name: "falls back to closing booked",
			answer: serve(fixture(t, "openbanking/balances.json", `"InterimAvailable"`, `"InterimBooked"`)),
			want:   99875025, wantType: "ClosingBooked"},
		{name: "included credit line taken out",
			answer: serve(fixture(t, "openbanking/credit_line_included.json")),
			want:   100000000, wantType: "InterimAvailable", wantTime: "2025-03-14T08:42:07Z"},
		{name: "zero balance", answer: serve(fixture(t, "openbanking/balances.json", `"1000000.00"`, `"0.00"`)),
			want: 0, wantType: "InterimAvailable"},
		{name: "zero debit is zero", answer: serve(fixture(t, "openbanking/balances.json",
			`"Amount": "1000000.00"`, `"Amount": "0"`, `"Credit"`, `"Debit"`)),
			want: 0, wantType: "InterimAvailable"},

		{name: "wrong currency", answer: serve(fixture(t, "openbanking/balances.json",
			`"Amount": "1000000.00",
          "Currency": "GBP"`, `"Amount": "1000000.00",
          "Currency": "EUR"`)), err: ErrWrongCurrency},
		{name: "credit line outside the balance without an amount", answer: serve(fixture(t, "openbanking/balances.json",
			`"Amount": {
              "Amount": "5000.00",
              "Currency": "GBP"
            },`, ``)), want: 100000000, wantType: "InterimAvailable"},
		{name: "included credit line without an amount", answer: serve(fixture(t, "openbanking/credit_line_included.json",
			`"Amount": {
              "Amount": "5000.00",
              "Currency": "GBP"
            },`, ``)), err: ErrMalformed},
		{name: "wrong currency of a credit line", answer: serve(fixture(t, "openbanking/balances.json",
			`"5000.00",
              "Currency": "GBP"`, `"5000.00",
              "Currency": "USD"`)), err: ErrWrongCurrency},
		{name: "wrong currency of a balance not used", answer: serve(fixture(t, "openbanking/balances.json",
			`"1000120.00",
          "Currency": "GBP"`, `"1000120.00",
          "Currency": "EUR"`)), err: ErrWrongCurrency},
		{name: "another account", answer: serve(fixture(t, "openbanking/balances.json",
			`"AccountId": "22289"`, `"AccountId": "22290"`)), err: ErrWrongAccount},
		{name: "too many decimals", answer: serve(fixture(t, "openbanking/balances.json",
			`"1000000.00"`, `"1000000.001"`)), err: ErrMalformed, also: money.ErrPrecision},
		{name: "trailing zeros beyond the currency", answer: serve(fixture(t, "openbanking/balances.json",
			`"1000000.00"`, `"1000000.000"`)), err: ErrMalformed, also: money.ErrPrecision},
		{name: "missing balance type", answer: serve(fixture(t, "openbanking/balances.json",
			`"InterimAvailable"`, `"InterimBooked"`, `"ClosingBooked"`, `"OpeningBooked"`)), err: ErrNoBalance},
		{name: "no balances", answer: serve([]byte(`{"Data":{"Balance":[]},"Links":{},"Meta":{}}`)), err: ErrNoBalance},
		{name: "duplicated type", answer: serve(fixture(t, "openbanking/balances.json",
			`"Expected"`, `"InterimAvailable"`)), err: ErrMalformed},
		{name: "duplicated type not preferred", answer: serve(fixture(t, "openbanking/balances.json",
			`"ClosingBooked"`, `"Expected"`)), err: ErrMalformed},
		{name: "negative", answer: serve(fixture(t, "openbanking/balances.json", `"Credit"`, `"Debit"`)),
			err: ErrNegative, overdraw: 100000000},
		{name: "negative once the included credit line is out", answer: serve(fixture(t, "openbanking/credit_line_included.json",
			`"1005000.00"`, `"4000.00"`)), err: ErrNegative, overdraw: 100000},
		{name: "amount with a sign", answer: serve(fixture(t, "openbanking/balances.json",
			`"1000000.00"`, `"-1000000.00"`)), err: ErrMalformed},
		{name: "amount as a JSON number", answer: serve(fixture(t, "openbanking/balances.json",
			`"1000000.00"`, `1000000.00`)), err: ErrMalformed},
		{name: "amount with an exponent", answer: serve(fixture(t, "openbanking/balances.json",
			`"1000000.00"`, `"1e6"`)), err: ErrMalformed},
		{name: "amount with a separator", answer: serve(fixture(t, "openbanking/balances.json",
			`"1000000.00"`, `"1,000,000.00"`)), err: ErrMalformed},
		{name: "amount missing", answer: serve(fixture(t, "openbanking/balances.json",
			`"Amount": "1000000.00",`, ``)), err: ErrMalformed},
		{name: "duplicated key", answer: serve(fixture(t, "openbanking/balances.json",
			`"Amount": "1000000.00",`, `"Amount": "1000000.00", "amount": "99000000.00",`)), err: ErrMalformed},
		{name: "bad indicator", answer: serve(fixture(t, "openbanking/balances.json", `"Credit"`, `"CRDT"`)), err: ErrMalformed},
		{name: "date without zone", answer: serve(fixture(t, "openbanking/balances.json",
			`"2025-03-14T09:42:07+00:00"`, `"2025-03-14T09:42:07"`)), err: ErrMalformed},
		{name: "dated in the future", answer: serve(fixture(t, "openbanking/balances.json",
			`"2025-03-14T09:42:07+00:00"`, `"2999-03-14T09:42:07+00:00"`)), err: ErrMalformed},
		{name: "no Data", answer: serve([]byte(`{"Links":{},"Meta":{}}`)), err: ErrMalformed},
		{name: "garbage body", answer: serve([]byte("<html><body>Service temporarily down</body></html>")), err: ErrMalformed},
		{name: "truncated JSON", answer: serve(good[:len(good)/2]), err: ErrMalformed},
		{name: "two JSON values", answer: serve(append(append([]byte{}, good...), good...)), err: ErrMalformed},
		{name: "500", answer: serveStatus(500, nil), err: ErrUnavailable},
		{name: "503 with an error body", answer: serveStatus(503, fixture(t, "openbanking/error_503.json")), err: ErrUnavailable},
		{name: "429", answer: serveStatus(429, nil), err: ErrUnavailable},
		{name: "403", answer: serveStatus(403, []byte(`{"Code":"403 Forbidden"}`)), err: ErrRefused},
		{name: "redirect", answer: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://elsewhere.example/", http.StatusFound)
		}, err: ErrRefused},
		{name: "oversized body", answer: serve(append(bytes.Repeat([]byte(" "), 5000), good...)),
			cfg: func(c *OpenBankingConfig) { c.MaxResponseBytes = 4096 }, err: ErrMalformed},
		{name: "oversized body, no length", answer: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			for range 3 { // flushed chunks: no Content-Length
				w.Write(bytes.Repeat([]byte(" "), 2000))
				w.(http.Flusher).Flush()
			}
			w.Write(good)
		}, cfg: func(c *OpenBankingConfig) { c.MaxResponseBytes = 4096 }, err: ErrMalformed},
		{name: "answer to another interaction", answer: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("x-fapi-interaction-id", "93bac548-d2de-4546-b106-880a5018460d")
			serve(good)(w, r)
		}, err: ErrMalformed},
		{name: "slow", answer: waitForCancel,
			cfg: func(c *OpenBankingConfig) { c.Timeout = 200 * time.Millisecond }, err: ErrUnavailable, also: context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newOBBank(t, p, tc.answer)
			cfg := b.config(p)
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			c, err := NewOpenBanking(cfg)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Balance(context.Background())
			checkResult(t, got, err, tc.want, tc.wantType, tc.wantTime, tc.err, tc.also, tc.overdraw)
			if err == nil && (got.Account != obAccount || got.Currency != "GBP") {
				t.Errorf("Balance is for %s in %s", got.Account, got.Currency)
			}
		})
	}
}

func TestOpenBankingRawIsTheAnswer(t *testing.T) {
	p := newPKI(t, "ob")
	good := fixture(t, "openbanking/balances.json")
	b := newOBBank(t, p, serve(good))
	c, err := NewOpenBanking(b.config(p))
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Balance(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Raw, good) {
		t.Errorf("Raw is %d bytes, not the %d-byte answer", len(got.Raw), len(good))
	}
}

// checkResult compares a connector's result with a case's expectations.
func checkResult(t *testing.T, got Balance, err error, want uint64, wantType, wantTime string, wantErr, also error, overdraw uint64) {
	t.Helper()
	if wantErr != nil {
		if !errors.Is(err, wantErr) {
			t.Fatalf("err = %v, want %v", err, wantErr)
		}
		if also != nil && !errors.Is(err, also) {
			t.Fatalf("err = %v, want it to wrap %v too", err, also)
		}
		if got.Amount != (money.Amount{}) || got.Raw != nil {
			t.Errorf("failed Balance carries a value: %+v", got)
		}
		if overdraw != 0 {
			var neg *NegativeError
			if !errors.As(err, &neg) {
				t.Fatalf("err = %T, want *NegativeError", err)
			}
			if neg.Overdrawn != money.FromUint64(overdraw) || len(neg.Raw) == 0 {
				t.Errorf("NegativeError = %s below zero, raw %d bytes; want %d", neg.Overdrawn, len(neg.Raw), overdraw)
			}
		}
		t.Logf("error, as it reads: %v", err)
		return
	}
	if err != nil {
		t.Fatalf("err = %v", err)
	}
	if got.Amount != money.FromUint64(want) || got.Type != wantType {
		t.Errorf("Balance = %s %s, want %d %s", got.Amount, got.Type, want, wantType)
	}
	if wantTime != "" && got.Time.UTC().Format(time.RFC3339) != wantTime {
		t.Errorf("Time = %s, want %s", got.Time.UTC().Format(time.RFC3339), wantTime)
	}
	if len(got.Raw) == 0 {
		t.Error("Raw is empty")
	}
}

// TestOpenBankingConnection covers what happens below the answer: the
// network, TLS, the token endpoint and the token's life.
func TestOpenBankingConnection(t *testing.T) {
	p := newPKI(t, "ob")
	other := newPKI(t, "rogue")
	good := fixture(t, "openbanking/balances.json")

	t.Run("bank down", func(t *testing.T) {
		cfg := (&obBank{url: "https://" + closedAddr(t)}).config(p)
		c, err := NewOpenBanking(cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Balance(context.Background())
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
		t.Log(err)
	})
	for _, tc := range []struct {
		name string
		tls  *tls.Config
	}{
		{"client certificate from another CA", &tls.Config{RootCAs: p.pool, Certificates: []tls.Certificate{other.client}}},
		{"server certificate from an unknown CA", &tls.Config{RootCAs: other.pool, Certificates: []tls.Certificate{p.client}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newOBBank(t, p, serve(good))
			cfg := b.config(p)
			cfg.TLS = tc.tls
			c, err := NewOpenBanking(cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Balance(context.Background())
			if !errors.Is(err, ErrUnavailable) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
			if n := b.tokens.Load(); n != 0 {
				t.Errorf("%d tokens issued over a failed handshake", n)
			}
			t.Log(err)
		})
	}
	for _, tc := range []struct {
		name  string
		token http.HandlerFunc
		err   error
	}{
		{"token endpoint 500", serveStatus(500, nil), ErrUnavailable},
		{"token endpoint refuses the client", serveStatus(401, []byte(`{"error":"invalid_client","error_description":"unknown certificate"}`)), ErrRefused},
		{"token endpoint garbage", serve([]byte("<html>hello</html>")), ErrMalformed},
		{"token endpoint slow", waitForCancel, ErrUnavailable},
		{"token of another type", serve([]byte(`{"access_token":"x","token_type":"mac"}`)), ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newOBBank(t, p, serve(good))
			b.onToken = tc.token
			cfg := b.config(p)
			cfg.Timeout = 300 * time.Millisecond
			c, err := NewOpenBanking(cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Balance(context.Background())
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			t.Log(err)
		})
	}
	t.Run("token reused until the bank refuses it", func(t *testing.T) {
		b := newOBBank(t, p, serve(good))
		c, err := NewOpenBanking(b.config(p))
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if _, err := c.Balance(context.Background()); err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
		}
		if n := b.tokens.Load(); n != 1 {
			t.Fatalf("%d token requests for 3 calls, want 1", n)
		}
		b.tokens.Add(1) // the bank revokes tok-1: it now wants tok-2, which it has not issued
		if _, err := c.Balance(context.Background()); !errors.Is(err, ErrRefused) {
			t.Fatalf("with a revoked token: err = %v, want ErrRefused", err)
		}
		if _, err := c.Balance(context.Background()); err != nil {
			t.Fatalf("after a 401 the connector should fetch a new token: %v", err)
		}
		if n := b.tokens.Load(); n != 3 {
			t.Fatalf("token count %d, want 3", n)
		}
	})
	t.Run("client secret sent as HTTP Basic", func(t *testing.T) {
		b := newOBBank(t, p, serve(good))
		b.secret = "s3cret"
		c, err := NewOpenBanking(b.config(p))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Balance(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("TLS from PEM files", func(t *testing.T) {
		dir := t.TempDir()
		ca, cert, key := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
		for name, data := range map[string][]byte{ca: p.caPEM, cert: p.clientCertPEM, key: p.clientKeyPEM} {
			if err := os.WriteFile(name, data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		tlsConf, err := NewTLSConfig(ca, cert, key)
		if err != nil {
			t.Fatal(err)
		}
		b := newOBBank(t, p, serve(good))
		cfg := b.config(p)
		cfg.TLS = tlsConf
		c, err := NewOpenBanking(cfg)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Balance(context.Background())
		if err != nil || got.Amount != money.FromUint64(100000000) {
			t.Fatalf("Balance = %+v, %v", got, err)
		}
		if !strings.HasPrefix(c.Name(), "openbanking:127.0.0.1:") || !strings.HasSuffix(c.Name(), "/"+obAccount) {
			t.Errorf("Name = %q", c.Name())
		}
	})
}
