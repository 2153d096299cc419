package main

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pegledger/peg/internal/api"
	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/trade"
	"github.com/pegledger/peg/internal/tx/txpb"
)

func tradeCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "trade",
		Short: "Trade agreements (S1): offer, counter-offers, a holding pool, settlement or an arbiter's decision",
		Long: `A trade is an agreement between a buyer (the importer) and a seller (the
exporter), each step a signed transaction. One party offers the goods, the
amount and token, the delivery and payment terms, the deadlines and the
arbiter (peg trade offer); the other counters (peg trade counter) or accepts
(peg trade accept), within the operator's trade rules (peg trade rules). The
buyer funds the trade: the coins go into the trade's holding pool, which no
one can spend alone (peg trade fund). The seller ships and presents the
documents (peg trade ship); the buyer confirms (peg trade confirm), and anyone
settles once the payment rule is met (peg trade settle), or a party disputes
(peg trade dispute) and the arbiter resolves (peg trade resolve). A party
cancels an offer, a trade not funded in time, or, as buyer, a trade not
shipped in time, for a refund (peg trade cancel). The buyer, the seller and
the arbiter need registered certificates (peg cert register).`,
	}
	rules := &cobra.Command{Use: "rules", Short: "The chain's trade rules: show, set (operator)"}
	rules.AddCommand(tradeRulesShowCmd(g), tradeRulesSetCmd(g))
	cmd.AddCommand(rules, tradeOfferCmd(g), tradeCounterCmd(g), tradeAcceptCmd(g), tradeFundCmd(g), tradeShipCmd(g),
		tradeStepCmd(g, trade.Confirm), tradeStepCmd(g, trade.Settle), tradeDisputeCmd(g), tradeResolveCmd(g),
		tradeStepCmd(g, trade.Cancel), tradeShowCmd(g), tradeListCmd(g))
	return cmd
}

func tradeArg(s string) (ledger.TxID, error) {
	id, err := ledger.ParseTxID(s)
	if err != nil {
		return id, usageErrorf("TRADE: %v", err)
	}
	return id, nil
}

// fileHash is the SHA-256 of the file at path, for the flag named.
func fileHash(flag, path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usageErrorf("--%s: %v", flag, err)
	}
	h := sha256.Sum256(b)
	return h[:], nil
}

func tradeRulesShowCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "show",
		Short: "Show the chain's trade rules",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context60()
			defer cancel()
			r, err := g.client().TradeRules(ctx)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), r, func(w io.Writer) {
				fmt.Fprintf(w, "counter-offers    at most %d per trade\nversion open     at most %s\n", r.MaxRounds, r.MaxVersionOpen.Text)
				for _, l := range r.Limits {
					fmt.Fprintf(w, "position limit   %s %s per party\n", l.Max.Amount, l.Token)
				}
			})
		},
	}
}

func tradeRulesSetCmd(g *globals) *cobra.Command {
	var from string
	var rounds uint32
	var open time.Duration
	var limits []string
	cmd := &cobra.Command{
		Use:   "set --from operator --limit TOKEN=DEC... [--max-rounds N] [--version-open D]",
		Short: "Set the chain's trade rules: counter-offer rounds, how long a version stays open, position limits (operator)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context60()
			defer cancel()
			rules := trade.Rules{MaxRounds: rounds, MaxVersionOpen: open}
			m := &txpb.SetTradeRules{MaxRounds: rounds, MaxVersionOpenSeconds: int64(open / time.Second)}
			for _, l := range limits {
				tok, dec, ok := strings.Cut(l, "=")
				if !ok {
					return usageErrorf("--limit %q: want TOKEN=DEC", l)
				}
				t, amt, err := g.tokenAmount(ctx, tok, dec)
				if err != nil {
					return err
				}
				rules.Limits = append(rules.Limits, trade.Limit{Token: t.ID, Max: amt})
				m.Limits = append(m.Limits, &txpb.TradeLimit{Token: string(t.ID), Max: amt.String()})
			}
			if err := rules.Validate(); err != nil {
				return usageErrorf("%v", err)
			}
			rc, err := g.submit(cmd, from, &txpb.Body{Msg: &txpb.Body_SetTradeRules{SetTradeRules: m}})
			if err != nil {
				return err
			}
			return g.printReceipt(cmd, rc, fmt.Sprintf("trade rules set: %d counter-offers, versions open %s, %d tokens", rounds, open, len(limits)))
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "operator", "operator: key name")
	f.Uint32Var(&rounds, "max-rounds", 3, "the most counter-offers a trade may see")
	f.DurationVar(&open, "version-open", 72*time.Hour, "the longest a version of an offer may stay open")
	f.StringArrayVar(&limits, "limit", nil, "TOKEN=DEC: a token that may be traded and the most one party may hold in its open trades (repeat, in token order)")
	required(cmd, "limit")
	return cmd
}

