// Package cert owns Peg's identities from X.509 certificates (S4.8): the
// operator's certificate authority (CA), which binds a legal identity (name,
// registration number, country) to the Ed25519 key of a Peg address, and the
// checks a certificate must pass at a given time. Credit payments use it; trade
// identities will.
//
// It is pure: it reads no clock (callers pass block time), does no I/O and
// draws no randomness (Ed25519 signatures are deterministic), so that every
// node gives a certificate the same answer. Where the CA's key is kept and
// which certificates are revoked belong to its callers.
package cert

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/pegledger/peg/internal/ledger"
)

// Limits on a certificate, checked before it is parsed or stored.
const (
	// MaxSize bounds a certificate's DER encoding: a Peg certificate is
	// about 500 bytes; the bound keeps a registration within a transaction.
	MaxSize = 4096
	// MaxNameLen bounds the legal name, in bytes.
	MaxNameLen = 128
	// MaxRegistrationLen bounds the registration number, in bytes.
	MaxRegistrationLen = 64
	// MaxValidity bounds how long a certificate (the CA's too) may be valid.
	MaxValidity = 20 * 365 * 24 * time.Hour
)

// MaxLevel is the highest KYC level a certificate states (S1.6).
const MaxLevel = 9

// levelArc is the certificate-policy arc under which a certificate states
// its holder's KYC level, as levelArc.LEVEL: an assurance level as a policy
// OID, as the CA/Browser Forum marks validation levels. The arc is a UUID
// OID (ITU-T X.667, 2.25), which needs no registration.
const levelArc = "2.25.117012542028728191927010714375021135791"

// levelPolicy is the policy OID stating level.
func levelPolicy(level uint8) x509.OID {
	oid, err := x509.ParseOID(levelArc + "." + strconv.Itoa(int(level)))
	if err != nil {
		panic("cert: level policy: " + err.Error())
	}
	return oid
}

// levelOf reads the KYC level a certificate states: 1 when it states none
// (a certified identity), refused when it states more than one, or a level
// outside 1 to MaxLevel.
func levelOf(x *x509.Certificate) (uint8, error) {
	level := uint8(0)
	for _, p := range x.Policies {
		rest, ok := strings.CutPrefix(p.String(), levelArc+".")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 || n > MaxLevel {
			return 0, fmt.Errorf("cert: KYC level policy %s: want a level from 1 to %d", p, MaxLevel)
		}
		if level != 0 {
			return 0, errors.New("cert: more than one KYC level")
		}
		level = uint8(n)
	}
	if level == 0 {
		return 1, nil
	}
	return level, nil
}

// uriScheme names the Peg address in a certificate's URI subject
// alternative name: "peg:peg1...".
const uriScheme = "peg"

var countryPattern = regexp.MustCompile(`^[A-Z]{2}$`)

// Identity is a legal identity a certificate vouches for.
type Identity struct {
	// Name is the legal name ("Alice Trading Ltd").
	Name string `json:"name"`
	// Registration is the registration number in the country's company or
	// person register.
	Registration string `json:"registration"`
	// Country is the ISO 3166-1 alpha-2 code of the register.
	Country string `json:"country"`
}

// Validate checks an identity's fields: each present, printable UTF-8 within
// its bound, the country two capital letters.
func (id Identity) Validate() error {
	if err := text("name", id.Name, MaxNameLen); err != nil {
		return err
	}
	if err := text("registration number", id.Registration, MaxRegistrationLen); err != nil {
		return err
	}
	if !countryPattern.MatchString(id.Country) {
		return fmt.Errorf("cert: country %q is not an ISO 3166-1 alpha-2 code", id.Country)
	}
	return nil
}

func text(field, s string, limit int) error {
	if s == "" || len(s) > limit || !utf8.ValidString(s) {
		return fmt.Errorf("cert: %s must be 1 to %d bytes of UTF-8", field, limit)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("cert: %s holds a control character", field)
		}
	}
	return nil
}

// Cert is a parsed Peg identity certificate: everything the ledger relies on,
// taken from the DER it was parsed from.
type Cert struct {
	Raw      []byte
	Serial   uint64
	Identity Identity
	// Address is the Peg address the certificate names; its key is Public.
	Address   ledger.Address
	Public    ed25519.PublicKey
	NotBefore time.Time
	NotAfter  time.Time
	// Level is the holder's KYC level, 1 to MaxLevel: the level the
	// certificate states, or 1 if it states none.
	Level uint8
	x     *x509.Certificate
}

