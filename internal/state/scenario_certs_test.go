package state

import (
	"crypto/ed25519"
	"fmt"
	"strings"
	"time"

	"github.com/pegledger/peg/internal/cert"
)

// Certificate commands of the scenario scripts:
//
//	genesis ca=NAME [ca-valid=DURATION]   the CA's key is NAME's; valid from the epoch
//	cert holder=NAME [ca=NAME] [serial=N] [name=TEXT] [reg=TEXT] [country=CC]
//	     [from=OFFSET] [until=OFFSET] [level=N] [-> LABEL]
//	                 issues a certificate (no transaction), labelled LABEL or certN;
//	                 the validity is [epoch+from, epoch+until] (default 0 to 8760h)
//	register-cert cert=LABEL|none            (from alice)
//	revoke-cert serial=N [reason=TEXT]       (from op)
//	certificate NAME                          the certificate NAME registered
//	revocations                               the chain's revocation list

// newCA builds the self-signed certificate of a CA whose key is name's.
func (s *scenario) newCA(name, valid string) []byte {
	d, err := time.ParseDuration(valid)
	if err != nil {
		s.t.Fatalf("ca-valid=%q: %v", valid, err)
	}
	der, err := cert.NewCA(s.key(name), name, scenarioEpoch, scenarioEpoch.Add(d))
	if err != nil {
		s.t.Fatalf("ca=%s: %v", name, err)
	}
	return der
}

func (s *scenario) certCmd(cmd string, a *cmdArgs) string {
	switch cmd {
	case "cert":
		return s.issueCert(a)
	case "certificate":
		c := CertificateOf(s.blk, s.addr(a.subject()))
		if c == nil {
			return "no certificate"
		}
		return fmt.Sprintf("serial %d %s %q reg %s %s valid %s..%s", c.Serial, s.pretty(c.Address.String()), c.Identity.Name,
			c.Identity.Registration, c.Identity.Country, fmtTime(c.NotBefore), fmtTime(c.NotAfter))
	}
	snap := s.db.Snapshot()
	defer snap.Close()
	rs, err := Revocations(snap)
	if err != nil {
		s.t.Fatal(err)
	}
	out := []string{fmt.Sprintf("%d revoked", len(rs))}
	for _, r := range rs {
		out = append(out, fmt.Sprintf("  serial %d height %d %s %q", r.Serial, r.Height, fmtTime(time.Unix(0, r.Time)), r.Reason))
	}
	return strings.Join(out, "\n")
}

func (s *scenario) issueCert(a *cmdArgs) string {
	caName := a.get("ca", "ca")
	caKey := s.key(caName)
	ca := s.genesisCA(caName)
	holder := a.get("holder", "")
	offset := func(key, def string) time.Time {
		d, err := time.ParseDuration(a.get(key, def))
		if err != nil {
			s.t.Fatalf("%s: %v", key, err)
		}
		return scenarioEpoch.Add(d)
	}
	r := cert.Request{
		Identity: cert.Identity{Name: a.get("name", holder+" Ltd"), Registration: a.get("reg", "0001"), Country: a.get("country", "GB")},
		Address:  s.addr(holder), Public: s.key(holder).Public().(ed25519.PublicKey),
		Serial: s.uintArg(a, "serial", uint64(len(s.certs)+1)), NotBefore: offset("from", "0s"), NotAfter: offset("until", "8760h"),
		Level: uint8(s.uintArg(a, "level", 0)),
	}
	der, err := ca.Issue(caKey, r)
	if err != nil {
		return "error: " + err.Error()
	}
	label := fmt.Sprintf("cert%d", len(s.certs)+1)
	if len(a.labels) == 1 {
		label = a.labels[0]
	}
	s.certs[label] = der
	return fmt.Sprintf("%s serial %d for %s", label, r.Serial, holder)
}

// genesisCA is the chain's CA when its key is name's; otherwise an impostor
// with name's key that bears the chain's CA's name and validity, for
// certificates the chain must refuse as not its own.
func (s *scenario) genesisCA(name string) *cert.CA {
	if s.genesis.CA == nil { // a chain without a CA: any CA will do
		s.genesis.CA = s.newCA(name, "87600h")
		defer func() { s.genesis.CA = nil }()
	}
	ca, err := cert.ParseCA(s.genesis.CA)
	if err != nil {
		s.t.Fatal(err)
	}
	if ca.Public().Equal(s.key(name).Public().(ed25519.PublicKey)) {
		return ca
	}
	der, err := cert.NewCA(s.key(name), ca.Name, ca.NotBefore, ca.NotAfter)
	if err != nil {
		s.t.Fatal(err)
	}
	if ca, err = cert.ParseCA(der); err != nil {
		s.t.Fatal(err)
	}
	return ca
}
