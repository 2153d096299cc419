package main

import (
	"context"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/token"
)

// Text output writes amounts as people read them: with every decimal of
// their unit, 250.50 GBPT and 800000.00 GBP, never 250.5. JSON keeps the
// API's forms.

// tokenText writes v with every one of a token's decimals.
func tokenText(v client.Value, decimals uint8) string { return v.Units.FormatFixed(decimals) }

// fiatText writes v with its currency's minor digits, then the currency.
func fiatText(v client.FiatValue) string {
	cur, ok := token.LookupCurrency(v.Currency)
	if !ok {
		return v.Amount + " " + v.Currency
	}
	return v.Units.FormatFixed(cur.Digits) + " " + v.Currency
}

// decimalText rewrites a decimal written without trailing zeros (a
// contract's limits, an event's fiat amount) with every one of digits; s
// itself if it is no such decimal.
func decimalText(s string, digits uint8) string {
	a, err := money.Parse(s, digits)
	if err != nil {
		return s
	}
	return a.FormatFixed(digits)
}

// currencyText is decimalText in a currency's minor digits.
func currencyText(s, code string) string {
	cur, ok := token.LookupCurrency(code)
	if !ok {
		return s
	}
	return decimalText(s, cur.Digits)
}

// textDecimals maps every token to its decimals, for text output of answers
// that name tokens without them (balances, coins); nil with --output json,
// which needs none.
func (g *globals) textDecimals(ctx context.Context) (map[ledger.TokenID]uint8, error) {
	if g.output == "json" {
		return nil, nil
	}
	ts, err := g.client().Tokens(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[ledger.TokenID]uint8, len(ts))
	for _, t := range ts {
		m[t.ID] = t.Decimals
	}
	return m, nil
}
