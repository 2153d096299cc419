package demobank

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/pegledger/peg/internal/durable"
)

// The files the bank keeps in its data directory.
const (
	CAFile          = "ca.pem"         // the bank's own certificate authority
	ServerCertFile  = "server.pem"     // the Open Banking server's certificate, signed by the CA
	ServerKeyFile   = "server-key.pem" // its private key (0600)
	ClientCertFile  = "client.pem"     // a client certificate for API clients, signed by the CA
	ClientKeyFile   = "client-key.pem" // its private key (0600)
	CredentialsFile = "credentials.json"
	StateFile       = "state.json"
	lockFile        = "lock"
)

// certValidity is how long the generated certificates are valid. The data
// directory of a demo bank lives as long as the demo; ten years means that no
// demo breaks because a certificate expired.
const certValidity = 10 * 365 * 24 * time.Hour

// Files are the paths of the bank's files, for printing and for clients.
type Files struct {
	Dir         string
	CA          string
	ServerCert  string
	ServerKey   string
	ClientCert  string
	ClientKey   string
	Credentials string
	State       string
}

// FilesIn names the files of a bank whose data directory is dir.
func FilesIn(dir string) Files {
	p := func(name string) string { return filepath.Join(dir, name) }
	return Files{Dir: dir, CA: p(CAFile), ServerCert: p(ServerCertFile), ServerKey: p(ServerKeyFile),
		ClientCert: p(ClientCertFile), ClientKey: p(ClientKeyFile), Credentials: p(CredentialsFile), State: p(StateFile)}
}

// ensurePKI generates the CA and both certificates unless the CA file exists.
// The CA is written last, so that its presence means that the others were
// written before it; deleting ca.pem has all of them made anew at the next
// Open (and every client must then be given the new CA and client files).
func ensurePKI(f Files, hosts []string, now time.Time) error {
	if _, err := os.Stat(f.CA); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("demobank: %w", err)
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("demobank: %w", err)
	}
	ca := &x509.Certificate{
		Subject:               pkix.Name{Organization: []string{"Peg demo bank"}, CommonName: "Peg demo bank CA"},
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := sign(ca, caKey, nil, nil, now)
	if err != nil {
		return err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return fmt.Errorf("demobank: %w", err)
	}
	server := &x509.Certificate{
		Subject:     pkix.Name{Organization: []string{"Peg demo bank"}, CommonName: "localhost"},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			server.IPAddresses = append(server.IPAddresses, ip)
		} else {
			server.DNSNames = append(server.DNSNames, h)
		}
	}
	client := &x509.Certificate{
		Subject:     pkix.Name{Organization: []string{"Peg demo bank"}, CommonName: "Peg demo bank API client"},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if err := issue(server, caCert, caKey, f.ServerCert, f.ServerKey, now); err != nil {
		return err
	}
	if err := issue(client, caCert, caKey, f.ClientCert, f.ClientKey, now); err != nil {
		return err
	}
	// The CA's key is not kept: nothing more is ever signed, so that a stolen
	// data directory cannot mint further client certificates.
	return durable.WriteFile(f.CA, pemBlock("CERTIFICATE", caDER), 0o644)
}

// issue makes a key, signs tmpl for it with the CA and writes both.
func issue(tmpl, ca *x509.Certificate, caKey *ecdsa.PrivateKey, certPath, keyPath string, now time.Time) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("demobank: %w", err)
	}
	der, err := sign(tmpl, key, ca, caKey, now)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("demobank: %w", err)
	}
	if err := durable.WriteFile(keyPath, pemBlock("PRIVATE KEY", keyDER), 0o600); err != nil {
		return err
	}
	return durable.WriteFile(certPath, pemBlock("CERTIFICATE", der), 0o644)
}

// sign signs tmpl for key's public half, by parent (self-signed when nil).
func sign(tmpl *x509.Certificate, key *ecdsa.PrivateKey, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, now time.Time) ([]byte, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("demobank: %w", err)
	}
	tmpl.SerialNumber = serial
	tmpl.NotBefore = now.Add(-time.Hour) // tolerate a little clock skew between processes
	tmpl.NotAfter = now.Add(certValidity)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return nil, fmt.Errorf("demobank: signing certificate %q: %w", tmpl.Subject.CommonName, err)
	}
	return der, nil
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// loadCAPool reads the CA certificate file into a pool.
func loadCAPool(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("demobank: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("demobank: %s holds no PEM certificate", path)
	}
	return pool, nil
}

// loadPKI reads the server's key pair and the CA, and checks that the server
// certificate chains to the CA, so that a mixed-up data directory is found at
// Open rather than at a client's first handshake.
func loadPKI(f Files) (tls.Certificate, *x509.CertPool, error) {
	pool, err := loadCAPool(f.CA)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	cert, err := tls.LoadX509KeyPair(f.ServerCert, f.ServerKey)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("demobank: server key pair: %w", err)
	}
	leaf := cert.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return tls.Certificate{}, nil, fmt.Errorf("demobank: %w", err)
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("demobank: %s is not signed by %s: %w", f.ServerCert, f.CA, err)
	}
	return cert, pool, nil
}

// ClientTLSConfig is the TLS configuration of an Open Banking client of the
// bank whose files are f: it trusts only the bank's CA and presents the
// client certificate. Tests and demos use it; connectors build the same from
// the PEM files.
func ClientTLSConfig(f Files) (*tls.Config, error) {
	pool, err := loadCAPool(f.CA)
	if err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(f.ClientCert, f.ClientKey)
	if err != nil {
		return nil, fmt.Errorf("demobank: client key pair: %w", err)
	}
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}
