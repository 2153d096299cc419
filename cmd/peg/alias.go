package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pegledger/peg/examples"
	"github.com/pegledger/peg/internal/aliaskey"
	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/durable"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/region"
	"github.com/pegledger/peg/internal/routefile"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// routesFile is the routing table's file in a Peg home (`peg up` writes it).
const routesFile = "routing.toml"

// aliasFlags are the flags that name a phone or ID number and the files it
// is hashed and routed with.
type aliasFlags struct {
	phone, id, keyFile, routes string
	// prefix is "to-" for pay's --to-phone and --to-id.
	prefix string
}

func (a *aliasFlags) addValue(f *pflag.FlagSet, prefix, whose string) {
	a.prefix = prefix
	f.StringVar(&a.phone, prefix+"phone", "", whose+" phone number, E.164 with its country code: \"+44 7700 900123\"")
	f.StringVar(&a.id, prefix+"id", "", whose+" national ID number, its country first: \"CN-310101199001011234\"")
}

func (a *aliasFlags) addFiles(f *pflag.FlagSet) {
	f.StringVar(&a.keyFile, "alias-key", "", "the platform's alias key file (default: --home's "+aliaskey.FileName+")")
	f.StringVar(&a.routes, "routes", "", "the network's routing table, TOML (default: --home's "+routesFile+"; see examples/routing.toml)")
}

func (a *aliasFlags) given() bool { return a.phone != "" || a.id != "" }

// value parses the number given by --phone or --id, exactly one of them.
func (a *aliasFlags) value() (region.Value, error) {
	switch {
	case a.phone != "" && a.id != "":
		return region.Value{}, usageErrorf("--%sphone and --%sid: give one", a.prefix, a.prefix)
	case a.phone != "":
		v, err := region.ParsePhone(a.phone)
		if err != nil {
			return region.Value{}, usageErrorf("--%sphone: %v", a.prefix, err)
		}
		return v, nil
	case a.id != "":
		v, err := region.ParseID(a.id)
		if err != nil {
			return region.Value{}, usageErrorf("--%sid: %v", a.prefix, err)
		}
		return v, nil
	}
	return region.Value{}, usageErrorf("--%sphone or --%sid is needed", a.prefix, a.prefix)
}

// resolved is a phone or ID number made ready for the alias directory: its
// hash under the alias key, and the region the routing table gives it.
type resolved struct {
	Value  string           `json:"value"`
	Hash   ledger.AliasHash `json:"hash"`
	Region ledger.Region    `json:"region"`
	Prefix string           `json:"prefix"`
}

// resolve parses the value, routes it, refuses one whose alias another
// region's chain holds, and hashes it with the alias key.
func (a *aliasFlags) resolve(ctx context.Context, g *globals) (*resolved, error) {
	v, err := a.value()
	if err != nil {
		return nil, err
	}
	tab, err := a.table(g)
	if err != nil {
		return nil, err
	}
	r, prefix, err := tab.Match(v)
	if err != nil {
		return nil, err
	}
	st, err := g.client().Status(ctx)
	if err != nil {
		return nil, err
	}
	if r != st.Region && !g.gatewayServes(ctx, r) {
		return nil, fmt.Errorf("%s %s routes to region %s (prefix %s); the node at %s serves %s, so its alias is not here: ask a node of %s, or a gateway, with --node",
			v.Kind(), v, r, prefix, g.nodeURL(), st.Region, r)
	}
	key, err := a.key(g)
	if err != nil {
		return nil, err
	}
	return &resolved{Value: v.String(), Hash: region.Hash(key, v), Region: r, Prefix: prefix}, nil
}

// gatewayServes reports whether --node is a gateway that routes to region
// r, whose directory it then asks for the alias.
func (g *globals) gatewayServes(ctx context.Context, r ledger.Region) bool {
	rs, err := g.client().GatewayRegions(ctx)
	return err == nil && slices.ContainsFunc(rs, func(s client.GatewayRegion) bool { return s.Region == r })
}

func (a *aliasFlags) table(g *globals) (*region.Table, error) {
	path := a.routes
	if path == "" {
		path = filepath.Join(g.home, routesFile)
	}
	t, err := routefile.Load(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no routing table at %s: pass --routes FILE (examples/routing.toml is one)", path)
	}
	return t, err
}

