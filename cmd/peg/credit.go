package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/pegledger/peg/internal/api"
	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/credit"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/tx/txpb"
)

func creditCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "credit",
		Short: "Credit payments (S4): pay now from a credit node's pool, repay later",
		Long: `A credit node, registered by the operator, pays payees from its pool on a
payer's credit. The payee grants the payer a line (peg credit line set); the
payer requests a payment for an object of trade (peg credit request); the payee
confirms it (peg credit confirm), and the ledger pays the payee from the pool
when the amount is within the payee's line and the node's limit, both net of
what the payer owes, recording the payer's debt with its due date; the payee
confirms receipt (peg credit receipt); the payer repays (peg credit repay),
and may ask the node for a higher limit (peg credit increase; the node answers
with peg credit decide). A payee of another region confirms on its own
region, paid from the node's pool there; the debt stays on the payer's, and
peg relay (or peg credit carry) carries each step between them by proof.
Payer and payee need registered certificates (peg cert register).`,
	}
	line := &cobra.Command{Use: "line", Short: "The credit lines a payee grants"}
	line.AddCommand(creditLineSetCmd(g))
	node := &cobra.Command{Use: "node", Short: "Credit nodes: register (operator), fund, show"}
	node.AddCommand(creditNodeRegisterCmd(g), creditNodeFundCmd(g), creditNodeShowCmd(g))
	cmd.AddCommand(node, line, creditRequestCmd(g), creditStepCmd(g, "confirm", "payee"), creditStepCmd(g, "receipt", "payee"),
		creditRepayCmd(g), creditLimitCmd(g), creditStatusCmd(g), creditHistoryCmd(g), creditIncreaseCmd(g), creditDecideCmd(g),
		creditServeCmd(g), creditCarryCmd(g))
	return cmd
}

// nodeToken is the token a credit node lends.
func (g *globals) nodeToken(node ledger.Address, amount string) (*client.CreditNode, *client.Token, money.Amount, error) {
	ctx, cancel := context60()
	defer cancel()
	n, err := g.client().CreditNode(ctx, node)
	if err != nil {
		return nil, nil, money.Amount{}, err
	}
	t, amt, err := g.tokenAmount(ctx, n.Token, amount)
	return n, t, amt, err
}

func creditNodeRegisterCmd(g *globals) *cobra.Command {
	var from, token, capS, base string
	var repaid, volume, late uint32
	var window, term, grace time.Duration
	cmd := &cobra.Command{
		Use:   "register NODE --token ID --cap DEC [--base DEC] ...",
		Short: "Register NODE (address or key name) as a credit node lending --token (operator)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			node, err := g.lookup(args[0])
			if err != nil {
				return &usageError{err}
			}
			ctx, cancel := context60()
			defer cancel()
			t, c, err := g.tokenAmount(ctx, token, capS)
			if err != nil {
				return err
			}
			b, err := money.Parse(base, t.Decimals)
			if err != nil {
				return usageErrorf("--base %q: %v", base, err)
			}
			p := credit.Params{Cap: c, Base: b, RepaidPermille: repaid, VolumePermille: volume, LatePermille: late,
				Window: window, Term: term, Grace: grace}
			if err := p.Validate(); err != nil {
				return usageErrorf("%v", err)
			}
			body := &txpb.Body{Msg: &txpb.Body_RegisterCreditNode{RegisterCreditNode: &txpb.RegisterCreditNode{Node: node.String(), Token: string(t.ID),
				Params: &txpb.CreditParams{Cap: c.String(), Base: b.String(), RepaidPermille: repaid, VolumePermille: volume, LatePermille: late,
					WindowSeconds: int64(window / time.Second), TermSeconds: int64(term / time.Second), GraceSeconds: int64(grace / time.Second)}}}}
			rc, err := g.submit(cmd, from, body)
			if err != nil {
				return err
			}
			return g.printReceipt(cmd, rc, fmt.Sprintf("%s is a credit node lending %s; its pool is %s", node, t.ID, attr(rc, "credit.node", "pool")))
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "operator", "operator: key name")
	f.StringVar(&token, "token", "", "the token the node lends")
	f.StringVar(&capS, "cap", "", "the most a payer may owe the node")
	f.StringVar(&base, "base", "0", "a new payer's limit")
	f.Uint32Var(&repaid, "repaid-permille", 500, "share of on-time repayments added to the limit")
	f.Uint32Var(&volume, "volume-permille", 100, "share of the payee's credit volume added to the limit")
	f.Uint32Var(&late, "late-permille", 1000, "share of late repayments taken off the limit")
	f.DurationVar(&window, "window", 90*24*time.Hour, "the window repayments and volume count over")
	f.DurationVar(&term, "term", 30*24*time.Hour, "how long after payment a debt falls due")
	f.DurationVar(&grace, "grace", 7*24*time.Hour, "how long past due a debt may be before it is a default")
	required(cmd, "token", "cap")
	return cmd
}

