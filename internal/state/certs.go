package state

import (
	"encoding/binary"
	"strconv"
	"time"

	"github.com/pegledger/peg/internal/cert"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/tx"
)

// Revocation is a certificate's serial number on the chain's revocation list,
// with when and why the operator put it there. A revocation is for good.
type Revocation struct {
	Serial uint64      `json:"serial"`
	Reason string      `json:"reason"`
	TxID   ledger.TxID `json:"tx_id"`
	Height uint64      `json:"height"`
	Time   int64       `json:"time"` // block time, Unix nanoseconds
}

// genesisCA is the chain's certificate authority, from genesis.
func genesisCA(g *Genesis) (*cert.CA, *ledger.Rejection) {
	if g.CA == nil {
		return nil, ledger.Reject(ledger.CodeCertNoCA, "this chain's genesis names no certificate authority")
	}
	ca, err := cert.ParseCACached(g.CA)
	if err != nil {
		panic("state: genesis CA: " + err.Error()) // Genesis.Validate parsed it
	}
	return ca, nil
}

// checkCert runs the checks every use of a certificate shares, in order: the
// chain has a CA (CERT_NO_CA), the certificate chains to it within its
// validity at time at (CERT_NOT_CHAINED, CERT_EXPIRED), is not revoked
// (CERT_REVOKED) and names holder (CERT_WRONG_KEY).
func checkCert(r Reader, g *Genesis, c *cert.Cert, holder ledger.Address, at time.Time) *ledger.Rejection {
	ca, rej := genesisCA(g)
	if rej != nil {
		return rej
	}
	if rej := ca.Verify(c, at); rej != nil {
		return rej
	}
	if r.Get(revokedKey(c.Serial)) != nil {
		return ledger.Reject(ledger.CodeCertRevoked, "certificate %d of %s is revoked", c.Serial, c.Address)
	}
	if c.Address != holder {
		return ledger.Reject(ledger.CodeCertWrongKey, "certificate %d names %s, not %s", c.Serial, c.Address, holder)
	}
	return nil
}

// CertificateStatus judges a's registered certificate at time at, as a
// credit step in a block at that time would: nil if a registered none, and
// the first check it fails, if any.
func CertificateStatus(r Reader, g *Genesis, a ledger.Address, at time.Time) (*cert.Cert, *ledger.Rejection) {
	c := CertificateOf(r, a)
	if c == nil {
		return nil, nil
	}
	return c, checkCert(r, g, c, a, at)
}

// certified checks that a, acting as role ("payer", "payee"), holds a
// registered certificate that passes checkCert at block time
// (CERT_NOT_REGISTERED first), and returns it.
func (x *exec) certified(a ledger.Address, role string) (*cert.Cert, *ledger.Rejection) {
	c := CertificateOf(x.w, a)
	if c == nil {
		return nil, ledger.Reject(ledger.CodeCertNotRegistered, "the %s %s has no certificate registered on this chain", role, a)
	}
	if rej := checkCert(x.w, &x.env.Genesis, c, a, x.env.Time); rej != nil {
		rej.Message = "the " + role + "'s " + rej.Message
		return nil, rej
	}
	return c, nil
}

func (x *exec) registerCertificate(m tx.RegisterCertificate) *ledger.Rejection {
	if rej := checkCert(x.w, &x.env.Genesis, m.Cert, x.tx.Signer, x.env.Time); rej != nil {
		return rej
	}
	x.w.Set(certKey(x.tx.Signer), m.Cert.Raw)
	if !x.env.Check {
		id := m.Cert.Identity
		x.emit("certificate.registered", "holder", x.tx.Signer.String(), "serial", strconv.FormatUint(m.Cert.Serial, 10),
			"name", id.Name, "registration", id.Registration, "country", id.Country,
			"not_after", m.Cert.NotAfter.Format(time.RFC3339))
	}
	return nil
}

func (x *exec) revokeCertificate(m tx.RevokeCertificate) *ledger.Rejection {
	if rej := x.requireOperator(); rej != nil {
		return rej
	}
	if _, rej := genesisCA(&x.env.Genesis); rej != nil {
		return rej
	}
	k := revokedKey(m.Serial)
	if x.w.Get(k) != nil {
		return ledger.Reject(ledger.CodeCertRevoked, "certificate %d is already revoked", m.Serial)
	}
	x.w.Set(k, encode(Revocation{Serial: m.Serial, Reason: m.Reason, TxID: x.tx.ID, Height: x.env.Height, Time: x.env.Time.UnixNano()}))
	x.emit("certificate.revoked", "serial", strconv.FormatUint(m.Serial, 10), "reason", m.Reason)
	return nil
}

// CertificateOf returns the certificate a registered, or nil. A stored
// certificate was parsed when it was registered; one that no longer parses
// is a corrupt record.
func CertificateOf(r Reader, a ledger.Address) *cert.Cert {
	k := certKey(a)
	b := r.Get(k)
	if b == nil {
		return nil
	}
	c, err := cert.Parse(b)
	if err != nil {
		panic("state: record " + string(k[:len(prefixCert)]) + a.String() + " is corrupt: " + err.Error())
	}
	return c
}

// RevocationOf returns serial's revocation, or nil if it is not revoked.
func RevocationOf(r Reader, serial uint64) *Revocation {
	k := revokedKey(serial)
	b := r.Get(k)
	if b == nil {
		return nil
	}
	var rv Revocation
	decode(k, b, &rv)
	return &rv
}

// Revocations lists the chain's revocation list in serial order.
func Revocations(s Scanner) ([]Revocation, error) {
	var out []Revocation
	err := s.Scan([]byte(prefixRevoked), nil, func(k, v []byte) bool {
		var rv Revocation
		decode(k, v, &rv)
		if len(k) != len(prefixRevoked)+8 || binary.BigEndian.Uint64(k[len(prefixRevoked):]) != rv.Serial {
			panic("state: revocation record " + string(k[:len(prefixRevoked)]) + " names another serial")
		}
		out = append(out, rv)
		return true
	})
	return out, err
}
