// Package cafile keeps the operator's certificate authority on disk: its key,
// sealed like every signing key in a keyring (internal/keyring: argon2id and
// XChaCha20-Poly1305 under a passphrase), its self-signed certificate, and
// every certificate it issued, one PEM file per serial number, so that no
// serial is used twice. The certificates themselves are internal/cert's.
package cafile

import (
	"crypto/ed25519"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pegledger/peg/internal/cert"
	"github.com/pegledger/peg/internal/keyring"
	"github.com/pegledger/peg/internal/ledger"
)

// Names inside a CA's directory.
const (
	CertFile  = "ca.pem"
	keysDir   = "keys"
	keyName   = "ca"
	issuedDir = "issued"
	pemType   = "CERTIFICATE"
)

// MaxIssued bounds the certificates one directory holds, and with it the
// work of finding the next serial number.
const MaxIssued = 1_000_000

// ErrExists is Init's error when the directory already holds a CA.
var ErrExists = errors.New("cafile: a CA already exists here")

// Dir is a CA's directory.
type Dir struct {
	path string
	ca   *cert.CA
	kr   *keyring.Keyring
}

// Init creates a CA called name in path, valid from Backdate before now until
// valid after it, its key sealed under passphrase (empty only for
// development CAs). region is the region of the key's keyring entry; the
// CA's key signs no transaction.
func Init(path, name string, region ledger.Region, passphrase []byte, now time.Time, valid time.Duration) (*Dir, error) {
	if _, err := os.Stat(filepath.Join(path, CertFile)); err == nil {
		return nil, fmt.Errorf("%w: %s", ErrExists, path)
	}
	kr, err := keyring.Open(filepath.Join(path, keysDir))
	if err != nil {
		return nil, err
	}
	if _, err := kr.Add(keyName, region, passphrase); err != nil {
		return nil, err
	}
	priv, err := kr.PrivateKey(keyName, passphrase)
	if err != nil {
		return nil, err
	}
	defer clear(priv)
	start := now.UTC().Truncate(time.Second)
	der, err := cert.NewCA(priv, name, start.Add(-Backdate), start.Add(valid))
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(path, issuedDir), 0o700); err != nil {
		return nil, err
	}
	if err := writeNew(filepath.Join(path, CertFile), der); err != nil {
		return nil, err
	}
	return Open(path)
}

// Open opens the CA in path.
func Open(path string) (*Dir, error) {
	der, err := ReadPEM(filepath.Join(path, CertFile))
	if err != nil {
		return nil, err
	}
	ca, err := cert.ParseCA(der)
	if err != nil {
		return nil, err
	}
	kr, err := keyring.OpenExisting(filepath.Join(path, keysDir))
	if err != nil {
		return nil, err
	}
	k, err := kr.Get(keyName)
	if err != nil {
		return nil, err
	}
	if !ed25519.PublicKey(k.Public).Equal(ca.Public()) {
		return nil, fmt.Errorf("cafile: the key in %s is not the key of %s", kr.Dir(), CertFile)
	}
	return &Dir{path: path, ca: ca, kr: kr}, nil
}

// CA is the directory's certificate authority.
func (d *Dir) CA() *cert.CA { return d.ca }

// Insecure reports whether the CA's key is sealed under the empty passphrase.
func (d *Dir) Insecure() bool {
	k, err := d.kr.Get(keyName)
	return err == nil && k.Insecure
}

// Issued is a certificate the CA issued, where it is kept.
type Issued struct {
	Path string
	Cert *cert.Cert
}

// Backdate is how long before it is made a certificate (or the CA's own)
// starts to be valid. A chain judges validity at block time, which trails
// the wall clock (a block's time is its predecessor's commit, and an idle
// chain commits only every few seconds), and a node's clock may run a little
// behind the CA's: without it, a certificate registered at once could be
// refused as not yet valid. Public CAs backdate for the same reason.
const Backdate = time.Hour

