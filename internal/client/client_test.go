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

	"google.golang.org/protobuf/proto"

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
		{"reserves", func() error { _, err := c.Reserves(ctx); return err }, "/v1/reserves"},
		{"attestations with defaults", func() error { _, err := c.Attestations(ctx, "gbpp", 0); return err }, "/v1/tokens/gbpp/attestations"},
		{"attestations with limit", func() error { _, err := c.Attestations(ctx, "gbpp", 7); return err }, "/v1/tokens/gbpp/attestations?limit=7"},
		{"report", func() error { _, err := c.Report(ctx, "gbpp", "2026-01"); return err }, "/v1/tokens/gbpp/reports/2026-01"},
		{"report of a month that is not one", func() error { _, err := c.Report(ctx, "gbpp", "2026/01?x"); return err },
			"/v1/tokens/gbpp/reports/2026%2F01%3Fx"},
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

func TestEvents(t *testing.T) {
	stream := ": peg events from height 5\n\n" +
		"id: 5\nevent: reserve.status\ndata: {\"height\":5,\"time\":\"2026-01-02T03:04:05Z\",\"type\":\"reserve.status\",\"token\":\"gbpp\",\"attrs\":{\"to\":\"STALE\"}}\n\n" +
		": keep-alive\n\n" +
		"id: 6\nevent: reserve.attested\ndata: {\"height\":6,\"time\":\"2026-01-02T03:04:06Z\",\"token\":\"gbpp\",\n" +
		"data: \"tx_id\":\"" + strings.Repeat("ab", 32) + "\",\"attrs\":{}}\n\n" +
		": dropped: this client fell behind\n\n"
	c, last, _ := serve(t, http.StatusOK, "text/event-stream", stream)
	var got []StreamEvent
	err := c.Events(ctx, 5, func(e StreamEvent) error {
		got = append(got, e)
		return nil
	})
	if !errors.Is(err, ErrStreamEnded) || !strings.Contains(err.Error(), "after height 6") || !strings.Contains(err.Error(), "dropped") {
		t.Errorf("Events at the end of the stream = %v, want ErrStreamEnded after height 6 saying why", err)
	}
	if got := last.Header.Get("Last-Event-ID"); got != "4" {
		t.Errorf("Last-Event-ID = %q, want 4 to start at height 5", got)
	}
	if last.URL.Path != "/v1/events" || last.Header.Get("Accept") != "text/event-stream" {
		t.Errorf("request = %s (Accept %q)", last.URL.Path, last.Header.Get("Accept"))
	}
	if len(got) != 2 {
		t.Fatalf("events = %+v, want 2", got)
	}
	if e := got[0]; e.Height != 5 || e.Type != "reserve.status" || e.Token != "gbpp" || e.Attrs["to"] != "STALE" || e.TxID != (ledger.TxID{}) {
		t.Errorf("first event = %+v", e)
	}
	// A message's data lines join with newlines; its type comes from the
	// event field when the data lacks one.
	if e := got[1]; e.Height != 6 || e.Type != "reserve.attested" || e.TxID.String() != strings.Repeat("ab", 32) {
		t.Errorf("second event = %+v", e)
	}

	stop := errors.New("stop")
	if err := c.Events(ctx, 0, func(StreamEvent) error { return stop }); err != stop {
		t.Errorf("Events with a failing callback = %v, want its error", err)
	}
	if got := last.Header.Get("Last-Event-ID"); got != "" {
		t.Errorf("Last-Event-ID from height 0 = %q, want none", got)
	}
}

func TestEventsBadAnswers(t *testing.T) {
	for _, tc := range []struct {
		name, contentType, body string
		status                  int
		want                    string
	}{
		{"API error", "application/json", `{"code":1000,"name":"BAD_REQUEST","message":"Last-Event-ID"}`, 400, "BAD_REQUEST"},
		{"not a stream", "application/json", `{}`, 200, "not an event stream"},
		{"garbage data", "text/event-stream", "data: {not json\n\n", 200, "decoding a stream event"},
		{"line too long", "text/event-stream", "data: " + strings.Repeat("x", MaxEventLine+1) + "\n\n", 200, "token too long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, _ := serve(t, tc.status, tc.contentType, tc.body)
			err := c.Events(ctx, 1, func(StreamEvent) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Events = %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}

func TestEventsCancelled(t *testing.T) {
	started := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, ": hello\n\n")
		w.(http.Flusher).Flush()
		close(started)
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	c, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- New(srv.URL).Events(c, 0, func(StreamEvent) error { return nil }) }()
	<-started
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Events after cancel = %v, want context.Canceled", err)
	}
}

// TestProtoOrJSON: the client asks for protobuf where the API offers it,
// reads JSON from a server that answers JSON anyway, and refuses a
// protobuf answer that does not hold what the message must.
func TestProtoOrJSON(t *testing.T) {
	c, last, _ := serve(t, http.StatusOK, "application/json", `{"height":7,"time":"2026-01-02T03:04:05Z","hash":"ab","app_hash":"cd","proposer":"P","txs":[]}`)
	b, err := c.Block(ctx, 7)
	if err != nil || b.Height != 7 || b.Hash != "ab" {
		t.Fatalf("a JSON block: %+v, %v", b, err)
	}
	if got := last.Header.Get("Accept"); !strings.HasPrefix(got, ProtoContentType) {
		t.Errorf("Accept %q, want protobuf first", got)
	}
	c, _, _ = serve(t, http.StatusOK, "application/json", `{"results":[{"tx_id":"`+strings.Repeat("00", 32)+`","status":"pending","code":0,"name":"OK"}]}`)
	items, err := c.SubmitBatch(ctx, [][]byte{{1}}, false)
	if err != nil || len(items) != 1 || items[0].Status != BatchPending {
		t.Fatalf("a JSON batch answer: %+v, %v", items, err)
	}
	// A protobuf block whose transaction id has three bytes is refused, not
	// read as some other id.
	blk, err := Block{Height: 1, Hash: "ab", AppHash: "cd", Txs: []BlockTx{{Kind: "pay"}}}.Proto()
	if err != nil {
		t.Fatal(err)
	}
	blk.Txs[0].Id = []byte{1, 2, 3}
	raw, err := proto.Marshal(blk)
	if err != nil {
		t.Fatal(err)
	}
	c, _, _ = serve(t, http.StatusOK, ProtoContentType, string(raw))
	if _, err := c.Block(ctx, 1); err == nil || !strings.Contains(err.Error(), "3 bytes") {
		t.Errorf("a block with a 3-byte transaction id: %v", err)
	}
}
