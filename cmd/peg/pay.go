package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// required marks flags every invocation must give.
func required(cmd *cobra.Command, names ...string) {
	for _, n := range names {
		_ = cmd.MarkFlagRequired(n)
	}
}

func payCmd(g *globals) *cobra.Command { return paymentCmd(g, false) }

func spendFromCmd(g *globals) *cobra.Command { return paymentCmd(g, true) }

// paymentCmd builds pay and, with onBehalf, spend-from: both spend coins worth
// N ≥ M and create M for the payee and N−M of change (S2.6), from the signer's
// coins or, within an approval, from another owner's.
func paymentCmd(g *globals, onBehalf bool) *cobra.Command {
	var from, owner, tok, to, amount string
	var byAlias aliasFlags
	cmd := &cobra.Command{
		Use:   "pay --from KEY --token ID (--to ADDR | --to-phone NUMBER | --to-id NUMBER) --amount DEC",
		Short: "Pay an amount: spend coins worth N ≥ M, create M for the payee and N−M change",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			payee, via, err := g.payee(to, &byAlias)
			if err != nil {
				return err
			}
			if via != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "%s pays %s\n", via.Value, payee)
			}
			if !onBehalf {
				owner = from
			}
			payer, err := g.lookup(owner)
			if err != nil {
				return &usageError{err}
			}
			m, amt, err := g.newMerger(cmd, tok, amount, from, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if !onBehalf {
				if err := m.mergeForPayment(amt); err != nil {
					return err
				}
			}
			t := m.t
			ctx, cancel := context60()
			defer cancel()
			inputs, outs, total, err := g.planPayment(ctx, t, payer, payee, amt)
			if err != nil {
				return err
			}
			body := &txpb.Body{Msg: &txpb.Body_Pay{Pay: &txpb.Pay{Token: string(t.ID), Inputs: inputs, Outputs: outs}}}
			if onBehalf {
				body.Msg = &txpb.Body_SpendFrom{SpendFrom: &txpb.SpendFrom{
					Token: string(t.ID), Owner: payer.String(), Inputs: inputs, Outputs: outs}}
			}
			rc, err := g.submitSigned(m.key, m.priv, body)
			if err != nil {
				return err
			}
			change, _ := total.Sub(amt)
			what := fmt.Sprintf("paid %s %s to %s (spent %d coin(s) worth %s, change %s)",
				amt.FormatFixed(t.Decimals), t.Symbol, payee, len(inputs), total.FormatFixed(t.Decimals), change.FormatFixed(t.Decimals))
			if onBehalf {
				what = fmt.Sprintf("paid %s %s of %s's coins to %s", amt.FormatFixed(t.Decimals), t.Symbol, payer, payee)
			}
			if via != nil {
				what += fmt.Sprintf("\n  alias   %s pays %s", via.Value, payee)
			}
			return g.printReceiptAs(cmd, paymentView{Receipt: rc, Merges: m.done, Alias: via}, rc, what)
		},
	}
	cmd.Long = fmt.Sprintf(`Pay an amount of a token: spend coins worth N ≥ M and create M for the payee
and N − M of change for the payer (S2.6). One transaction spends at most %d
coins (inputs) and creates at most %d (outputs). When the amount needs more
than %d of the payer's coins, pay first merges the smallest of them by payments
to oneself, each spending up to %d coins into one, and waits for each to
commit (said on stderr, or listed under "merges" with --output json); see
peg coins merge.

The payee is an address (--to), or a phone or ID number bound to one in the
alias directory (--to-phone, --to-id): the number is hashed with the
platform's alias key (--alias-key) and looked up on the node, which must serve
the region the routing table (--routes) gives the number; the address it
resolved to is said on stderr and in the output ("alias" with --output json).
A number bound to no address is an error named ALIAS_UNKNOWN.`, tx.MaxInputs, tx.MaxOutputs, tx.MaxInputs, tx.MaxInputs)
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "payer: key name")
	f.StringVar(&tok, "token", "", "token id")
	f.StringVar(&to, "to", "", "payee: address or key name")
	byAlias.addValue(f, "to-", "payee:")
	byAlias.addFiles(f)
	f.StringVar(&amount, "amount", "", "amount in token units, e.g. 12.50")
	required(cmd, "from", "token", "amount")
	if onBehalf {
		cmd.Use = "spend-from --from KEY --owner ADDR --token ID (--to ADDR | --to-phone NUMBER | --to-id NUMBER) --amount DEC"
		cmd.Short = "Pay from another account's coins within its approval"
		cmd.Long = fmt.Sprintf(`Pay from another account's coins within its approval. One transaction spends
at most %d coins and creates at most %d; coins are not merged on another's
behalf: the owner can run peg coins merge.`, tx.MaxInputs, tx.MaxOutputs)
		f.Lookup("from").Usage = "spender: key name"
		f.StringVar(&owner, "owner", "", "owner of the coins: address or key name")
		required(cmd, "owner")
	}
	return cmd
}

