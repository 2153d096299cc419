package demobank

import (
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestTokenIssued(t *testing.T) {
	tb := startBank(t, "", Options{})
	cr := tb.Credentials()
	for _, tc := range []struct {
		name  string
		basic bool
		form  string
	}{
		{"basic", true, "grant_type=client_credentials&scope=accounts"},
		{"form", false, "grant_type=client_credentials&scope=accounts&client_id=" + cr.ClientID + "&client_secret=" + cr.ClientSecret},
		{"no scope", true, "grant_type=client_credentials"},
		{"openid and accounts", true, "grant_type=client_credentials&scope=openid+accounts"},
		{"tls_client_auth", false, "grant_type=client_credentials&scope=accounts&client_id=" + cr.ClientID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, tb.obURL+TokenPath, strings.NewReader(tc.form))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tc.basic {
				req.SetBasicAuth(cr.ClientID, cr.ClientSecret)
			}
			resp, body := tb.do(t, req)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("got %s %s, want 200", resp.Status, body)
			}
			if got := resp.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			var tr map[string]any
			if err := json.Unmarshal(body, &tr); err != nil {
				t.Fatal(err)
			}
			if tr["token_type"] != "Bearer" || tr["expires_in"] != float64(3600) || tr["scope"] != "accounts" || tr["access_token"] == "" {
				t.Fatalf("got %s", body)
			}
			if resp, body := tb.get(t, "/accounts", tr["access_token"].(string)); resp.StatusCode != http.StatusOK {
				t.Fatalf("the token does not open /accounts: %s %s", resp.Status, body)
			}
		})
	}
}

func TestTokenRefused(t *testing.T) {
	tb := startBank(t, "", Options{})
	cr := tb.Credentials()
	good := "grant_type=client_credentials&scope=accounts"
	for _, tc := range []struct {
		name        string
		ctype       string
		user, pass  string // HTTP Basic when user is not empty
		form        string
		wantStatus  int
		wantError   string
		wantWWWAuth bool
	}{
		{"wrong secret", "", cr.ClientID, "nope", good, 401, "invalid_client", true},
		{"wrong client", "", "someone", cr.ClientSecret, good, 401, "invalid_client", true},
		{"wrong secret in form", "", "", "", good + "&client_id=" + cr.ClientID + "&client_secret=x", 401, "invalid_client", false},
		{"no client authentication", "", "", "", good, 401, "invalid_client", false},
		{"tls_client_auth of another client", "", "", "", good + "&client_id=someone", 401, "invalid_client", false},
		{"empty secret in form", "", "", "", good + "&client_id=" + cr.ClientID + "&client_secret=", 401, "invalid_client", false},
		{"both basic and form", "", cr.ClientID, cr.ClientSecret, good + "&client_id=" + cr.ClientID, 400, "invalid_request", false},
		{"password grant", "", cr.ClientID, cr.ClientSecret, "grant_type=password&scope=accounts", 400, "unsupported_grant_type", false},
		{"no grant type", "", cr.ClientID, cr.ClientSecret, "scope=accounts", 400, "invalid_request", false},
		{"payments scope", "", cr.ClientID, cr.ClientSecret, "grant_type=client_credentials&scope=payments", 400, "invalid_scope", false},
		{"JSON body", "application/json", cr.ClientID, cr.ClientSecret, `{"grant_type":"client_credentials"}`, 400, "invalid_request", false},
		{"repeated parameter", "", cr.ClientID, cr.ClientSecret, good + "&grant_type=client_credentials", 400, "invalid_request", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, tb.obURL+TokenPath, strings.NewReader(tc.form))
			ctype := tc.ctype
			if ctype == "" {
				ctype = "application/x-www-form-urlencoded"
			}
			req.Header.Set("Content-Type", ctype)
			if tc.user != "" {
				req.SetBasicAuth(url.QueryEscape(tc.user), url.QueryEscape(tc.pass))
			}
			resp, body := tb.do(t, req)
			var oe oauthError
			if err := json.Unmarshal(body, &oe); err != nil {
				t.Fatalf("not an OAuth error: %s", body)
			}
			if resp.StatusCode != tc.wantStatus || oe.Error != tc.wantError {
				t.Fatalf("got %d %q, want %d %q (%s)", resp.StatusCode, oe.Error, tc.wantStatus, tc.wantError, body)
			}
			if got := resp.Header.Get("WWW-Authenticate") != ""; got != tc.wantWWWAuth {
				t.Errorf("WWW-Authenticate present = %v, want %v", got, tc.wantWWWAuth)
			}
		})
	}
	t.Run("GET", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, tb.obURL+TokenPath, nil)
		if resp, _ := tb.do(t, req); resp.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("got %s, want 405", resp.Status)
		}
	})
	t.Run("body too large", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, tb.obURL+TokenPath, strings.NewReader(good+"&pad="+strings.Repeat("x", MaxRequestBytes)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(cr.ClientID, cr.ClientSecret)
		if resp, body := tb.do(t, req); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("got %s %s, want 400", resp.Status, body)
		}
	})
}

