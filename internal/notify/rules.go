package notify

import (
	"strings"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

// role is one account an event names, by the attribute that names it, and
// what the event means for it.
type role struct {
	attr string // the attribute holding the account
	typ  string // the notification's type
	// action is what the account has to do, with the attribute naming its
	// deadline ("" for none); empty for an event that only informs.
	action, deadline string
	// proposal marks an offer or counter-offer: its "by", who made it, has
	// nothing to answer.
	proposal bool
	// list marks an attribute naming several accounts, joined by commas (a
	// mint request's endorsers).
	list bool
}

// names reports whether r's attribute names acct.
func (r role) names(attrs map[string]string, acct string) bool {
	v := attrs[r.attr]
	if !r.list {
		return v == acct
	}
	for a := range strings.SplitSeq(v, ",") {
		if a == acct {
			return true
		}
	}
	return false
}

// act is a role that needs its account.
func act(attr, typ, action, deadline string) role {
	return role{attr: attr, typ: typ, action: action, deadline: deadline}
}

// info is a role that only informs its account, under the event's own type.
func info(attr string) role { return role{attr: attr} }

// roles lists, for each event type that concerns an account, the accounts it
// names in order. The first role that names the account decides.
var roles = map[string][]role{
	"mint":              {{attr: "to", typ: "coin.minted"}},
	"seize":             {{attr: "holder", typ: "coin.seized"}},
	"approval":          {{attr: "spender", typ: "approval.granted"}},
	"owner.proposed":    {act("proposed", "token.to_accept_ownership", "accept the token's ownership (peg token accept-owner)", "")},
	"account.frozen":    {info("account")},
	"account.unfrozen":  {info("account")},
	"alias.registered":  {info("account")},
	"alias.revoked":     {info("account")},
	"transfer.in":       {{attr: "payee", typ: "transfer.delivered"}},
	"transfer.returned": {info("payer"), info("payee")},
	"transfer.refunded": {info("payer")},
	"transfer.acked":    {info("payer")},
	"credit.line":       {info("payer")},
	"credit.requested": {
		act("payee", "credit.to_confirm", "confirm the credit payment (peg credit confirm)", "deadline"),
		info("payer"), info("node"),
	},
	"credit.paid": {
		act("payer", "credit.to_repay", "repay the credit payment (peg credit repay)", "due"),
		act("payee", "credit.to_acknowledge", "confirm the payment arrived (peg credit receipt)", ""),
		info("node"),
	},
	"credit.received":         {info("payer"), info("node")},
	"credit.repaid":           {info("node"), info("payee")},
	"credit.increase":         {act("node", "credit.to_decide", "decide on the higher limit (peg credit decide)", ""), info("payer")},
	"credit.increase.decided": {info("payer")},
	"trade.offered":           tradeAnswer,
	"trade.countered":         tradeAnswer,
	"trade.accepted":          {act("buyer", "trade.to_fund", "fund the trade (peg trade fund)", "fund_by"), info("seller")},
	"trade.funded":            {act("seller", "trade.to_ship", "ship and record the documents (peg trade ship)", "ship_by"), info("buyer")},
	"trade.shipped":           {act("buyer", "trade.to_confirm", "confirm the goods arrived or dispute (peg trade confirm, peg trade dispute)", "confirm_by"), info("seller")},
	"trade.confirmed":         {act("seller", "trade.to_settle", "settle to release the payment (peg trade settle)", ""), info("buyer")},
	"trade.settled":           {info("buyer"), info("seller")},
	"trade.disputed":          {act("arbiter", "trade.to_resolve", "resolve the dispute (peg trade resolve)", ""), info("buyer"), info("seller")},
	"trade.resolved":          {info("buyer"), info("seller")},
	"trade.cancelled":         {info("buyer"), info("seller")},
	// A mint request's minter is named first: a policy may name it among the
	// endorsers, yet it may not endorse its own request.
	"mint_request.opened": {
		info("minter"),
		{attr: "endorsers", list: true, typ: "mint_request.to_endorse", action: "endorse the mint request before it lapses (peg endorse approve)", deadline: "deadline"},
	},
	"mint_request.endorsed":  mintRequestNews,
	"mint_request.executed":  mintRequestNews,
	"mint_request.refused":   mintRequestNews,
	"mint_request.cancelled": mintRequestNews,
}

// mintRequestNews is who hears of a mint request's progress and close: its
// minter and its endorsers, whose request it is.
var mintRequestNews = []role{info("minter"), {attr: "endorsers", list: true}}

// tradeAnswer is who an offer or a counter-offer concerns: the party that
// did not make it answers by the version's expiry.
var tradeAnswer = []role{answer("buyer"), answer("seller"), info("arbiter")}

// answer is a party's role in an offer or a counter-offer.
func answer(attr string) role {
	r := act(attr, "trade.to_answer", "accept, counter or let the offer lapse (peg trade accept, peg trade counter)", "expires")
	r.proposal = true
	return r
}

// lowFee are the fee account statuses that ask for a deposit.
var lowFee = map[string]bool{"LOW": true, "EXHAUSTED": true, "EXPIRED": true}

// judge says whether an event with attrs concerns acct and how, given the
// other events of its receipt.
func judge(acct, typ string, attrs map[string]string, receipt []ledger.Event) (client.Notification, bool) {
	switch typ {
	case "spend_from":
		if attrs["owner"] == acct {
			// Its coins were spent on its behalf, within its approval.
			return client.Notification{Type: typ}, true
		}
		return received(acct, attrs, receipt)
	case "pay":
		return received(acct, attrs, receipt)
	case "fee.status":
		if attrs["account"] != acct {
			return client.Notification{}, false
		}
		if lowFee[attrs["to"]] {
			return client.Notification{Type: "fee.to_deposit", NeedsYou: true, Action: "deposit fees (peg fee deposit)"}, true
		}
		return client.Notification{Type: typ}, true
	}
	for _, r := range roles[typ] {
		if !r.names(attrs, acct) {
			continue
		}
		switch {
		case r.proposal && attrs["by"] == acct:
			// The party that made an offer has nothing to answer.
			return client.Notification{Type: typ}, true
		case r.action == "" && r.typ != "":
			return client.Notification{Type: r.typ}, true
		case r.action == "":
			return client.Notification{Type: typ}, true
		}
		n := client.Notification{Type: r.typ, NeedsYou: true, Action: r.action}
		if d := attrs[r.deadline]; r.deadline != "" && d != "" {
			n.Action += " by " + d
		}
		return n, true
	}
	return client.Notification{}, false
}

// received is a payment's notification for a payee: acct received some of
// the payment's new coins without being who paid (from, or the owner whose
// coins a spender moved), which would make them its change. The amount it
// received, in the token's units, is added to the attributes as "received".
func received(acct string, attrs map[string]string, receipt []ledger.Event) (client.Notification, bool) {
	if attrs["from"] == acct || attrs["owner"] == acct {
		return client.Notification{}, false
	}
	var sum money.Amount
	got := false
	for _, e := range receipt {
		if e.Type != "coin.created" || attr(e, "owner") != acct {
			continue
		}
		a, err := money.ParseUnits(attr(e, "amount"))
		if err != nil {
			continue // the ledger writes amounts it parsed; none is malformed
		}
		if s, ok := sum.Add(a); ok {
			sum, got = s, true
		}
	}
	if !got {
		return client.Notification{}, false
	}
	attrs["received"] = sum.String()
	return client.Notification{Type: "payment.received"}, true
}

func attr(e ledger.Event, key string) string {
	for _, a := range e.Attrs {
		if a.Key == key {
			return a.Value
		}
	}
	return ""
}
