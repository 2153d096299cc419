package bank

import (
	"crypto/tls"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/token"
)

func TestConfigValidate(t *testing.T) {
	withCert := &tls.Config{Certificates: []tls.Certificate{{}}}
	ob := func(f func(*OpenBankingConfig)) error {
		c := OpenBankingConfig{
			BaseURL: "https://ob.bank.example/open-banking/v3.1/aisp", TokenURL: "https://auth.bank.example/token",
			ClientID: "peg", FinancialID: "0015800001041REAAY", AccountID: "22289", Currency: "GBP", TLS: withCert,
		}
		f(&c)
		return c.Validate()
	}
	bg := func(f func(*BerlinGroupConfig)) error {
		c := BerlinGroupConfig{BaseURL: "https://xs2a.bank.example", ConsentID: "c", ResourceID: "r", IBAN: bgIBAN, Currency: "EUR"}
		f(&c)
		return c.Validate()
	}
	camt := func(f func(*CamtDirConfig)) error {
		c := CamtDirConfig{Dir: "/var/spool/camt", Account: dirIBAN, Currency: "EUR"}
		f(&c)
		return c.Validate()
	}
	for _, tc := range []struct {
		name string
		err  error
		want string // in the error; "" for valid
	}{
		{"open banking: valid", ob(func(*OpenBankingConfig) {}), ""},
		{"open banking: types", ob(func(c *OpenBankingConfig) { c.Types = []string{"ClosingBooked", "Expected"} }), ""},
		{"open banking: plain http", ob(func(c *OpenBankingConfig) { c.BaseURL = "http://127.0.0.1:8080/aisp" }), "https"},
		{"open banking: token URL with a query", ob(func(c *OpenBankingConfig) { c.TokenURL = "https://a.example/token?x=1" }), "TokenURL"},
		{"open banking: no client certificate", ob(func(c *OpenBankingConfig) { c.TLS = &tls.Config{} }), "client certificate"},
		{"open banking: no TLS", ob(func(c *OpenBankingConfig) { c.TLS = nil }), "client certificate"},
		{"open banking: verification off", ob(func(c *OpenBankingConfig) {
			c.TLS = &tls.Config{Certificates: withCert.Certificates, InsecureSkipVerify: true}
		}), "InsecureSkipVerify"},
		{"open banking: Berlin Group type", ob(func(c *OpenBankingConfig) { c.Types = []string{"interimAvailable"} }), "not a balance type"},
		{"open banking: type twice", ob(func(c *OpenBankingConfig) { c.Types = []string{"Expected", "Expected"} }), "twice"},
		{"open banking: lower-case currency", ob(func(c *OpenBankingConfig) { c.Currency = "gbp" }), "ISO 4217"},
		{"open banking: no account", ob(func(c *OpenBankingConfig) { c.AccountID = "" }), "AccountID is required"},
		{"open banking: account too long", ob(func(c *OpenBankingConfig) { c.AccountID = strings.Repeat("1", 41) }), "at most 40"},
		{"open banking: negative timeout", ob(func(c *OpenBankingConfig) { c.Timeout = -time.Second }), "timeout"},
		{"open banking: timeout too long", ob(func(c *OpenBankingConfig) { c.Timeout = time.Hour }), "timeout"},
		{"open banking: response limit too large", ob(func(c *OpenBankingConfig) { c.MaxResponseBytes = 1 << 40 }), "MaxResponseBytes"},
		{"berlin group: valid without TLS", bg(func(*BerlinGroupConfig) {}), ""},
		{"berlin group: bad IBAN", bg(func(c *BerlinGroupConfig) { c.IBAN = "DE89370400440532013001" }), "IBAN"},
		{"berlin group: spaced IBAN", bg(func(c *BerlinGroupConfig) { c.IBAN = "DE89 3704 0044 0532 0130 00" }), "IBAN"},
		{"berlin group: no consent", bg(func(c *BerlinGroupConfig) { c.ConsentID = "" }), "ConsentID"},
		{"berlin group: Open Banking type", bg(func(c *BerlinGroupConfig) { c.Types = []string{"ClosingBooked"} }), "not a balance type"},
		{"camt: valid", camt(func(*CamtDirConfig) {}), ""},
		{"camt: no directory", camt(func(c *CamtDirConfig) { c.Dir = "" }), "dir"},
		{"camt: lower-case code", camt(func(c *CamtDirConfig) { c.StatementCodes = []string{"clbd"} }), "not a balance type"},
		{"camt: too many codes", camt(func(c *CamtDirConfig) { c.ReportCodes = make([]string, MaxPreferredTypes+1) }), "at most"},
		{"camt: negative file limit", camt(func(c *CamtDirConfig) { c.MaxFiles = -1 }), "MaxFiles"},
		{"camt: file limit too large", camt(func(c *CamtDirConfig) { c.MaxFileBytes = MaxFileBytesCeiling + 1 }), "MaxFileBytes"},
		{"camt: account with a trailing space", camt(func(c *CamtDirConfig) { c.Account += " " }), "space"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			switch {
			case tc.want == "" && tc.err != nil:
				t.Fatalf("Validate = %v, want nil", tc.err)
			case tc.want != "" && (tc.err == nil || !strings.Contains(tc.err.Error(), tc.want)):
				t.Fatalf("Validate = %v, want an error about %q", tc.err, tc.want)
			case tc.err != nil && !strings.HasPrefix(tc.err.Error(), "bank: "):
				t.Fatalf("Validate = %v, want it prefixed by its origin", tc.err)
			}
		})
	}
}