// termsFlags are the flags of a version's terms.
type termsFlags struct {
	arbiter, token, amount, description, document, delivery, rule string
	confirm, open, fundBy, shipBy                                 time.Duration
}

func (t *termsFlags) add(cmd *cobra.Command, counter bool) {
	f := cmd.Flags()
	keep := ""
	if counter {
		keep = " (default: the latest version's)"
	}
	f.StringVar(&t.arbiter, "arbiter", "", "the arbiter who decides a dispute: address or key name"+keep)
	f.StringVar(&t.token, "token", "", "the token of payment"+keep)
	f.StringVar(&t.amount, "amount", "", "the price, in units of the token"+keep)
	f.StringVar(&t.description, "description", "", "the goods"+keep)
	f.StringVar(&t.document, "document", "", "the goods' document (contract, pro-forma invoice), whose SHA-256 goes on chain"+keep)
	f.StringVar(&t.delivery, "delivery", "", "the delivery terms, e.g. \"FOB Shanghai\""+keep)
	f.StringVar(&t.rule, "payment-rule", string(trade.RuleConfirmation), "confirmation (documents and the buyer's confirmation, or the window passing) or documents")
	f.DurationVar(&t.confirm, "confirm-window", 72*time.Hour, "how long after shipment the buyer may confirm or dispute")
	f.DurationVar(&t.open, "open", 24*time.Hour, "how long from now this version may be accepted")
	f.DurationVar(&t.fundBy, "fund-by", 48*time.Hour, "how long from now the buyer has to fund")
	f.DurationVar(&t.shipBy, "ship-by", 30*24*time.Hour, "how long from now the seller has to ship")
}

// terms builds a version's terms from the flags, over the latest terms of a
// trade being countered (nil for an offer).
func (t *termsFlags) terms(g *globals, cmd *cobra.Command, latest *client.TradeTerms) (*txpb.TradeTerms, error) {
	ctx, cancel := context60()
	defer cancel()
	v := &txpb.TradeTerms{Description: t.description, Token: t.token, Delivery: t.delivery, PaymentRule: t.rule,
		ConfirmSeconds: int64(t.confirm / time.Second)}
	amount := t.amount
	if latest != nil {
		set := cmd.Flags().Changed
		keep := func(flag string, dst *string, was string) {
			if !set(flag) {
				*dst = was
			}
		}
		keep("description", &v.Description, latest.Description)
		keep("token", &v.Token, latest.Token)
		keep("delivery", &v.Delivery, latest.Delivery)
		keep("payment-rule", &v.PaymentRule, latest.PaymentRule)
		keep("amount", &amount, latest.Amount.Amount)
		if !set("confirm-window") {
			v.ConfirmSeconds = latest.ConfirmWindow.Seconds
		}
		if !set("arbiter") {
			t.arbiter = latest.Arbiter
		}
	}
	if _, err := trade.ParsePaymentRule(v.PaymentRule); err != nil {
		return nil, usageErrorf("--payment-rule: %v", err)
	}
	arb, err := g.lookup(t.arbiter)
	if err != nil {
		return nil, &usageError{err}
	}
	tok, amt, err := g.tokenAmount(ctx, v.Token, amount)
	if err != nil {
		return nil, err
	}
	v.Token, v.Amount, v.Arbiter = string(tok.ID), amt.String(), arb.String()
	switch {
	case t.document != "":
		if v.DocumentHash, err = fileHash("document", t.document); err != nil {
			return nil, err
		}
	case latest != nil:
		h, err := ledger.ParseTxID(latest.DocumentHash)
		if err != nil {
			return nil, err
		}
		v.DocumentHash = h[:]
	default:
		return nil, usageErrorf("--document is required")
	}
	now := time.Now()
	v.Expires, v.FundBy, v.ShipBy = now.Add(t.open).Unix(), now.Add(t.fundBy).Unix(), now.Add(t.shipBy).Unix()
	return v, nil
}

