package wallet

import (
	"testing"

	"github.com/pegledger/peg/internal/client"
)

// TestFlowsAndSources: a receipt's coin events net out per owner (a payer's
// change is not a payment to itself), name the other side, and the events
// that mark a source classify it.
func TestFlowsAndSources(t *testing.T) {
	coin := func(typ, owner, amount string) client.Event {
		return client.Event{Type: typ, Attrs: []client.Attr{{Key: "coin", Value: "c"}, {Key: "owner", Value: owner}, {Key: "amount", Value: amount}}}
	}
	rc := &client.Receipt{Kind: "pay", Events: []client.Event{
		coin("coin.spent", "payer", "10000"), coin("coin.created", "payee", "6000"), coin("coin.created", "payer", "4000"),
		{Type: "pay", Attrs: []client.Attr{{Key: "token", Value: "gbpt"}}},
	}}
	rc.Signer = newKey("payer").Addr
	by, order := flows(rc)
	if len(order) != 2 || order[0] != "payer" || order[1] != "payee" {
		t.Fatalf("owners %v", order)
	}
	payer, payee := by["payer"], by["payee"]
	if out, _ := payer.out.Sub(payer.in); out.String() != "6000" || payer.counterparty != "payee" {
		t.Errorf("the payer's flow: in %s out %s counterparty %q", payer.in, payer.out, payer.counterparty)
	}
	if payee.in.String() != "6000" || payee.counterparty != rc.Signer.String() {
		t.Errorf("the payee's flow: in %s counterparty %q", payee.in, payee.counterparty)
	}
	for _, tc := range []struct {
		event, want string
	}{
		{"pay", SourceChainPayment}, {"credit.paid", SourceCreditPayment}, {"trade.settled", SourceTradeSettlement},
	} {
		if got := sourceOf(&client.Receipt{Events: []client.Event{coin("coin.created", "x", "1"), {Type: tc.event}}}); got != tc.want {
			t.Errorf("a receipt with %s: source %s, want %s", tc.event, got, tc.want)
		}
	}
}
