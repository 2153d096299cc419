package api

import (
	"encoding/hex"
	"math/big"
	"strings"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/reserve"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/token"
)

// The views turn committed records into the API's JSON. They are pure.

// value writes a in both of the API's forms at a number of decimals.
func value(a money.Amount, decimals uint8) client.Value {
	return client.Value{Amount: a.Format(decimals), Units: a}
}

func fiatValue(a money.Amount, cur token.Currency) client.FiatValue {
	return client.FiatValue{Value: value(a, cur.Digits), Currency: cur.Code}
}

// unixTime is a record's Unix-nanosecond time as UTC.
func unixTime(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// duration writes d in whole seconds and as Go's duration text.
func duration(d time.Duration) client.Duration {
	return client.Duration{Seconds: int64(d / time.Second), Text: d.String()}
}

// receiptView shows a receipt; contracts name, for each event, the contract
// of the token whose units label its amounts (nil for none): see
// receiptContracts.
func receiptView(rc *state.Receipt, contracts func(eventType string) *token.Contract) client.Receipt {
	events := make([]client.Event, len(rc.Events))
	for i, e := range rc.Events {
		attrs := make([]client.Attr, len(e.Attrs))
		c := contracts(e.Type)
		for j, a := range e.Attrs {
			attrs[j] = client.Attr{Key: a.Key, Value: a.Value}
			if c != nil {
				attrs[j].Decimal, attrs[j].Unit = eventAmount(eventAmounts[e.Type][a.Key], a.Value, c)
			}
		}
		events[i] = client.Event{Type: e.Type, Attrs: attrs}
	}
	return client.Receipt{
		TxID: rc.TxID, Height: rc.Height, Index: rc.Index, Time: unixTime(rc.Time), Kind: rc.Kind,
		Signer: rc.Signer, Code: rc.Code, Name: rc.Code.Name(), Message: rc.Log, Events: events,
	}
}

// receiptToken is the token a receipt's events name: the first "token"
// attribute, since a transaction moves or changes one token at most.
func receiptToken(rc *state.Receipt) ledger.TokenID {
	for _, e := range rc.Events {
		for _, a := range e.Attrs {
			if a.Key == "token" {
				return ledger.TokenID(a.Value)
			}
		}
	}
	return ""
}

// amountForm says how an event attribute writes an amount.
type amountForm uint8

const (
	notAmount    amountForm = iota
	tokenUnits              // the token's minor units: "25050"
	tokenDecimal            // a decimal of the token, zeros trimmed: "250.5"
	fiatDecimal             // a decimal of the reserve's currency, zeros trimmed: "800000"
)

// eventAmounts names the attributes of each event type that are amounts, and
// their form, as internal/state emits them.
var eventAmounts = map[string]map[string]amountForm{
	"coin.spent":        {"amount": tokenUnits},
	"coin.created":      {"amount": tokenUnits},
	"pay":               {"amount": tokenUnits},
	"spend_from":        {"amount": tokenUnits, "allowance_left": tokenUnits},
	"mint":              {"amount": tokenUnits},
	"redeem":            {"amount": tokenUnits, "fiat_owed": fiatDecimal},
	"seize":             {"amount": tokenUnits},
	"approval":          {"amount": tokenUnits},
	"minter.configured": {"allowance": tokenDecimal},
	"reserve.attested":  {"balance": fiatDecimal},
	"reserve.status":    {"balance": fiatDecimal, "required": fiatDecimal, "supply": tokenDecimal},
	"fee.charged":       {"amount": tokenUnits},
	"fee.deposited":     {"amount": tokenUnits},
	"fee.collected":     {"amount": tokenUnits},
	"fee.status":        {"available": tokenUnits},
	"transfer.out":      {"amount": tokenUnits},
	"transfer.in":       {"amount": tokenUnits},
	"transfer.returned": {"amount": tokenUnits},
	"transfer.refunded": {"amount": tokenUnits},
	"transfer.acked":    {"amount": tokenUnits},
}

// eventAmount writes an attribute's amount as people read it, with every
// decimal of its unit ("250.50"), and names the unit: the token's symbol or
// the reserve's currency. Empty strings when the attribute is no amount.
func eventAmount(form amountForm, v string, c *token.Contract) (decimal, unit string) {
	var a money.Amount
	var err error
	digits, unit := c.Decimals, c.Symbol
	switch form {
	case tokenUnits:
		a, err = money.ParseUnits(v)
	case tokenDecimal:
		a, err = money.Parse(v, digits)
	case fiatDecimal:
		digits, unit = c.Fiat.Currency.Digits, c.Fiat.Currency.Code
		a, err = money.Parse(v, digits)
	default:
		return "", ""
	}
	if err != nil {
		return "", ""
	}
	return a.FormatFixed(digits), unit
}

// tokenSummary and tokenView judge the reserve at now, the latest block's
// time.
func tokenSummary(t *state.Token, now time.Time) client.TokenSummary {
	c := t.Contract
	return client.TokenSummary{
		ID: c.ID, Name: c.Name, Symbol: c.Symbol, Decimals: c.Decimals,
		Supply: value(t.Supply, c.Decimals), Cap: value(c.SupplyCap, c.Decimals),
		Paused: t.Paused, Issuer: t.Issuer, Reserve: reserveView(t, now),
	}
}

func tokenView(t *state.Token, now time.Time) client.Token {
	c := t.Contract
	draft := c.Draft()
	if draft.Roles.Minters == nil {
		draft.Roles.Minters = []token.MinterDraft{}
	}
	minters := make([]client.Minter, len(t.Minters))
	for i, m := range t.Minters {
		minters[i] = client.Minter{Address: m.Address, Allowance: value(m.Allowance, c.Decimals)}
	}
	return client.Token{
		ID: c.ID, Name: c.Name, Symbol: c.Symbol, Decimals: c.Decimals,
		Contract: draft, Hash: hex.EncodeToString(t.Hash[:]), Address: t.Address, Issuer: t.Issuer,
		DeployTx: t.DeployTx, DeployHeight: t.DeployHeight,
		Supply:          value(t.Supply, c.Decimals),
		Minted:          value(t.Minted, c.Decimals),
		Redeemed:        value(t.Redeemed, c.Decimals),
		Cap:             value(c.SupplyCap, c.Decimals),
		ReserveCapacity: value(c.ReserveCapacity(), c.Decimals),
		DeclaredReserve: fiatValue(c.DeclaredReserve, c.Fiat.Currency),
		Paused:          t.Paused,
		Roles: client.Roles{
			Owner: t.Owner, PendingOwner: t.PendingOwner,
			Pauser: c.Roles.Pauser, Freezer: c.Roles.Freezer, Attestor: c.Roles.Attestor,
			Minters: minters,
		},
		Reserve: reserveView(t, now),
	}
}

// reserveView judges t's reserve at now, the time of the latest block, with
// reserve.Evaluate, the rule the ledger itself applies; the status t records
// is shown beside it.
func reserveView(t *state.Token, now time.Time) client.Reserve {
	c := t.Contract
	status := reserve.Evaluate(c, t.Supply, t.Reading, now)
	required := reserve.Required(c, t.Supply)
	v := client.Reserve{
		Status: status, RecordedStatus: t.ReserveStatus, Since: statusSince(t, status, now), AsOf: now.UTC(),
		StalenessWindow: duration(c.StalenessWindow),
		PauseWhenAtRisk: c.PauseWhenAtRisk,
		Required:        fiatValue(required, c.Fiat.Currency),
		Capacity:        value(money.Amount{}, c.Decimals),
		Account: client.ReserveAccount{BIC: c.Fiat.BIC, Scheme: string(c.Fiat.Scheme), Account: c.Fiat.Account,
			Currency: c.Fiat.Currency.Code},
	}
	if r := t.Reading; r != nil {
		rv := readingView(*r, c.Fiat.Currency, now)
		v.Reading = &rv
		v.Capacity = value(c.Capacity(r.Balance), c.Decimals)
		v.Coverage = coverage(r.Balance, required)
	}
	return v
}

// statusSince is when t's reserve entered status. The recorded time, unless
// the status judged now runs ahead of the record: then, for a reading that
// outlived its window (which runs from the bank's time), the moment the window
// ran out; otherwise now.
func statusSince(t *state.Token, status reserve.Status, now time.Time) time.Time {
	switch {
	case status == t.ReserveStatus:
		return unixTime(t.ReserveSince)
	case status == reserve.Stale && t.Reading != nil:
		return t.Reading.BankTime.Add(t.Contract.StalenessWindow).UTC()
	}
	return now.UTC()
}

// readingView shows an attestation with its age at now, in block time: since
// the bank's time of the balance, as reserve.Evaluate measures freshness.
func readingView(r reserve.Reading, cur token.Currency, now time.Time) client.Reading {
	age := max(now.Sub(r.BankTime), 0)
	return client.Reading{
		Balance: fiatValue(r.Balance, cur), BalanceType: r.BalanceType,
		BankTime: r.BankTime.UTC(), AttestedAt: r.AttestedAt.UTC(), AgeSeconds: int64(age / time.Second),
		Height: r.Height, TxID: r.TxID, RawHash: r.RawHash.String(), Source: r.Source,
	}
}

// CoverageDecimals is how many decimal places a reserve's coverage shows.
const CoverageDecimals = 4

var coverageScale = new(big.Int).Exp(big.NewInt(10), big.NewInt(CoverageDecimals), nil)

// coverage is balance ÷ required to CoverageDecimals places, computed exactly
// and rounded down, so that a shortfall never shows as "1.0000"; "" when
// nothing is required. Both are minor units of the same currency.
func coverage(balance, required money.Amount) string {
	if required.IsZero() {
		return ""
	}
	q := new(big.Int).Mul(balance.Big(), coverageScale)
	s := q.Quo(q, required.Big()).String()
	if len(s) <= CoverageDecimals {
		s = strings.Repeat("0", CoverageDecimals+1-len(s)) + s
	}
	return s[:len(s)-CoverageDecimals] + "." + s[len(s)-CoverageDecimals:]
}

func redemptionView(r state.Redemption, c token.Contract) client.Redemption {
	return client.Redemption{
		TxID: r.TxID, Token: r.Token, Holder: r.Holder, Value: value(r.Amount, c.Decimals),
		Fiat: token.FiatDraft{
			BIC: r.Fiat.BIC, Scheme: string(r.Fiat.Scheme), Account: r.Fiat.Account, Currency: r.Fiat.Currency.Code,
		},
		FiatOwed: fiatValue(r.FiatOwed, r.Fiat.Currency),
		Height:   r.Height, Time: unixTime(r.Time),
	}
}

func balanceView(b state.Balance, decimals uint8) client.Balance {
	return client.Balance{Token: b.Token, Value: value(b.Amount, decimals), Coins: b.Coins}
}

func coinView(c state.Coin, decimals uint8) client.Coin {
	return client.Coin{ID: c.ID, Token: c.Token, Owner: c.Owner, Value: value(c.Amount, decimals)}
}
