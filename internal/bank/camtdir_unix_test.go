//go:build unix

package bank

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestCamtDirNeverOpensAFIFO proves a FIFO named like a statement, directly
// or through a symbolic link, is skipped rather than opened: opening one
// would block the monitor until something wrote to it.
func TestCamtDirNeverOpensAFIFO(t *testing.T) {
	dir := writeDir(t, map[string][]byte{"good.xml": fixture(t, "camt/camt053_v04.xml")})
	fifo := filepath.Join(dir, "pipe.xml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if err := os.Symlink(fifo, filepath.Join(dir, "link.xml")); err != nil {
		t.Fatal(err)
	}
	d, err := NewCamtDir(CamtDirConfig{Dir: dir, Account: dirIBAN, Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := d.Scan(context.Background())
	if err != nil || s.File != "good.xml" {
		t.Fatalf("Scan = %+v, %v", s, err)
	}
	if len(s.Skipped) != 2 {
		t.Fatalf("skipped %v, want link.xml and pipe.xml", s.Skipped)
	}
	for _, sk := range s.Skipped {
		if !errors.Is(sk.Err, ErrMalformed) {
			t.Errorf("%s: %v", sk.Name, sk.Err)
		}
	}
}
