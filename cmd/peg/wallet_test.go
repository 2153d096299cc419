package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/monitor"
	"github.com/pegledger/peg/internal/wallet"
)

// shopHook is a shop's webhook endpoint for the end-to-end test: it checks
// signatures, keeps each event id once and counts deliveries.
type shopHook struct {
	mu     sync.Mutex
	down   bool
	events map[string]wallet.Event
	posts  int
}

func (h *shopHook) serve(secret string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.down {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		sig := r.Header.Get(monitor.SignatureHeader)
		var unix int64
		fmt.Sscanf(sig, "t=%d,", &unix)
		if sig != monitor.Sign(secret, time.Unix(unix, 0), body) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var e wallet.Event
		json.Unmarshal(body, &e)
		h.posts++
		if _, ok := h.events[e.ID]; !ok {
			h.events[e.ID] = e
		}
	})
}

func (h *shopHook) paid(checkoutID string) (n int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range h.events {
		if e.Type == wallet.EventCheckoutPaid && e.Checkout.ID == checkoutID {
			n++
		}
	}
	return n
}

// TestWalletServe runs `peg wallet serve` against a real `peg up`, as the
// README's checkout does: the treasury is funded on chain, a fund platform
// deposits into carol's member account (a replayed key with another body
// and a malformed key refused), the balance moves into her wallet as coins,
// she pays a shop's request from its peg: URI, and alice pays another from
// the CLI. The wallet server is killed (SIGKILL) after the first payment is
// committed and before its webhook was acknowledged; started again, it
// delivers the webhook, once. An unknown wallet and a payment beyond
// carol's coins are refused clearly.
func TestWalletServe(t *testing.T) {
	home := t.TempDir()
	base := freeBasePort(t)
	up := startUp(t, home, base)
	defer up.stop(t)
	mustPeg(t, home, "token", "deploy", "--from", "issuer", "--file", "../../examples/gbpt.toml")
	mustPeg(t, home, "reserve", "status", "gbpt", "--wait", "OK", "--timeout", "30s")

	// The server and the client commands read the API token from the
	// environment, as README's walkthrough sets it.
	t.Setenv(walletTokenEnv, "an API token for tests")
	const secret = "shop webhook secret"
	hook := &shopHook{events: map[string]wallet.Event{}, down: true}
	hs := httptest.NewServer(hook.serve(secret))
	defer hs.Close()
	passFile := filepath.Join(t.TempDir(), "pass")
	if err := os.WriteFile(passFile, []byte("a master passphrase for tests\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	listen := fmt.Sprintf("127.0.0.1:%d", freePortBlock(t, 1))
	url := "http://" + listen
	serve := func() *upProcess {
		p := startPeg(t, "wallet", "serve", "--home", home, "--listen", listen, "--passphrase-file", passFile, "--webhook-secret", secret)
		eventually(t, 30*time.Second, "the wallet server", func() bool {
			resp, err := http.Get(url + "/healthz")
			if err == nil {
				resp.Body.Close()
			}
			return err == nil && resp.StatusCode == http.StatusOK
		})
		return p
	}
	srv := serve()
	w := func(args ...string) string {
		t.Helper()
		return mustPeg(t, home, append(append([]string{"wallet"}, args...), "--wallet-server", url)...)
	}
	wfail := func(args ...string) (int, string) {
		t.Helper()
		code, out, _ := peg(t, home, append(append([]string{"wallet"}, args...), "--wallet-server", url, "-o", "json")...)
		return code, out
	}
	var ws []wallet.Wallet
	if err := json.Unmarshal([]byte(w("list", "-o", "json")), &ws); err != nil || len(ws) != 1 || ws[0].Name != wallet.TreasuryName {
		t.Fatalf("wallets at first start: %+v %v", ws, err)
	}
	treasury := ws[0].Address.String()
	mustPeg(t, home, "token", "mint", "--from", "minter", "--token", "gbpt", "--to", treasury, "--amount", "1000")
	w("fee-deposit", "treasury", "--amount", "50")
	w("create", "carol")
	w("create", "corner-shop", "--kind", "shop")
	w("deposit", "carol", "--token", "gbpt", "--amount", "100", "--key", "fundco-0001", "--platform", "fundco")
	if code, out := wfail("deposit", "carol", "--token", "gbpt", "--amount", "200", "--key", "fundco-0001", "--platform", "fundco"); code != exitFailure || !strings.Contains(out, "IDEMPOTENCY_KEY_REUSED") {
		t.Errorf("the key again with another amount: exit %d %s", code, out)
	}
	if code, out := wfail("deposit", "carol", "--token", "gbpt", "--amount", "1", "--key", "two words"); code != exitFailure || !strings.Contains(out, "BAD_IDEMPOTENCY_KEY") {
		t.Errorf("a key with a space: exit %d %s", code, out)
	}
	if code, out := wfail("show", "nobody"); code != exitFailure || !strings.Contains(out, "UNKNOWN_WALLET") {
		t.Errorf("an unknown wallet: exit %d %s", code, out)
	}
	eventually(t, 60*time.Second, "the treasury's fee account releasing a payment's fee", func() bool {
		return feeAccountOf(t, home, treasury).Available.Units.Cmp(money.FromUint64(4)) >= 0
	})
	var mv wallet.Move
	if err := json.Unmarshal([]byte(w("move", "carol", "--token", "gbpt", "--amount", "100", "-o", "json")), &mv); err != nil || mv.Status != wallet.MoveCommitted {
		t.Fatalf("move: %+v %v", mv, err)
	}
	w("fee-deposit", "carol", "--amount", "50")
	var v wallet.View
	json.Unmarshal([]byte(w("show", "carol", "-o", "json")), &v)
	carol := v.Address.String()
	eventually(t, 60*time.Second, "carol's fee account releasing a payment's fee", func() bool {
		return feeAccountOf(t, home, carol).Available.Units.Cmp(money.FromUint64(4)) >= 0
	})

	var co wallet.Checkout
	if err := json.Unmarshal([]byte(w("checkout", "create", "--shop", "corner-shop", "--token", "gbpt", "--amount", "12.50",
		"--reference", "ORDER-1", "--expires", "15m", "--webhook", hs.URL, "-o", "json")), &co); err != nil || !strings.HasPrefix(co.URI, "peg:"+co.Address.String()+"?") {
		t.Fatalf("checkout: %+v %v", co, err)
	}
	w("pay", "carol", "--uri", co.URI)
	eventually(t, 30*time.Second, "the request paid", func() bool {
		var got wallet.Checkout
		json.Unmarshal([]byte(w("checkout", "show", co.ID, "-o", "json")), &got)
		return got.Status == wallet.CheckoutPaid
	})
	// Killed after the commit, before the shop acknowledged the webhook.
	srv.cmd.Process.Kill()
	srv.cmd.Wait()
	hook.mu.Lock()
	hook.down = false
	hook.mu.Unlock()
	srv = serve()
	defer srv.stop(t)
	eventually(t, 30*time.Second, "the webhook after the restart", func() bool { return hook.paid(co.ID) == 1 })

	// Paid from the CLI, from a key the wallet server does not hold.
	mustPeg(t, home, "token", "mint", "--from", "minter", "--token", "gbpt", "--to", "alice", "--amount", "100")
	depositFees(t, home, "alice", "50", 4)
	var co2 wallet.Checkout
	json.Unmarshal([]byte(w("checkout", "create", "--shop", "corner-shop", "--token", "gbpt", "--amount", "7.25",
		"--reference", "ORDER-2", "--webhook", hs.URL, "-o", "json")), &co2)
	mustPeg(t, home, "pay", "--from", "alice", "--token", "gbpt", "--to", co2.Address.String(), "--amount", "7.25")
	eventually(t, 30*time.Second, "the second webhook", func() bool { return hook.paid(co2.ID) == 1 })
	hook.mu.Lock()
	if hook.posts != 2 {
		t.Errorf("the shop acknowledged %d deliveries; want 2", hook.posts)
	}
	hook.mu.Unlock()

	if code, out := wfail("pay", "carol", "--token", "gbpt", "--amount", "500", "--to", treasury); code != exitFailure || !strings.Contains(out, "INSUFFICIENT_FUNDS") {
		t.Errorf("paying beyond carol's coins: exit %d %s", code, out)
	}
	out := w("show", "carol")
	for _, want := range []string{"fund_deposit", "chain_payment", "100.00 gbpt", "12.50 gbpt"} {
		if !strings.Contains(out, want) {
			t.Errorf("peg wallet show carol lacks %q:\n%s", want, out)
		}
	}
}
