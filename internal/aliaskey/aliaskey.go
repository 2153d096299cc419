// Package aliaskey keeps the platform's alias key (region.Key) in a file: 64
// hexadecimal digits and a newline, readable by its owner only (0600). The
// key is made once, by Create, and never replaced: every alias on chain is a
// hash under it, and a new key would orphan them all. It is never on chain
// and never logged.
package aliaskey

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"github.com/pegledger/peg/internal/durable"
	"github.com/pegledger/peg/internal/region"
)

// FileName is the key's file in a Peg home.
const FileName = "alias.key"

// fileSize is a key file's size: the hex digits and a newline.
const fileSize = 2*region.KeySize + 1

// ErrExists is Create's error when the file is there already.
var ErrExists = errors.New("aliaskey: the key file exists; a key is never replaced")

// Create makes a new random key in a new file at path, mode 0600. It refuses
// a path that exists (ErrExists).
func Create(path string) (region.Key, error) {
	var k region.Key
	if _, err := rand.Read(k[:]); err != nil {
		return region.Key{}, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return region.Key{}, fmt.Errorf("%w: %s", ErrExists, path)
	}
	if err != nil {
		return region.Key{}, fmt.Errorf("aliaskey: %w", err)
	}
	_, err = f.Write([]byte(hex.EncodeToString(k[:]) + "\n"))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return region.Key{}, fmt.Errorf("aliaskey: writing %s: %w", path, err)
	}
	return k, durable.SyncDir(filepath.Dir(path))
}

// Ensure reads the key at path, creating it first if there is no file. It
// reports whether it created it.
func Ensure(path string) (region.Key, bool, error) {
	k, err := Read(path)
	if errors.Is(err, os.ErrNotExist) {
		k, err = Create(path)
		return k, err == nil, err
	}
	return k, false, err
}

// Read reads the key at path. It refuses a file that others than its owner
// may read or write (on systems with Unix permissions), and one that is not
// exactly a key.
func Read(path string) (region.Key, error) {
	f, err := os.Open(path)
	if err != nil {
		return region.Key{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return region.Key{}, err
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return region.Key{}, fmt.Errorf("aliaskey: %s has mode %v: others may read the alias key; chmod 600 it", path, fi.Mode().Perm())
	}
	b, err := io.ReadAll(io.LimitReader(f, fileSize+1))
	if err != nil {
		return region.Key{}, err
	}
	var k region.Key
	b = bytes.TrimSuffix(b, []byte("\n"))
	if len(b) != 2*region.KeySize {
		return region.Key{}, fmt.Errorf("aliaskey: %s is not an alias key: want %d hex digits", path, 2*region.KeySize)
	}
	if _, err := hex.Decode(k[:], b); err != nil {
		return region.Key{}, fmt.Errorf("aliaskey: %s is not an alias key: not hex", path)
	}
	return k, nil
}
