package monitor

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestBudget(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := &budget{max: 4}
	for i := range 4 {
		now := start.Add(time.Duration(i) * time.Hour)
		if got := b.next(now); !got.Equal(now) {
			t.Fatalf("read %d: next = %s, want now %s", i, got, now)
		}
		b.spend(now)
	}
	now := start.Add(5 * time.Hour)
	if got, want := b.next(now), start.Add(24*time.Hour); !got.Equal(want) {
		t.Fatalf("fifth read: next = %s, want %s (a day after the first)", got, want)
	}
	b.spend(start.Add(24 * time.Hour))
	if got, want := b.next(start.Add(24*time.Hour)), start.Add(25*time.Hour); !got.Equal(want) {
		t.Fatalf("after the window rolls: next = %s, want %s", got, want)
	}
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		failures int
		want     time.Duration
	}{{1, 8 * time.Second}, {2, 16 * time.Second}, {3, 32 * time.Second}, {10, time.Minute}} {
		if got := backoff(64*time.Second, time.Minute, tc.failures); got != tc.want {
			t.Errorf("backoff after %d failures = %s, want %s", tc.failures, got, tc.want)
		}
	}
	for range 100 {
		if d := jitter(10*time.Second, 2*time.Second); d < 8*time.Second || d >= 12*time.Second {
			t.Fatalf("jitter gave %s, outside 10s ± 2s", d)
		}
	}
}

func TestStatusAlert(t *testing.T) {
	for _, tc := range []struct{ prev, now, want string }{
		{"", "OK", ""},
		{"", "UNATTESTED", AlertUnattested},
		{"", "AT_RISK", AlertAtRisk},
		{"OK", "AT_RISK", AlertAtRisk},
		{"OK", "STALE", AlertStale},
		{"AT_RISK", "OK", AlertRecovered},
		{"STALE", "OK", AlertRecovered},
		{"UNATTESTED", "OK", ""},
		{"AT_RISK", "AT_RISK", ""},
	} {
		if got := statusAlert(tc.prev, tc.now); got != tc.want {
			t.Errorf("statusAlert(%q, %q) = %q, want %q", tc.prev, tc.now, got, tc.want)
		}
	}
}

// TestWebhookSignedAndRetried delivers an alert to a receiver that fails twice,
// checks the signature it finally gets, and the delivery log of all three tries.
func TestWebhookSignedAndRetried(t *testing.T) {
	const secret = "s3cret"
	var calls atomic.Int32
	got := make(chan Alert, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		body, _ := io.ReadAll(r.Body)
		sig := r.Header.Get(SignatureHeader)
		ts, mac, ok := strings.Cut(strings.TrimPrefix(sig, "t="), ",v1=")
		h := hmac.New(sha256.New, []byte(secret))
		h.Write([]byte(ts + "."))
		h.Write(body)
		if !ok || mac != hex.EncodeToString(h.Sum(nil)) {
			t.Errorf("signature %q does not verify", sig)
		}
		var a Alert
		if err := json.Unmarshal(body, &a); err != nil {
			t.Error(err)
		}
		got <- a
	}))
	defer srv.Close()
	logPath := filepath.Join(t.TempDir(), "deliveries.jsonl")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	d := &deliverer{hooks: []Webhook{{URL: srv.URL, Secret: secret}}, client: srv.Client(),
		log: slog.New(slog.DiscardHandler), file: f}
	d.send(context.Background(), Alert{ID: "a1", Type: AlertAtRisk, Token: "gbpt", Message: "at risk"})
	select {
	case a := <-got:
		if a.ID != "a1" || a.Type != AlertAtRisk {
			t.Errorf("received %+v", a)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no delivery")
	}
	d.wait()
	f.Close()
	b, _ := os.ReadFile(logPath)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], `"status":503`) || !strings.Contains(lines[2], `"ok":true`) {
		t.Errorf("delivery log:\n%s\nwant two failures then a success", b)
	}
}
