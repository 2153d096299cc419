package main

import (
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/contractfile"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/token"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

func tokenCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Deploy and manage stablecoin contracts"}
	cmd.AddCommand(deployCmd(g), tokenShowCmd(g), tokenListCmd(g), redemptionsCmd(g), mintCmd(g),
		tokenActionCmd(g, "freeze", "Freeze an account: it can no longer send or receive the coin (freezer)", true),
		tokenActionCmd(g, "unfreeze", "Lift a freeze (freezer)", true),
		tokenActionCmd(g, "pause", "Stop every movement of the coin (pauser)", false),
		tokenActionCmd(g, "unpause", "Lift a pause (pauser)", false),
		seizeCmd(g), transferOwnerCmd(g), acceptOwnerCmd(g), minterCmd(g), tokenImportCmd(g))
	return cmd
}

type deployView struct {
	Token   string          `json:"token"`
	Hash    string          `json:"contract_hash,omitempty"`
	Address string          `json:"contract_address,omitempty"`
	TxID    string          `json:"tx_id,omitempty"`
	Height  uint64          `json:"height,omitempty"`
	Receipt *client.Receipt `json:"receipt,omitempty"`
	Params  *client.Params  `json:"-"`
}

func deployCmd(g *globals) *cobra.Command {
	var from, file string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "deploy --from KEY --file contract.toml | deploy --dry-run --file contract.toml",
		Short: "Validate a contract file and publish it (authorised issuers only)",
		Long: `Validate a token contract (see examples/gbpt.toml) against the platform's issuance
rules and publish it. Every violation is reported at once with its code; nothing is
published unless the contract is valid. Role entries may be addresses or key names.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" && !dryRun {
				return usageErrorf("--from names the issuer who publishes the contract (a dry run needs none)")
			}
			b, err := os.ReadFile(file)
			if err != nil {
				return err
			}
			d, err := contractfile.Parse(b, func(s string) (string, error) {
				a, err := g.lookup(s)
				return a.String(), err
			})
			if err != nil {
				return &usageError{err}
			}
			ctx, cancel := context60()
			defer cancel()
			st, err := g.client().Status(ctx)
			if err != nil {
				return err
			}
			p := token.Params{MinReserve: st.Params.MinReserve, MinReserveByCurrency: st.Params.MinReserveByCurrency, Banks: st.Params.Banks}
			if _, vs := token.Build(d, p); len(vs) > 0 {
				return g.reportViolations(cmd, file, vs)
			}
			if dryRun {
				return g.print(cmd.OutOrStdout(), deployView{Token: d.ID}, func(w io.Writer) {
					fmt.Fprintf(w, "contract %s is valid; nothing was published (--dry-run)\n", file)
				})
			}
			rc, err := g.submit(cmd, from, &txpb.Body{Msg: &txpb.Body_DeployToken{DeployToken: &txpb.DeployToken{Contract: tx.DraftToProto(d)}}})
			if err != nil {
				return err
			}
			v := deployView{Token: d.ID, Hash: attr(rc, "token.deployed", "hash"), Address: attr(rc, "token.deployed", "address"),
				TxID: rc.TxID.String(), Height: rc.Height, Receipt: rc}
			return g.print(cmd.OutOrStdout(), v, func(w io.Writer) {
				fmt.Fprintf(w, "deployed %s\n  contract hash     %s\n  contract address  %s\n  tx                %s\n  height            %d\n",
					v.Token, v.Hash, v.Address, v.TxID, v.Height)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "issuer: key name (not needed with --dry-run)")
	f.StringVar(&file, "file", "", "contract file (TOML)")
	f.BoolVar(&dryRun, "dry-run", false, "validate only; publish nothing")
	required(cmd, "file")
	return cmd
}

// reportViolations fails with the first violation's code, carrying every
// violation, which --output json prints with the error and text lists here.
func (g *globals) reportViolations(cmd *cobra.Command, file string, vs []token.Violation) error {
	if g.output == "text" {
		w := cmd.OutOrStdout()
		fmt.Fprintf(w, "contract %s is invalid (%d violation(s)); nothing was published:\n", file, len(vs))
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, v := range vs {
			fmt.Fprintf(tw, "  %s (%d)\t%s\t%s\n", v.Code.Name(), uint32(v.Code), v.Field, v.Message)
		}
		tw.Flush()
	}
	return &rejectedError{code: uint32(vs[0].Code), name: vs[0].Code.Name(),
		message: fmt.Sprintf("%d contract violation(s), first: %s: %s", len(vs), vs[0].Field, vs[0].Message), violations: vs}
}

func tokenShowCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show a token's contract, supply, reserve and roles",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context60()
			defer cancel()
			t, _, err := g.tokenAmount(ctx, args[0], "")
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), t, func(w io.Writer) { printToken(w, t) })
		},
	}
}

func printToken(w io.Writer, t *client.Token) {
	c := t.Contract
	d := t.Decimals
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, v string, args ...any) { fmt.Fprintf(tw, "%s\t"+v+"\n", append([]any{k}, args...)...) }
	row("token", "%s — %s (%s), %d decimals", t.ID, t.Name, t.Symbol, t.Decimals)
	row("contract hash", "%s", t.Hash)
	row("contract address", "%s", t.Address)
	row("issuer", "%s", t.Issuer)
	row("deployed", "height %d, tx %s", t.DeployHeight, t.DeployTx)
	row("supply", "%s %s (minted %s, redeemed %s)", tokenText(t.Supply, d), t.Symbol, tokenText(t.Minted, d), tokenText(t.Redeemed, d))
	row("supply cap", "%s %s", tokenText(t.Cap, d), t.Symbol)
	row("declared reserve", "%s at ratio %s → backs %s %s", fiatText(t.DeclaredReserve),
		c.Ratio, tokenText(t.ReserveCapacity, d), t.Symbol)
	row("fiat account", "%s %s %s (%s)", c.Fiat.BIC, c.Fiat.Scheme, c.Fiat.Account, c.Fiat.Currency)
	row("units", "minimum %s, maximum transfer %s, minimum redemption %s",
		decimalText(c.MinUnit, d), decimalText(c.MaxTransfer, d), decimalText(c.MinRedeem, d))
	row("rules", "transfers %s, redemption %s", c.TransferRule, c.RedeemRule)
	row("paused", "%v", t.Paused)
	row("owner", "%s", t.Roles.Owner)
	if !t.Roles.PendingOwner.IsZero() {
		row("pending owner", "%s", t.Roles.PendingOwner)
	}
	row("pauser", "%s", t.Roles.Pauser)
	row("freezer", "%s", t.Roles.Freezer)
	row("attestor", "%s", t.Roles.Attestor)
	for _, m := range t.Roles.Minters {
		row("minter", "%s (allowance left %s %s)", m.Address, tokenText(m.Allowance, d), t.Symbol)
	}
	tw.Flush()
}

func tokenListCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List tokens",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context60()
			defer cancel()
			ts, err := g.client().Tokens(ctx)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), ts, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tSYMBOL\tSUPPLY\tCAP\tPAUSED\tISSUER")
				for _, t := range ts {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\t%s\n", t.ID, t.Symbol, tokenText(t.Supply, t.Decimals), tokenText(t.Cap, t.Decimals), t.Paused, t.Issuer)
				}
				tw.Flush()
			})
		},
	}
}

func redemptionsCmd(g *globals) *cobra.Command {
	var tok string
	cmd := &cobra.Command{
		Use:   "redemptions ID",
		Short: "List a token's redemptions: who returned how much, and the fiat owed from which account",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := tokenArg(cmd, args, tok, false)
			if err != nil {
				return err
			}
			ctx, cancel := context60()
			defer cancel()
			t, err := g.client().Token(ctx, id)
			if err != nil {
				return err
			}
			rs, err := g.client().Redemptions(ctx, id)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), rs, func(w io.Writer) { printRedemptions(w, t, rs) })
		},
	}
	deprecatedTokenFlag(cmd, &tok)
	return cmd
}

func printRedemptions(w io.Writer, t *client.Token, rs []client.Redemption) {
	if len(rs) == 0 {
		fmt.Fprintf(w, "%s has no redemptions yet\n", t.ID)
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tHOLDER\tAMOUNT\tFIAT OWED\tFROM ACCOUNT\tHEIGHT\tTX")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%s %s\t%s\t%s %s\t%d\t%s\n", r.Time.Format(time.RFC3339), r.Holder,
			tokenText(r.Value, t.Decimals), t.Symbol, fiatText(r.FiatOwed), r.Fiat.BIC, r.Fiat.Account, r.Height, r.TxID)
	}
	tw.Flush()
}

func mintCmd(g *globals) *cobra.Command {
	return amountToCmd(g, amountTo{
		use: "mint --from KEY --token ID --to ADDR --amount DEC", short: "Mint new coins for an account (minters, within allowance and reserve)",
		from: "minter", party: "recipient", amountHelp: "amount in token units",
		body: func(t *client.Token, to ledger.Address, amt money.Amount) *txpb.Body {
			return &txpb.Body{Msg: &txpb.Body_Mint{Mint: &txpb.Mint{Token: string(t.ID), To: to.String(), Amount: amt.String()}}}
		},
		done: func(t *client.Token, to ledger.Address, amt money.Amount, rc *client.Receipt) string {
			if req := attr(rc, "mint_request.opened", "request"); req != "" {
				return fmt.Sprintf("pending endorsement: %s %s for %s is above %s's endorsement threshold; mint request %s needs %s endorsements by %s (peg endorse show %s)",
					amt.FormatFixed(t.Decimals), t.Symbol, to, t.ID, req, attr(rc, "mint_request.opened", "required"),
					eventTime(attr(rc, "mint_request.opened", "deadline")), req)
			}
			return fmt.Sprintf("minted %s %s for %s (coin %s)", amt.FormatFixed(t.Decimals), t.Symbol, to, attr(rc, "coin.created", "coin"))
		},
	})
}

// tokenActionCmd builds freeze, unfreeze, pause and unpause: a role holder's
// action on a token, on an account when withAccount.
func tokenActionCmd(g *globals, verb, short string, withAccount bool) *cobra.Command {
	var from, tok, account string
	use := verb + " --from KEY --token ID"
	if withAccount {
		use += " --account ADDR"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			id, err := ledger.ParseTokenID(tok)
			if err != nil {
				return &usageError{err}
			}
			var acct ledger.Address
			if withAccount {
				if acct, err = g.lookup(account); err != nil {
					return &usageError{err}
				}
			}
			body := &txpb.Body{}
			switch verb {
			case "freeze":
				body.Msg = &txpb.Body_Freeze{Freeze: &txpb.Freeze{Token: string(id), Account: acct.String()}}
			case "unfreeze":
				body.Msg = &txpb.Body_Unfreeze{Unfreeze: &txpb.Unfreeze{Token: string(id), Account: acct.String()}}
			case "pause":
				body.Msg = &txpb.Body_Pause{Pause: &txpb.Pause{Token: string(id)}}
			case "unpause":
				body.Msg = &txpb.Body_Unpause{Unpause: &txpb.Unpause{Token: string(id)}}
			}
			rc, err := g.submit(cmd, from, body)
			if err != nil {
				return err
			}
			what := string(id)
			if withAccount {
				what = fmt.Sprintf("%s on %s", acct, id)
			}
			return g.printReceipt(cmd, rc, fmt.Sprintf("%s: %s", verb, what))
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "role holder: key name")
	f.StringVar(&tok, "token", "", "token id")
	required(cmd, "from", "token")
	if withAccount {
		f.StringVar(&account, "account", "", "account: address or key name")
		required(cmd, "account")
	}
	return cmd
}

func seizeCmd(g *globals) *cobra.Command {
	var from, tok, account string
	cmd := &cobra.Command{
		Use:   "seize --from KEY --token ID --account ADDR",
		Short: "Move a frozen account's coins to the owner (owner)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			acct, err := g.lookup(account)
			if err != nil {
				return &usageError{err}
			}
			ctx, cancel := context60()
			defer cancel()
			t, _, err := g.tokenAmount(ctx, tok, "")
			if err != nil {
				return err
			}
			coins, err := g.client().Coins(ctx, acct, t.ID, tx.MaxInputs)
			if err != nil {
				return err
			}
			if len(coins) == 0 {
				return fmt.Errorf("%s holds no %s", acct, t.ID)
			}
			ids := make([][]byte, len(coins))
			for i, c := range coins {
				ids[i] = c.ID[:]
			}
			rc, err := g.submit(cmd, from, &txpb.Body{Msg: &txpb.Body_Seize{Seize: &txpb.Seize{Token: string(t.ID), Inputs: ids}}})
			if err != nil {
				return err
			}
			return g.printReceipt(cmd, rc, fmt.Sprintf("seized %d coin(s) of %s from %s", len(ids), t.ID, acct))
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "owner: key name")
	f.StringVar(&tok, "token", "", "token id")
	f.StringVar(&account, "account", "", "frozen account: address or key name")
	required(cmd, "from", "token", "account")
	return cmd
}

func transferOwnerCmd(g *globals) *cobra.Command {
	var from, tok, to string
	cmd := &cobra.Command{
		Use:   "transfer-owner --from KEY --token ID --to ADDR",
		Short: "Propose a new owner, who must accept (owner)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dest, err := g.lookup(to)
			if err != nil {
				return &usageError{err}
			}
			rc, err := g.submit(cmd, from, &txpb.Body{Msg: &txpb.Body_TransferOwnership{TransferOwnership: &txpb.TransferOwnership{
				Token: tok, NewOwner: dest.String()}}})
			if err != nil {
				return err
			}
			return g.printReceipt(cmd, rc, fmt.Sprintf("proposed %s as owner of %s; it must run accept-owner", dest, tok))
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "owner: key name")
	f.StringVar(&tok, "token", "", "token id")
	f.StringVar(&to, "to", "", "proposed owner: address or key name")
	required(cmd, "from", "token", "to")
	return cmd
}

func acceptOwnerCmd(g *globals) *cobra.Command {
	var from, tok string
	cmd := &cobra.Command{
		Use:   "accept-owner --from KEY --token ID",
		Short: "Accept a proposed ownership transfer",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rc, err := g.submit(cmd, from, &txpb.Body{Msg: &txpb.Body_AcceptOwnership{AcceptOwnership: &txpb.AcceptOwnership{Token: tok}}})
			if err != nil {
				return err
			}
			return g.printReceipt(cmd, rc, fmt.Sprintf("%s now owns %s", from, tok))
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "proposed owner: key name")
	f.StringVar(&tok, "token", "", "token id")
	required(cmd, "from", "token")
	return cmd
}

func minterCmd(g *globals) *cobra.Command {
	var from, tok, minter, allowance string
	var remove bool
	cmd := &cobra.Command{
		Use:   "set-minter --from KEY --token ID --minter ADDR (--allowance DEC | --remove)",
		Short: "Add a minter, set its allowance, or remove it (owner)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if remove == (allowance != "") {
				return usageErrorf("give exactly one of --allowance and --remove")
			}
			m, err := g.lookup(minter)
			if err != nil {
				return &usageError{err}
			}
			ctx, cancel := context60()
			defer cancel()
			t, amt, err := g.tokenAmount(ctx, tok, allowance)
			if err != nil {
				return err
			}
			msg := &txpb.ConfigureMinter{Token: string(t.ID), Minter: m.String(), Remove: remove}
			if !remove {
				msg.Allowance = amt.String()
			}
			rc, err := g.submit(cmd, from, &txpb.Body{Msg: &txpb.Body_ConfigureMinter{ConfigureMinter: msg}})
			if err != nil {
				return err
			}
			what := fmt.Sprintf("%s may mint %s %s", m, amt.FormatFixed(t.Decimals), t.Symbol)
			if remove {
				what = fmt.Sprintf("%s is no longer a minter", m)
			}
			return g.printReceipt(cmd, rc, what)
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "owner: key name")
	f.StringVar(&tok, "token", "", "token id")
	f.StringVar(&minter, "minter", "", "minter: address or key name")
	f.StringVar(&allowance, "allowance", "", "allowance in token units")
	f.BoolVar(&remove, "remove", false, "remove the minter")
	required(cmd, "from", "token", "minter")
	return cmd
}