func creditNodeFundCmd(g *globals) *cobra.Command {
	var from, amount string
	cmd := &cobra.Command{
		Use:   "fund --from NODE --amount DEC",
		Short: "Move the node's coins into its pool",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			node, err := g.lookup(from)
			if err != nil {
				return &usageError{err}
			}
			_, t, amt, err := g.nodeToken(node, amount)
			if err != nil {
				return err
			}
			ctx, cancel := context60()
			defer cancel()
			inputs, _, err := g.selectCoins(ctx, node, t, amt)
			if err != nil {
				return err
			}
			rc, err := g.submit(cmd, from, &txpb.Body{Msg: &txpb.Body_CreditFund{CreditFund: &txpb.CreditFund{Inputs: inputs, Amount: amt.String()}}})
			if err != nil {
				return err
			}
			return g.printReceipt(cmd, rc, fmt.Sprintf("funded %s %s; the pool holds %s units", amt.FormatFixed(t.Decimals), t.Symbol, attr(rc, "credit.funded", "pool")))
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the node: key name")
	cmd.Flags().StringVar(&amount, "amount", "", "amount in units of the node's token")
	required(cmd, "from", "amount")
	return cmd
}

func creditNodeShowCmd(g *globals) *cobra.Command {
	return accountViewCmd(g, "show NODE", "Show a credit node: parameters, pool, books", (*client.Client).CreditNode,
		func(w io.Writer, _ ledger.Address, n *client.CreditNode) {
			p := n.Params
			fmt.Fprintf(w, "node         %s\ntoken        %s\npool         %s\nbalance      %s\nfunded       %s\npaid         %s\nrepaid       %s\noutstanding  %s\n",
				n.Node, n.Token, n.Pool, n.Balance.Amount, n.Funded.Amount, n.Paid.Amount, n.Repaid.Amount, n.Outstanding.Amount)
			fmt.Fprintf(w, "limit        min(%s, %s + %d‰ on-time repaid + %d‰ payee volume − %d‰ late repaid) over %s\nterm         %s, grace %s\n",
				p.Cap.Amount, p.Base.Amount, p.RepaidPermille, p.VolumePermille, p.LatePermille, p.Window, p.Term, p.Grace)
		})
}

func creditLineSetCmd(g *globals) *cobra.Command {
	var from, node, payer, amount string
	cmd := &cobra.Command{
		Use:   "set --from PAYEE --node NODE --payer PAYER --amount DEC",
		Short: "Grant PAYER a credit line of --amount through NODE (0 withdraws it)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := g.lookup(node)
			if err != nil {
				return &usageError{err}
			}
			p, err := g.lookup(payer)
			if err != nil {
				return &usageError{err}
			}
			_, t, amt, err := g.nodeToken(n, amount)
			if err != nil {
				return err
			}
			rc, err := g.submit(cmd, from, &txpb.Body{Msg: &txpb.Body_SetCreditLine{SetCreditLine: &txpb.SetCreditLine{
				Node: n.String(), Payer: p.String(), Amount: amt.String()}}})
			if err != nil {
				return err
			}
			return g.printReceipt(cmd, rc, fmt.Sprintf("%s grants %s a credit line of %s %s through %s", from, p, amt.FormatFixed(t.Decimals), t.Symbol, n))
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "the payee: key name")
	f.StringVar(&node, "node", "", "the credit node: address or key name")
	f.StringVar(&payer, "payer", "", "the payer: address or key name")
	f.StringVar(&amount, "amount", "", "the line, in units of the node's token")
	required(cmd, "from", "node", "payer", "amount")
	return cmd
}

func creditRequestCmd(g *globals) *cobra.Command {
	var from, node, payee, amount, description, document string
	var within time.Duration
	cmd := &cobra.Command{
		Use:   "request --from PAYER --node NODE --to PAYEE --amount DEC --description TEXT --document FILE",
		Short: "Ask NODE to pay PAYEE on your credit for an object of trade; the payee must confirm within --within",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := g.lookup(node)
			if err != nil {
				return &usageError{err}
			}
			to, err := g.lookup(payee)
			if err != nil {
				return &usageError{err}
			}
			doc, err := os.ReadFile(document)
			if err != nil {
				return usageErrorf("--document: %v", err)
			}
			if within <= 0 || within > credit.MaxDeadline {
				return usageErrorf("--within %s: want more than 0 and at most %s", within, credit.MaxDeadline)
			}
			_, t, amt, err := g.nodeToken(n, amount)
			if err != nil {
				return err
			}
			hash := sha256.Sum256(doc)
			rc, err := g.submit(cmd, from, &txpb.Body{Msg: &txpb.Body_CreditRequest{CreditRequest: &txpb.CreditRequest{
				Node: n.String(), Payee: to.String(), Token: string(t.ID), Amount: amt.String(), Description: description,
				DocumentHash: hash[:], Deadline: time.Now().Add(within).Unix()}}})
			if err != nil {
				return err
			}
			return g.printReceipt(cmd, rc, fmt.Sprintf("requested %s %s for %s from %s (document %s); the payee confirms with: peg credit confirm %s --from <payee>",
				amt.FormatFixed(t.Decimals), t.Symbol, to, n, hex.EncodeToString(hash[:8]), rc.TxID))
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "the payer: key name")
	f.StringVar(&node, "node", "", "the credit node: address or key name")
	f.StringVar(&payee, "to", "", "the payee: address or key name")
	f.StringVar(&amount, "amount", "", "amount in units of the node's token")
	f.StringVar(&description, "description", "", "the object of trade")
	f.StringVar(&document, "document", "", "the trade document, whose SHA-256 goes on chain")
	f.DurationVar(&within, "within", time.Hour, "how long the payee has to confirm")
	required(cmd, "from", "node", "to", "amount", "description", "document")
	return cmd
}

// creditStepCmd is confirm or receipt: a step the payee takes on a request.
func creditStepCmd(g *globals, step, party string) *cobra.Command {
	var from string
	short := map[string]string{
		"confirm": "Accept credit from the payer for REQUEST: the ledger checks the limits and pays you from the node's pool",
		"receipt": "Confirm that REQUEST's payment arrived: the payer is told the credit payment succeeded",
	}[step]
	cmd := &cobra.Command{
		Use:   step + " REQUEST --from " + party,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := ledger.ParseTxID(args[0])
			if err != nil {
				return usageErrorf("REQUEST: %v", err)
			}
			body := &txpb.Body{Msg: &txpb.Body_CreditConfirm{CreditConfirm: &txpb.CreditConfirm{Request: id[:]}}}
			summary := "paid: request %s, due %s"
			if step == "receipt" {
				body = &txpb.Body{Msg: &txpb.Body_CreditReceipt{CreditReceipt: &txpb.CreditReceipt{Request: id[:]}}}
				summary = "receipt confirmed: request %s%s"
			}
			rc, err := g.submit(cmd, from, body)
			if err != nil {
				return err
			}
			return g.printReceipt(cmd, rc, fmt.Sprintf(summary, id, eventTime(attr(rc, "credit.paid", "due"))))
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the "+party+": key name")
	required(cmd, "from")
	return cmd
}

func creditRepayCmd(g *globals) *cobra.Command {
	var from, amount string
	cmd := &cobra.Command{
		Use:   "repay REQUEST --from PAYER [--amount DEC]",
		Short: "Repay REQUEST's debt into the node's pool: --amount, or all it owes",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := ledger.ParseTxID(args[0])
			if err != nil {
				return usageErrorf("REQUEST: %v", err)
			}
			payer, err := g.lookup(from)
			if err != nil {
				return &usageError{err}
			}
			ctx, cancel := context60()
			defer cancel()
			req, err := g.client().CreditRequest(ctx, id)
			if err != nil {
				return err
			}
			t, amt, err := g.tokenAmount(ctx, req.Token, amount)
			if err != nil {
				return err
			}
			if amount == "" {
				amt = req.Owed.Units
			}
			inputs, _, err := g.selectCoins(ctx, payer, t, amt)
			if err != nil {
				return err
			}
			rc, err := g.submit(cmd, from, &txpb.Body{Msg: &txpb.Body_CreditRepay{CreditRepay: &txpb.CreditRepay{
				Request: id[:], Inputs: inputs, Amount: amt.String()}}})
			if err != nil {
				return err
			}
			owed, _ := money.ParseUnits(attr(rc, "credit.repaid", "owed"))
			late := ""
			if attr(rc, "credit.repaid", "late") == "true" {
				late = ", late"
			}
			return g.printReceipt(cmd, rc, fmt.Sprintf("repaid %s %s of request %s%s; %s %s still owed",
				amt.FormatFixed(t.Decimals), t.Symbol, id, late, owed.FormatFixed(t.Decimals), t.Symbol))
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the payer: key name")
	cmd.Flags().StringVar(&amount, "amount", "", "amount to repay (default: all the request owes)")
	required(cmd, "from")
	return cmd
}

func creditLimitCmd(g *globals) *cobra.Command {
	var node, payer, payee string
	cmd := &cobra.Command{
		Use:   "limit --node NODE --payer PAYER --payee PAYEE",
		Short: "What NODE's limit and PAYEE's line allow PAYER now",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var addrs [3]ledger.Address
			for i, s := range []string{node, payer, payee} {
				a, err := g.lookup(s)
				if err != nil {
					return &usageError{err}
				}
				addrs[i] = a
			}
			ctx, cancel := context60()
			defer cancel()
			l, err := g.client().CreditLimit(ctx, addrs[0], addrs[1], addrs[2])
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), l, func(w io.Writer) {
				fmt.Fprintf(w, "node limit   %s (owed %s, held for other regions %s)\nline         %s (owed %s)\navailable    %s\nin default   %v\n",
					l.Limit.Amount, l.Owed.Amount, l.Held.Amount, l.Line.Amount, l.LineOwed.Amount, l.Available.Amount, l.InDefault)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&node, "node", "", "the credit node")
	f.StringVar(&payer, "payer", "", "the payer")
	f.StringVar(&payee, "payee", "", "the payee")
	required(cmd, "node", "payer", "payee")
	return cmd
}

func printCreditRequest(w io.Writer, r client.CreditRequest) {
	fmt.Fprintf(w, "request      %s\nstatus       %s\npayer        %s\npayee        %s\nnode         %s\namount       %s %s\nfor          %s (document %s)\n",
		r.ID, r.Status, r.Payer, r.Payee, r.Node, r.Amount.Amount, r.Token, r.Description, r.DocumentHash)
	if r.Due != nil {
		fmt.Fprintf(w, "due          %s\nowed         %s\nrepaid       %s\n", r.Due.Format(time.RFC3339), r.Owed.Amount, r.Repaid.Amount)
	} else {
		fmt.Fprintf(w, "deadline     %s\n", r.Deadline.Format(time.RFC3339))
	}
	if where := creditWhere(r); where != "" {
		fmt.Fprintf(w, "across       %s\n", where)
	}
}

func creditStatusCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "status REQUEST",
		Short: "Show a credit request and its debt, judged at the latest block",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := ledger.ParseTxID(args[0])
			if err != nil {
				return usageErrorf("REQUEST: %v", err)
			}
			ctx, cancel := context60()
			defer cancel()
			r, err := g.client().CreditRequest(ctx, id)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), r, func(w io.Writer) { printCreditRequest(w, *r) })
		},
	}
}

