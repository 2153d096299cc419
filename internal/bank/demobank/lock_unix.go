//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package demobank

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockDir takes an exclusive lock on the data directory's lock file, so that
// two processes cannot serve, and overwrite, the same accounts. The lock goes
// with the process, even when it crashes.
func lockDir(path string) (func() error, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("demobank: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("demobank: %s is locked: another process is using this data directory", path)
		}
		return nil, fmt.Errorf("demobank: locking %s: %w", path, err)
	}
	return f.Close, nil
}
