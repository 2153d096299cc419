package main

import (
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/pegledger/peg/internal/keyring"
	"github.com/pegledger/peg/internal/ledger"
)

// passphraseEnv lets scripts supply a key's passphrase.
const passphraseEnv = "PEG_PASSPHRASE"

// readPassphrase takes the passphrase from $PEG_PASSPHRASE, or asks on the
// terminal. Without either it is empty, which the keyring marks insecure.
func readPassphrase(cmd *cobra.Command, prompt string) string {
	if p, ok := os.LookupEnv(passphraseEnv); ok {
		return p
	}
	if !term.IsTerminal(int(os.Stdin.Fd())) {
		return ""
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "%s: ", prompt)
	b, err := term.ReadPassword(int(os.Stdin.Fd()))
	fmt.Fprintln(cmd.ErrOrStderr())
	if err != nil {
		return ""
	}
	return string(b)
}

// signer loads a key's private half, asking for its passphrase unless the key
// is a development key under the empty passphrase.
func signer(cmd *cobra.Command, g *globals, name string) (keyring.Key, ed25519.PrivateKey, error) {
	kr, err := g.openKeyring()
	if err != nil {
		return keyring.Key{}, nil, err
	}
	k, err := kr.Get(name)
	if err != nil {
		return keyring.Key{}, nil, err
	}
	pass := ""
	if k.Insecure {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: key %q has an empty passphrase (development key)\n", name)
	} else {
		pass = readPassphrase(cmd, fmt.Sprintf("passphrase for key %s", name))
	}
	priv, err := kr.PrivateKey(name, []byte(pass))
	return k, priv, err
}

// resolveAddress accepts a bech32 address, in lower or upper case as BIP-173
// allows (never mixed), or the name of a key in kr.
func resolveAddress(kr *keyring.Keyring, s string) (ledger.Address, error) {
	if strings.HasPrefix(strings.ToLower(s), ledger.AddressPrefix+"1") {
		return ledger.ParseAddress(s)
	}
	k, err := kr.Get(s)
	if err != nil {
		return ledger.Address{}, fmt.Errorf("%q is neither an address nor a key in %s: %w", s, kr.Dir(), err)
	}
	return k.Address, nil
}

func resolveAll(kr *keyring.Keyring, in []string) ([]ledger.Address, error) {
	out := make([]ledger.Address, 0, len(in))
	for _, s := range in {
		a, err := resolveAddress(kr, s)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// lookup resolves an address (in either case), or a key name in the home's
// keyring: an address needs no home.
func (g *globals) lookup(s string) (ledger.Address, error) {
	if strings.HasPrefix(strings.ToLower(s), ledger.AddressPrefix+"1") {
		return ledger.ParseAddress(s)
	}
	kr, err := g.openKeyring()
	if err != nil {
		return ledger.Address{}, err
	}
	return resolveAddress(kr, s)
}

type keyView struct {
	Name     string    `json:"name"`
	Address  string    `json:"address"`
	Region   string    `json:"region"`
	Public   string    `json:"public_key"`
	Created  time.Time `json:"created"`
	Insecure bool      `json:"insecure"`
}

func viewKey(k keyring.Key) keyView {
	return keyView{Name: k.Name, Address: k.Address.String(), Region: string(k.Region),
		Public: hex.EncodeToString(k.Public), Created: k.Created, Insecure: k.Insecure}
}

func keysCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Manage the keyring's Ed25519 keys"}
	var region string
	add := &cobra.Command{
		Use:   "add NAME --region CODE",
		Short: "Create a key (passphrase from $PEG_PASSPHRASE or the terminal)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := ledger.ParseRegion(region)
			if err != nil {
				return &usageError{err}
			}
			kr, err := g.createKeyring(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			k, err := kr.Add(args[0], r, []byte(readPassphrase(cmd, "new passphrase")))
			if err != nil {
				return err
			}
			if k.Insecure {
				fmt.Fprintln(cmd.ErrOrStderr(), "WARNING: this key has an EMPTY passphrase; anyone who can read the keyring can use it")
			}
			return g.print(cmd.OutOrStdout(), viewKey(k), func(w io.Writer) { fmt.Fprintf(w, "%s %s\n", k.Name, k.Address) })
		},
	}
	add.Flags().StringVar(&region, "region", string(devRegion), "ISO 3166 code of the key's home region")
	list := &cobra.Command{
		Use:   "list",
		Short: "List keys",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			kr, err := g.openKeyring()
			if err != nil {
				return err
			}
			keys, err := kr.List()
			if err != nil {
				return err
			}
			views := make([]keyView, len(keys))
			for i, k := range keys {
				views[i] = viewKey(k)
			}
			return g.print(cmd.OutOrStdout(), views, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tADDRESS\tREGION\tPASSPHRASE")
				for _, k := range keys {
					pass := "set"
					if k.Insecure {
						pass = "EMPTY"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.Name, k.Address, k.Region, pass)
				}
				tw.Flush()
			})
		},
	}
	show := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a key's address and public key",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			kr, err := g.openKeyring()
			if err != nil {
				return err
			}
			k, err := kr.Get(args[0])
			if err != nil {
				return err
			}
			v := viewKey(k)
			return g.print(cmd.OutOrStdout(), v, func(w io.Writer) {
				fmt.Fprintf(w, "name:        %s\naddress:     %s\nregion:      %s\npublic key:  %s\ncreated:     %s\n",
					v.Name, v.Address, v.Region, v.Public, v.Created.Format(time.RFC3339))
			})
		},
	}
	export := &cobra.Command{
		Use:   "export NAME",
		Short: "Print a key's encrypted key file (still protected by its passphrase)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			kr, err := g.openKeyring()
			if err != nil {
				return err
			}
			b, err := kr.Export(args[0])
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(append(b, '\n'))
			return err
		},
	}
	var file string
	imp := &cobra.Command{
		Use:   "import NAME --file FILE",
		Short: "Import a key file written by `peg keys export`",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := os.ReadFile(file)
			if err != nil {
				return err
			}
			kr, err := g.createKeyring(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			k, err := kr.Import(args[0], b)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), viewKey(k), func(w io.Writer) { fmt.Fprintf(w, "imported %s %s\n", k.Name, k.Address) })
		},
	}
	imp.Flags().StringVar(&file, "file", "", "key file (required)")
	_ = imp.MarkFlagRequired("file")
	cmd.AddCommand(add, list, show, export, imp)
	return cmd
}
