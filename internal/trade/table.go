package trade

import (
	"time"

	"github.com/pegledger/peg/internal/ledger"
)

// State is where a trade stands.
type State string

// The states. A trade is open until it is SETTLED, REFUNDED, RESOLVED or
// CANCELLED; LAPSED is judged at block time (Trade.StatusAt), never written.
const (
	None      State = "-" // before the offer
	Offered   State = "OFFERED"
	Accepted  State = "ACCEPTED"
	Funded    State = "FUNDED"
	Shipped   State = "SHIPPED"
	Confirmed State = "CONFIRMED"
	Disputed  State = "DISPUTED"
	Settled   State = "SETTLED"
	Refunded  State = "REFUNDED"
	Resolved  State = "RESOLVED"
	Cancelled State = "CANCELLED"
	Lapsed    State = "LAPSED"
)

// Closed reports whether nothing more can happen to a trade in state s.
func (s State) Closed() bool {
	switch s {
	case Settled, Refunded, Resolved, Cancelled, Lapsed:
		return true
	}
	return false
}

// Step is a transaction that moves a trade.
type Step string

// The steps, each a transaction kind (trade_offer, …).
const (
	Offer   Step = "offer"
	Counter Step = "counter"
	Accept  Step = "accept"
	Fund    Step = "fund"
	Ship    Step = "ship"
	Confirm Step = "confirm"
	Settle  Step = "settle"
	Dispute Step = "dispute"
	Resolve Step = "resolve"
	Cancel  Step = "cancel"
)

// Role says who may take a step.
type Role string

// The roles.
const (
	ByBuyer     Role = "buyer"
	BySeller    Role = "seller"
	ByParty     Role = "buyer or seller"
	ByResponder Role = "the other party" // the party that did not propose the latest version
	ByArbiter   Role = "arbiter"
	ByAnyone    Role = "anyone"
)

// Guard is the time (or rule) condition a step needs, judged at block time.
type Guard string

// The guards.
const (
	Always      Guard = "-"
	ByExpiry    Guard = "by expires"
	ByFundBy    Guard = "by fund_by"
	ByShipBy    Guard = "by ship_by"
	ByConfirmBy Guard = "by confirm_by"
	AfterFundBy Guard = "after fund_by"
	AfterShipBy Guard = "after ship_by"
	RuleMet     Guard = "payment rule met"
)

// Transition is one row of the state machine: in state From, step Step by
// role By, when the guard holds, leads to state To.
type Transition struct {
	From State
	Step Step
	By   Role
	When Guard
	To   State
}

// Table is the trade state machine, the one place its transitions are
// written; docs/transactions.md shows the same table (a test holds them
// together). There is at most one row per state and step.
var Table = []Transition{
	{None, Offer, ByParty, Always, Offered},
	{Offered, Counter, ByResponder, ByExpiry, Offered},
	{Offered, Accept, ByResponder, ByExpiry, Accepted},
	{Offered, Cancel, ByParty, Always, Cancelled},
	{Accepted, Fund, ByBuyer, ByFundBy, Funded},
	{Accepted, Cancel, ByParty, AfterFundBy, Cancelled},
	{Funded, Ship, BySeller, ByShipBy, Shipped},
	{Funded, Dispute, ByParty, Always, Disputed},
	{Funded, Cancel, ByBuyer, AfterShipBy, Refunded},
	{Shipped, Confirm, ByBuyer, ByConfirmBy, Confirmed},
	{Shipped, Dispute, ByParty, ByConfirmBy, Disputed},
	{Shipped, Settle, ByAnyone, RuleMet, Settled},
	{Confirmed, Settle, ByAnyone, Always, Settled},
	{Disputed, Resolve, ByArbiter, Always, Resolved},
}