func TestBalancesExactDecimals(t *testing.T) {
	tb := startBank(t, "", Options{})
	for _, tc := range []struct {
		currency string
		postings []string // credits, then a debit of the last when it starts with "-"
		want     string
	}{
		{"GBP", []string{"1234.5"}, "1234.50"},
		{"GBP", []string{"0.01"}, "0.01"},
		{"GBP", []string{"10", "-10"}, "0.00"},
		{"JPY", []string{"5"}, "5"},
		{"BHD", []string{"1.005", "2"}, "3.005"},
		{"USD", []string{"9999999999999.99"}, "9999999999999.99"},
	} {
		t.Run(tc.currency+"_"+tc.want, func(t *testing.T) {
			id := AccountID(tc.currency + "-" + strings.ReplaceAll(tc.want, ".", "_"))
			tb.mustCreate(t, id, tc.currency)
			for _, p := range tc.postings {
				if d, ok := strings.CutPrefix(p, "-"); ok {
					tb.mustPost(t, id, Debit, d)
				} else {
					tb.mustPost(t, id, Credit, p)
				}
			}
			resp, body := tb.get(t, "/accounts/"+string(id)+"/balances", tb.token(t))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("got %s %s", resp.Status, body)
			}
			if got := resp.Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q", got)
			}
			// Decode loosely, to see the wire form: amounts must be strings.
			var raw struct {
				Data struct {
					Balance []map[string]any
				}
				Links struct{ Self string }
				Meta  struct{ TotalPages int }
			}
			if err := json.Unmarshal(body, &raw); err != nil {
				t.Fatal(err)
			}
			if want := tb.obURL + OBBasePath + "/accounts/" + string(id) + "/balances"; raw.Links.Self != want {
				t.Errorf("Links.Self = %q, want %q", raw.Links.Self, want)
			}
			if raw.Meta.TotalPages != 1 {
				t.Errorf("Meta.TotalPages = %d, want 1", raw.Meta.TotalPages)
			}
			var types []string
			for _, b := range raw.Data.Balance {
				types = append(types, b["Type"].(string))
				amt := b["Amount"].(map[string]any)
				if b["AccountId"] != string(id) || amt["Currency"] != tc.currency || b["CreditDebitIndicator"] != "Credit" {
					t.Errorf("balance %v", b)
				}
				if _, err := time.Parse(time.RFC3339, b["DateTime"].(string)); err != nil {
					t.Errorf("DateTime: %v", err)
				}
				if b["Type"] != BalanceClosingBooked && amt["Amount"] != tc.want {
					t.Errorf("%s Amount = %#v, want %q", b["Type"], amt["Amount"], tc.want)
				}
			}
			if got := strings.Join(types, ","); got != "InterimAvailable,InterimBooked,ClosingBooked" {
				t.Errorf("types = %s", got)
			}
		})
	}
}

func TestClosingBookedIsLastDayEnd(t *testing.T) {
	tb := startBank(t, "", Options{})
	tb.mustCreate(t, "r1", "GBP")
	tb.mustPost(t, "r1", Credit, "100")
	check := func(step, interim, closing, closingAt string) {
		t.Helper()
		bals := tb.balances(t, "r1")
		if got := bals[BalanceInterimAvailable].Amount.Amount; got != interim {
			t.Errorf("%s: InterimAvailable = %s, want %s", step, got, interim)
		}
		if got := bals[BalanceInterimBooked].Amount.Amount; got != interim {
			t.Errorf("%s: InterimBooked = %s, want %s", step, got, interim)
		}
		cb := bals[BalanceClosingBooked]
		if cb.Amount.Amount != closing || cb.DateTime != closingAt {
			t.Errorf("%s: ClosingBooked = %s at %s, want %s at %s", step, cb.Amount.Amount, cb.DateTime, closing, closingAt)
		}
	}
	check("opening day", "100.00", "0.00", "2025-03-10T00:00:00Z")
	tb.clock.Advance(24 * time.Hour)
	tb.mustPost(t, "r1", Credit, "50")
	tb.mustPost(t, "r1", Debit, "20.25")
	check("next day", "129.75", "100.00", "2025-03-11T00:00:00Z")
	tb.clock.Advance(48 * time.Hour)
	check("two quiet days later", "129.75", "129.75", "2025-03-13T00:00:00Z")
}

func TestAccountsOBShape(t *testing.T) {
	tb := startBank(t, "", Options{})
	v := tb.mustCreate(t, "acc-1", "EUR")
	tok := tb.token(t)
	for _, path := range []string{"/accounts", "/accounts/acc-1"} {
		resp, body := tb.get(t, path, tok)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %s %s", path, resp.Status, body)
		}
		var ra obReadAccount6
		if err := json.Unmarshal(body, &ra); err != nil {
			t.Fatal(err)
		}
		if len(ra.Data.Account) != 1 || ra.Meta.TotalPages != 1 || !strings.HasSuffix(ra.Links.Self, path) {
			t.Fatalf("%s: %s", path, body)
		}
		a := ra.Data.Account[0]
		if a.AccountID != "acc-1" || a.Currency != "EUR" || len(a.Account) != 1 ||
			a.Account[0].SchemeName != "UK.OBIE.IBAN" || a.Account[0].Identification != v.IBAN ||
			a.Servicer.SchemeName != "UK.OBIE.BICFI" || a.Servicer.Identification != DefaultBIC {
			t.Fatalf("%s: %s", path, body)
		}
	}
}

