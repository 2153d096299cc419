package bank

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"os"
)

// maxPEMBytes bounds a certificate or CA file read by NewTLSConfig.
const maxPEMBytes = 1 << 20

// NewTLSConfig builds the client TLS configuration of a bank connection from
// PEM files, for the CLI and config files: caFile holds the certificates
// that may sign the bank's server certificate (empty: the system's roots);
// certFile and keyFile hold this client's certificate chain and private key
// for mutual TLS (both empty: no client certificate, which Open Banking
// refuses). The result asks for TLS 1.2 at least.
func NewTLSConfig(caFile, certFile, keyFile string) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := readPEM(caFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("bank: CA file %s holds no PEM certificate", caFile)
		}
		c.RootCAs = pool
	}
	if (certFile == "") != (keyFile == "") {
		return nil, fmt.Errorf("bank: a client certificate needs both a certificate file and a key file (got %q and %q)", certFile, keyFile)
	}
	if certFile != "" {
		certPEM, err := readPEM(certFile)
		if err != nil {
			return nil, err
		}
		keyPEM, err := readPEM(keyFile)
		if err != nil {
			return nil, err
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("bank: client certificate %s and key %s: %w", certFile, keyFile, err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

func readPEM(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("bank: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPEMBytes+1))
	if err != nil {
		return nil, fmt.Errorf("bank: %w", err)
	}
	if len(b) > maxPEMBytes {
		return nil, fmt.Errorf("bank: %s is larger than %d bytes; not a PEM file", name, maxPEMBytes)
	}
	return b, nil
}