// Next is the transition signer's step takes trade t to at block time now,
// checked in order: the trade is not closed by a step (TRADE_CLOSED; a
// lapsed trade is refused by the guard of the step that came too late);
// the table has a row for its state and the step (TRADE_WRONG_STATE); the
// trade names the signer (TRADE_NOT_PARTY), in the row's role
// (TRADE_WRONG_PARTY); the row's guard holds (TRADE_LAPSED for a deadline
// passed, TRADE_NOT_DUE for one not yet passed, TRADE_RULE_NOT_MET).
func Next(t *Trade, step Step, signer ledger.Address, now int64) (Transition, *ledger.Rejection) {
	if t.State.Closed() {
		return Transition{}, ledger.Reject(ledger.CodeTradeClosed, "trade %s is %s: it is closed", t.ID, t.State)
	}
	i := row(t.State, step)
	if i < 0 {
		return Transition{}, ledger.Reject(ledger.CodeTradeWrongState, "trade %s is %s; %s is not a step it can take (docs/transactions.md, the trade table)", t.ID, t.State, step)
	}
	tr := Table[i]
	if rej := t.authorise(tr, signer); rej != nil {
		return Transition{}, rej
	}
	return tr, t.guard(tr, now)
}

func row(s State, step Step) int {
	for i, tr := range Table {
		if tr.From == s && tr.Step == step {
			return i
		}
	}
	return -1
}

func (t *Trade) authorise(tr Transition, signer ledger.Address) *ledger.Rejection {
	var want ledger.Address
	switch tr.By {
	case ByAnyone:
		return nil
	case ByArbiter:
		if signer != t.Terms().Arbiter {
			return ledger.Reject(ledger.CodeTradeNotParty, "only the arbiter %s the trade names may %s trade %s; signer is %s", t.Terms().Arbiter, tr.Step, t.ID, signer)
		}
		return nil
	case ByBuyer:
		want = t.Buyer
	case BySeller:
		want = t.Seller
	case ByResponder:
		want = t.Buyer
		if t.Latest().By == t.Buyer {
			want = t.Seller
		}
	}
	if !t.Names(signer) {
		return ledger.Reject(ledger.CodeTradeNotParty, "trade %s is between %s and %s; %s is neither", t.ID, t.Buyer, t.Seller, signer)
	}
	if tr.By != ByParty && signer != want {
		return ledger.Reject(ledger.CodeTradeWrongParty, "%s of trade %s is for %s (%s), not %s", tr.Step, t.ID, tr.By, want, signer)
	}
	return nil
}

func (t *Trade) guard(tr Transition, now int64) *ledger.Rejection {
	at := func(n int64) string { return time.Unix(0, n).UTC().Format(time.RFC3339) }
	terms := t.Terms()
	before := func(name string, deadline int64) *ledger.Rejection {
		if now > deadline {
			return ledger.Reject(ledger.CodeTradeLapsed, "trade %s's %s %s has passed; %s needed it", t.ID, name, at(deadline), tr.Step)
		}
		return nil
	}
	after := func(name string, deadline int64) *ledger.Rejection {
		if now <= deadline {
			return ledger.Reject(ledger.CodeTradeNotDue, "%s of trade %s waits for its %s %s to pass", tr.Step, t.ID, name, at(deadline))
		}
		return nil
	}
	switch tr.When {
	case ByExpiry:
		return before("version's expiry", terms.Expires)
	case ByFundBy:
		return before("fund_by", terms.FundBy)
	case ByShipBy:
		return before("ship_by", terms.ShipBy)
	case ByConfirmBy:
		return before("confirm_by", t.ConfirmBy)
	case AfterFundBy:
		return after("fund_by", terms.FundBy)
	case AfterShipBy:
		return after("ship_by", terms.ShipBy)
	case RuleMet:
		if terms.PaymentRule == RuleConfirmation && now <= t.ConfirmBy {
			return ledger.Reject(ledger.CodeTradeRuleNotMet, "trade %s's payment rule is %s: the buyer has not confirmed and the confirmation window runs until %s",
				t.ID, terms.PaymentRule, at(t.ConfirmBy))
		}
	}
	return nil
}