func creditHistoryCmd(g *globals) *cobra.Command {
	return partyPageCmd(g, "history", "List the credit requests ADDR (address or key name) made or was asked to accept, newest first",
		"requests", api.MaxCreditPage, (*client.Client).CreditHistory, func(h *client.CreditHistory) string { return h.Next },
		func(w io.Writer, a ledger.Address, h *client.CreditHistory, dec map[ledger.TokenID]uint8) {
			if len(h.Requests) == 0 {
				fmt.Fprintf(w, "%s has no credit requests\n", a)
			}
			for _, r := range h.Requests {
				fmt.Fprintf(w, "%s  %-9s %s %s  owed %s  %s\n", r.ID, r.Status, r.Amount.Amount, r.Token, r.Owed.Amount, r.Description)
			}
		})
}

func creditIncreaseCmd(g *globals) *cobra.Command {
	var from, node, amount, document string
	cmd := &cobra.Command{
		Use:   "increase --from PAYER --node NODE --amount DEC --document FILE",
		Short: "Ask NODE for a limit of --amount, with a document proving your ability to repay (its SHA-256 goes on chain)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := g.lookup(node)
			if err != nil {
				return &usageError{err}
			}
			doc, err := os.ReadFile(document)
			if err != nil {
				return usageErrorf("--document: %v", err)
			}
			_, t, amt, err := g.nodeToken(n, amount)
			if err != nil {
				return err
			}
			hash := sha256.Sum256(doc)
			rc, err := g.submit(cmd, from, &txpb.Body{Msg: &txpb.Body_CreditIncrease{CreditIncrease: &txpb.CreditIncrease{
				Node: n.String(), Amount: amt.String(), DocumentHash: hash[:]}}})
			if err != nil {
				return err
			}
			return g.printReceipt(cmd, rc, fmt.Sprintf("asked %s for a limit of %s %s (document %s); the node decides with peg credit decide",
				n, amt.FormatFixed(t.Decimals), t.Symbol, hex.EncodeToString(hash[:8])))
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "the payer: key name")
	f.StringVar(&node, "node", "", "the credit node: address or key name")
	f.StringVar(&amount, "amount", "", "the limit asked for, in units of the node's token")
	f.StringVar(&document, "document", "", "the proof of ability to repay, kept by the node's service")
	required(cmd, "from", "node", "amount", "document")
	return cmd
}

