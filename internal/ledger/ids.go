package ledger

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"regexp"
)

// MaxTokenIDLen bounds a token id, which appears in every coin's key.
const MaxTokenIDLen = 32

var tokenIDPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{1,31}$`)

// TokenID names a token contract: lowercase letters, digits and hyphens, starting
// with a letter, 2 to 32 characters ("usdp", "gbp-demo").
type TokenID string

// ParseTokenID validates a token id.
func ParseTokenID(s string) (TokenID, error) {
	if !tokenIDPattern.MatchString(s) {
		return "", fmt.Errorf("ledger: token id %q: want 2-32 lowercase letters, digits or hyphens, starting with a letter", s)
	}
	return TokenID(s), nil
}

// HashSize is the size of transaction and coin identifiers.
const HashSize = sha256.Size

// TxID is the SHA-256 of a transaction's body bytes.
type TxID [HashSize]byte

// String is lowercase hex.
func (id TxID) String() string { return hashText(id) }

// ParseTxID parses lowercase or uppercase hex.
func ParseTxID(s string) (TxID, error) {
	var id TxID
	if err := parseHash(s, id[:]); err != nil {
		return TxID{}, fmt.Errorf("ledger: transaction id: %w", err)
	}
	return id, nil
}

// MarshalText encodes id as hex.
func (id TxID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText parses hex.
func (id *TxID) UnmarshalText(b []byte) error {
	p, err := ParseTxID(string(b))
	*id = p
	return err
}

// CoinID identifies an unspent output: the SHA-256 of the creating transaction's id
// and the output's index, so that it is unique and known before the block commits.
type CoinID [HashSize]byte

// NewCoinID derives the id of output index of tx.
func NewCoinID(tx TxID, index uint32) CoinID {
	var b [HashSize + 4]byte
	copy(b[:], tx[:])
	binary.BigEndian.PutUint32(b[HashSize:], index)
	return CoinID(sha256.Sum256(b[:]))
}

// String is lowercase hex.
func (id CoinID) String() string { return hashText(id) }

// ParseCoinID parses hex.
func ParseCoinID(s string) (CoinID, error) {
	var id CoinID
	if err := parseHash(s, id[:]); err != nil {
		return CoinID{}, fmt.Errorf("ledger: coin id: %w", err)
	}
	return id, nil
}

// MarshalText encodes id as hex.
func (id CoinID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText parses hex.
func (id *CoinID) UnmarshalText(b []byte) error {
	p, err := ParseCoinID(string(b))
	*id = p
	return err
}

func parseHash(s string, dst []byte) error {
	if len(s) != 2*len(dst) {
		return fmt.Errorf("%q has %d characters, want %d hex digits", s, len(s), 2*len(dst))
	}
	if _, err := hex.Decode(dst, []byte(s)); err != nil {
		return fmt.Errorf("%q is not hex", s)
	}
	return nil
}

// hashText writes h in lowercase hexadecimal with one allocation, the
// string's (hex.EncodeToString makes a second): receipts and events write
// a coin id or two for every payment.
func hashText(h [HashSize]byte) string {
	var b [2 * HashSize]byte
	hex.Encode(b[:], h[:])
	return string(b[:])
}
