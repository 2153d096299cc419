package client

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pegledger/peg/internal/ledger"
)

// The client's happy paths run against the real API in internal/api's tests;
// these cover what only a misbehaving or absent server shows.

var ctx = context.Background()

var testAddr = ledger.NewAddress("GB", ed25519.PublicKey(bytes.Repeat([]byte{7}, ed25519.PublicKeySize)))

func TestUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + l.Addr().String()
	l.Close() // nothing listens there now
	_, err = New(base + "/").Status(ctx)
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("Status of a closed port = %v, want ErrUnreachable", err)
	}
	for _, want := range []string{base, "peg up", "peg start"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// serve answers every request with status, content type and body, and
// records the last request.
func serve(t *testing.T, status int, contentType, body string) (*Client, *http.Request, *[]byte) {
	t.Helper()
	var last http.Request
	var lastBody []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		last = *r
		lastBody, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return New(srv.URL), &last, &lastBody
}

func TestAPIError(t *testing.T) {
	c, _, _ := serve(t, http.StatusConflict, "application/json",
		`{"code":81,"name":"COIN_SPENT","message":"coin was spent","tx_id":"ab","height":7}`)
	_, err := c.Tx(ctx, ledger.TxID{})
	var e *APIError
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want *APIError", err)
	}
	want := APIError{Status: 409, Code: 81, Name: "COIN_SPENT", Message: "coin was spent", TxID: "ab", Height: 7}
	if *e != want {
		t.Errorf("error = %+v, want %+v", *e, want)
	}
	if got := e.Error(); got != "client: HTTP 409 COIN_SPENT (code 81): coin was spent [tx ab in block 7]" {
		t.Errorf("Error() = %q", got)
	}
}

func TestErrorFromSomethingElse(t *testing.T) {
	c, _, _ := serve(t, http.StatusBadGateway, "text/html", "<html>upstream is down</html>")
	_, err := c.Tokens(ctx)
	var e *APIError
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want *APIError", err)
	}
	if e.Status != 502 || e.Name != "BAD_GATEWAY" || !strings.Contains(e.Message, "upstream is down") {
		t.Errorf("error = %+v", e)
	}
}

func TestRequests(t *testing.T) {
	c, last, _ := serve(t, http.StatusOK, "application/json", `{}`)
	for _, tc := range []struct {
		name string
		call func() error
		want string
	}{
		{"coins with token and limit", func() error { _, err := c.Coins(ctx, testAddr, "gbpp", 5); return err },
			"/v1/accounts/" + testAddr.String() + "/coins?limit=5&token=gbpp"},
		{"coins with defaults", func() error { _, err := c.Coins(ctx, testAddr, "", 0); return err },
			"/v1/accounts/" + testAddr.String() + "/coins"},
		{"all balances", func() error { _, err := c.Balances(ctx, testAddr, ""); return err },
			"/v1/accounts/" + testAddr.String() + "/balances"},
		{"approval", func() error { _, err := c.Approval(ctx, "gbpp", testAddr, testAddr); return err },
			"/v1/accounts/" + testAddr.String() + "/approvals/" + testAddr.String() + "?token=gbpp"},
		{"latest block", func() error { _, err := c.Block(ctx, 0); return err }, "/v1/blocks/latest"},
		{"block", func() error { _, err := c.Block(ctx, 7); return err }, "/v1/blocks/7"},
		{"redemptions", func() error { _, err := c.Redemptions(ctx, "gbpp"); return err }, "/v1/tokens/gbpp/redemptions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); err != nil {
				t.Fatal(err)
			}
			if got := last.URL.RequestURI(); got != tc.want || last.Method != http.MethodGet {
				t.Errorf("request = %s %s, want GET %s", last.Method, got, tc.want)
			}
		})
	}
}

func TestSubmitPending(t *testing.T) {
	id := ledger.TxID{1, 2, 3}
	c, last, body := serve(t, http.StatusAccepted, "application/json", `{"tx_id":"`+id.String()+`","status":"pending"}`)
	s, err := c.Submit(ctx, []byte{0xde, 0xad}, false)
	if err != nil {
		t.Fatal(err)
	}
	if s.TxID != id || s.Receipt != nil {
		t.Errorf("Submit = %+v, want id %s and no receipt", s, id)
	}
	if last.Method != http.MethodPost || last.URL.Path != "/v1/txs" || last.Header.Get("Content-Type") != "application/json" {
		t.Errorf("request = %s %s (%s)", last.Method, last.URL.Path, last.Header.Get("Content-Type"))
	}
	var req map[string]any
	if err := json.Unmarshal(*body, &req); err != nil {
		t.Fatal(err)
	}
	if req["tx"] != "3q0=" || req["wait"] != false {
		t.Errorf("request body = %s, want tx in base64 and wait false", *body)
	}
}

func TestResponseTooLarge(t *testing.T) {
	c, _, _ := serve(t, http.StatusOK, "application/json", strings.Repeat(" ", MaxResponseSize+1))
	if _, err := c.Codes(ctx); err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Errorf("Codes with an oversized answer = %v, want a size error", err)
	}
}
