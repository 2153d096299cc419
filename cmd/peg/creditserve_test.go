package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/creditnode"
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

// TestCreditServeValidatorDown runs `peg testnet --validators 4` and a
// credit node service against node0: with all four signing, the chain is
// live; with one killed, the others still commit but sign 3/4 of the power,
// below the default 4/5, and every credit transaction is refused naming the
// chain and who signed (CHAIN_NOT_LIVE); restarted, the chain is live again.
func TestCreditServeValidatorDown(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test")
	}
	dir := faultHome(t)
	nw := network(writeTestnet(t, dir, 4, 0))
	for _, n := range nw {
		n.start(t)
	}
	for _, n := range nw {
		nw.waitServing(t, n)
	}
	nw.waitHeight(t, 3, nw...) // a block that carries a commit
	s, err := creditnode.New(creditnode.Config{Chains: []creditnode.Chain{{Name: "GB", URL: nw[0].api.BaseURL()}},
		MaxBlockAge: creditnode.DefaultMaxBlockAge, MinSignedPermille: creditnode.DefaultMinSignedPermille,
		Documents: t.TempDir()}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	// waitLiveness polls GET /v1/chains until GB's standing is live, and
	// its reason holds why; a signature can miss one commit by arriving
	// late, so a single answer decides nothing.
	waitLiveness := func(live bool, why string) creditnode.Liveness {
		t.Helper()
		deadline := time.Now().Add(progressTimeout)
		var last creditnode.Liveness
		for {
			resp, err := http.Get(srv.URL + "/v1/chains")
			if err != nil {
				t.Fatal(err)
			}
			var ls []creditnode.Liveness
			err = json.NewDecoder(resp.Body).Decode(&ls)
			resp.Body.Close()
			if err != nil || len(ls) != 1 {
				t.Fatalf("GET /v1/chains: %v %+v", err, ls)
			}
			last = ls[0]
			if last.Live == live && strings.Contains(last.Reason, why) {
				return last
			}
			if time.Now().After(deadline) {
				nw.fatal(t, "GB stayed %+v (signing %+v); want live %v with %q", last, last.Signing, live, why)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	l := waitLiveness(true, "")
	if l.Signing == nil || l.Signing.Validators != 4 || l.Signing.TotalPower <= 0 {
		t.Fatalf("live GB signing = %+v; want a commit of 4 validators", l.Signing)
	}

	victim := nw[1+faultRand(t).IntN(3)]
	t.Logf("%s killed: the others commit with 3 of 4 signing", victim.name)
	victim.signal(t, syscall.SIGKILL)
	waitLiveness(false, "too few validators signing: 3 of 4")
	body, _ := json.Marshal(map[string]any{"chain": "GB", "tx": []byte{1, 2, 3}})
	resp, err := http.Post(srv.URL+"/v1/txs", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), "CHAIN_NOT_LIVE") ||
		!strings.Contains(string(b), "chain GB: too few validators signing: 3 of 4") || !strings.Contains(string(b), "the least is 800‰") {
		t.Fatalf("POST /v1/txs with a validator down: %d %s", resp.StatusCode, b)
	}

	t.Logf("%s restarted: all four sign again", victim.name)
	victim.start(t)
	waitLiveness(true, "")
	nw.checkAlive(t, nw...)
}