// Parse decodes a certificate and checks its form: within MaxSize, X.509 with
// an Ed25519 key, a serial number that fits 63 bits, a complete identity, and
// exactly one Peg address, which is the key's. It says nothing about who
// signed it or when it is valid: that is CA.Verify's call.
func Parse(der []byte) (*Cert, error) {
	if len(der) == 0 || len(der) > MaxSize {
		return nil, fmt.Errorf("cert: certificate is %d bytes, want 1 to %d", len(der), MaxSize)
	}
	x, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("cert: %v", err)
	}
	pub, ok := x.PublicKey.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("cert: the key is %T, want Ed25519", x.PublicKey)
	}
	if x.IsCA {
		return nil, errors.New("cert: a CA certificate is not an identity")
	}
	serial, err := serialOf(x)
	if err != nil {
		return nil, err
	}
	id := Identity{Name: x.Subject.CommonName, Registration: x.Subject.SerialNumber}
	if len(x.Subject.Country) == 1 {
		id.Country = x.Subject.Country[0]
	}
	if err := id.Validate(); err != nil {
		return nil, err
	}
	addr, err := addressOf(x)
	if err != nil {
		return nil, err
	}
	if !addr.Owns(pub) {
		return nil, fmt.Errorf("cert: address %s is not the address of the certificate's key", addr)
	}
	level, err := levelOf(x)
	if err != nil {
		return nil, err
	}
	return &Cert{Raw: x.Raw, Serial: serial, Identity: id, Address: addr, Public: pub,
		NotBefore: x.NotBefore.UTC(), NotAfter: x.NotAfter.UTC(), Level: level, x: x}, nil
}

func serialOf(x *x509.Certificate) (uint64, error) {
	s := x.SerialNumber
	if s == nil || s.Sign() <= 0 || s.BitLen() > 63 {
		return 0, errors.New("cert: the serial number must be a positive 63-bit integer")
	}
	return s.Uint64(), nil
}

func addressOf(x *x509.Certificate) (ledger.Address, error) {
	if len(x.URIs) != 1 || x.URIs[0].Scheme != uriScheme {
		return ledger.Address{}, fmt.Errorf("cert: want exactly one %s: URI naming the holder's address, found %d URIs", uriScheme, len(x.URIs))
	}
	a, err := ledger.ParseAddress(x.URIs[0].Opaque)
	if err != nil {
		return ledger.Address{}, fmt.Errorf("cert: %v", err)
	}
	return a, nil
}

// CA is the operator's certificate authority, as the ledger knows it: its
// self-signed certificate.
type CA struct {
	Raw       []byte
	Name      string
	NotBefore time.Time
	NotAfter  time.Time
	x         *x509.Certificate
	pool      *x509.CertPool
}

// NewCA builds the self-signed certificate of a CA called name whose key is
// key, valid over [notBefore, notAfter].
func NewCA(key ed25519.PrivateKey, name string, notBefore, notAfter time.Time) ([]byte, error) {
	if err := text("CA name", name, MaxNameLen); err != nil {
		return nil, err
	}
	if err := window(notBefore, notAfter); err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	pub := key.Public().(ed25519.PublicKey)
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, pub, key)
	if err != nil {
		return nil, fmt.Errorf("cert: %v", err)
	}
	return der, nil
}

func window(notBefore, notAfter time.Time) error {
	if !notAfter.After(notBefore) || notAfter.Sub(notBefore) > MaxValidity {
		return fmt.Errorf("cert: validity %s to %s must be positive and at most %s", notBefore.UTC().Format(time.RFC3339),
			notAfter.UTC().Format(time.RFC3339), MaxValidity)
	}
	return nil
}