func creditDecideCmd(g *globals) *cobra.Command {
	var from, limit, reason string
	var approve bool
	var valid time.Duration
	cmd := &cobra.Command{
		Use:   "decide PAYER --from NODE (--approve --limit DEC [--valid D] | --reason TEXT)",
		Short: "Approve PAYER's request for a higher limit (a limit up to the cap, for --valid) or decline it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			payer, err := g.lookup(args[0])
			if err != nil {
				return &usageError{err}
			}
			node, err := g.lookup(from)
			if err != nil {
				return &usageError{err}
			}
			if approve == (limit == "") {
				return usageErrorf("--approve needs --limit, and a decline takes none")
			}
			_, t, amt, err := g.nodeToken(node, limit)
			if err != nil {
				return err
			}
			m := &txpb.CreditIncreaseDecision{Payer: payer.String(), Approve: approve, Reason: reason}
			if approve {
				m.Limit, m.Expiry = amt.String(), time.Now().Add(valid).Unix()
			}
			rc, err := g.submit(cmd, from, &txpb.Body{Msg: &txpb.Body_CreditIncreaseDecision{CreditIncreaseDecision: m}})
			if err != nil {
				return err
			}
			summary := fmt.Sprintf("declined %s's request for a higher limit", payer)
			if approve {
				summary = fmt.Sprintf("granted %s a limit of %s %s for %s", payer, amt.FormatFixed(t.Decimals), t.Symbol, valid)
			}
			return g.printReceipt(cmd, rc, summary)
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "the node: key name")
	f.BoolVar(&approve, "approve", false, "approve (default: decline)")
	f.StringVar(&limit, "limit", "", "the limit granted, in units of the node's token")
	f.DurationVar(&valid, "valid", 90*24*time.Hour, "how long the granted limit lasts")
	f.StringVar(&reason, "reason", "", "why, for the record")
	required(cmd, "from")
	return cmd
}