func tradeOfferCmd(g *globals) *cobra.Command {
	var from, buyer, seller string
	var tf termsFlags
	cmd := &cobra.Command{
		Use:   "offer --from PARTY --buyer B --seller S --arbiter A --token ID --amount DEC --description TEXT --document FILE --delivery TEXT",
		Short: "Offer a trade: the first version of its terms, by its buyer or its seller",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var parties [2]ledger.Address
			for i, s := range []string{buyer, seller} {
				a, err := g.lookup(s)
				if err != nil {
					return &usageError{err}
				}
				parties[i] = a
			}
			terms, err := tf.terms(g, cmd, nil)
			if err != nil {
				return err
			}
			rc, err := g.submit(cmd, from, &txpb.Body{Msg: &txpb.Body_TradeOffer{TradeOffer: &txpb.TradeOffer{
				Buyer: parties[0].String(), Seller: parties[1].String(), Terms: terms}}})
			if err != nil {
				return err
			}
			return g.printReceipt(cmd, rc, fmt.Sprintf("offered trade %s: %s %s from %s to %s, open until %s; the other party accepts with: peg trade accept %s",
				rc.TxID, tf.amount, terms.Token, parties[1], parties[0], eventTime(attr(rc, "trade.offered", "expires")), rc.TxID))
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "the party making the offer (the buyer or the seller): key name")
	f.StringVar(&buyer, "buyer", "", "the buyer (importer): address or key name")
	f.StringVar(&seller, "seller", "", "the seller (exporter): address or key name")
	tf.add(cmd, false)
	required(cmd, "from", "buyer", "seller", "arbiter", "token", "amount", "description", "document", "delivery")
	return cmd
}

// latestTrade reads trade id.
func (g *globals) latestTrade(id ledger.TxID) (*client.Trade, error) {
	ctx, cancel := context60()
	defer cancel()
	return g.client().Trade(ctx, id)
}

