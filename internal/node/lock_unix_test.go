//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package node

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLockHome: a home's lock refuses a second holder, naming the first's pid
// and the home, and is free again once released.
func TestLockHome(t *testing.T) {
	home := t.TempDir()
	unlock, err := lockHome(home)
	if err != nil {
		t.Fatal(err)
	}
	_, err = lockHome(home)
	var locked *LockedError
	if !errors.As(err, &locked) || locked.PID != os.Getpid() {
		t.Fatalf("second lock: %v; want a LockedError naming pid %d", err, os.Getpid())
	}
	if msg := err.Error(); !strings.Contains(msg, "another Peg process (pid ") || !strings.Contains(msg, home) {
		t.Errorf("message %q names neither the process nor the home", msg)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(home, LockFile)); err != nil || len(b) != 0 {
		t.Errorf("lock file after release holds %q (%v); want it empty", b, err)
	}
	unlock, err = lockHome(home)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	unlock()
}
