// Package keyring owns the peg CLI's signing keys at rest: a directory with one
// file per Ed25519 key, the seed sealed with XChaCha20-Poly1305 under a key that
// argon2id stretches from a passphrase, and the public parts (name, home region,
// address, public key, creation time) in clear so that keys can be listed without
// a passphrase.
//
// It owns the file format (versioned; versions only move up), the limits a file
// must respect before any expensive work is done on it, and atomic, no-clobber
// writes. Where the directory lives and how a passphrase is asked for belong to
// the CLI.
package keyring

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pegledger/peg/internal/durable"
	"github.com/pegledger/peg/internal/ledger"
)

var (
	// ErrExists is returned when a name is already taken, so that adding or
	// importing a key can never overwrite another (and the only copy of its seed).
	ErrExists = errors.New("keyring: key already exists")

	// ErrNotFound is returned when no key has the name or address asked for, so
	// that a CLI can tell "no such key" from a broken keyring.
	ErrNotFound = errors.New("keyring: key not found")

	// ErrWrongPassphrase is returned when a key's seed does not decrypt, so that a
	// CLI can ask again. The cipher cannot tell a wrong passphrase from a file whose
	// sealed header or ciphertext was altered, so the message mentions both.
	ErrWrongPassphrase = errors.New("keyring: wrong passphrase")

	// ErrNoKeyring is returned by OpenExisting when the directory does not
	// exist, so that a CLI can say where it looked instead of creating an
	// empty keyring and later finding no key in it.
	ErrNoKeyring = errors.New("keyring: no keyring")

	// errInvalidFile marks a key file that fails validation: corrupt, hostile or
	// from a newer version of peg.
	errInvalidFile = errors.New("keyring: invalid key file")
)

// Keyring is a directory of encrypted key files. It exists so that the CLI has
// one place that reads and writes keys. It keeps no state but the directory and
// no secret in memory (PrivateKey decrypts afresh on every call), so several
// processes may use the same keyring.
type Keyring struct {
	dir string
	kdf kdfParams // argon2id cost of new keys; tests lower it
}

// Key is the public view of a stored key: everything but the seed. It exists so
// that a key can be listed, chosen and shown without its passphrase.
type Key struct {
	Name     string
	Region   ledger.Region
	Address  ledger.Address
	Public   ed25519.PublicKey
	Created  time.Time
	Insecure bool // encrypted under the empty passphrase: a CLI should warn loudly
}

// Open opens the keyring in dir, creating dir (mode 0700) if it is missing.
func Open(dir string) (*Keyring, error) {
	if dir == "" {
		return nil, errors.New("keyring: no directory given")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	return &Keyring{dir: dir, kdf: defaultKDF}, nil
}

// OpenExisting opens the keyring in dir, which must be an existing
// directory: it fails with ErrNoKeyring if dir does not exist.
func OpenExisting(dir string) (*Keyring, error) {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%w in %s", ErrNoKeyring, dir)
	case err != nil:
		return nil, fmt.Errorf("keyring: %w", err)
	case !fi.IsDir():
		return nil, fmt.Errorf("keyring: %s is not a directory", dir)
	}
	return &Keyring{dir: dir, kdf: defaultKDF}, nil
}

// Dir is the keyring's directory, so that a CLI can tell the user where keys live.
func (k *Keyring) Dir() string { return k.dir }

// Add creates a new random key called name, at home in region, and stores it
// encrypted under passphrase. An empty passphrase is allowed for development
// keyrings; the key is then marked Insecure. It fails with ErrExists if the name
// is taken.
func (k *Keyring) Add(name string, region ledger.Region, passphrase []byte) (Key, error) {
	seed := make([]byte, ed25519.SeedSize)
	defer clear(seed)
	if _, err := rand.Read(seed); err != nil {
		return Key{}, fmt.Errorf("keyring: reading random seed: %w", err)
	}
	return k.ImportSeed(name, region, seed, passphrase)
}

// ImportSeed stores an existing 32-byte Ed25519 seed as the key called name, so
// that a key made elsewhere (a test vector, a deterministic development key) can
// be used. It fails with ErrExists if the name is taken.
func (k *Keyring) ImportSeed(name string, region ledger.Region, seed []byte, passphrase []byte) (Key, error) {
	if err := checkName(name); err != nil {
		return Key{}, err
	}
	if _, err := ledger.ParseRegion(string(region)); err != nil {
		return Key{}, fmt.Errorf("keyring: key %q: %w", name, err)
	}
	// Checked again, without a race, when the file is linked into place; this
	// early check only spares the argon2id cost.
	if err := k.checkFree(name); err != nil {
		return Key{}, err
	}
	f, err := seal(name, region, seed, passphrase, k.kdf, time.Now())
	if err != nil {
		return Key{}, err
	}
	data, err := encode(f)
	if err != nil {
		return Key{}, err
	}
	if err := k.writeNew(name, data); err != nil {
		return Key{}, err
	}
	return f.key(), nil
}

// List returns every key in the keyring, sorted by name. Files that are not key
// files by name (anything but NAME.json with a valid NAME) are ignored; a key
// file that fails validation is an error, not silently skipped.
func (k *Keyring) List() ([]Key, error) {
	entries, err := os.ReadDir(k.dir)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	var keys []Key
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), fileExt)
		if !ok || !e.Type().IsRegular() || checkName(name) != nil {
			continue
		}
		key, err := k.Get(name)
		if err != nil {
			return nil, err
		}
		keys = append(keys, key)
	}
	slices.SortFunc(keys, func(a, b Key) int { return strings.Compare(a.Name, b.Name) })
	return keys, nil
}