func tradeCounterCmd(g *globals) *cobra.Command {
	var from string
	var tf termsFlags
	cmd := &cobra.Command{
		Use:   "counter TRADE --from PARTY [--amount DEC] [terms...]",
		Short: "Counter the latest version of TRADE with new terms (those not given are kept; the deadlines restart from now)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := tradeArg(args[0])
			if err != nil {
				return err
			}
			t, err := g.latestTrade(id)
			if err != nil {
				return err
			}
			terms, err := tf.terms(g, cmd, &t.Terms)
			if err != nil {
				return err
			}
			n := t.Versions[len(t.Versions)-1].N
			rc, err := g.submit(cmd, from, &txpb.Body{Msg: &txpb.Body_TradeCounter{TradeCounter: &txpb.TradeCounter{Trade: id[:], Version: n, Terms: terms}}})
			if err != nil {
				return err
			}
			tok, err := g.tradeToken(terms.Token)
			if err != nil {
				return err
			}
			return g.printReceipt(cmd, rc, fmt.Sprintf("countered trade %s: version %s, %s", id, attr(rc, "trade.countered", "version"), unitsText(tok, terms.Amount)))
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the party answering: key name")
	tf.add(cmd, true)
	required(cmd, "from")
	return cmd
}

func tradeAcceptCmd(g *globals) *cobra.Command {
	var from string
	var version uint32
	cmd := &cobra.Command{
		Use:   "accept TRADE --from PARTY [--version N]",
		Short: "Accept TRADE's latest version (or --version, which must be the latest)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := tradeArg(args[0])
			if err != nil {
				return err
			}
			if version == 0 {
				t, err := g.latestTrade(id)
				if err != nil {
					return err
				}
				version = t.Versions[len(t.Versions)-1].N
			}
			rc, err := g.submit(cmd, from, &txpb.Body{Msg: &txpb.Body_TradeAccept{TradeAccept: &txpb.TradeAccept{Trade: id[:], Version: version}}})
			if err != nil {
				return err
			}
			return g.printReceipt(cmd, rc, fmt.Sprintf("accepted version %d of trade %s; the buyer funds it by %s", version, id,
				eventTime(attr(rc, "trade.accepted", "fund_by"))))
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the party accepting: key name")
	cmd.Flags().Uint32Var(&version, "version", 0, "the version accepted (default: the latest)")
	required(cmd, "from")
	return cmd
}

func tradeFundCmd(g *globals) *cobra.Command {
	var from string
	cmd := &cobra.Command{
		Use:   "fund TRADE --from BUYER",
		Short: "Move the trade's amount of your coins into its holding pool",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := tradeArg(args[0])
			if err != nil {
				return err
			}
			buyer, err := g.lookup(from)
			if err != nil {
				return &usageError{err}
			}
			t, err := g.latestTrade(id)
			if err != nil {
				return err
			}
			ctx, cancel := context60()
			defer cancel()
			tok, _, err := g.tokenAmount(ctx, t.Terms.Token, "")
			if err != nil {
				return err
			}
			amt := t.Terms.Amount.Units
			inputs, _, err := g.selectCoins(ctx, buyer, tok, amt)
			if err != nil {
				return err
			}
			rc, err := g.submit(cmd, from, &txpb.Body{Msg: &txpb.Body_TradeFund{TradeFund: &txpb.TradeFund{Trade: id[:], Token: string(tok.ID),
				Inputs: inputs, Amount: amt.String()}}})
			if err != nil {
				return err
			}
			return g.printReceipt(cmd, rc, fmt.Sprintf("funded trade %s: %s %s in its pool %s; the seller ships by %s", id,
				amt.FormatFixed(tok.Decimals), tok.Symbol, t.Pool, eventTime(attr(rc, "trade.funded", "ship_by"))))
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the buyer: key name")
	required(cmd, "from")
	return cmd
}

func tradeShipCmd(g *globals) *cobra.Command {
	var from, invoice, bl string
	cmd := &cobra.Command{
		Use:   "ship TRADE --from SELLER --invoice FILE --bill-of-lading FILE",
		Short: "Present the shipping documents (their SHA-256 go on chain)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := tradeArg(args[0])
			if err != nil {
				return err
			}
			inv, err := fileHash("invoice", invoice)
			if err != nil {
				return err
			}
			lading, err := fileHash("bill-of-lading", bl)
			if err != nil {
				return err
			}
			rc, err := g.submit(cmd, from, &txpb.Body{Msg: &txpb.Body_TradeShip{TradeShip: &txpb.TradeShip{Trade: id[:], InvoiceHash: inv, BillOfLadingHash: lading}}})
			if err != nil {
				return err
			}
			return g.printReceipt(cmd, rc, fmt.Sprintf("shipped trade %s; the buyer confirms or disputes by %s", id, eventTime(attr(rc, "trade.shipped", "confirm_by"))))
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "the seller: key name")
	f.StringVar(&invoice, "invoice", "", "the commercial invoice")
	f.StringVar(&bl, "bill-of-lading", "", "the bill of lading")
	required(cmd, "from", "invoice", "bill-of-lading")
	return cmd
}

// tradeStepCmd is confirm, settle or cancel: a step that names only the trade.
func tradeStepCmd(g *globals, step trade.Step) *cobra.Command {
	var from string
	short := map[trade.Step]string{
		trade.Confirm: "Confirm, as the buyer, that the goods arrived as agreed",
		trade.Settle:  "Release the pool to the seller once the payment rule is met (anyone may)",
		trade.Cancel:  "Cancel an offer, a trade not funded by its fund_by, or (buyer) one not shipped by its ship_by, for a refund",
	}[step]
	cmd := &cobra.Command{
		Use:   string(step) + " TRADE --from KEY",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := tradeArg(args[0])
			if err != nil {
				return err
			}
			var body *txpb.Body
			var summary string
			switch step {
			case trade.Confirm:
				body, summary = &txpb.Body{Msg: &txpb.Body_TradeConfirm{TradeConfirm: &txpb.TradeConfirm{Trade: id[:]}}}, "confirmed trade %s%s"
			case trade.Settle:
				body, summary = &txpb.Body{Msg: &txpb.Body_TradeSettle{TradeSettle: &txpb.TradeSettle{Trade: id[:]}}}, "settled trade %s: %s to the seller"
			default:
				body, summary = &txpb.Body{Msg: &txpb.Body_TradeCancel{TradeCancel: &txpb.TradeCancel{Trade: id[:]}}}, "cancelled trade %s: %s"
			}
			rc, err := g.submit(cmd, from, body)
			if err != nil {
				return err
			}
			detail := map[trade.Step]string{trade.Cancel: attr(rc, "trade.cancelled", "state")}[step]
			if step == trade.Settle {
				t, err := g.latestTrade(id)
				if err != nil {
					return err
				}
				tok, err := g.tradeToken(t.Terms.Token)
				if err != nil {
					return err
				}
				detail = unitsText(tok, attr(rc, "trade.settled", "amount"))
			}
			return g.printReceipt(cmd, rc, fmt.Sprintf(summary, id, detail))
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the signer: key name")
	required(cmd, "from")
	return cmd
}

func tradeDisputeCmd(g *globals) *cobra.Command {
	var from, reason, evidence string
	cmd := &cobra.Command{
		Use:   "dispute TRADE --from PARTY --reason TEXT --evidence FILE",
		Short: "Put TRADE before its arbiter (its SHA-256 of the evidence goes on chain)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := tradeArg(args[0])
			if err != nil {
				return err
			}
			ev, err := fileHash("evidence", evidence)
			if err != nil {
				return err
			}
			rc, err := g.submit(cmd, from, &txpb.Body{Msg: &txpb.Body_TradeDispute{TradeDispute: &txpb.TradeDispute{Trade: id[:], Reason: reason, EvidenceHash: ev}}})
			if err != nil {
				return err
			}
			return g.printReceipt(cmd, rc, fmt.Sprintf("disputed trade %s; the arbiter %s decides", id, attr(rc, "trade.disputed", "arbiter")))
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "the buyer or the seller: key name")
	f.StringVar(&reason, "reason", "", "why")
	f.StringVar(&evidence, "evidence", "", "the evidence")
	required(cmd, "from", "reason", "evidence")
	return cmd
}

func tradeResolveCmd(g *globals) *cobra.Command {
	var from, toSeller, reason string
	cmd := &cobra.Command{
		Use:   "resolve TRADE --from ARBITER --to-seller DEC --reason TEXT",
		Short: "Decide a disputed trade: --to-seller of the pool to the seller, the rest back to the buyer",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := tradeArg(args[0])
			if err != nil {
				return err
			}
			t, err := g.latestTrade(id)
			if err != nil {
				return err
			}
			ctx, cancel := context60()
			defer cancel()
			tok, _, err := g.tokenAmount(ctx, t.Terms.Token, "")
			if err != nil {
				return err
			}
			amt, err := money.Parse(toSeller, tok.Decimals)
			if err != nil {
				return usageErrorf("--to-seller %q: %v", toSeller, err)
			}
			rc, err := g.submit(cmd, from, &txpb.Body{Msg: &txpb.Body_TradeResolve{TradeResolve: &txpb.TradeResolve{Trade: id[:],
				SellerAmount: amt.String(), Reason: reason}}})
			if err != nil {
				return err
			}
			refunded, _ := money.ParseUnits(attr(rc, "trade.resolved", "refunded"))
			return g.printReceipt(cmd, rc, fmt.Sprintf("resolved trade %s: %s %s to the seller, %s %s back to the buyer", id,
				amt.FormatFixed(tok.Decimals), tok.Symbol, refunded.FormatFixed(tok.Decimals), tok.Symbol))
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "the arbiter: key name")
	f.StringVar(&toSeller, "to-seller", "", "what the seller is paid from the pool")
	f.StringVar(&reason, "reason", "", "the decision's reason")
	required(cmd, "from", "to-seller", "reason")
	return cmd
}

// tradeToken reads the token a trade's amounts are of, for their text.
func (g *globals) tradeToken(id string) (*client.Token, error) {
	ctx, cancel := context60()
	defer cancel()
	tok, _, err := g.tokenAmount(ctx, id, "")
	return tok, err
}

// unitsText writes units, an amount in minor units as a transaction or an
// event carries it, with every decimal of tok and its symbol.
func unitsText(tok *client.Token, units string) string {
	a, err := money.ParseUnits(units)
	if err != nil {
		return units + " units of " + string(tok.ID)
	}
	return a.FormatFixed(tok.Decimals) + " " + tok.Symbol
}

func printTrade(w io.Writer, t *client.Trade, tok *client.Token) {
	x := t.Terms
	amt := func(v client.Value) string { return tokenText(v, tok.Decimals) + " " + tok.Symbol }
	fmt.Fprintf(w, "trade        %s\nstatus       %s\nbuyer        %s\nseller       %s\narbiter      %s\ngoods        %s (document %s)\n",
		t.ID, t.Status, t.Buyer, t.Seller, x.Arbiter, x.Description, x.DocumentHash)
	rounds := fmt.Sprintf("%d counter-offers", len(t.Versions)-1)
	if len(t.Versions) == 2 {
		rounds = "1 counter-offer"
	}
	fmt.Fprintf(w, "amount       %s\ndelivery     %s\npayment      %s (confirmation window %s)\nversion      %d (%s)\n",
		amt(x.Amount), x.Delivery, x.PaymentRule, x.ConfirmWindow.Text, t.Versions[len(t.Versions)-1].N, rounds)
	fmt.Fprintf(w, "deadlines    expires %s, fund by %s, ship by %s\n", x.Expires.Format(time.RFC3339), x.FundBy.Format(time.RFC3339), x.ShipBy.Format(time.RFC3339))
	fmt.Fprintf(w, "pool         %s holds %s (funded %s, released %s, refunded %s)\n", t.Pool, amt(t.Held), amt(t.Funded), amt(t.Released), amt(t.Refunded))
	if t.Invoice != "" {
		fmt.Fprintf(w, "documents    invoice %s, bill of lading %s\n", t.Invoice, t.BillOfLading)
	}
	if d := t.Dispute; d != nil {
		fmt.Fprintf(w, "dispute      by %s: %s\n", d.By, d.Reason)
	}
	for _, m := range t.Movements {
		fmt.Fprintf(w, "movement     %-8s %s %s → %s in %s (coin %s, issuance %s)\n", m.Step, amt(m.Amount), m.From, m.To, m.TxID, m.Coin, m.Issuance)
	}
}

func tradeShowCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "show TRADE",
		Short: "Show a trade: its terms and versions, its pool and every money movement, judged at the latest block",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := tradeArg(args[0])
			if err != nil {
				return err
			}
			t, err := g.latestTrade(id)
			if err != nil {
				return err
			}
			tok, err := g.tradeToken(t.Terms.Token)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), t, func(w io.Writer) { printTrade(w, t, tok) })
		},
	}
}

func tradeListCmd(g *globals) *cobra.Command {
	return partyPageCmd(g, "list", "List the trades naming ADDR (address or key name), newest first, and what it holds in open trades",
		"trades", api.MaxTradesPage, (*client.Client).Trades, func(l *client.TradeList) string { return l.Next },
		func(w io.Writer, a ledger.Address, l *client.TradeList, dec map[ledger.TokenID]uint8) {
			fmt.Fprintf(w, "%s is in %d open trades\n", a, l.Open)
			for _, p := range l.Positions {
				fmt.Fprintf(w, "  holds %s %s in open trades\n", tokenText(p.Held, dec[ledger.TokenID(p.Token)]), p.Token)
			}
			for _, t := range l.Trades {
				fmt.Fprintf(w, "%s  %-9s %s %s  %s\n", t.ID, t.Status, tokenText(t.Terms.Amount, dec[ledger.TokenID(t.Terms.Token)]), t.Terms.Token, t.Terms.Description)
			}
		})
}
