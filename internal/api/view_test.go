package api

import (
	"testing"

	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/token"
)

// TestEventAmount: every amount an event records reads with every decimal of
// its unit, named; whatever else an attribute holds gets no label.
func TestEventAmount(t *testing.T) {
	jpy, _ := token.LookupCurrency("JPY")
	gbp, _ := token.LookupCurrency("GBP")
	gbpt := &token.Contract{Symbol: "GBPT", Decimals: 2, Fiat: token.FiatAccount{Currency: gbp}}
	yen := &token.Contract{Symbol: "JPYT", Decimals: 18, Fiat: token.FiatAccount{Currency: jpy}}
	for _, tc := range []struct {
		name        string
		typ, key, v string
		c           *token.Contract
		decimal     string
		unit        string
	}{
		{"payment in minor units", "pay", "amount", "25050", gbpt, "250.50", "GBPT"},
		{"a whole coin", "coin.created", "amount", "100000", gbpt, "1000.00", "GBPT"},
		{"allowance left", "spend_from", "allowance_left", "0", gbpt, "0.00", "GBPT"},
		{"eighteen decimals", "mint", "amount", "1", yen, "0.000000000000000001", "JPYT"},
		{"allowance as a decimal", "minter.configured", "allowance", "999100.5", gbpt, "999100.50", "GBPT"},
		{"supply as a decimal", "reserve.status", "supply", "900900", gbpt, "900900.00", "GBPT"},
		{"fiat owed", "redeem", "fiat_owed", "100", gbpt, "100.00", "GBP"},
		{"balance attested", "reserve.attested", "balance", "800000.5", gbpt, "800000.50", "GBP"},
		{"currency without minor digits", "reserve.status", "required", "1000", yen, "1000", "JPY"},
		{"no reading yet", "reserve.status", "balance", "", gbpt, "", ""},
		{"not an amount", "pay", "token", "gbpt", gbpt, "", ""},
		{"unknown event", "token.deployed", "hash", "12", gbpt, "", ""},
		{"a fee charged", "fee.charged", "amount", "4", gbpt, "0.04", "GBPT"},
		{"a fee deposit", "fee.deposited", "amount", "500", gbpt, "5.00", "GBPT"},
		{"fees collected", "fee.collected", "amount", "4", gbpt, "0.04", "GBPT"},
		{"a fee account's available", "fee.status", "available", "0", gbpt, "0.00", "GBPT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, u := eventAmount(eventAmounts[tc.typ][tc.key], tc.v, tc.c)
			if d != tc.decimal || u != tc.unit {
				t.Errorf("eventAmount(%s %s=%q) = %q %q, want %q %q", tc.typ, tc.key, tc.v, d, u, tc.decimal, tc.unit)
			}
		})
	}
}

// TestReceiptViewLabelsFeesInTheFeeToken: a payment's amounts are labelled
// in the token it moves and its fee in the fee token, which may be another.
func TestReceiptViewLabelsFeesInTheFeeToken(t *testing.T) {
	gbpt := &token.Contract{Symbol: "GBPT", Decimals: 2}
	usdf := &token.Contract{Symbol: "USDF", Decimals: 6}
	rc := &state.Receipt{Kind: "pay", Events: []state.Event{
		{Type: "pay", Attrs: []state.Attr{{Key: "token", Value: "gbpt"}, {Key: "amount", Value: "25050"}}},
		{Type: "fee.charged", Attrs: []state.Attr{{Key: "amount", Value: "40000"}}},
	}}
	v := receiptView(rc, func(typ string) *token.Contract {
		if typ == "fee.charged" {
			return usdf
		}
		return gbpt
	})
	pay, charged := v.Events[0].Attrs[1], v.Events[1].Attrs[0]
	if pay.Decimal != "250.50" || pay.Unit != "GBPT" || charged.Decimal != "0.040000" || charged.Unit != "USDF" {
		t.Errorf("labels: payment %+v, fee %+v; want 250.50 GBPT and 0.040000 USDF", pay, charged)
	}
}