// Get returns the public view of the key called name, without its passphrase.
// It fails with ErrNotFound if there is no such key.
func (k *Keyring) Get(name string) (Key, error) {
	f, _, err := k.read(name)
	if err != nil {
		return Key{}, err
	}
	return f.key(), nil
}

// ByAddress returns the key behind address a, so that a CLI can sign for an
// address it was given. If the same seed is stored under several names, the
// first by name is returned. It fails with ErrNotFound if no key matches.
func (k *Keyring) ByAddress(a ledger.Address) (Key, error) {
	keys, err := k.List()
	if err != nil {
		return Key{}, err
	}
	for _, key := range keys {
		if key.Address == a {
			return key, nil
		}
	}
	return Key{}, fmt.Errorf("%w: no key for address %s", ErrNotFound, a)
}

// PrivateKey decrypts the key called name, so that the CLI can sign. It fails
// with ErrWrongPassphrase if the passphrase does not open the key, and with an
// error (never a wrong key) if the decrypted seed is not the recorded key's.
func (k *Keyring) PrivateKey(name string, passphrase []byte) (ed25519.PrivateKey, error) {
	f, _, err := k.read(name)
	if err != nil {
		return nil, err
	}
	seed, err := unseal(f, passphrase)
	if err != nil {
		return nil, err
	}
	defer clear(seed)
	return ed25519.NewKeyFromSeed(seed), nil
}

// Export returns the key file of name as it is on disk: still encrypted, so it
// is safe to move between machines, and accepted by Import there.
func (k *Keyring) Export(name string) ([]byte, error) {
	_, data, err := k.read(name)
	if err != nil {
		return nil, err
	}
	return data, nil
}

// Import stores a file made by Export as the key called name, after validating
// all of it that can be checked without the passphrase: format version, cipher
// and kdf parameters within limits, and address matching public key and region.
// The name is sealed into the ciphertext, so it must be the name the file was
// made under. It fails with ErrExists if the name is taken.
func (k *Keyring) Import(name string, file []byte) (Key, error) {
	if err := checkName(name); err != nil {
		return Key{}, err
	}
	f, err := parseFile(file)
	if err != nil {
		return Key{}, fmt.Errorf("%w: %v", errInvalidFile, err)
	}
	if f.Name != name {
		return Key{}, fmt.Errorf("keyring: the file holds key %q, not %q; a key's name is sealed into its ciphertext, so import it under its own name", f.Name, name)
	}
	if err := k.writeNew(name, file); err != nil {
		return Key{}, err
	}
	return f.key(), nil
}

func (k *Keyring) path(name string) string { return filepath.Join(k.dir, name+fileExt) }

// read loads and validates the file of name, returning it parsed and as bytes.
func (k *Keyring) read(name string) (*keyFile, []byte, error) {
	if err := checkName(name); err != nil {
		return nil, nil, err
	}
	data, err := readRegular(k.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("keyring: key %q: %w", name, err)
	}
	f, err := parseFile(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%w %q: %v", errInvalidFile, name, err)
	}
	if f.Name != name {
		return nil, nil, fmt.Errorf("%w %q: it holds key %q", errInvalidFile, name, f.Name)
	}
	return f, data, nil
}

// readRegular reads at most maxFileSize+1 bytes of path, which must be a
// regular file: not a symlink out of the keyring, not a FIFO that would block.
func readRegular(path string) ([]byte, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxFileSize+1))
}

// encode renders f and checks, by reading it back, that what will be written is
// a file this package accepts: the write-side half of parseFile's checks.
func encode(f *keyFile) ([]byte, error) {
	data, err := jsonIndent(f)
	if err != nil {
		return nil, fmt.Errorf("keyring: encoding key %q: %w", f.Name, err)
	}
	if _, err := parseFile(data); err != nil {
		return nil, fmt.Errorf("keyring: internal error: key %q encodes to an invalid file: %v", f.Name, err)
	}
	return data, nil
}

func (k *Keyring) checkFree(name string) error {
	_, err := os.Lstat(k.path(name))
	switch {
	case err == nil:
		return fmt.Errorf("%w: %q", ErrExists, name)
	case errors.Is(err, fs.ErrNotExist):
		return nil
	default:
		return fmt.Errorf("keyring: %w", err)
	}
}

// writeNew writes data as the file of name, atomically and durably, failing
// with ErrExists rather than replace a file already there.
func (k *Keyring) writeNew(name string, data []byte) error {
	tmp, err := os.CreateTemp(k.dir, "."+name+".tmp-*") // mode 0600
	if err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a link the temp name is left over; after a rename it is gone
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("keyring: writing key %q: %w", name, err)
	}
	if err := k.publish(name, tmp.Name()); err != nil {
		return err
	}
	return durable.SyncDir(k.dir)
}

// publish moves the written temp file to name's path. A hard link fails if the
// path exists, so two processes adding the same name cannot both win. Where the
// filesystem has no hard links (FAT, some network mounts), it falls back to a
// check and a rename, which has a small race.
func (k *Keyring) publish(name, tmp string) error {
	err := os.Link(tmp, k.path(name))
	if err == nil {
		return nil
	}
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w: %q", ErrExists, name)
	}
	if err := k.checkFree(name); err != nil {
		return err
	}
	if err := os.Rename(tmp, k.path(name)); err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	return nil
}
