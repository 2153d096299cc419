package keyring

import (
	"bytes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/pegledger/peg/internal/ledger"
)

// The on-disk format. Versions only ever move up; a reader rejects versions it
// does not know rather than guess.
const (
	formatVersion = 1
	kdfArgon2id   = "argon2id"
	cipherXChaCha = "xchacha20-poly1305"
	fileExt       = ".json"
)

// Limits on what a key file may ask of the machine. Every file is checked against
// them before any expensive work is done on it, because a file may come from
// another machine (Import) or be planted in the directory by someone else.
const (
	// maxNameLen bounds a key name, which is also a file name.
	maxNameLen = 64
	// maxFileSize bounds how much of a key file is read; a real one is under 1 KiB.
	maxFileSize = 64 << 10
	// maxKDFTime bounds argon2id passes, and with them the CPU one file can burn.
	maxKDFTime = 16
	// maxKDFMemoryKiB bounds argon2id memory (1 GiB), so that a hostile file
	// cannot exhaust the machine that opens it.
	maxKDFMemoryKiB = 1 << 20
	// maxKDFThreads bounds argon2id parallelism (and the goroutines it starts).
	maxKDFThreads = 64
	// minSaltLen and maxSaltLen bound the argon2id salt; 16 bytes is what we write.
	minSaltLen = 16
	maxSaltLen = 64
)

// saltLen is the length of the salt written into new files.
const saltLen = 16

