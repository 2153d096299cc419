package wallet

import (
	"context"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/pegledger/peg/internal/ledger"
)

// Keys at rest use the keyring's scheme (internal/keyring): argon2id
// stretches a passphrase into an XChaCha20-Poly1305 key. The server has one
// master passphrase, so it is stretched once, at start, with a salt kept in
// the database; each wallet's seed is then sealed under that key with a
// random nonce, bound to the wallet's address as associated data, so that a
// sealed seed cannot be moved onto another wallet.

// ErrWrongPassphrase is returned at start when the master passphrase does not
// open the database's keys.
var ErrWrongPassphrase = errors.New("wallet: the master passphrase does not open this database's keys")

// kdf is the argon2id cost and salt of the master key, kept in meta "kdf".
// The cost is the keyring's: RFC 9106's second recommended option.
type kdf struct {
	Time      uint32 `json:"time"`
	MemoryKiB uint32 `json:"memory_kib"`
	Threads   uint8  `json:"threads"`
	Salt      []byte `json:"salt"`
}

var defaultKDF = kdf{Time: 3, MemoryKiB: 64 << 10, Threads: 4}

// checkPlaintext is sealed at first start ("check" in meta), so that a wrong
// passphrase is found at start rather than at the first payment.
const checkPlaintext = "peg wallet master key"

// MinPassphraseLen is the shortest master passphrase the server accepts: it
// guards every customer's key.
const MinPassphraseLen = 12

// sealer seals and opens wallet seeds under the master key.
type sealer struct{ aead cipher.AEAD }

// openSealer derives the master key from passphrase, creating the salt and
// the check value on first use, and verifies the passphrase against them.
func openSealer(ctx context.Context, d *db, passphrase []byte, cost kdf) (*sealer, error) {
	if len(passphrase) < MinPassphraseLen {
		return nil, fmt.Errorf("wallet: the master passphrase has %d bytes; at least %d are needed", len(passphrase), MinPassphraseLen)
	}
	var s *sealer
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		raw, ok, err := getMeta(ctx, tx, "kdf")
		if err != nil {
			return err
		}
		if !ok {
			cost.Salt = make([]byte, 16)
			if _, err := rand.Read(cost.Salt); err != nil {
				return err
			}
			b, _ := json.Marshal(cost)
			if err := setMeta(ctx, tx, "kdf", string(b)); err != nil {
				return err
			}
		} else if err := json.Unmarshal([]byte(raw), &cost); err != nil {
			return fmt.Errorf("wallet: meta kdf: %w", err)
		}
		key := argon2.IDKey(passphrase, cost.Salt, cost.Time, cost.MemoryKiB, cost.Threads, chacha20poly1305.KeySize)
		defer clear(key)
		aead, err := chacha20poly1305.NewX(key)
		if err != nil {
			return err
		}
		s = &sealer{aead: aead}
		check, ok, err := getMeta(ctx, tx, "check")
		if err != nil {
			return err
		}
		if !ok {
			c, err := s.seal([]byte(checkPlaintext), []byte("check"))
			if err != nil {
				return err
			}
			return setMeta(ctx, tx, "check", c)
		}
		got, err := s.open(check, []byte("check"))
		if err != nil || string(got) != checkPlaintext {
			return ErrWrongPassphrase
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// seal encrypts plain bound to ad, as base64 of nonce ‖ ciphertext.
func (s *sealer) seal(plain, ad []byte) (string, error) {
	nonce := make([]byte, chacha20poly1305.NonceSizeX)
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(s.aead.Seal(nonce, nonce, plain, ad)), nil
}

// open decrypts what seal made with the same ad.
func (s *sealer) open(sealed string, ad []byte) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(b) < chacha20poly1305.NonceSizeX {
		return nil, errors.New("wallet: a sealed key is malformed")
	}
	return s.aead.Open(nil, b[:chacha20poly1305.NonceSizeX], b[chacha20poly1305.NonceSizeX:], ad)
}

// newKey makes a key at home in region and seals its seed to its address.
func (s *sealer) newKey(region ledger.Region) (ledger.Address, string, error) {
	seed := make([]byte, ed25519.SeedSize)
	defer clear(seed)
	if _, err := rand.Read(seed); err != nil {
		return ledger.Address{}, "", err
	}
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	addr := ledger.NewAddress(region, pub)
	sealed, err := s.seal(seed, addr.Bytes())
	if err != nil {
		return ledger.Address{}, "", err
	}
	return addr, sealed, nil
}

// privateKey opens the key sealed to addr and checks it is addr's key.
func (s *sealer) privateKey(addr ledger.Address, sealed string) (ed25519.PrivateKey, error) {
	seed, err := s.open(sealed, addr.Bytes())
	if err != nil {
		return nil, fmt.Errorf("wallet: the key of %s does not open: %w", addr, err)
	}
	defer clear(seed)
	priv := ed25519.NewKeyFromSeed(seed)
	if !addr.Owns(priv.Public().(ed25519.PublicKey)) {
		return nil, fmt.Errorf("wallet: the key sealed for %s is not its key", addr)
	}
	return priv, nil
}
