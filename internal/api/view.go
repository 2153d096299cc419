package api

import (
	"encoding/hex"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/money"
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

func receiptView(rc *state.Receipt) client.Receipt {
	events := make([]client.Event, len(rc.Events))
	for i, e := range rc.Events {
		attrs := make([]client.Attr, len(e.Attrs))
		for j, a := range e.Attrs {
			attrs[j] = client.Attr{Key: a.Key, Value: a.Value}
		}
		events[i] = client.Event{Type: e.Type, Attrs: attrs}
	}
	return client.Receipt{
		TxID: rc.TxID, Height: rc.Height, Index: rc.Index, Time: unixTime(rc.Time), Kind: rc.Kind,
		Signer: rc.Signer, Code: rc.Code, Name: rc.Code.Name(), Message: rc.Log, Events: events,
	}
}

func tokenSummary(t *state.Token) client.TokenSummary {
	c := t.Contract
	return client.TokenSummary{
		ID: c.ID, Name: c.Name, Symbol: c.Symbol, Decimals: c.Decimals,
		Supply: value(t.Supply, c.Decimals), Cap: value(c.SupplyCap, c.Decimals),
		Paused: t.Paused, Issuer: t.Issuer,
	}
}

func tokenView(t *state.Token) client.Token {
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
	}
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
