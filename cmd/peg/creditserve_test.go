package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/keyring"
	"github.com/pegledger/peg/internal/monitor"
	"github.com/pegledger/peg/internal/node"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// TestCreditServe runs `peg credit serve` against a real `peg up`: a
// credit transaction alice signs is submitted through it, and the credit
// event it leaves reaches an event stream and a signed webhook; a
// transaction that is not a credit one is refused (NOT_CREDIT); a document
// is kept by its SHA-256; and a second service that also serves an
// unreachable chain refuses every transaction, naming that chain
// (CHAIN_NOT_LIVE).
func TestCreditServe(t *testing.T) {
	home := t.TempDir()
	base := freeBasePort(t)
	up := startUp(t, home, base)
	defer up.stop(t)
	api := fmt.Sprintf("http://127.0.0.1:%d", base+2)
	mustPeg(t, home, "token", "deploy", "--from", "issuer", "--file", "../../examples/gbpt.toml")
	mustPeg(t, home, "credit", "node", "register", "lender", "--token", "gbpt", "--cap", "500")
	mustPeg(t, home, "cert", "register", filepath.Join(home, caDirName, "issued", "alice.pem"), "--from", "alice")

	const secret = "hook secret"
	var mu sync.Mutex
	var delivered []client.StreamEvent
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sig := r.Header.Get(monitor.SignatureHeader)
		ts, _, _ := strings.Cut(strings.TrimPrefix(sig, "t="), ",")
		var unix int64
		fmt.Sscan(ts, &unix)
		if sig != monitor.Sign(secret, time.Unix(unix, 0), body) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var e client.StreamEvent
		json.Unmarshal(body, &e)
		mu.Lock()
		delivered = append(delivered, e)
		mu.Unlock()
	}))
	defer hook.Close()

	ports := freePortBlock(t, 2)
	svc := fmt.Sprintf("127.0.0.1:%d", ports)
	serve := startPeg(t, "credit", "serve", "--home", home, "--listen", svc, "--chain", "GB="+api,
		"--webhook", hook.URL, "--webhook-secret", secret)
	down := fmt.Sprintf("127.0.0.1:%d", ports+1)
	serveDown := startPeg(t, "credit", "serve", "--home", home, "--listen", down, "--chain", "GB="+api,
		"--chain", "HK=http://127.0.0.1:1", "--documents", t.TempDir())
	defer serve.stop(t)
	defer serveDown.stop(t)
	for _, addr := range []string{svc, down} {
		eventually(t, 30*time.Second, "the credit service at "+addr, func() bool {
			resp, err := http.Get("http://" + addr + "/v1/chains")
			if err == nil {
				resp.Body.Close()
			}
			return err == nil && resp.StatusCode == http.StatusOK
		})
	}

	// The event stream, read in the background.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	streamed := make(chan string, 16)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+svc+"/v1/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if ev, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				streamed <- ev
			}
		}
	}()

	signed := func(msg func(*txpb.Body)) []byte {
		kr, err := keyring.Open(filepath.Join(home, node.KeyringDir))
		if err != nil {
			t.Fatal(err)
		}
		priv, err := kr.PrivateKey("alice", nil)
		if err != nil {
			t.Fatal(err)
		}
		k, _ := kr.Get("alice")
		st, err := client.New(api).Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b := &txpb.Body{ChainId: st.ChainID, ExpiryHeight: st.Height + 50, Signer: k.Address.String(), Nonce: uint64(time.Now().UnixNano())}
		msg(b)
		raw, _, err := tx.Sign(b, priv)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	lender := strings.TrimSpace(mustPeg(t, home, "keys", "show", "lender", "-o", "json"))
	var lk struct {
		Address string `json:"address"`
	}
	json.Unmarshal([]byte(lender), &lk)
	doc := sha256.Sum256([]byte("accounts"))
	increase := signed(func(b *txpb.Body) {
		b.Msg = &txpb.Body_CreditIncrease{CreditIncrease: &txpb.CreditIncrease{Node: lk.Address, Amount: "20000", DocumentHash: doc[:]}}
	})
	post := func(addr, path string, body []byte) (int, string) {
		resp, err := http.Post("http://"+addr+path, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	submit := func(addr string, raw []byte) (int, string) {
		b, _ := json.Marshal(map[string]any{"chain": "GB", "tx": raw})
		return post(addr, "/v1/txs", b)
	}
	if code, body := submit(down, increase); code != http.StatusServiceUnavailable || !strings.Contains(body, "CHAIN_NOT_LIVE") ||
		!strings.Contains(body, "chain HK: unreachable") {
		t.Errorf("a service with a chain down answered %d %s; want 503 CHAIN_NOT_LIVE naming HK", code, body)
	}
	if code, body := submit(svc, increase); code != http.StatusOK {
		t.Fatalf("submitting alice's request for an increase: %d %s", code, body)
	}
	select {
	case ev := <-streamed:
		if ev != "credit.increase" {
			t.Errorf("streamed %q, want credit.increase", ev)
		}
	case <-ctx.Done():
		t.Fatal("no credit event streamed")
	}
	eventually(t, 30*time.Second, "the signed webhook delivery", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(delivered) == 1 && delivered[0].Type == "credit.increase" && delivered[0].Attrs["chain"] == "GB"
	})
	pay := signed(func(b *txpb.Body) {
		b.Msg = &txpb.Body_Approve{Approve: &txpb.Approve{Token: "gbpt", Spender: lk.Address, Amount: "1"}}
	})
	if code, body := submit(svc, pay); code != http.StatusBadRequest || !strings.Contains(body, "NOT_CREDIT") {
		t.Errorf("an approval through the credit service: %d %s; want 400 NOT_CREDIT", code, body)
	}
	code, body := post(svc, "/v1/documents", []byte("accounts"))
	if want := fmt.Sprintf("%x", doc); code != http.StatusCreated || !strings.Contains(body, want) {
		t.Fatalf("keeping a document: %d %s; want its SHA-256 %s", code, body, want)
	}
	got, err := http.Get(fmt.Sprintf("http://%s/v1/documents/%x", svc, doc))
	if err != nil {
		t.Fatal(err)
	}
	kept, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if string(kept) != "accounts" {
		t.Errorf("the kept document reads %q", kept)
	}
}
