package region

import (
	"crypto/hmac"
	"crypto/sha256"

	"github.com/pegledger/peg/internal/ledger"
)

// KeySize is the size of the platform's alias key.
const KeySize = 32

// Key is the platform's alias key: the secret under which values are hashed
// for the alias directory. The front processors and the registrars hold it;
// it is never on chain, so the directory's hashes cannot be recomputed from a
// list of every phone number, which is small enough to try whole.
type Key [KeySize]byte

// Hash is the alias directory's form of v: HMAC-SHA256 under key of v's
// canonical form ("phone:+442071234567").
func Hash(key Key, v Value) ledger.AliasHash {
	m := hmac.New(sha256.New, key[:])
	m.Write([]byte(v.Canonical()))
	var h ledger.AliasHash
	m.Sum(h[:0])
	return h
}

// MaxAliasesPerAddress bounds the aliases bound to one address: a person has
// a few phone numbers and an ID number, and a bound keeps one address from
// collecting a directory's worth of values (and a revocation sweep of an
// address short).
const MaxAliasesPerAddress = 8
