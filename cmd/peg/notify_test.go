package main

import (
	"context"
	"encoding/json"
	"errors"
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

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/monitor"
	"github.com/pegledger/peg/internal/notify"
	"github.com/pegledger/peg/internal/notify/webhook"
)

// hookReceiver is a webhook receiver that checks each delivery's signature,
// refuses the first try of every notification (so each is retried), and
// records the ids it acknowledged, deduping on them.
type hookReceiver struct {
	t      *testing.T
	secret string
	mu     sync.Mutex
	tried  map[string]bool
	got    map[string]client.Notification
	acked  int // acknowledgements, repeats included
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	sig := r.Header.Get(monitor.SignatureHeader)
	ts, _, _ := strings.Cut(strings.TrimPrefix(sig, "t="), ",")
	var n client.Notification
	if err := json.Unmarshal(body, &n); err != nil || n.ID != r.Header.Get(webhook.IDHeader) {
		h.t.Errorf("delivery %q (id header %q): %v", body, r.Header.Get(webhook.IDHeader), err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	var unix int64
	fmt.Sscan(ts, &unix)
	if want := monitor.Sign(h.secret, time.Unix(unix, 0), body); sig != want {
		h.t.Errorf("delivery %s signed %q, want %q", n.ID, sig, want)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	key := n.Account.String() + " " + n.ID
	if !h.tried[key] {
		h.tried[key] = true
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	h.got[key] = n
	h.acked++
}

func (h *hookReceiver) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.got)
}

// listNotifications reads every notification of who with peg notify list.
func listNotifications(t *testing.T, home, who string) []client.Notification {
	t.Helper()
	var all []client.Notification
	cursor := "1.0"
	for {
		var p client.NotificationPage
		if err := json.Unmarshal([]byte(mustPeg(t, home, "notify", "list", who, "--cursor", cursor, "--limit", "2", "-o", "json")), &p); err != nil {
			t.Fatal(err)
		}
		all = append(all, p.Notifications...)
		if next, _ := notify.ParseCursor(p.Next); next.Height > p.Head {
			return all
		}
		cursor = p.Next
	}
}

// TestNotifyEndToEnd runs a trade against a real `peg up` while the
// information service tells its parties: a stream left between two
// notifications and resumed misses none and repeats none, and the webhook
// service, killed in the middle and restarted, delivers every notification
// the catch-up read lists, each signed and retried until acknowledged.
func TestNotifyEndToEnd(t *testing.T) {
	home := t.TempDir()
	base := freeBasePort(t)
	up := startUp(t, home, base)
	defer up.stop(t)
	api := client.New(fmt.Sprintf("http://127.0.0.1:%d", base+2))
	issued := filepath.Join(home, caDirName, "issued")
	doc := filepath.Join(t.TempDir(), "contract.txt")
	if err := os.WriteFile(doc, []byte("sales contract 9"), 0o600); err != nil {
		t.Fatal(err)
	}

	recv := &hookReceiver{t: t, secret: "s3cret", tried: map[string]bool{}, got: map[string]client.Notification{}}
	hook := httptest.NewServer(recv)
	defer hook.Close()
	state := filepath.Join(t.TempDir(), "cursors.json")
	serve := func() *upProcess {
		return startPeg(t, "notify", "serve", "--home", home, "--account", "importer", "--account", "exporter",
			"--webhook", hook.URL, "--webhook-secret", recv.secret, "--state", state, "--from", "1.0")
	}
	svc := serve()

	mustPeg(t, home, "token", "deploy", "--from", "issuer", "--file", "../../examples/gbpt.toml")
	mustPeg(t, home, "reserve", "status", "gbpt", "--wait", "OK", "--timeout", "30s")
	mustPeg(t, home, "trade", "rules", "set", "--from", "operator", "--max-rounds", "2", "--version-open", "72h", "--limit", "gbpt=1000")
	mustPeg(t, home, "token", "mint", "--from", "minter", "--token", "gbpt", "--to", "importer", "--amount", "500")
	for _, who := range []string{"importer", "exporter", "arbiter"} {
		mustPeg(t, home, "cert", "register", filepath.Join(issued, who+".pem"), "--from", who)
	}
	var rc client.Receipt
	if err := json.Unmarshal([]byte(mustPeg(t, home, "trade", "offer", "--from", "exporter", "--buyer", "importer", "--seller", "exporter",
		"--arbiter", "arbiter", "--token", "gbpt", "--amount", "300", "--description", "tea", "--document", doc, "--delivery", "FOB Shanghai", "-o", "json")), &rc); err != nil {
		t.Fatal(err)
	}
	id := rc.TxID.String()

	// The importer's stream from the start: the mint, then the offer to
	// answer. The client leaves after those two.
	importer, err := (&globals{home: home}).lookup("importer")
	if err != nil {
		t.Fatal(err)
	}
	var streamed []client.Notification
	stop := errors.New("enough")
	take := func(cursor string, n int) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		err := api.NotificationStream(ctx, importer, cursor, func(nt client.Notification) error {
			streamed = append(streamed, nt)
			if n--; n == 0 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) {
			t.Fatalf("the stream from %s: %v after %+v", cursor, err, streamed)
		}
	}
	take("1.0", 2)
	if streamed[0].Type != "coin.minted" || streamed[1].Type != "trade.to_answer" || !streamed[1].NeedsYou ||
		!strings.Contains(streamed[1].Action, "peg trade accept") {
		t.Fatalf("the importer's first notifications: %+v", streamed)
	}

	// Kill the webhook service once it has delivered something.
	eventually(t, 60*time.Second, "the webhook service delivering", func() bool { return recv.count() >= 2 })
	svc.cmd.Process.Kill()
	svc.cmd.Wait()

	mustPeg(t, home, "trade", "counter", id, "--from", "importer", "--amount", "280")
	mustPeg(t, home, "trade", "accept", id, "--from", "exporter")
	mustPeg(t, home, "trade", "fund", id, "--from", "importer")

	// Resume after the last notification taken: the counter-offer (the
	// importer's own: nothing to do), the acceptance (fund), the funding.
	next, err := notify.After(streamed[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	take(next.String(), 3)
	want := listNotifications(t, home, "importer")
	if len(want) != len(streamed) {
		t.Fatalf("streamed %d notifications, peg notify list lists %d:\n%+v\n%+v", len(streamed), len(want), streamed, want)
	}
	for i := range want {
		if streamed[i].ID != want[i].ID || streamed[i].Type != want[i].Type {
			t.Errorf("notification %d: streamed %s %s, listed %s %s", i, streamed[i].ID, streamed[i].Type, want[i].ID, want[i].Type)
		}
	}
	if n := want[3]; n.Type != "trade.to_fund" || !n.NeedsYou || want[2].NeedsYou {
		t.Errorf("after the counter-offer and the acceptance: %+v, %+v; want nothing to do, then fund", want[2], n)
	}

	// The restarted service delivers the rest, for both parties.
	svc = serve()
	exporterWant := listNotifications(t, home, "exporter")
	total := len(want) + len(exporterWant)
	eventually(t, 60*time.Second, fmt.Sprintf("%d notifications delivered", total), func() bool { return recv.count() >= total })
	recv.mu.Lock()
	for _, n := range append(want, exporterWant...) {
		if got, ok := recv.got[n.Account.String()+" "+n.ID]; !ok || got.Type != n.Type {
			t.Errorf("notification %s for %s (%s) delivered as %+v", n.ID, n.Account, n.Type, got)
		}
	}
	if len(recv.got) != total {
		t.Errorf("%d notifications delivered, want %d", len(recv.got), total)
	}
	recv.mu.Unlock()
	svc.cmd.Process.Signal(os.Interrupt)
	svc.cmd.Wait()
	var cursors map[string]string
	b, err := os.ReadFile(state)
	if err != nil || json.Unmarshal(b, &cursors) != nil {
		t.Fatalf("the state file: %s, %v", b, err)
	}
	if last, _ := notify.After(want[len(want)-1].ID); cursors[importer.String()] != last.String() {
		t.Errorf("the importer's saved cursor is %q, want %s, after its last notification", cursors[importer.String()], last)
	}
	if !strings.Contains(svc.stderr.String(), "retrying") {
		t.Errorf("the service logged no retry though the receiver refused every first try:\n%s", svc.stderr)
	}

	// Bad cursors are refused.
	code, _, errs := peg(t, home, "notify", "list", "importer", "--cursor", "nope")
	if code == exitOK || !strings.Contains(errs, "HEIGHT.INDEX") {
		t.Errorf("notify list --cursor nope: exit %d, %q", code, errs)
	}
	code, _, errs = peg(t, home, "notify", "list", "importer", "--cursor", "99999999.0")
	if code == exitOK || !strings.Contains(errs, "past the next block") {
		t.Errorf("notify list past the head: exit %d, %q", code, errs)
	}
	for _, q := range []string{"/notifications?cursor=1", "/notifications?cursor=01.0", "/notifications/stream?cursor=99999999.0"} {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/v1/accounts/%s%s", base+2, importer, q))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("GET %s = %d, want 400", q, resp.StatusCode)
		}
	}
	out := mustPeg(t, home, "notify", "list", "importer", "--cursor", want[3].ID, "--limit", "1")
	if !strings.Contains(out, "trade.to_fund") || !strings.Contains(out, "NEEDS YOU: fund the trade") || !strings.Contains(out, "more: peg notify list importer --cursor") {
		t.Errorf("peg notify list text:\n%s", out)
	}
	out = mustPeg(t, home, "notify", "watch", "exporter", "--cursor", "1.0", "--count", "1", "-o", "json")
	var first client.Notification
	if err := json.Unmarshal([]byte(out), &first); err != nil || first.ID != exporterWant[0].ID {
		t.Errorf("peg notify watch: %q, %v; want %s first", out, err, exporterWant[0].ID)
	}
}
