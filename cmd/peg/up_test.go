package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUpWebhookRefused: `peg up` refuses, as a usage error and before
// writing anything, a webhook it would sign with an empty key or cannot post
// to. Its ports are taken, so that a `peg up` that let the webhook through
// fails rather than runs.
func TestUpWebhookRefused(t *testing.T) {
	t.Setenv("PEG_WEBHOOK_SECRET", "")
	base := holdPort(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no secret", []string{"--webhook", "https://alerts.example.com/peg"}, "--webhook needs --webhook-secret"},
		{"not a URL", []string{"--webhook", "alerts.example.com/peg", "--webhook-secret", "k"}, "want an http:// or https:// URL"},
		{"no host", []string{"--webhook", "https:///peg", "--webhook-secret", "k"}, "names no host"},
		{"does not parse", []string{"--webhook", "http://[::1/peg", "--webhook-secret", "k"}, "does not parse"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := filepath.Join(t.TempDir(), "h")
			code, _, errs := peg(t, home, append([]string{"up", "--base-port", fmt.Sprint(base)}, tc.args...)...)
			if code != exitUsage || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d saying %q", code, errs, exitUsage, tc.want)
			}
			if _, err := os.Stat(home); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the refused run left %s behind (%v)", home, err)
			}
		})
	}
}

// holdPort listens on the first of a free block of ports until the test
// ends, and returns it.
func holdPort(t *testing.T) int {
	t.Helper()
	base := freeBasePort(t)
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", base))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return base
}
