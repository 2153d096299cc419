//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package node

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockHome takes an exclusive lock on home's LockFile and writes this
// process's pid into it, so that two processes cannot run one node, and the
// second can say which process runs it. The lock goes with the process, even
// when it crashes.
func lockHome(home string) (unlock func() error, err error) {
	path := filepath.Join(home, LockFile)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &LockedError{Home: home, PID: readPID(f)}
		}
		return nil, fmt.Errorf("node: locking %s: %w", path, err)
	}
	if err := writePID(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("node: writing %s: %w", path, err)
	}
	// The pid goes with the lock: a later reader must not take a stale pid
	// for the holder's.
	return func() error { return errors.Join(f.Truncate(0), f.Close()) }, nil
}

func writePID(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return err
}

// readPID reads the pid the lock's holder wrote; 0 if there is none yet.
func readPID(f *os.File) int {
	b, _ := io.ReadAll(io.LimitReader(f, 32))
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}
