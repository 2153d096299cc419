package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
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

// TestSecondUp: a second `peg up` with the same home names the process that
// runs it; in another home, on ports in use, it says so before writing
// anything, suggests a --base-port, and leaves no home behind, nor anything
// in a directory that existed.
func TestSecondUp(t *testing.T) {
	home := t.TempDir()
	base := freeBasePort(t)
	up := startUp(t, home, base)
	defer up.stop(t)

	second := func(home string) (int, string) {
		cmd := exec.Command(pegBinary, "up", "--home", home, "--base-port", fmt.Sprint(base))
		var errb bytes.Buffer
		cmd.Stderr = &errb
		err := cmd.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("second peg up: %v, want it to fail\nstderr:\n%s", err, errb.String())
		}
		return exit.ExitCode(), errb.String()
	}
	code, errs := second(home)
	want := fmt.Sprintf("another Peg process (pid %d) is running with home %s", up.cmd.Process.Pid, home)
	if code != exitFailure || !strings.Contains(errs, want) {
		t.Errorf("same home: exit %d, stderr %q; want exit %d saying %q", code, errs, exitFailure, want)
	}

	fresh := filepath.Join(t.TempDir(), "a", "h")
	code, errs = second(fresh)
	if code != exitFailure || !strings.Contains(errs, fmt.Sprintf("port %d", base)) || !strings.Contains(errs, "is in use") ||
		!strings.Contains(errs, "pass --base-port ") {
		t.Errorf("ports in use: exit %d, stderr %q; want the port named and a --base-port suggested", code, errs)
	}
	if _, err := os.Stat(filepath.Dir(fresh)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed first run left %s behind (%v)", filepath.Dir(fresh), err)
	}

	existing := t.TempDir()
	if err := os.WriteFile(filepath.Join(existing, "mine"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	second(existing)
	if des, _ := os.ReadDir(existing); len(des) != 1 || des[0].Name() != "mine" {
		t.Errorf("a failed first run in an existing directory left %v; want only its own file", des)
	}
}

// TestHomeRecordUndo: a failed first run removes what it wrote, and only
// that: the directories it created, or the entries a directory did not hold.
func TestHomeRecordUndo(t *testing.T) {
	dir := t.TempDir()
	write := func(path string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	fresh := filepath.Join(dir, "a", "b", "h")
	rec, err := recordHome(fresh)
	if err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(fresh, "config", "genesis.json"))
	if err := rec.undo(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "a")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("undo left %s (%v)", filepath.Join(dir, "a"), err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("undo removed the existing parent: %v", err)
	}

	existing := filepath.Join(dir, "existing")
	write(filepath.Join(existing, "mine"))
	write(filepath.Join(existing, "keep", "old"))
	if rec, err = recordHome(existing); err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(existing, "config", "genesis.json"))
	write(filepath.Join(existing, "keyring", "alice.json"))
	if err := rec.undo(); err != nil {
		t.Fatal(err)
	}
	var left []string
	filepath.WalkDir(existing, func(path string, _ os.DirEntry, _ error) error {
		rel, _ := filepath.Rel(existing, path)
		left = append(left, rel)
		return nil
	})
	if got := strings.Join(left, " "); got != ". keep keep/old mine" {
		t.Errorf("undo left %q; want what the directory held before", got)
	}
}