// ParseCA decodes a CA certificate and checks it: within MaxSize, an Ed25519
// key, a CA that signs certificates directly (path length zero), signed by
// its own key.
func ParseCA(der []byte) (*CA, error) {
	if len(der) == 0 || len(der) > MaxSize {
		return nil, fmt.Errorf("cert: CA certificate is %d bytes, want 1 to %d", len(der), MaxSize)
	}
	x, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("cert: CA: %v", err)
	}
	if _, ok := x.PublicKey.(ed25519.PublicKey); !ok {
		return nil, fmt.Errorf("cert: the CA's key is %T, want Ed25519", x.PublicKey)
	}
	if !x.BasicConstraintsValid || !x.IsCA || x.KeyUsage&x509.KeyUsageCertSign == 0 {
		return nil, errors.New("cert: the certificate is not a CA that signs certificates")
	}
	if err := x.CheckSignatureFrom(x); err != nil {
		return nil, fmt.Errorf("cert: the CA certificate is not self-signed: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(x)
	return &CA{Raw: x.Raw, Name: x.Subject.CommonName, NotBefore: x.NotBefore.UTC(), NotAfter: x.NotAfter.UTC(), x: x, pool: pool}, nil
}

// Public is the CA's public key.
func (ca *CA) Public() ed25519.PublicKey { return ca.x.PublicKey.(ed25519.PublicKey) }

// Request is what the CA certifies: an identity for the key of an address,
// over a validity window, under a serial number the CA has not used.
type Request struct {
	Identity  Identity
	Address   ledger.Address
	Public    ed25519.PublicKey
	Serial    uint64
	NotBefore time.Time
	NotAfter  time.Time
	// Level is the holder's KYC level, 1 to MaxLevel; 0 states none, which
	// reads as 1.
	Level uint8
}

// Issue signs a certificate for r with the CA's key, which must be the key
// of ca's certificate. The certificate lies within the CA's own validity.
func (ca *CA) Issue(key ed25519.PrivateKey, r Request) ([]byte, error) {
	if !key.Public().(ed25519.PublicKey).Equal(ca.Public()) {
		return nil, errors.New("cert: the key is not the CA's")
	}
	if err := r.Identity.Validate(); err != nil {
		return nil, err
	}
	if len(r.Public) != ed25519.PublicKeySize || !r.Address.Owns(r.Public) {
		return nil, fmt.Errorf("cert: %s is not the address of the given key", r.Address)
	}
	if r.Serial == 0 || r.Serial>>63 != 0 {
		return nil, errors.New("cert: the serial number must be a positive 63-bit integer")
	}
	if err := window(r.NotBefore, r.NotAfter); err != nil {
		return nil, err
	}
	if r.Level > MaxLevel {
		return nil, fmt.Errorf("cert: KYC level %d; at most %d", r.Level, MaxLevel)
	}
	if r.NotBefore.Before(ca.NotBefore) || r.NotAfter.After(ca.NotAfter) {
		return nil, fmt.Errorf("cert: validity must lie within the CA's, %s to %s",
			ca.NotBefore.Format(time.RFC3339), ca.NotAfter.Format(time.RFC3339))
	}
	tmpl := &x509.Certificate{
		SerialNumber: new(big.Int).SetUint64(r.Serial),
		Subject: pkix.Name{CommonName: r.Identity.Name, SerialNumber: r.Identity.Registration,
			Country: []string{r.Identity.Country}},
		NotBefore:   r.NotBefore,
		NotAfter:    r.NotAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		URIs:        []*url.URL{{Scheme: uriScheme, Opaque: r.Address.String()}},
	}
	if r.Level != 0 {
		tmpl.Policies = []x509.OID{levelPolicy(r.Level)}
	}
	der, err := x509.CreateCertificate(nil, tmpl, ca.x, r.Public, key)
	if err != nil {
		return nil, fmt.Errorf("cert: %v", err)
	}
	return der, nil
}

// Verify checks c against the CA at time at: both within their validity
// (CERT_EXPIRED) and c signed by the CA (CERT_NOT_CHAINED). Revocation and
// whose key signs are the caller's checks, against the chain's records.
func (ca *CA) Verify(c *Cert, at time.Time) *ledger.Rejection {
	if at.Before(ca.NotBefore) || at.After(ca.NotAfter) {
		return ledger.Reject(ledger.CodeCertExpired, "the CA %q is valid from %s to %s; the block is at %s",
			ca.Name, stamp(ca.NotBefore), stamp(ca.NotAfter), stamp(at))
	}
	if at.Before(c.NotBefore) || at.After(c.NotAfter) {
		return ledger.Reject(ledger.CodeCertExpired, "certificate %d of %s is valid from %s to %s; the block is at %s",
			c.Serial, c.Address, stamp(c.NotBefore), stamp(c.NotAfter), stamp(at))
	}
	key := sha256.Sum256(append(append([]byte(nil), ca.Raw...), c.Raw...))
	if _, ok := chained.Load(key); ok {
		return nil
	}
	_, err := c.x.Verify(x509.VerifyOptions{Roots: ca.pool, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil {
		return ledger.Reject(ledger.CodeCertNotChained, "certificate %d of %s does not chain to the CA %q: %v", c.Serial, c.Address, ca.Name, err)
	}
	if chainedCount.Add(1) <= MaxChainedCache {
		chained.Store(key, struct{}{})
	}
	return nil
}

// MaxChainedCache bounds the certificates whose chain to a CA Verify
// remembers, so that the memory it takes stays bounded.
const MaxChainedCache = 1 << 20

// chained remembers the (CA, certificate) pairs Verify found signed by the
// CA, keyed by the SHA-256 of both encodings: a signature, once good, stays
// good, so the Ed25519 check (most of a credit step's cost) is made once
// per certificate. Validity windows and revocation are judged every time.
var (
	chained      sync.Map
	chainedCount atomic.Int64
)

// ParseCACached is ParseCA, remembering the CAs it parsed: a chain's
// genesis names one, which every use of a certificate needs.
func ParseCACached(der []byte) (*CA, error) {
	if ca, ok := cas.Load(string(der)); ok {
		return ca.(*CA), nil
	}
	ca, err := ParseCA(der)
	if err != nil {
		return nil, err
	}
	if casCount.Add(1) <= maxCACache {
		cas.Store(string(der), ca)
	}
	return ca, nil
}

// maxCACache bounds the CAs ParseCACached remembers.
const maxCACache = 64

var (
	cas      sync.Map
	casCount atomic.Int64
)

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
