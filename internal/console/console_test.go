package console_test

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/pegledger/peg/internal/console"
	"github.com/pegledger/peg/internal/ledger"
)

// noRedirect is a client that shows redirects rather than following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// get fetches a console path of c's node without following redirects.
func get(t *testing.T, base, path string) (int, http.Header, string) {
	t.Helper()
	resp, err := noRedirect.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func TestPagesLoad(t *testing.T) {
	c := chain(t)
	base := c.n.APIURL()
	for _, path := range []string{
		"/console/", "/console/tokens/", "/console/tokens/gbpt", "/console/tokens/gbpt?days=366&month=2020-01",
		"/console/accounts/" + alice.addr.String(), "/console/blocks/1", "/console/txs/" + c.mints[0].String(),
		"/console/analytics", "/console/signin", "/console/search", "/console/static/htmx.min.js", "/console/static/console.css",
	} {
		status, h, body := get(t, base, path)
		if status != http.StatusOK {
			t.Errorf("GET %s: HTTP %d, want 200: %.300s", path, status, body)
		}
		if strings.HasSuffix(path, ".js") || strings.HasSuffix(path, ".css") {
			continue
		}
		if got := h.Get("Content-Type"); got != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", path, got)
		}
		if !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("GET %s: no Content-Security-Policy", path)
		}
	}
}

// TestFragment asks for a page as htmx does when it pages a list in place:
// the list's section alone; a page without such a list answers whole.
func TestFragment(t *testing.T) {
	base := chain(t).n.APIURL()
	for _, tc := range []struct{ path, starts string }{
		{"/console/blocks/2", `<section id="block-list">`},
		{"/console/accounts/" + alice.addr.String(), `<section id="history">`},
		{"/console/tokens/gbpt", "<!doctype html>"},
	} {
		req, _ := http.NewRequest(http.MethodGet, base+tc.path, nil)
		req.Header.Set("HX-Request", "true")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(b), tc.starts) {
			t.Errorf("%s with HX-Request: HTTP %d, want 200 starting %q: %.300s", tc.path, resp.StatusCode, tc.starts, b)
		}
	}
}

func TestBadInput(t *testing.T) {
	c := chain(t)
	base := c.n.APIURL()
	zeros := strings.Repeat("0", 64)
	for _, tc := range []struct {
		path   string
		status int
		says   string
	}{
		{"/console/blocks/abc", 400, "want a height"},
		{"/console/blocks/-1", 400, "want a height"},
		{"/console/blocks/99999999", 404, "NOT_FOUND"},
		{"/console/blocks/1?from=-3", 400, "whole number"},
		{"/console/txs/zz", 400, "64 hexadecimal"},
		{"/console/txs/" + zeros, 404, "NOT_FOUND"},
		{"/console/coins/" + zeros, 404, "no index"},
		{"/console/coins/" + zeros + "?tx=" + c.mints[0].String(), 404, "neither made nor spent"},
		{"/console/coins/" + zeros + "?tx=x%27%3B--", 400, "64 hexadecimal"},
		{"/console/accounts/not-an-address", 400, "address"},
		{"/console/accounts/%27%20OR%201%3D1", 400, "address"},
		{"/console/accounts/" + alice.addr.String() + "?coins_after=gbpt", 400, "after"},
		{"/console/accounts/" + alice.addr.String() + "?coins_after=gbpt." + zeros[:10], 400, "after"},
		{"/console/accounts/" + alice.addr.String() + "?trades_before=zz", 400, "trades_before"},
		{"/console/accounts/" + alice.addr.String() + "?credit_before=" + zeros[:20], 400, "credit_before"},
		{"/console/tokens/NOPE", 400, "token id"},
		{"/console/tokens/nope", 404, "TOKEN"},
		{"/console/tokens/gbpt?days=0", 400, "days"},
		{"/console/tokens/gbpt?days=367", 400, "days"},
		{"/console/tokens/gbpt?month=2026-13", 400, "YYYY-MM"},
		{"/console/tokens/gbpt?month=%3Cscript%3E", 400, "YYYY-MM"},
		{"/console/?before=0", 400, "before"},
		{"/console/?before=abc", 400, "before"},
		{"/console/search?q=" + strings.Repeat("9", 129), 400, "at most 128"},
		{"/console/nothing", 404, "no console page"},
		{"/console/signin/complete?token=" + zeros, 401, "unknown, used or expired"},
	} {
		status, _, body := get(t, base, tc.path)
		if status != tc.status || !strings.Contains(body, tc.says) {
			t.Errorf("GET %s: HTTP %d, want %d saying %q: %.400s", tc.path, status, tc.status, tc.says, body)
		}
	}
}