// paymentView is what pay prints with --output json: the payment's receipt,
// and the merges made before it, if any.
type paymentView struct {
	*client.Receipt
	Merges []mergeView `json:"merges,omitempty"`
	// Alias is the phone or ID number paid, and the address it resolved to.
	Alias *aliasPayee `json:"alias,omitempty"`
}

// aliasPayee is a payee found by its phone or ID number.
type aliasPayee struct {
	*resolved
	Address ledger.Address `json:"address"`
}

// payee is the address --to names, or the one --to-phone or --to-id is bound
// to, with the number that found it.
func (g *globals) payee(to string, byAlias *aliasFlags) (ledger.Address, *aliasPayee, error) {
	switch {
	case to != "" && byAlias.given():
		return ledger.Address{}, nil, usageErrorf("--to and --to-phone or --to-id: give one payee")
	case to != "":
		a, err := g.lookup(to)
		if err != nil {
			return ledger.Address{}, nil, &usageError{err}
		}
		return a, nil, nil
	case !byAlias.given():
		return ledger.Address{}, nil, usageErrorf("a payee is needed: --to, --to-phone or --to-id")
	}
	ctx, cancel := context60()
	defer cancel()
	r, err := byAlias.resolve(ctx, g)
	if err != nil {
		return ledger.Address{}, nil, err
	}
	al, err := g.aliasOf(ctx, r)
	if err != nil {
		return ledger.Address{}, nil, err
	}
	return al.Address, &aliasPayee{resolved: r, Address: al.Address}, nil
}

func redeemCmd(g *globals) *cobra.Command {
	var from, tok, amount string
	cmd := &cobra.Command{
		Use:   "redeem --from KEY --token ID --amount DEC",
		Short: "Return coins to the issuer for fiat at par; the record names the reserve account that pays",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			holder, err := g.lookup(from)
			if err != nil {
				return &usageError{err}
			}
			ctx, cancel := context60()
			defer cancel()
			t, amt, err := g.tokenAmount(ctx, tok, amount)
			if err != nil {
				return err
			}
			inputs, _, err := g.selectCoins(ctx, holder, t, amt)
			if err != nil {
				return err
			}
			rc, err := g.submit(cmd, from, &txpb.Body{Msg: &txpb.Body_Redeem{Redeem: &txpb.Redeem{
				Token: string(t.ID), Inputs: inputs, Amount: amt.String()}}})
			if err != nil {
				return err
			}
			cur := attr(rc, "redeem", "currency")
			return g.printReceipt(cmd, rc, fmt.Sprintf("redeemed %s %s: %s %s owed from %s account %s",
				amt.FormatFixed(t.Decimals), t.Symbol, currencyText(attr(rc, "redeem", "fiat_owed"), cur), cur,
				t.Contract.Fiat.BIC, t.Contract.Fiat.Account))
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "holder: key name")
	f.StringVar(&tok, "token", "", "token id")
	f.StringVar(&amount, "amount", "", "amount in token units")
	required(cmd, "from", "token", "amount")
	return cmd
}

func approveCmd(g *globals) *cobra.Command {
	return amountToCmd(g, amountTo{
		use: "approve --from KEY --token ID --spender ADDR --amount DEC", short: "Let a spender spend up to an amount of your coins (0 revokes)",
		from: "owner", party: "spender", amountHelp: "allowance in token units",
		body: func(t *client.Token, sp ledger.Address, amt money.Amount) *txpb.Body {
			return &txpb.Body{Msg: &txpb.Body_Approve{Approve: &txpb.Approve{Token: string(t.ID), Spender: sp.String(), Amount: amt.String()}}}
		},
		done: func(t *client.Token, sp ledger.Address, amt money.Amount, _ *client.Receipt) string {
			return fmt.Sprintf("approved %s to spend %s %s", sp, amt.FormatFixed(t.Decimals), t.Symbol)
		},
	})
}

// amountTo describes a command that moves or allows an amount of a token
// with respect to one other account: mint and approve.
type amountTo struct {
	use, short  string
	from, party string // roles of the signer and of the other account, for help texts and the flag name
	amountHelp  string
	body        func(t *client.Token, party ledger.Address, amt money.Amount) *txpb.Body
	done        func(t *client.Token, party ledger.Address, amt money.Amount, rc *client.Receipt) string
}

func amountToCmd(g *globals, a amountTo) *cobra.Command {
	var from, tok, party, amount string
	flag := a.party
	if flag == "recipient" {
		flag = "to"
	}
	cmd := &cobra.Command{
		Use:   a.use,
		Short: a.short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			addr, err := g.lookup(party)
			if err != nil {
				return &usageError{err}
			}
			ctx, cancel := context60()
			defer cancel()
			t, amt, err := g.tokenAmount(ctx, tok, amount)
			if err != nil {
				return err
			}
			rc, err := g.submit(cmd, from, a.body(t, addr, amt))
			if err != nil {
				return err
			}
			return g.printReceipt(cmd, rc, a.done(t, addr, amt, rc))
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", a.from+": key name")
	f.StringVar(&tok, "token", "", "token id")
	f.StringVar(&party, flag, "", a.party+": address or key name")
	f.StringVar(&amount, "amount", "", a.amountHelp)
	required(cmd, "from", "token", flag, "amount")
	return cmd
}