func (a *aliasFlags) key(g *globals) (region.Key, error) {
	path := a.keyFile
	if path == "" {
		path = filepath.Join(g.home, aliaskey.FileName)
	}
	k, err := aliaskey.Read(path)
	if errors.Is(err, os.ErrNotExist) {
		return region.Key{}, fmt.Errorf("no alias key at %s: pass --alias-key FILE, the platform's key (`peg alias key init` makes a new one)", path)
	}
	return k, err
}

// hashArg is the hash of --phone or --id, or the hash given as the one
// argument.
func (a *aliasFlags) hashArg(ctx context.Context, g *globals, args []string) (*resolved, error) {
	switch {
	case len(args) == 1 && a.given():
		return nil, usageErrorf("a HASH and --phone or --id: give one")
	case len(args) == 1:
		h, err := ledger.ParseAliasHash(args[0])
		if err != nil {
			return nil, &usageError{err}
		}
		return &resolved{Hash: h}, nil
	}
	return a.resolve(ctx, g)
}

// what names the value, or its hash when it was given as one.
func (r *resolved) what() string {
	if r.Value == "" {
		return "alias " + r.Hash.String()
	}
	return r.Value
}

// aliasOf looks the value up on the node: its binding, or an error named
// ALIAS_UNKNOWN that says which value found nothing.
func (g *globals) aliasOf(ctx context.Context, r *resolved) (*client.Alias, error) {
	al, err := g.client().Alias(ctx, r.Hash)
	var apiErr *client.APIError
	if errors.As(err, &apiErr) && apiErr.Code == uint32(ledger.CodeAliasUnknown) {
		e := *apiErr
		e.Message = fmt.Sprintf("no address is bound to %s (alias hash %s); a registrar binds it with peg alias register", r.what(), r.Hash)
		return nil, &e
	}
	return al, err
}

func aliasCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "alias",
		Short: "Bind phone and ID numbers to addresses, so that people can pay them (registrars)",
		Long: `The alias directory binds a phone number or a national ID number to an address,
so that people can pay the number (peg pay --to-phone, --to-id). The chain
holds no number in clear: the CLI hashes it with the platform's alias key
(--alias-key, default --home's alias.key; never sent, never logged) and the
directory holds the hash. The network's routing table (--routes, default
--home's routing.toml) says which region's chain holds a number's alias; the
command refuses a number that routes to another region than the node's,
unless --node is a gateway (peg gateway) that routes to that region.`,
	}
	cmd.AddCommand(aliasRegisterCmd(g), aliasShowCmd(g), aliasRevokeCmd(g), aliasKeyCmd(g))
	return cmd
}

// aliasView is what register and revoke print with --output json.
type aliasView struct {
	*client.Receipt
	Alias   *resolved      `json:"alias"`
	Address ledger.Address `json:"address"`
}

func aliasRegisterCmd(g *globals) *cobra.Command {
	var a aliasFlags
	var from, to string
	cmd := &cobra.Command{
		Use:   "register --from REGISTRAR (--phone NUMBER | --id NUMBER) --to ADDR",
		Short: "Bind a phone or ID number to an address, after checking the person (registrar)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			addr, err := g.lookup(to)
			if err != nil {
				return &usageError{err}
			}
			ctx, cancel := context60()
			defer cancel()
			r, err := a.resolve(ctx, g)
			if err != nil {
				return err
			}
			rc, err := g.submit(cmd, from, &txpb.Body{Msg: &txpb.Body_AliasRegister{AliasRegister: &txpb.AliasRegister{
				Hash: r.Hash[:], Account: addr.String()}}})
			if err != nil {
				return err
			}
			return g.printReceiptAs(cmd, aliasView{Receipt: rc, Alias: r, Address: addr}, rc,
				fmt.Sprintf("%s is bound to %s\n  hash    %s", r.Value, addr, r.Hash))
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "registrar", "registrar: key name")
	f.StringVar(&to, "to", "", "the address the number pays: address or key name")
	a.addValue(f, "", "the")
	a.addFiles(f)
	required(cmd, "to")
	return cmd
}

func aliasRevokeCmd(g *globals) *cobra.Command {
	var a aliasFlags
	var from string
	cmd := &cobra.Command{
		Use:   "revoke --from REGISTRAR (--phone NUMBER | --id NUMBER | HASH)",
		Short: "Remove a phone or ID number's binding (registrar)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context60()
			defer cancel()
			r, err := a.hashArg(ctx, g, args)
			if err != nil {
				return err
			}
			rc, err := g.submit(cmd, from, &txpb.Body{Msg: &txpb.Body_AliasRevoke{AliasRevoke: &txpb.AliasRevoke{Hash: r.Hash[:]}}})
			if err != nil {
				return err
			}
			addr, _ := ledger.ParseAddress(attr(rc, "alias.revoked", "account"))
			return g.printReceiptAs(cmd, aliasView{Receipt: rc, Alias: r, Address: addr}, rc,
				fmt.Sprintf("%s no longer pays %s", r.what(), addr))
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "registrar", "registrar: key name")
	a.addValue(f, "", "the")
	a.addFiles(f)
	return cmd
}

