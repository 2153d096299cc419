package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/monitor"
	"github.com/pegledger/peg/internal/reserve"
)

// alertSink is a webhook receiver that checks each delivery's signature.
type alertSink struct {
	t      *testing.T
	secret string
	mu     sync.Mutex
	got    []monitor.Alert
}

func (s *alertSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	ts, mac, ok := strings.Cut(strings.TrimPrefix(r.Header.Get(monitor.SignatureHeader), "t="), ",v1=")
	h := hmac.New(sha256.New, []byte(s.secret))
	h.Write([]byte(ts + "."))
	h.Write(body)
	if !ok || !hmac.Equal([]byte(mac), []byte(hex.EncodeToString(h.Sum(nil)))) {
		s.t.Errorf("webhook delivery with a bad signature %q", r.Header.Get(monitor.SignatureHeader))
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var a monitor.Alert
	if err := json.Unmarshal(body, &a); err != nil {
		s.t.Errorf("webhook body: %v", err)
	}
	s.mu.Lock()
	s.got = append(s.got, a)
	s.mu.Unlock()
}

func (s *alertSink) has(typ string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.got {
		if a.Type == typ {
			return true
		}
	}
	return false
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within %s", what, within)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestReserveWatch is the reserve watch end to end, against `peg up`, which
// runs the node, the demo bank and the monitor: a coin with a reserve of
// 1,000,000 GBP; 900,000 minted; the bank account debited to 800,000, and
// within a poll interval the coin is AT_RISK, minting is refused, a signed
// webhook alert arrives and the coverage metric is below 1; credited back, it
// is OK and minting works; with the bank failing, the coin goes STALE once the
// window has passed.
func TestReserveWatch(t *testing.T) {
	home := t.TempDir()
	base := freeBasePort(t)
	sink := &alertSink{t: t, secret: "webhook-secret"}
	hooks := httptest.NewServer(sink)
	defer hooks.Close()
	up := startUp(t, home, base, "--webhook", hooks.URL, "--webhook-secret", sink.secret)
	defer up.stop(t)

	// The example contract, with a one-minute staleness window so that the
	// test can watch it lapse.
	b, err := os.ReadFile("../../examples/gbpt.toml")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(home, "gbpt.toml")
	if err := os.WriteFile(file, []byte(strings.Replace(string(b), `staleness_window = "26h"`, `staleness_window = "1m"`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	mustPeg(t, home, "token", "deploy", "--from", "issuer", "--file", file)

	api := client.New(fmt.Sprintf("http://127.0.0.1:%d", base+2))
	status := func() reserve.Status {
		tok, err := api.Token(context.Background(), "gbpt")
		if err != nil {
			t.Fatal(err)
		}
		return tok.Reserve.Status
	}
	const poll = 5 * time.Second // devPollInterval, with slack below
	eventually(t, 2*poll, "the first attestation", func() bool { return status() == reserve.OK })
	mustPeg(t, home, "token", "mint", "--from", "minter", "--token", "gbpt", "--to", "alice", "--amount", "900000")

	bankURL := fmt.Sprintf("http://127.0.0.1:%d", base+4)
	mustPeg(t, home, "bank", "account", "debit", "--bank", bankURL, "--account", "gbpt-reserve", "--amount", "200000")
	eventually(t, 2*poll, "AT_RISK", func() bool { return status() == reserve.AtRisk })
	code, _, errs := peg(t, home, "token", "mint", "--from", "minter", "--token", "gbpt", "--to", "alice", "--amount", "1")
	if code != exitRejected || !strings.Contains(errs, "RESERVE_AT_RISK") {
		t.Errorf("mint while at risk: exit %d, stderr %q; want RESERVE_AT_RISK", code, errs)
	}
	eventually(t, 2*poll, "a signed at-risk webhook", func() bool { return sink.has(monitor.AlertAtRisk) })
	if cov := metric(t, base, `peg_reserve_coverage_ratio{token="gbpt"}`); cov >= 1 {
		t.Errorf("coverage metric = %v while at risk, want < 1", cov)
	}

	mustPeg(t, home, "bank", "account", "credit", "--bank", bankURL, "--account", "gbpt-reserve", "--amount", "200000")
	eventually(t, 2*poll, "OK again", func() bool { return status() == reserve.OK })
	mustPeg(t, home, "token", "mint", "--from", "minter", "--token", "gbpt", "--to", "alice", "--amount", "1")
	eventually(t, 2*poll, "a recovery webhook", func() bool { return sink.has(monitor.AlertRecovered) })

	mustPeg(t, home, "bank", "fault", "--bank", bankURL, "--mode", "error")
	eventually(t, 90*time.Second, "STALE", func() bool { return status() == reserve.Stale })
	eventually(t, 2*poll, "stale and feed-failing webhooks", func() bool {
		return sink.has(monitor.AlertStale) && sink.has(monitor.AlertFeedFailing)
	})
	code, _, errs = peg(t, home, "token", "mint", "--from", "minter", "--token", "gbpt", "--to", "alice", "--amount", "1")
	if code != exitRejected || !strings.Contains(errs, "RESERVE_STALE") {
		t.Errorf("mint while stale: exit %d, stderr %q; want RESERVE_STALE", code, errs)
	}
}

// metric reads one sample from the monitor's metrics endpoint.
func metric(t *testing.T, base int, series string) float64 {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", base+5))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	t.Fatalf("no %s in the metrics", series)
	return 0
}
