package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestSpecMatchesRoutes: openapi.yaml is a valid document and names every
// operation the server routes, and no other.
func TestSpecMatchesRoutes(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(openapiYAML)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	var inSpec []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			inSpec = append(inSpec, method+" "+path)
		}
	}
	routed := []string{"GET /healthz", "GET /openapi.yaml"}
	for _, r := range (&Service{}).routes() {
		routed = append(routed, r.pattern)
	}
	slices.Sort(inSpec)
	slices.Sort(routed)
	if !slices.Equal(inSpec, routed) {
		t.Errorf("openapi.yaml has\n%s\nthe server routes\n%s", strings.Join(inSpec, "\n"), strings.Join(routed, "\n"))
	}
}

// TestAPIRefusals: over HTTP, each bad request gets its status and code:
// a missing or malformed Idempotency-Key, a key replayed with another body,
// an unknown wallet, an unknown field; a replayed key answers the first
// answer and says so; no answer carries a key.
func TestAPIRefusals(t *testing.T) {
	chain := startChain(t)
	s := newService(t, chain, databases(t)["sqlite"](t), "")
	defer s.Close()
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	c := NewClient(srv.URL, "")
	ctx := context.Background()
	if _, err := c.CreateWallet(ctx, "dora", ""); err != nil {
		t.Fatal(err)
	}
	post := func(path, key, body string) (*http.Response, Error) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
		if key != "" {
			req.Header.Set(IdempotencyHeader, key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e Error
		b, _ := io.ReadAll(resp.Body)
		json.Unmarshal(b, &e)
		return resp, e
	}
	const dep = `{"token": "gbpt", "amount": "5.00", "platform": "fundco"}`
	for _, tc := range []struct {
		name, path, key, body string
		status                int
		code                  Code
	}{
		{"no key", "/v1/wallets/dora/deposits", "", dep, 400, CodeBadIdempotencyKey},
		{"key with a space", "/v1/wallets/dora/deposits", "a b", dep, 400, CodeBadIdempotencyKey},
		{"unknown wallet", "/v1/wallets/nobody/deposits", "k-1", dep, 404, CodeUnknownWallet},
		{"unknown field", "/v1/wallets/dora/deposits", "k-2", `{"token": "gbpt", "amount": "5.00", "tip": "1"}`, 400, CodeBadRequest},
		{"trailing data", "/v1/wallets/dora/deposits", "k-3", dep + `{}`, 400, CodeBadRequest},
		{"unknown token", "/v1/wallets/dora/deposits", "k-4", `{"token": "usdx", "amount": "5.00"}`, 404, CodeUnknownToken},
		{"bad wallet name", "/v1/wallets", "", `{"name": "Dora!"}`, 400, CodeBadRequest},
	} {
		resp, e := post(tc.path, tc.key, tc.body)
		if resp.StatusCode != tc.status || e.Code != uint32(tc.code) || e.Message == "" {
			t.Errorf("%s: HTTP %d %+v; want %d and code %d", tc.name, resp.StatusCode, e, tc.status, tc.code)
		}
	}
	first, _ := post("/v1/wallets/dora/deposits", "k-5", dep)
	again, _ := post("/v1/wallets/dora/deposits", "k-5", `{"platform": "fundco", "amount": "5.00", "token": "gbpt"}`)
	if first.StatusCode != 201 || first.Header.Get(ReplayedHeader) != "" || again.StatusCode != 201 || again.Header.Get(ReplayedHeader) != "true" {
		t.Errorf("a deposit and its replay in another field order: %d %q, %d %q", first.StatusCode, first.Header.Get(ReplayedHeader),
			again.StatusCode, again.Header.Get(ReplayedHeader))
	}
	resp, e := post("/v1/wallets/dora/deposits", "k-5", `{"token": "gbpt", "amount": "6.00", "platform": "fundco"}`)
	if resp.StatusCode != 422 || e.Name != "IDEMPOTENCY_KEY_REUSED" {
		t.Errorf("the key with another amount: %d %+v", resp.StatusCode, e)
	}
	v, err := c.View(ctx, "dora")
	if err != nil || len(v.Member) != 1 || v.Member[0].Amount != "5.00" {
		t.Errorf("dora's member account after one deposit and its replay: %+v %v", v, err)
	}
	_, err = c.Deposit(ctx, "nobody", "k-6", DepositRequest{Token: "gbpt", Amount: "1"})
	var werr *Error
	if !errors.As(err, &werr) || werr.Status != 404 || werr.Code != uint32(CodeUnknownWallet) {
		t.Errorf("the client's error for an unknown wallet: %v", err)
	}
	// With an API token, /v1 wants it; the document and /healthz do not.
	s.cfg.APIToken = "t0ken"
	if _, err := c.Wallets(ctx); !errors.As(err, &werr) || werr.Status != 401 || werr.Name != "UNAUTHORIZED" {
		t.Errorf("no token: %v", err)
	}
	if _, err := NewClient(srv.URL, "wrong").Wallets(ctx); !errors.As(err, &werr) || werr.Status != 401 {
		t.Errorf("a wrong token: %v", err)
	}
	if _, err := NewClient(srv.URL, "t0ken").Wallets(ctx); err != nil {
		t.Errorf("the token: %v", err)
	}
	if resp, err := http.Get(srv.URL + "/openapi.yaml"); err != nil || resp.StatusCode != 200 {
		t.Errorf("the document behind the token: %v %v", resp, err)
	}
	s.cfg.APIToken = ""
	for _, path := range []string{"/v1/wallets", "/v1/wallets/dora", "/v1/wallets/treasury"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(b), "sealed") || strings.Contains(string(b), "seed") || strings.Contains(string(b), "priv") {
			t.Errorf("GET %s answers key material: %s", path, b)
		}
	}
}