// aliasShowView is what show prints with --output json.
type aliasShowView struct {
	*client.Alias
	Value string `json:"value,omitempty"`
}

func aliasShowCmd(g *globals) *cobra.Command {
	var a aliasFlags
	cmd := &cobra.Command{
		Use:   "show (--phone NUMBER | --id NUMBER | HASH)",
		Short: "Show the address a phone or ID number pays",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context60()
			defer cancel()
			r, err := a.hashArg(ctx, g, args)
			if err != nil {
				return err
			}
			al, err := g.aliasOf(ctx, r)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), aliasShowView{Alias: al, Value: r.Value}, func(w io.Writer) {
				fmt.Fprintf(w, "%s pays %s\n  hash       %s\n  region     %s\n  registrar  %s\n  since      height %d, %s\n  tx         %s\n",
					r.what(), al.Address, al.Hash, al.Region, al.Registrar, al.Height, al.Since.Format("2006-01-02 15:04:05 MST"), al.Tx)
			})
		},
	}
	a.addValue(cmd.Flags(), "", "the")
	a.addFiles(cmd.Flags())
	return cmd
}

func aliasKeyCmd(g *globals) *cobra.Command {
	var path string
	initCmd := &cobra.Command{
		Use:   "init [--alias-key FILE]",
		Short: "Make a new platform alias key in a new file (0600); an existing file is never replaced",
		Long: `Make the platform's alias key: 32 random bytes, written in hex to a new file
readable by its owner only. Every alias on chain is a hash under this key, so
it is made once per platform and copied to its registrars and front processors;
a file that exists is never replaced (a new key would orphan every alias).
The key is not printed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if path == "" {
				path = filepath.Join(g.home, aliaskey.FileName)
			}
			if _, err := aliaskey.Create(path); err != nil {
				return err
			}
			abs, _ := filepath.Abs(path)
			return g.print(cmd.OutOrStdout(), map[string]string{"path": abs}, func(w io.Writer) {
				fmt.Fprintf(w, "created the alias key %s (mode 0600): keep it secret, copy it to the registrars and front processors only\n", abs)
			})
		},
	}
	initCmd.Flags().StringVar(&path, "alias-key", "", "the file to create (default: --home's "+aliaskey.FileName+")")
	cmd := &cobra.Command{Use: "key", Short: "The platform's alias key"}
	cmd.AddCommand(initCmd)
	return cmd
}

func registrarCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "registrar", Short: "Grant and withdraw the registrar role, which binds phone and ID numbers (operator)"}
	setMsg := func(remove bool) func(ledger.Address) *txpb.Body {
		return func(a ledger.Address) *txpb.Body {
			return &txpb.Body{Msg: &txpb.Body_SetRegistrar{SetRegistrar: &txpb.SetRegistrar{Registrar: a.String(), Remove: remove}}}
		}
	}
	cmd.AddCommand(
		operatorCmd(g, "set", "Make an address a registrar (operator)", "is a registrar", setMsg(false)),
		operatorCmd(g, "unset", "Withdraw an address's registrar role; its bindings stay (operator)", "is no longer a registrar", setMsg(true)),
		&cobra.Command{
			Use:   "list",
			Short: "List the registrars",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				ctx, cancel := context60()
				defer cancel()
				regs, err := g.client().Registrars(ctx)
				if err != nil {
					return err
				}
				return g.print(cmd.OutOrStdout(), regs, func(w io.Writer) {
					if len(regs.Registrars) == 0 {
						fmt.Fprintf(w, "no registrars at height %d\n", regs.Height)
					}
					for _, a := range regs.Registrars {
						fmt.Fprintln(w, a)
					}
				})
			},
		})
	return cmd
}

// ensureAliasFiles gives a development home what the alias commands read by
// default: an alias key and the walkthrough's routing table. Existing files
// are kept.
func ensureAliasFiles(home string) error {
	if _, _, err := aliaskey.Ensure(filepath.Join(home, aliaskey.FileName)); err != nil {
		return err
	}
	path := filepath.Join(home, routesFile)
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return durable.WriteFile(path, examples.Routing, 0o644)
}
