package ledger

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
)

// MaxTokenIDLen bounds a token id, which appears in every coin's key.
const MaxTokenIDLen = 32

// TokenID names a token contract: lowercase letters, digits and hyphens, starting
// with a letter, 2 to 32 characters ("usdp", "gbp-demo").
type TokenID string

// ParseTokenID validates a token id.
func ParseTokenID(s string) (TokenID, error) {
	if !validTokenID(s) {
		return "", fmt.Errorf("ledger: token id %q: want 2-32 lowercase letters, digits or hyphens, starting with a letter", s)
	}
	return TokenID(s), nil
}

// validTokenID reports whether s matches ^[a-z][a-z0-9-]{1,31}$, in a loop
// rather than a regular expression: every payment's token is checked, and the
// expression cost a third of a microsecond each time.
func validTokenID(s string) bool {
	if len(s) < 2 || len(s) > MaxTokenIDLen || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
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

// AliasHash is the keyed hash of a characteristic value (a phone or ID
// number; internal/region), the only form in which the alias directory holds
// it, so that no value is in clear on chain (S2.2).
type AliasHash [HashSize]byte

// String is lowercase hex.
func (h AliasHash) String() string { return hashText(h) }

// ParseAliasHash parses hex.
func ParseAliasHash(s string) (AliasHash, error) {
	var h AliasHash
	if err := parseHash(s, h[:]); err != nil {
		return AliasHash{}, fmt.Errorf("ledger: alias hash: %w", err)
	}
	return h, nil
}

// MarshalText encodes h as hex.
func (h AliasHash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText parses hex.
func (h *AliasHash) UnmarshalText(b []byte) error {
	p, err := ParseAliasHash(string(b))
	*h = p
	return err
}
