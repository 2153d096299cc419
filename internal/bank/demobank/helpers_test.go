package demobank

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/token"
)

// clock is a settable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 10, 9, 30, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testBank is a bank serving both APIs on loopback, with clients of both.
type testBank struct {
	*Bank
	clock    *clock
	obURL    string // https://127.0.0.1:port
	adminURL string
	ob       *http.Client // presents the bank's client certificate
	admin    *AdminClient
	served   chan error
	closed   bool
}

// startBank opens a bank in dir (a new temporary directory when empty) and
// serves it until the test ends.
func startBank(t *testing.T, dir string, opts Options) *testBank {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	c := newClock()
	if opts.Now == nil {
		opts.Now = c.Now
	}
	b, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return serveBank(t, b, c)
}

func serveBank(t *testing.T, b *Bank, c *clock) *testBank {
	t.Helper()
	obLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	adminLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tb := &testBank{Bank: b, clock: c, obURL: "https://" + obLn.Addr().String(),
		adminURL: "http://" + adminLn.Addr().String(), served: make(chan error, 2)}
	go func() { tb.served <- b.Serve(obLn) }()
	go func() { tb.served <- b.ServeAdmin(adminLn) }()
	cfg, err := ClientTLSConfig(b.Files())
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{TLSClientConfig: cfg}
	tb.ob = &http.Client{Transport: tr, Timeout: 10 * time.Second}
	tb.admin = NewAdminClient(tb.adminURL, b.Credentials().AdminToken)
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		tb.close(t)
	})
	return tb
}

// close closes the bank and checks that both servers ended cleanly.
func (tb *testBank) close(t *testing.T) {
	t.Helper()
	if tb.closed {
		return
	}
	tb.closed = true
	if err := tb.Bank.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	for range 2 {
		select {
		case err := <-tb.served:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a server did not stop after Close")
		}
	}
}

// token gets an access token with HTTP Basic client authentication.
func (tb *testBank) token(t *testing.T) string {
	t.Helper()
	cr := tb.Credentials()
	req, _ := http.NewRequest(http.MethodPost, tb.obURL+TokenPath, strings.NewReader("grant_type=client_credentials&scope=accounts"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(cr.ClientID), url.QueryEscape(cr.ClientSecret))
	resp, body := tb.do(t, req)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token: %s %s", resp.Status, body)
	}
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil {
		t.Fatal(err)
	}
	return tr.AccessToken
}

// get calls an Open Banking resource with the token and the financial id.
func (tb *testBank) get(t *testing.T, path, token string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, tb.obURL+OBBasePath+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set(headerFinancialID, tb.Credentials().FinancialID)
	return tb.do(t, req)
}

func (tb *testBank) do(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := tb.ob.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// mustCreate opens an account through the admin API.
func (tb *testBank) mustCreate(t *testing.T, id AccountID, currency string) AccountView {
	t.Helper()
	v, err := tb.admin.CreateAccount(context.Background(), CreateAccountRequest{ID: id, Currency: currency, Name: "Reserve " + string(id)})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (tb *testBank) mustPost(t *testing.T, id AccountID, dir Direction, amount string) PostingResult {
	t.Helper()
	post := tb.admin.Credit
	if dir == Debit {
		post = tb.admin.Debit
	}
	r, err := post(context.Background(), id, PostingRequest{Amount: amount, Reference: string(dir) + " " + amount})
	if err != nil {
		t.Fatalf("%s %s: %v", dir, amount, err)
	}
	return r
}

// balances reads an account's balances over Open Banking, by type.
func (tb *testBank) balances(t *testing.T, id AccountID) map[string]obBalance {
	t.Helper()
	resp, body := tb.get(t, "/accounts/"+string(id)+"/balances", tb.token(t))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("balances: %s %s", resp.Status, body)
	}
	var rb obReadBalance1
	if err := json.Unmarshal(body, &rb); err != nil {
		t.Fatal(err)
	}
	out := map[string]obBalance{}
	for _, b := range rb.Data.Balance {
		if _, dup := out[b.Type]; dup {
			t.Fatalf("balance type %s twice", b.Type)
		}
		out[b.Type] = b
	}
	return out
}

// obErrorCode decodes an OBErrorResponse1 and returns its first ErrorCode.
func obErrorCode(t *testing.T, body []byte) string {
	t.Helper()
	var e obErrorResponse1
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("not an OB error body: %v: %s", err, body)
	}
	if len(e.Errors) == 0 || e.Code == "" || e.Message == "" {
		t.Fatalf("OB error body lacks Code, Message or Errors: %s", body)
	}
	return e.Errors[0].ErrorCode
}

func mustCurrency(code string) token.Currency {
	c, ok := token.LookupCurrency(code)
	if !ok {
		panic("unknown currency " + code)
	}
	return c
}
