package main

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/pegledger/peg/internal/cafile"
	"github.com/pegledger/peg/internal/cert"
	"github.com/pegledger/peg/internal/keyring"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// caDirName is the operator CA's directory under --home.
const caDirName = "ca"

// certView is a certificate as the CLI shows it.
type certView struct {
	Serial       uint64    `json:"serial"`
	Address      string    `json:"address"`
	Name         string    `json:"name"`
	Registration string    `json:"registration"`
	Country      string    `json:"country"`
	NotBefore    time.Time `json:"not_before"`
	NotAfter     time.Time `json:"not_after"`
	Level        uint8     `json:"level"`
	Path         string    `json:"path,omitempty"`
}

func viewCert(c *cert.Cert, path string) certView {
	return certView{Serial: c.Serial, Address: c.Address.String(), Name: c.Identity.Name, Registration: c.Identity.Registration,
		Country: c.Identity.Country, NotBefore: c.NotBefore, NotAfter: c.NotAfter, Level: c.Level, Path: path}
}

func printCert(w io.Writer, v certView) {
	fmt.Fprintf(w, "serial        %d\naddress       %s\nname          %s\nregistration  %s\ncountry       %s\nvalid         %s to %s\nKYC level     %d\n",
		v.Serial, v.Address, v.Name, v.Registration, v.Country, v.NotBefore.Format(time.RFC3339), v.NotAfter.Format(time.RFC3339), v.Level)
	if v.Path != "" {
		fmt.Fprintf(w, "file          %s\n", v.Path)
	}
}

func caCmd(g *globals) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "ca",
		Short: "The operator's certificate authority (S4.8): identities for credit and trade",
		Long: `The operator's certificate authority issues X.509 certificates (Ed25519) that
bind a legal identity (name, registration number, country) to a Peg address's
key. Its certificate is in the chain's genesis; its key is sealed like a
keyring key (passphrase from $PEG_PASSPHRASE or the terminal) in --ca-dir,
beside every certificate it issued. A holder registers its certificate on chain
with ` + "`peg cert register`" + `; the operator revokes one with ` + "`peg ca revoke`" + `.`,
	}
	cmd.PersistentFlags().StringVar(&dir, "ca-dir", "", "the CA's directory (default --home/ca)")
	caDir := func() string {
		if dir != "" {
			return dir
		}
		return filepath.Join(g.home, caDirName)
	}
	cmd.AddCommand(caInitCmd(g, caDir), caIssueCmd(g, caDir), caRevokeCmd(g), caShowCmd(g, caDir))
	return cmd
}