// TestSearchEscapes holds what a search echoes to html/template's escaping.
func TestSearchEscapes(t *testing.T) {
	base := chain(t).n.APIURL()
	status, _, body := get(t, base, "/console/search?q="+url.QueryEscape(`<script>alert(1)</script>`))
	if status != http.StatusOK || strings.Contains(body, "<script>alert") || !strings.Contains(body, "&lt;script&gt;") {
		t.Errorf("a search for a script: HTTP %d, %.600s", status, body)
	}
}

func TestSearch(t *testing.T) {
	c := chain(t)
	base := c.n.APIURL()
	tx := c.mints[0].String()
	for _, tc := range []struct{ q, to string }{
		{"3", "/console/blocks/3"},
		{alice.addr.String(), "/console/accounts/" + alice.addr.String()},
		{strings.ToUpper(alice.addr.String()), "/console/accounts/" + alice.addr.String()},
		{tx, "/console/txs/" + tx},
		{strings.ToUpper(tx), "/console/txs/" + tx},
		{"gbpt", "/console/tokens/gbpt"},
		{alicePhone, "/console/accounts/" + alice.addr.String()},
		{"phone:+442079460123", "/console/accounts/" + alice.addr.String()},
		{"+442079460123", "/console/accounts/" + alice.addr.String()},
	} {
		status, h, body := get(t, base, "/console/search?q="+url.QueryEscape(tc.q))
		if status != http.StatusSeeOther || h.Get("Location") != tc.to {
			t.Errorf("search %q: HTTP %d to %q, want 303 to %s: %.300s", tc.q, status, h.Get("Location"), tc.to, body)
		}
	}
	for _, tc := range []struct{ q, says string }{
		{"+44 20 7946 0999", "No address is bound to &#43;442079460999"},
		{strings.Repeat("ab", 32), "No transaction, coin or alias"},
		{"zzzz", "Nothing is named"},
	} {
		status, _, body := get(t, base, "/console/search?q="+url.QueryEscape(tc.q))
		if status != http.StatusOK || !strings.Contains(body, tc.says) {
			t.Errorf("search %q: HTTP %d, want 200 saying %q: %s", tc.q, status, tc.says, body[strings.Index(body, "<main>"):])
		}
	}
}

// TestSearchWithoutAliasKey serves a console apart from the node, with no
// alias key: it reads the node's API and says it cannot resolve aliases.
func TestSearchWithoutAliasKey(t *testing.T) {
	c := chain(t)
	srv := httptest.NewServer(console.New(console.Config{API: c.n.APIURL()}))
	defer srv.Close()
	status, _, body := get(t, srv.URL, "/console/search?q="+url.QueryEscape(alicePhone))
	if status != http.StatusOK || !strings.Contains(body, "cannot resolve aliases here") {
		t.Errorf("HTTP %d, want 200 saying it cannot resolve aliases: %.600s", status, body)
	}
	status, _, body = get(t, srv.URL, "/console/accounts/"+alice.addr.String())
	if status != http.StatusOK || !strings.Contains(body, alice.addr.String()) {
		t.Errorf("the account through a console apart: HTTP %d: %.300s", status, body)
	}
}

// postJSON posts v to a console path and decodes the answer into out.
func postJSON(t *testing.T, base, path string, v, out any) int {
	t.Helper()
	var body io.Reader
	if v != nil {
		b, _ := json.Marshal(v)
		body = strings.NewReader(string(b))
	}
	resp, err := http.Post(base+path, "application/json", body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
	}
	return resp.StatusCode
}

// signin signs a fresh challenge as k and returns the link's path.
func signin(t *testing.T, base string, k key) string {
	t.Helper()
	var ch console.Challenge
	if s := postJSON(t, base, "/console/signin/challenge", nil, &ch); s != http.StatusOK {
		t.Fatalf("challenge: HTTP %d", s)
	}
	v := console.Verify{Challenge: ch.Challenge, Address: k.addr.String(), PublicKey: hex.EncodeToString(k.priv.Public().(ed25519.PublicKey)),
		Signature: hex.EncodeToString(ed25519.Sign(k.priv, console.SignedMessage(ch.Challenge, k.addr)))}
	var l console.Link
	if s := postJSON(t, base, "/console/signin/verify", v, &l); s != http.StatusOK {
		t.Fatalf("verify: HTTP %d", s)
	}
	return l.Path
}

