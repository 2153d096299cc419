package monitor

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pegledger/peg/internal/client"
)

// TestWebhookValidate refuses a webhook that would be signed with an empty
// key or posted nowhere useful, naming what is wrong.
func TestWebhookValidate(t *testing.T) {
	for _, tc := range []struct {
		url, secret string
		want        string // "" for valid
	}{
		{"https://alerts.example.com/peg", "k", ""},
		{"http://127.0.0.1:9000/hook?x=1", "k", ""},
		{"HTTPS://alerts.example.com", "k", ""},
		{"https://alerts.example.com/peg", "", "no secret"},
		{"", "k", "want an http:// or https:// URL"},
		{"alerts.example.com/peg", "k", "want an http:// or https:// URL"},
		{"ftp://alerts.example.com/peg", "k", "want an http:// or https:// URL"},
		{"http://", "k", "names no host"},
		{"https:///peg", "k", "names no host"},
		{"http:alerts.example.com", "k", "names no host"},
		{"http://:8080/peg", "k", "names no host"},
		{"://alerts.example.com", "k", "does not parse"},
		{"http://[::1/peg", "k", "does not parse"},
		{"http://exa mple.com/", "k", "does not parse"},
	} {
		err := Webhook{URL: tc.url, Secret: tc.secret}.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: refused: %v", tc.url, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q secret %q: error %v, want one saying %q", tc.url, tc.secret, err, tc.want)
		}
	}
}

// TestNewRefusesBadWebhook: a Monitor is never built with a webhook it would
// sign with an empty key or cannot post to.
func TestNewRefusesBadWebhook(t *testing.T) {
	cfg := Config{API: client.New("http://127.0.0.1:1"), FollowInterval: time.Second, FailureAlertAfter: 1,
		Metrics: prometheus.NewRegistry(), Log: slog.New(slog.DiscardHandler)}
	for _, h := range []Webhook{{URL: "https://alerts.example.com"}, {URL: "alerts.example.com", Secret: "k"}} {
		cfg.Webhooks = []Webhook{h}
		if _, err := New(cfg); err == nil {
			t.Errorf("webhook %+v accepted", h)
		}
	}
}

// TestFileHooksRefuseBadURL: the configuration file's webhooks are held to
// the same checks, with their secret in the environment.
func TestFileHooksRefuseBadURL(t *testing.T) {
	t.Setenv("PEG_TEST_HOOK_SECRET", "k")
	path := filepath.Join(t.TempDir(), "m.toml")
	for url, want := range map[string]string{
		"https://alerts.example.com/peg": "",
		"alerts.example.com/peg":         "want an http:// or https:// URL",
		"https://":                       "names no host",
	} {
		conf := "[[webhook]]\nurl = \"" + url + "\"\nsecret_env = \"PEG_TEST_HOOK_SECRET\"\n"
		if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := LoadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		hooks, err := f.Hooks()
		switch {
		case want == "" && (err != nil || len(hooks) != 1 || hooks[0].Secret != "k"):
			t.Errorf("%q: hooks %+v, %v", url, hooks, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%q: error %v, want one saying %q", url, err, want)
		}
	}
}