func caInitCmd(g *globals, caDir func() string) *cobra.Command {
	var name string
	var valid time.Duration
	cmd := &cobra.Command{
		Use:   "init --name NAME",
		Short: "Create the CA: its key (sealed under a passphrase) and its self-signed certificate",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pass := readPassphrase(cmd, "new CA passphrase")
			d, err := cafile.Init(caDir(), name, devRegion, []byte(pass), time.Now(), valid)
			if errors.Is(err, cafile.ErrExists) {
				return usageErrorf("%v", err)
			}
			if err != nil {
				return err
			}
			if pass == "" {
				fmt.Fprintln(cmd.ErrOrStderr(), "WARNING: the CA's key has an EMPTY passphrase; anyone who can read the directory can issue certificates")
			}
			return printCA(g, cmd.OutOrStdout(), d)
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "the CA's name, as certificates name their issuer")
	cmd.Flags().DurationVar(&valid, "valid", 10*365*24*time.Hour, "how long the CA is valid from now")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

type caView struct {
	Name      string    `json:"name"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	PublicKey string    `json:"public_key"`
	File      string    `json:"file"`
	Insecure  bool      `json:"insecure"`
	Issued    int       `json:"issued"`
}

func printCA(g *globals, w io.Writer, d *cafile.Dir) error {
	list, err := d.List()
	if err != nil {
		return err
	}
	ca := d.CA()
	v := caView{Name: ca.Name, NotBefore: ca.NotBefore, NotAfter: ca.NotAfter, PublicKey: hex.EncodeToString(ca.Public()),
		File: d.CertPath(), Insecure: d.Insecure(), Issued: len(list)}
	return g.print(w, v, func(w io.Writer) {
		fmt.Fprintf(w, "CA            %s\nvalid         %s to %s\npublic key    %s\ncertificate   %s (goes in genesis as \"ca\")\nissued        %d certificates\n",
			v.Name, v.NotBefore.Format(time.RFC3339), v.NotAfter.Format(time.RFC3339), v.PublicKey, v.File, v.Issued)
	})
}

func caIssueCmd(g *globals, caDir func() string) *cobra.Command {
	var id cert.Identity
	var pubHex string
	var valid time.Duration
	var level uint8
	cmd := &cobra.Command{
		Use:   "issue HOLDER --name NAME --registration NUMBER --country CC [--level N]",
		Short: "Issue a certificate for HOLDER (a key name, or an address with --public-key)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, pub, err := g.holderKey(args[0], pubHex)
			if err != nil {
				return err
			}
			if err := id.Validate(); err != nil {
				return usageErrorf("%v", err)
			}
			if level < 1 || level > cert.MaxLevel {
				return usageErrorf("--level %d: want a KYC level from 1 to %d", level, cert.MaxLevel)
			}
			d, err := cafile.Open(caDir())
			if err != nil {
				return err
			}
			var pass string
			if !d.Insecure() {
				pass = readPassphrase(cmd, "CA passphrase")
			}
			is, err := d.Issue([]byte(pass), id, level, addr, pub, time.Now(), valid)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), viewCert(is.Cert, is.Path), func(w io.Writer) { printCert(w, viewCert(is.Cert, is.Path)) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&id.Name, "name", "", "the holder's legal name")
	f.StringVar(&id.Registration, "registration", "", "the holder's registration number")
	f.StringVar(&id.Country, "country", "", "the register's country (ISO 3166-1 alpha-2)")
	f.StringVar(&pubHex, "public-key", "", "the holder's Ed25519 public key (hex), when HOLDER is an address")
	f.DurationVar(&valid, "valid", 365*24*time.Hour, "how long the certificate is valid from now (cut at the CA's end)")
	f.Uint8Var(&level, "level", 1, "the holder's KYC level, 1 to 9, which a token's KYC tiers limit (S1.6)")
	return cmd
}

// holderKey is the address and key of a certificate's holder: a key in the
// home's keyring, or an address with its public key given in hex.
func (g *globals) holderKey(s, pubHex string) (ledger.Address, ed25519.PublicKey, error) {
	if pubHex != "" {
		a, err := ledger.ParseAddress(s)
		if err != nil {
			return ledger.Address{}, nil, usageErrorf("with --public-key, HOLDER must be an address: %v", err)
		}
		pub, err := hex.DecodeString(pubHex)
		if err != nil || len(pub) != ed25519.PublicKeySize || !a.Owns(pub) {
			return ledger.Address{}, nil, usageErrorf("--public-key must be the %d-byte Ed25519 key of %s, in hex", ed25519.PublicKeySize, a)
		}
		return a, pub, nil
	}
	kr, err := g.openKeyring()
	if err != nil {
		return ledger.Address{}, nil, err
	}
	k, err := kr.Get(s)
	if errors.Is(err, keyring.ErrNotFound) {
		return ledger.Address{}, nil, usageErrorf("%q is not a key in %s; for another holder give its address and --public-key", s, kr.Dir())
	}
	if err != nil {
		return ledger.Address{}, nil, err
	}
	return k.Address, k.Public, nil
}

func caRevokeCmd(g *globals) *cobra.Command {
	var from, reason string
	cmd := &cobra.Command{
		Use:   "revoke SERIAL --from KEY [--reason TEXT]",
		Short: "Put a certificate's serial number on the chain's revocation list (operator)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			serial, err := strconv.ParseUint(args[0], 10, 63)
			if err != nil || serial == 0 {
				return usageErrorf("SERIAL %q: want a certificate's serial number, a positive integer", args[0])
			}
			body := &txpb.Body{Msg: &txpb.Body_RevokeCertificate{RevokeCertificate: &txpb.RevokeCertificate{Serial: serial, Reason: reason}}}
			rc, err := g.submit(cmd, from, body)
			if err != nil {
				return err
			}
			return g.printReceipt(cmd, rc, fmt.Sprintf("certificate %d is revoked", serial))
		},
	}
	cmd.Flags().StringVar(&from, "from", "operator", "operator: key name")
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the record")
	return cmd
}

func caShowCmd(g *globals, caDir func() string) *cobra.Command {
	return &cobra.Command{
		Use:   "show [FILE]",
		Short: "Show the CA, or the certificate in FILE (PEM or DER)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				der, err := cafile.ReadPEM(args[0])
				if err != nil {
					return err
				}
				c, err := cert.Parse(der)
				if err != nil {
					return err
				}
				v := viewCert(c, args[0])
				return g.print(cmd.OutOrStdout(), v, func(w io.Writer) { printCert(w, v) })
			}
			d, err := cafile.Open(caDir())
			if err != nil {
				return err
			}
			return printCA(g, cmd.OutOrStdout(), d)
		},
	}
}

func certCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "cert", Short: "A holder's identity certificate on chain (S4.8)"}
	var from string
	register := &cobra.Command{
		Use:   "register FILE --from KEY",
		Short: "Register the certificate in FILE (PEM or DER), which must name KEY's address, on chain",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			der, err := cafile.ReadPEM(args[0])
			if err != nil {
				return err
			}
			body := &txpb.Body{Msg: &txpb.Body_RegisterCertificate{RegisterCertificate: &txpb.RegisterCertificate{Certificate: der}}}
			rc, err := g.submit(cmd, from, body)
			if err != nil {
				return err
			}
			return g.printReceipt(cmd, rc, fmt.Sprintf("certificate %s registered for %s", attr(rc, "certificate.registered", "serial"), from))
		},
	}
	register.Flags().StringVar(&from, "from", "", "the holder: key name")
	_ = register.MarkFlagRequired("from")
	cmd.AddCommand(register)
	return cmd
}