func TestSignin(t *testing.T) {
	base := chain(t).n.APIURL()
	status, h, _ := get(t, base, "/console/me")
	if status != http.StatusSeeOther || h.Get("Location") != "/console/signin" {
		t.Fatalf("/console/me signed out: HTTP %d to %q, want 303 to the sign-in page", status, h.Get("Location"))
	}
	link := signin(t, base, alice)
	status, h, _ = get(t, base, link)
	if status != http.StatusSeeOther || h.Get("Location") != "/console/me" {
		t.Fatalf("the link: HTTP %d to %q", status, h.Get("Location"))
	}
	ck := (&http.Response{Header: h}).Cookies()
	if len(ck) != 1 || ck[0].Name != console.SessionCookie || !ck[0].HttpOnly || ck[0].SameSite != http.SameSiteStrictMode || ck[0].Path != "/console/" || ck[0].MaxAge <= 0 {
		t.Fatalf("the session cookie: %+v, want one HttpOnly, SameSite=Strict cookie for /console/ with a lifetime", ck)
	}
	if status, _, body := get(t, base, link); status != http.StatusUnauthorized || !strings.Contains(body, "used or expired") {
		t.Errorf("the link opened twice: HTTP %d, want 401: %.300s", status, body)
	}
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(base + "/console/")
	jar.SetCookies(u, ck)
	browser := &http.Client{Jar: jar}
	resp, err := browser.Get(base + "/console/me")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `id="signed-in">`+alice.addr.String()) || !strings.Contains(string(b), "Notifications") {
		t.Errorf("/console/me signed in: HTTP %d: %.600s", resp.StatusCode, b)
	}
	resp, err = browser.Post(base+"/console/signout", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = noRedirect.Do(withCookies(t, base+"/console/me", ck))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("/console/me with the cookie of a signed-out session: HTTP %d, want 303 to sign in", resp.StatusCode)
	}
}

func withCookies(t *testing.T, u string, ck []*http.Cookie) *http.Request {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range ck {
		req.AddCookie(c)
	}
	return req
}

func TestSigninRefused(t *testing.T) {
	base := chain(t).n.APIURL()
	challenge := func() string {
		var ch console.Challenge
		postJSON(t, base, "/console/signin/challenge", nil, &ch)
		return ch.Challenge
	}
	pub := func(k key) string { return hex.EncodeToString(k.priv.Public().(ed25519.PublicKey)) }
	sign := func(k key, ch string, addr ledger.Address) string {
		return hex.EncodeToString(ed25519.Sign(k.priv, console.SignedMessage(ch, addr)))
	}
	used := challenge()
	signin(t, base, alice) // another challenge, used
	for _, tc := range []struct {
		name   string
		v      func() console.Verify
		status int
		says   string
	}{
		{"bob's key for alice", func() console.Verify {
			ch := challenge()
			return console.Verify{Challenge: ch, Address: alice.addr.String(), PublicKey: pub(bob), Signature: sign(bob, ch, alice.addr)}
		}, 401, "the public key is not"},
		{"a signature over another address", func() console.Verify {
			ch := challenge()
			return console.Verify{Challenge: ch, Address: alice.addr.String(), PublicKey: pub(alice), Signature: sign(alice, ch, bob.addr)}
		}, 401, "does not verify"},
		{"an unknown challenge", func() console.Verify {
			ch := strings.Repeat("0", 64)
			return console.Verify{Challenge: ch, Address: alice.addr.String(), PublicKey: pub(alice), Signature: sign(alice, ch, alice.addr)}
		}, 401, "unknown or expired challenge"},
		{"a challenge used twice", func() console.Verify {
			v := console.Verify{Challenge: used, Address: alice.addr.String(), PublicKey: pub(alice), Signature: sign(alice, used, alice.addr)}
			var l console.Link
			if s := postJSON(t, base, "/console/signin/verify", v, &l); s != http.StatusOK {
				t.Fatalf("first use: HTTP %d", s)
			}
			return v
		}, 401, "unknown or expired challenge"},
		{"a short signature", func() console.Verify {
			return console.Verify{Challenge: challenge(), Address: alice.addr.String(), PublicKey: pub(alice), Signature: "abcd"}
		}, 400, "signature: want 64 bytes"},
		{"a bad address", func() console.Verify {
			return console.Verify{Challenge: challenge(), Address: "x", PublicKey: pub(alice), Signature: "abcd"}
		}, 400, "address"},
	} {
		var e struct{ Message string }
		if s := postJSON(t, base, "/console/signin/verify", tc.v(), &e); s != tc.status || !strings.Contains(e.Message, tc.says) {
			t.Errorf("%s: HTTP %d %q, want %d saying %q", tc.name, s, e.Message, tc.status, tc.says)
		}
	}
	resp, err := http.Post(base+"/console/signin/verify", "application/json", strings.NewReader(`{"challenge":"x","extra":1}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an unknown field: HTTP %d, want 400", resp.StatusCode)
	}
	resp, err = http.Post(base+"/console/signin/verify", "application/json", strings.NewReader(fmt.Sprintf(`{"challenge":"%s"}`, strings.Repeat("a", 8<<10))))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a body over MaxVerifyBody: HTTP %d, want 400", resp.StatusCode)
	}
}