// Issue certifies id, at KYC level (0 states none, which reads as 1), for
// the key pub of addr, valid from Backdate before now for valid (cut at the
// CA's own start and end), under the next serial number, and keeps it in the
// directory.
func (d *Dir) Issue(passphrase []byte, id cert.Identity, level uint8, addr ledger.Address, pub ed25519.PublicKey, now time.Time, valid time.Duration) (Issued, error) {
	priv, err := d.kr.PrivateKey(keyName, passphrase)
	if err != nil {
		return Issued{}, err
	}
	defer clear(priv)
	start, end := now.UTC().Truncate(time.Second).Add(-Backdate), now.UTC().Truncate(time.Second).Add(valid)
	if start.Before(d.ca.NotBefore) {
		start = d.ca.NotBefore
	}
	if end.After(d.ca.NotAfter) {
		end = d.ca.NotAfter
	}
	serial, err := d.nextSerial()
	if err != nil {
		return Issued{}, err
	}
	der, err := d.ca.Issue(priv, cert.Request{Identity: id, Address: addr, Public: pub, Serial: serial, NotBefore: start, NotAfter: end, Level: level})
	if err != nil {
		return Issued{}, err
	}
	c, err := cert.Parse(der)
	if err != nil {
		return Issued{}, err
	}
	p := d.issuedPath(serial)
	if err := writeNew(p, der); err != nil {
		return Issued{}, err
	}
	return Issued{Path: p, Cert: c}, nil
}

func (d *Dir) issuedPath(serial uint64) string {
	return filepath.Join(d.path, issuedDir, fmt.Sprintf("%020d.pem", serial))
}

// nextSerial is one above the highest serial issued.
func (d *Dir) nextSerial() (uint64, error) {
	serials, err := d.serials()
	if err != nil {
		return 0, err
	}
	if len(serials) >= MaxIssued {
		return 0, fmt.Errorf("cafile: %d certificates issued, the limit", len(serials))
	}
	if len(serials) == 0 {
		return 1, nil
	}
	return serials[len(serials)-1] + 1, nil
}

func (d *Dir) serials() ([]uint64, error) {
	es, err := os.ReadDir(filepath.Join(d.path, issuedDir))
	if err != nil {
		return nil, err
	}
	var out []uint64
	for _, e := range es {
		n, ok := strings.CutSuffix(e.Name(), ".pem")
		if !ok {
			continue
		}
		s, err := strconv.ParseUint(n, 10, 63)
		if err != nil {
			continue
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out, nil
}

// List returns the certificates the CA issued, in serial order.
func (d *Dir) List() ([]Issued, error) {
	serials, err := d.serials()
	if err != nil {
		return nil, err
	}
	out := make([]Issued, 0, len(serials))
	for _, s := range serials {
		p := d.issuedPath(s)
		der, err := ReadPEM(p)
		if err != nil {
			return nil, err
		}
		c, err := cert.Parse(der)
		if err != nil {
			return nil, fmt.Errorf("cafile: %s: %w", p, err)
		}
		out = append(out, Issued{Path: p, Cert: c})
	}
	return out, nil
}

// ReadPEM reads the one certificate of a PEM file (or a file of DER bytes).
func ReadPEM(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) > 4*cert.MaxSize {
		return nil, fmt.Errorf("cafile: %s is %d bytes, above %d", path, len(b), 4*cert.MaxSize)
	}
	blk, rest := pem.Decode(b)
	if blk == nil {
		return b, nil
	}
	if blk.Type != pemType || strings.TrimSpace(string(rest)) != "" {
		return nil, fmt.Errorf("cafile: %s: want one PEM block of type %s", path, pemType)
	}
	return blk.Bytes, nil
}

// writeNew writes der as PEM to a file that must not exist.
func writeNew(path string, der []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if err := pem.Encode(f, &pem.Block{Type: pemType, Bytes: der}); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// CertPath is the file of the CA's certificate.
func (d *Dir) CertPath() string { return filepath.Join(d.path, CertFile) }
