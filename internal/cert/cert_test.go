package cert

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/ledger"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func key(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte(name))
	return ed25519.NewKeyFromSeed(seed[:])
}

func addr(name string) (ledger.Address, ed25519.PublicKey) {
	pub := key(name).Public().(ed25519.PublicKey)
	return ledger.NewAddress("GB", pub), pub
}

func testCA(t *testing.T, name string) (*CA, ed25519.PrivateKey) {
	t.Helper()
	k := key(name)
	der, err := NewCA(k, name, epoch, epoch.Add(10*365*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	ca, err := ParseCA(der)
	if err != nil {
		t.Fatal(err)
	}
	return ca, k
}

func request(holder string, serial uint64) Request {
	a, pub := addr(holder)
	return Request{Identity: Identity{Name: "Alice Trading Ltd", Registration: "01234567", Country: "GB"},
		Address: a, Public: pub, Serial: serial, NotBefore: epoch, NotAfter: epoch.Add(365 * 24 * time.Hour)}
}

func issue(t *testing.T, ca *CA, k ed25519.PrivateKey, r Request) *Cert {
	t.Helper()
	der, err := ca.Issue(k, r)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestIssueParseVerify(t *testing.T) {
	ca, k := testCA(t, "peg-ca")
	r := request("alice", 7)
	c := issue(t, ca, k, r)
	if c.Serial != 7 || c.Identity != r.Identity || c.Address != r.Address || !c.Public.Equal(r.Public) {
		t.Fatalf("parsed %+v, want the request %+v", c, r)
	}
	if !c.NotBefore.Equal(r.NotBefore) || !c.NotAfter.Equal(r.NotAfter) {
		t.Fatalf("validity %s–%s, want %s–%s", c.NotBefore, c.NotAfter, r.NotBefore, r.NotAfter)
	}
	if rej := ca.Verify(c, epoch.Add(time.Hour)); rej != nil {
		t.Fatalf("Verify: %s", rej)
	}
	again, err := ca.Issue(k, r)
	if err != nil || !bytes.Equal(again, c.Raw) {
		t.Fatalf("issuing the same request twice gave different bytes (err %v): issuance must be deterministic", err)
	}
}

// TestLevel proves a certificate carries the KYC level the CA states, signed
// with the rest, and that one stating none reads as level 1.
func TestLevel(t *testing.T) {
	ca, k := testCA(t, "peg-ca")
	for _, tc := range []struct {
		name        string
		issued, got uint8
	}{{"none stated", 0, 1}, {"level 1", 1, 1}, {"level 3", 3, 3}, {"the top level", MaxLevel, MaxLevel}} {
		t.Run(tc.name, func(t *testing.T) {
			r := request("alice", 7)
			r.Level = tc.issued
			if c := issue(t, ca, k, r); c.Level != tc.got {
				t.Fatalf("level %d, want %d", c.Level, tc.got)
			}
		})
	}
	r := request("alice", 7)
	r.Level = MaxLevel + 1
	if _, err := ca.Issue(k, r); err == nil || !strings.Contains(err.Error(), "KYC level") {
		t.Fatalf("issuing level %d: got %v, want a refusal", r.Level, err)
	}
}

func TestVerifyRefusals(t *testing.T) {
	ca, k := testCA(t, "peg-ca")
	other, otherKey := testCA(t, "other-ca")
	c := issue(t, ca, k, request("alice", 1))
	foreign := issue(t, other, otherKey, request("alice", 1))
	// A certificate claiming the CA's name but signed by another key.
	forgedCA, err := NewCA(key("forger"), "peg-ca", epoch, epoch.Add(10*365*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	forger, err := ParseCA(forgedCA)
	if err != nil {
		t.Fatal(err)
	}
	forged := issue(t, forger, key("forger"), request("alice", 1))
	for _, tc := range []struct {
		name string
		c    *Cert
		at   time.Time
		want ledger.Code
	}{
		{"within validity", c, epoch.Add(24 * time.Hour), ledger.OK},
		{"at its first instant", c, epoch, ledger.OK},
		{"at its last instant", c, c.NotAfter, ledger.OK},
		{"expired", c, c.NotAfter.Add(time.Second), ledger.CodeCertExpired},
		{"not yet valid", c, epoch.Add(-time.Second), ledger.CodeCertExpired},
		{"another CA", foreign, epoch.Add(time.Hour), ledger.CodeCertNotChained},
		{"a CA of the same name", forged, epoch.Add(time.Hour), ledger.CodeCertNotChained},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ledger.OK
			if rej := ca.Verify(tc.c, tc.at); rej != nil {
				got = rej.Code
				if !strings.Contains(rej.Message, "certificate") && !strings.Contains(rej.Message, "CA") {
					t.Errorf("message %q names neither the certificate nor the CA", rej.Message)
				}
			}
			if got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestVerifyCAOutOfValidity(t *testing.T) {
	k := key("short-ca")
	der, err := NewCA(k, "short-ca", epoch, epoch.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	ca, err := ParseCA(der)
	if err != nil {
		t.Fatal(err)
	}
	r := request("alice", 3)
	r.NotAfter = epoch.Add(24 * time.Hour)
	c := issue(t, ca, k, r)
	if rej := ca.Verify(c, epoch.Add(72*time.Hour)); rej == nil || rej.Code != ledger.CodeCertExpired || !strings.Contains(rej.Message, "CA") {
		t.Fatalf("got %v, want CERT_EXPIRED naming the CA", rej)
	}
}

func TestIssueRefusals(t *testing.T) {
	ca, k := testCA(t, "peg-ca")
	for _, tc := range []struct {
		name   string
		key    ed25519.PrivateKey
		change func(*Request)
		want   string
	}{
		{"another key than the CA's", key("mallory"), func(*Request) {}, "not the CA's"},
		{"no name", k, func(r *Request) { r.Identity.Name = "" }, "name"},
		{"name too long", k, func(r *Request) { r.Identity.Name = strings.Repeat("n", MaxNameLen+1) }, "name"},
		{"control character", k, func(r *Request) { r.Identity.Name = "A\nB" }, "control"},
		{"no registration", k, func(r *Request) { r.Identity.Registration = "" }, "registration"},
		{"country in lower case", k, func(r *Request) { r.Identity.Country = "gb" }, "country"},
		{"address of another key", k, func(r *Request) { r.Address, _ = addr("bob") }, "not the address"},
		{"serial zero", k, func(r *Request) { r.Serial = 0 }, "serial"},
		{"serial beyond 63 bits", k, func(r *Request) { r.Serial = 1 << 63 }, "serial"},
		{"empty validity", k, func(r *Request) { r.NotAfter = r.NotBefore }, "validity"},
		{"before the CA", k, func(r *Request) { r.NotBefore = epoch.Add(-time.Hour) }, "within the CA's"},
		{"after the CA", k, func(r *Request) { r.NotAfter = ca.NotAfter.Add(time.Hour) }, "within the CA's"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := request("alice", 1)
			tc.change(&r)
			_, err := ca.Issue(tc.key, r)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error about %q", err, tc.want)
			}
		})
	}
}

// rawCert signs a template as the CA would, without Issue's checks, for
// certificates Parse must refuse.
func rawCert(t *testing.T, ca *CA, k ed25519.PrivateKey, change func(*x509.Certificate), pub any) []byte {
	t.Helper()
	a, alicePub := addr("alice")
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(5),
		Subject:   pkix.Name{CommonName: "Alice", SerialNumber: "1", Country: []string{"GB"}},
		NotBefore: epoch, NotAfter: epoch.Add(time.Hour),
		URIs: []*url.URL{{Scheme: "peg", Opaque: a.String()}}}
	change(tmpl)
	if pub == nil {
		pub = alicePub
	}
	der, err := x509.CreateCertificate(nil, tmpl, ca.x, pub, k)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestParseRefusals(t *testing.T) {
	ca, k := testCA(t, "peg-ca")
	ec, err := ecdsa.GenerateKey(elliptic.P256(), strings.NewReader(strings.Repeat("x", 200)))
	if err != nil {
		t.Fatal(err)
	}
	bob, _ := addr("bob")
	none := func(*x509.Certificate) {}
	for _, tc := range []struct {
		name string
		der  []byte
		want string
	}{
		{"empty", nil, "bytes"},
		{"too large", make([]byte, MaxSize+1), "bytes"},
		{"garbage", []byte("not a certificate"), "cert:"},
		{"ECDSA key", rawCert(t, ca, k, none, &ec.PublicKey), "want Ed25519"},
		{"the CA itself", ca.Raw, "not an identity"},
		{"no address", rawCert(t, ca, k, func(c *x509.Certificate) { c.URIs = nil }, nil), "URI"},
		{"two addresses", rawCert(t, ca, k, func(c *x509.Certificate) { c.URIs = append(c.URIs, c.URIs[0]) }, nil), "URI"},
		{"another scheme", rawCert(t, ca, k, func(c *x509.Certificate) { c.URIs[0].Scheme = "https" }, nil), "URI"},
		{"not an address", rawCert(t, ca, k, func(c *x509.Certificate) { c.URIs[0].Opaque = "peg1nope" }, nil), "cert:"},
		{"another key's address", rawCert(t, ca, k, func(c *x509.Certificate) { c.URIs[0].Opaque = bob.String() }, nil), "not the address"},
		{"no country", rawCert(t, ca, k, func(c *x509.Certificate) { c.Subject.Country = nil }, nil), "country"},
		{"wide serial", rawCert(t, ca, k, func(c *x509.Certificate) { c.SerialNumber = new(big.Int).Lsh(big.NewInt(1), 70) }, nil), "serial"},
		{"KYC level 0", rawCert(t, ca, k, func(c *x509.Certificate) { c.Policies = []x509.OID{levelPolicy(0)} }, nil), "KYC level"},
		{"KYC level too high", rawCert(t, ca, k, func(c *x509.Certificate) { c.Policies = []x509.OID{levelPolicy(MaxLevel + 1)} }, nil), "KYC level"},
		{"two KYC levels", rawCert(t, ca, k, func(c *x509.Certificate) { c.Policies = []x509.OID{levelPolicy(2), levelPolicy(3)} }, nil), "more than one KYC level"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.der)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error about %q", err, tc.want)
			}
		})
	}
}

func TestParseCARefusals(t *testing.T) {
	ca, k := testCA(t, "peg-ca")
	leaf, err := ca.Issue(k, request("alice", 2))
	if err != nil {
		t.Fatal(err)
	}
	// A CA certificate signed by another CA is not the chain's root.
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(9), Subject: pkix.Name{CommonName: "sub"},
		NotBefore: epoch, NotAfter: epoch.Add(time.Hour), KeyUsage: x509.KeyUsageCertSign,
		BasicConstraintsValid: true, IsCA: true}
	sub, err := x509.CreateCertificate(nil, tmpl, ca.x, key("sub").Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		der  []byte
		want string
	}{
		{"empty", nil, "bytes"},
		{"garbage", []byte{0x30, 0x00}, "cert: CA"},
		{"a holder's certificate", leaf, "not a CA"},
		{"signed by another CA", sub, "not self-signed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCA(tc.der)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error about %q", err, tc.want)
			}
		})
	}
	if _, err := NewCA(k, "peg-ca", epoch, epoch.Add(MaxValidity+time.Hour)); err == nil {
		t.Fatal("NewCA accepted a validity above MaxValidity")
	}
}

// FuzzParse feeds Parse arbitrary bytes: it must refuse or return a
// certificate whose address owns its key, never panic.
func FuzzParse(f *testing.F) {
	ca, k := func() (*CA, ed25519.PrivateKey) {
		kk := key("peg-ca")
		der, err := NewCA(kk, "peg-ca", epoch, epoch.Add(24*time.Hour))
		if err != nil {
			f.Fatal(err)
		}
		c, err := ParseCA(der)
		if err != nil {
			f.Fatal(err)
		}
		return c, kk
	}()
	r := request("alice", 1)
	r.NotAfter = epoch.Add(time.Hour)
	der, err := ca.Issue(k, r)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(der)
	f.Add(ca.Raw)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(b)
		if err != nil {
			return
		}
		if !c.Address.Owns(c.Public) || c.Identity.Validate() != nil {
			t.Fatalf("Parse accepted an inconsistent certificate: %+v", c)
		}
		ca.Verify(c, epoch)
	})
}