func TestNewTLSConfig(t *testing.T) {
	p := newPKI(t, "files")
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	ca, cert, key := write("ca.pem", p.caPEM), write("c.pem", p.clientCertPEM), write("c.key", p.clientKeyPEM)
	junk := write("junk.pem", []byte("not a certificate"))
	for _, tc := range []struct {
		name           string
		ca, cert, key  string
		roots, hasCert bool
		err            string
	}{
		{name: "all three", ca: ca, cert: cert, key: key, roots: true, hasCert: true},
		{name: "system roots", cert: cert, key: key, hasCert: true},
		{name: "no client certificate", ca: ca, roots: true},
		{name: "certificate without key", ca: ca, cert: cert, err: "both"},
		{name: "CA file without certificates", ca: junk, err: "no PEM certificate"},
		{name: "key that does not match", cert: cert, key: junk, err: "client certificate"},
		{name: "missing file", ca: filepath.Join(dir, "nope.pem"), err: "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewTLSConfig(tc.ca, tc.cert, tc.key)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one about %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (c.RootCAs != nil) != tc.roots || (len(c.Certificates) == 1) != tc.hasCert || c.MinVersion != tls.VersionTLS12 {
				t.Errorf("config: roots %v, %d certificates, min version %x", c.RootCAs != nil, len(c.Certificates), c.MinVersion)
			}
		})
	}
}

func TestCheckJSON(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{`{}`, true},
		{`{"a":1,"b":{"a":2},"c":[{"a":1},{"a":1}]}`, true},
		{` {"a":[1,2,[3,{"x":null}]]} `, true},
		{`{"a":1,"a":2}`, false},
		{`{"Amount":"1","amount":"2"}`, false},
		{`{"s":"1","ſ":"2"}`, false}, // encoding/json folds ſ to s
		{`{"k":"1","K":"2"}`, false}, // and the Kelvin sign to k
		{`{"b":{"a":1,"a":1}}`, false},
		{`{"c":[{"a":1,"a":1}]}`, false},
		{`{}{}`, false},
		{`{} 1`, false},
		{`[]`, false},
		{`"s"`, false},
		{``, false},
		{`{"a":}`, false},
		{`{"a":1`, false},
	} {
		if err := checkJSON([]byte(tc.in)); (err == nil) != tc.ok {
			t.Errorf("checkJSON(%s) = %v, want ok %v", tc.in, err, tc.ok)
		}
	}
}

func TestSignedMinus(t *testing.T) {
	a := money.FromUint64
	for _, tc := range []struct {
		from signed
		x    money.Amount
		want signed
	}{
		{signed{mag: a(100)}, a(30), signed{mag: a(70)}},
		{signed{mag: a(100)}, a(100), signed{mag: a(0)}},
		{signed{mag: a(100)}, a(130), signed{neg: true, mag: a(30)}},
		{signed{neg: true, mag: a(100)}, a(30), signed{neg: true, mag: a(130)}},
		{signed{}, a(0), signed{}},
	} {
		got, ok := tc.from.minus(tc.x)
		if !ok || got != tc.want {
			t.Errorf("%+v − %s = %+v %v, want %+v", tc.from, tc.x, got, ok, tc.want)
		}
	}
	if _, ok := (signed{neg: true, mag: money.Max}).minus(a(1)); ok {
		t.Error("overflow not reported")
	}
}

func TestNegativeErrorReadsAsANumberBelowZero(t *testing.T) {
	gbp, _ := token.LookupCurrency("GBP")
	_, err := answer("test", "22289", gbp, entry{typ: "ClosingBooked", value: signed{neg: true, mag: money.FromUint64(1050)}}, []byte("{}"))
	var neg *NegativeError
	if !errors.As(err, &neg) || !errors.Is(err, ErrNegative) {
		t.Fatalf("err = %v", err)
	}
	if want := "bank: test: ClosingBooked balance of account 22289 is -10.5 GBP: negative balance"; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
}

func TestNewUUID(t *testing.T) {
	a, b := newUUID(), newUUID()
	if !uuidPattern.MatchString(a) || a == b {
		t.Errorf("newUUID = %s, %s", a, b)
	}
}