func TestOBRefusals(t *testing.T) {
	tb := startBank(t, "", Options{TokenTTL: time.Minute})
	tb.mustCreate(t, "r1", "GBP")
	expired := tb.token(t)
	tb.clock.Advance(30 * time.Second)
	tok := tb.token(t) // valid for another minute; expired has 30 s left
	tb.clock.Advance(45 * time.Second)
	forged := (&Bank{tokenKey: make([]byte, 32)}).issueToken(tb.clock.Now().Add(time.Hour))
	for _, tc := range []struct {
		name     string
		path     string
		auth     string
		fapi     string
		status   int
		wantCode string
	}{
		{"no bearer", "/accounts/r1/balances", "", "ok", 401, "UK.OBIE.Header.Invalid"},
		{"basic instead of bearer", "/accounts/r1/balances", "Basic eDp5", "ok", 401, "UK.OBIE.Header.Invalid"},
		{"forged token", "/accounts/r1/balances", "Bearer " + forged, "ok", 401, "UK.OBIE.Header.Invalid"},
		{"expired token", "/accounts/r1/balances", "Bearer " + expired, "ok", 401, "UK.OBIE.Header.Invalid"},
		{"no financial id", "/accounts/r1/balances", "Bearer " + tok, "", 400, "UK.OBIE.Header.Missing"},
		{"wrong financial id", "/accounts/r1/balances", "Bearer " + tok, "another-bank", 400, "UK.OBIE.Header.Invalid"},
		{"unknown account", "/accounts/nope/balances", "Bearer " + tok, "ok", 404, "UK.OBIE.Resource.NotFound"},
		{"unknown account resource", "/accounts/nope", "Bearer " + tok, "ok", 404, "UK.OBIE.Resource.NotFound"},
		{"unknown path", "/payments", "Bearer " + tok, "ok", 404, "UK.OBIE.Resource.NotFound"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, tb.obURL+OBBasePath+tc.path, nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			switch tc.fapi {
			case "ok":
				req.Header.Set(headerFinancialID, tb.Credentials().FinancialID)
			case "":
			default:
				req.Header.Set(headerFinancialID, tc.fapi)
			}
			req.Header.Set(headerInteractionID, "it-"+tc.name)
			resp, body := tb.do(t, req)
			if resp.StatusCode != tc.status {
				t.Fatalf("got %s %s, want %d", resp.Status, body, tc.status)
			}
			if got := obErrorCode(t, body); got != tc.wantCode {
				t.Errorf("ErrorCode = %s, want %s", got, tc.wantCode)
			}
			if got := resp.Header.Get(headerInteractionID); got != "it-"+tc.name {
				t.Errorf("%s = %q, want the request's", headerInteractionID, got)
			}
			if tc.status == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate = %q", resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
}

func TestMutualTLSRequired(t *testing.T) {
	tb := startBank(t, "", Options{})
	cfg, err := ClientTLSConfig(tb.Files())
	if err != nil {
		t.Fatal(err)
	}
	other := startBank(t, "", Options{}) // a CA the bank does not trust
	otherCfg, err := ClientTLSConfig(other.Files())
	if err != nil {
		t.Fatal(err)
	}
	noCert := cfg.Clone()
	noCert.Certificates = nil
	foreignCert := cfg.Clone()
	foreignCert.Certificates = otherCfg.Certificates
	for _, tc := range []struct {
		name string
		cfg  *tls.Config
	}{
		{"no client certificate", noCert},
		{"certificate of another CA", foreignCert},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &http.Client{Transport: &http.Transport{TLSClientConfig: tc.cfg}, Timeout: 10 * time.Second}
			resp, err := c.Post(tb.obURL+TokenPath, "application/x-www-form-urlencoded", strings.NewReader("grant_type=client_credentials"))
			if err == nil {
				resp.Body.Close()
				t.Fatalf("got %s, want a refused handshake", resp.Status)
			}
		})
	}
	t.Run("server not trusted without the bank's CA", func(t *testing.T) {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: otherCfg}, Timeout: 10 * time.Second}
		if resp, err := c.Get(tb.obURL + OBBasePath + "/accounts"); err == nil {
			resp.Body.Close()
			t.Fatal("a client trusting another CA accepted the bank's certificate")
		}
	})
	t.Run("handler without TLS", func(t *testing.T) {
		srv := httptest.NewServer(tb.Handler())
		defer srv.Close()
		resp, err := http.Post(srv.URL+TokenPath, "application/x-www-form-urlencoded", strings.NewReader("grant_type=client_credentials"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("got %s, want 403", resp.Status)
		}
	})
}
