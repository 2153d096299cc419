package cafile

import (
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/cert"
	"github.com/pegledger/peg/internal/keyring"
	"github.com/pegledger/peg/internal/ledger"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func holder(t *testing.T) (ledger.Address, ed25519.PublicKey) {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return ledger.NewAddress("GB", pub), pub
}

func TestInitIssueList(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	d, err := Init(dir, "Peg Operator CA", "GB", []byte("secret"), now, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if d.Insecure() {
		t.Error("a CA sealed under a passphrase reports itself insecure")
	}
	if _, err := Init(dir, "again", "GB", nil, now, time.Hour); !errors.Is(err, ErrExists) {
		t.Fatalf("second Init: got %v, want ErrExists", err)
	}
	id := cert.Identity{Name: "Alice Ltd", Registration: "123", Country: "GB"}
	a, pub := holder(t)
	if _, err := d.Issue([]byte("wrong"), id, 0, a, pub, now, time.Hour); !errors.Is(err, keyring.ErrWrongPassphrase) {
		t.Fatalf("Issue with a wrong passphrase: got %v, want ErrWrongPassphrase", err)
	}
	var serials []uint64
	for range 3 {
		is, err := d.Issue([]byte("secret"), id, 0, a, pub, now.Add(time.Minute), 48*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if rej := d.CA().Verify(is.Cert, now.Add(2*time.Minute)); rej != nil {
			t.Fatalf("an issued certificate does not verify: %s", rej)
		}
		if !is.Cert.NotAfter.Equal(d.CA().NotAfter) {
			t.Errorf("validity ends %s, want it cut at the CA's end %s", is.Cert.NotAfter, d.CA().NotAfter)
		}
		serials = append(serials, is.Cert.Serial)
	}
	if serials[0] != 1 || serials[1] != 2 || serials[2] != 3 {
		t.Fatalf("serials %v, want 1 2 3", serials)
	}
	reopened, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	list, err := reopened.List()
	if err != nil || len(list) != 3 || list[2].Cert.Serial != 3 {
		t.Fatalf("List: %v, %d certificates", err, len(list))
	}
	der, err := ReadPEM(list[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cert.Parse(der); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRefusesAnotherKey(t *testing.T) {
	one, two := filepath.Join(t.TempDir(), "one"), filepath.Join(t.TempDir(), "two")
	if _, err := Init(one, "one", "GB", nil, now, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := Init(two, "two", "GB", nil, now, time.Hour); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(two, CertFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(one, CertFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(one); err == nil || !strings.Contains(err.Error(), "not the key") {
		t.Fatalf("Open with another CA's certificate: got %v", err)
	}
}

func TestReadPEMRefusals(t *testing.T) {
	dir := t.TempDir()
	two := filepath.Join(dir, "two.pem")
	block := "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
	if err := os.WriteFile(two, []byte(block+block), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadPEM(two); err == nil {
		t.Fatal("ReadPEM accepted two certificates")
	}
	key := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(key, []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadPEM(key); err == nil {
		t.Fatal("ReadPEM accepted a private key block")
	}
}