// defaultKDF is the argon2id cost of new keys: RFC 9106's second recommended
// option, about a tenth of a second on a laptop.
var defaultKDF = kdfParams{Time: 3, MemoryKiB: 64 << 10, Threads: 4, KeyLen: chacha20poly1305.KeySize}

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,63}$`)

// kdfParams is the argon2id cost, recorded in every file so that it can change
// without breaking old files.
type kdfParams struct {
	Time      uint32 `json:"time"`
	MemoryKiB uint32 `json:"memory_kib"`
	Threads   uint32 `json:"threads"`
	KeyLen    uint32 `json:"key_len"`
}

type kdfSection struct {
	Name string `json:"name"`
	kdfParams
	Salt []byte `json:"salt"`
}

type cipherSection struct {
	Name       string `json:"name"`
	Nonce      []byte `json:"nonce"`
	Ciphertext []byte `json:"ciphertext"`
}

// keyFile is one key on disk. Everything but the seed is in clear, so that List
// needs no passphrase; the name, address and insecure flag are sealed into the
// ciphertext as associated data, so a header cannot be moved onto another key.
type keyFile struct {
	Version  int            `json:"version"`
	Name     string         `json:"name"`
	Region   ledger.Region  `json:"region"`
	Address  ledger.Address `json:"address"`
	Public   []byte         `json:"public_key"`
	Created  time.Time      `json:"created"`
	Insecure bool           `json:"insecure"`
	KDF      kdfSection     `json:"kdf"`
	Cipher   cipherSection  `json:"cipher"`
}

// checkName validates a key name at the edge; names become file names, so this
// is also what keeps a name from escaping the directory.
func checkName(name string) error {
	if !namePattern.MatchString(name) {
		return fmt.Errorf("keyring: key name %q: want 1-%d lowercase letters, digits, '_' or '-', starting with a letter", name, maxNameLen)
	}
	return nil
}

// key is the public view of f. f must have passed parseFile or come from seal.
func (f *keyFile) key() Key {
	return Key{
		Name:     f.Name,
		Region:   f.Region,
		Address:  f.Address,
		Public:   bytes.Clone(f.Public),
		Created:  f.Created,
		Insecure: f.Insecure,
	}
}

// parseFile decodes and fully validates a key file without decrypting it. Its
// errors are unprefixed; callers wrap them with errInvalidFile and the key name.
func parseFile(data []byte) (*keyFile, error) {
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("file has %d bytes, above the limit %d", len(data), maxFileSize)
	}
	// Check the version before decoding strictly, so a newer file is reported
	// as newer rather than as having unknown fields.
	var v struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("not a key file: %v", err)
	}
	if v.Version != formatVersion {
		return nil, fmt.Errorf("format version %d, want %d", v.Version, formatVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f keyFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("not a key file: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the key file")
	}
	if err := f.validate(); err != nil {
		return nil, err
	}
	return &f, nil
}

// validate checks everything that can be checked without the passphrase.
func (f *keyFile) validate() error {
	if f.Version != formatVersion {
		return fmt.Errorf("format version %d, want %d", f.Version, formatVersion)
	}
	if !namePattern.MatchString(f.Name) {
		return fmt.Errorf("name %q is not a valid key name", f.Name)
	}
	if _, err := ledger.ParseRegion(string(f.Region)); err != nil {
		return err
	}
	if len(f.Public) != ed25519.PublicKeySize {
		return fmt.Errorf("public key has %d bytes, want %d", len(f.Public), ed25519.PublicKeySize)
	}
	if f.Address != ledger.NewAddress(f.Region, f.Public) {
		return fmt.Errorf("address %s is not the address of the public key in region %s", f.Address, f.Region)
	}
	if f.Created.IsZero() {
		return errors.New("creation time missing")
	}
	if err := f.KDF.validate(); err != nil {
		return err
	}
	return f.Cipher.validate()
}

func (s *kdfSection) validate() error {
	switch {
	case s.Name != kdfArgon2id:
		return fmt.Errorf("kdf %q, want %q", s.Name, kdfArgon2id)
	case s.Time < 1 || s.Time > maxKDFTime:
		return fmt.Errorf("argon2id time %d, want 1 to %d", s.Time, maxKDFTime)
	case s.Threads < 1 || s.Threads > maxKDFThreads:
		return fmt.Errorf("argon2id threads %d, want 1 to %d", s.Threads, maxKDFThreads)
	case s.MemoryKiB < 8*s.Threads || s.MemoryKiB > maxKDFMemoryKiB:
		return fmt.Errorf("argon2id memory %d KiB, want %d to %d", s.MemoryKiB, 8*s.Threads, maxKDFMemoryKiB)
	case s.KeyLen != chacha20poly1305.KeySize:
		return fmt.Errorf("argon2id key length %d, want %d", s.KeyLen, chacha20poly1305.KeySize)
	case len(s.Salt) < minSaltLen || len(s.Salt) > maxSaltLen:
		return fmt.Errorf("argon2id salt has %d bytes, want %d to %d", len(s.Salt), minSaltLen, maxSaltLen)
	}
	return nil
}

func (s *cipherSection) validate() error {
	switch {
	case s.Name != cipherXChaCha:
		return fmt.Errorf("cipher %q, want %q", s.Name, cipherXChaCha)
	case len(s.Nonce) != chacha20poly1305.NonceSizeX:
		return fmt.Errorf("nonce has %d bytes, want %d", len(s.Nonce), chacha20poly1305.NonceSizeX)
	case len(s.Ciphertext) != ed25519.SeedSize+chacha20poly1305.Overhead:
		return fmt.Errorf("ciphertext has %d bytes, want %d", len(s.Ciphertext), ed25519.SeedSize+chacha20poly1305.Overhead)
	}
	return nil
}

// associatedData is what the ciphertext is bound to besides the passphrase. Each
// variable-length part is length-prefixed (the address bytes carry their own
// region length), so no two headers give the same bytes.
func associatedData(version int, name string, addr ledger.Address, insecure bool) []byte {
	b := []byte("peg-keyring\x00")
	b = append(b, byte(version), byte(len(name)))
	b = append(b, name...)
	b = append(b, addr.Bytes()...)
	if insecure {
		return append(b, 1)
	}
	return append(b, 0)
}

// newAEAD stretches passphrase into the file's cipher key.
func newAEAD(s *kdfSection, passphrase []byte) (cipher.AEAD, error) {
	key := argon2.IDKey(passphrase, s.Salt, s.Time, s.MemoryKiB, uint8(s.Threads), s.KeyLen)
	defer clear(key)
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("keyring: %v", err)
	}
	return aead, nil
}

// seal builds the file for seed. It derives the public key and address itself,
// so a file it builds is consistent by construction.
func seal(name string, region ledger.Region, seed, passphrase []byte, p kdfParams, created time.Time) (*keyFile, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("keyring: seed has %d bytes, want %d", len(seed), ed25519.SeedSize)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	defer clear(priv)
	pub := bytes.Clone(priv.Public().(ed25519.PublicKey))
	f := &keyFile{
		Version:  formatVersion,
		Name:     name,
		Region:   region,
		Address:  ledger.NewAddress(region, pub),
		Public:   pub,
		Created:  created.UTC().Truncate(time.Second),
		Insecure: len(passphrase) == 0,
		KDF:      kdfSection{Name: kdfArgon2id, kdfParams: p, Salt: make([]byte, saltLen)},
		Cipher:   cipherSection{Name: cipherXChaCha, Nonce: make([]byte, chacha20poly1305.NonceSizeX)},
	}
	if _, err := rand.Read(f.KDF.Salt); err != nil {
		return nil, fmt.Errorf("keyring: reading random salt: %v", err)
	}
	if _, err := rand.Read(f.Cipher.Nonce); err != nil {
		return nil, fmt.Errorf("keyring: reading random nonce: %v", err)
	}
	aead, err := newAEAD(&f.KDF, passphrase)
	if err != nil {
		return nil, err
	}
	ad := associatedData(f.Version, f.Name, f.Address, f.Insecure)
	f.Cipher.Ciphertext = aead.Seal(nil, f.Cipher.Nonce, seed, ad)
	return f, nil
}

// unseal decrypts f's seed and checks it is the seed of f's public key. f must
// have passed parseFile. The caller owns (and should clear) the returned seed.
func unseal(f *keyFile, passphrase []byte) ([]byte, error) {
	aead, err := newAEAD(&f.KDF, passphrase)
	if err != nil {
		return nil, err
	}
	ad := associatedData(f.Version, f.Name, f.Address, f.Insecure)
	seed, err := aead.Open(nil, f.Cipher.Nonce, f.Cipher.Ciphertext, ad)
	if err != nil {
		// The AEAD cannot tell a wrong passphrase from an altered file.
		return nil, fmt.Errorf("%w for key %q (or its file was altered)", ErrWrongPassphrase, f.Name)
	}
	// Paired with seal: only a file sealed with a mismatched header gets here.
	priv := ed25519.NewKeyFromSeed(seed)
	defer clear(priv)
	pub := priv.Public().(ed25519.PublicKey)
	if !bytes.Equal(pub, f.Public) || !f.Address.Owns(pub) {
		clear(seed)
		return nil, fmt.Errorf("%w %q: the sealed seed is not the seed of the recorded public key", errInvalidFile, f.Name)
	}
	if f.Insecure != (len(passphrase) == 0) {
		clear(seed)
		return nil, fmt.Errorf("%w %q: insecure is %v, but the passphrase is %d bytes", errInvalidFile, f.Name, f.Insecure, len(passphrase))
	}
	return seed, nil
}

// jsonIndent renders f as the file is written: indented, newline-terminated.
func jsonIndent(f *keyFile) ([]byte, error) {
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}
