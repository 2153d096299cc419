package notify

import (
	"bytes"
	"crypto/ed25519"
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/ledger"
)

func addr(seed byte) ledger.Address {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	return ledger.NewAddress("GB", priv.Public().(ed25519.PublicKey))
}

var (
	buyer, seller, arbiter, other = addr(1), addr(2), addr(3), addr(4)
)

func ev(typ string, kv ...string) ledger.Event {
	e := ledger.Event{Type: typ}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Attrs = append(e.Attrs, ledger.Attr{Key: kv[i], Value: kv[i+1]})
	}
	return e
}

func TestFor(t *testing.T) {
	b, s, a := buyer.String(), seller.String(), arbiter.String()
	trade := func(typ string, kv ...string) ledger.Event {
		return ev(typ, append([]string{"trade", "t1", "buyer", b, "seller", s, "arbiter", a}, kv...)...)
	}
	// A mint request by the arbiter's address, as its minter.
	mintRequest := func(typ, endorsers string, kv ...string) ledger.Event {
		return ev(typ, append([]string{"request", "r1", "token", "tok", "minter", a, "deadline", "2026-01-06T00:00:00Z", "endorsers", endorsers}, kv...)...)
	}
	cases := []struct {
		name     string
		event    ledger.Event
		who      ledger.Address
		typ      string
		needs    bool
		action   string // a prefix of the action
		excluded bool
	}{
		{"an offer by the buyer asks the seller", trade("trade.offered", "by", b, "expires", "2026-01-02T00:00:00Z"), seller, "trade.to_answer", true, "accept, counter", false},
		{"an offer by the buyer only informs the buyer", trade("trade.offered", "by", b), buyer, "trade.offered", false, "", false},
		{"an offer informs the arbiter", trade("trade.offered", "by", b), arbiter, "trade.offered", false, "", false},
		{"a counter by the seller asks the buyer", trade("trade.countered", "by", s), buyer, "trade.to_answer", true, "accept, counter", false},
		{"acceptance asks the buyer to fund", trade("trade.accepted", "by", s, "fund_by", "2026-01-03T00:00:00Z"), buyer, "trade.to_fund", true, "fund the trade", false},
		{"the buyer's own acceptance still asks it to fund", trade("trade.accepted", "by", b), buyer, "trade.to_fund", true, "fund the trade", false},
		{"funding asks the seller to ship", trade("trade.funded", "ship_by", "2026-01-04T00:00:00Z"), seller, "trade.to_ship", true, "ship", false},
		{"funding informs the buyer", trade("trade.funded"), buyer, "trade.funded", false, "", false},
		{"shipment asks the buyer to confirm", trade("trade.shipped"), buyer, "trade.to_confirm", true, "confirm", false},
		{"confirmation asks the seller to settle", trade("trade.confirmed"), seller, "trade.to_settle", true, "settle", false},
		{"a dispute asks the arbiter", trade("trade.disputed", "by", b), arbiter, "trade.to_resolve", true, "resolve", false},
		{"a dispute informs the party that raised it", trade("trade.disputed", "by", b), buyer, "trade.disputed", false, "", false},
		{"a settlement informs the seller", trade("trade.settled"), seller, "trade.settled", false, "", false},
		{"a trade names no outsider", trade("trade.settled"), other, "", false, "", true},
		{"a credit request asks the payee", ev("credit.requested", "payer", b, "payee", s, "node", a, "deadline", "2026-01-05T00:00:00Z"), seller, "credit.to_confirm", true, "confirm the credit payment", false},
		{"a credit payment asks the payer to repay", ev("credit.paid", "payer", b, "payee", s, "node", a, "due", "2026-02-01T00:00:00Z"), buyer, "credit.to_repay", true, "repay", false},
		{"a credit payment asks the payee to acknowledge", ev("credit.paid", "payer", b, "payee", s, "node", a), seller, "credit.to_acknowledge", true, "confirm the payment arrived", false},
		{"a transfer delivered tells the payee", ev("transfer.in", "payer", b, "payee", s), seller, "transfer.delivered", false, "", false},
		{"a transfer refunded tells the payer", ev("transfer.refunded", "payer", b, "payee", s), buyer, "transfer.refunded", false, "", false},
		{"a low fee account asks for a deposit", ev("fee.status", "account", b, "from", "ACTIVE", "to", "LOW"), buyer, "fee.to_deposit", true, "deposit", false},
		{"an active fee account informs", ev("fee.status", "account", b, "from", "", "to", "ACTIVE"), buyer, "fee.status", false, "", false},
		{"a spend from an owner's coins informs the owner", ev("spend_from", "owner", b, "spender", s, "amount", "5"), buyer, "spend_from", false, "", false},
		{"a charge concerns nobody", ev("fee.charged", "amount", "1"), buyer, "", false, "", true},
		{"a mint request asks its first endorser", mintRequest("mint_request.opened", b+","+s), buyer, "mint_request.to_endorse", true, "endorse the mint request", false},
		{"a mint request asks its last endorser", mintRequest("mint_request.opened", b+","+s), seller, "mint_request.to_endorse", true, "endorse the mint request", false},
		{"a mint request informs its minter", mintRequest("mint_request.opened", b+","+s), arbiter, "mint_request.opened", false, "", false},
		{"a mint request's minter among the endorsers is not asked", mintRequest("mint_request.opened", b+","+a), arbiter, "mint_request.opened", false, "", false},
		{"a mint request names no outsider", mintRequest("mint_request.opened", b+","+s), other, "", false, "", true},
		{"an address is no prefix of an endorser's", mintRequest("mint_request.opened", b+"x,"+s+"x"), buyer, "", false, "", true},
		{"an endorsement informs the other endorsers", mintRequest("mint_request.endorsed", b+","+s, "endorser", b), seller, "mint_request.endorsed", false, "", false},
		{"an execution informs the endorsers", mintRequest("mint_request.executed", b+","+s), seller, "mint_request.executed", false, "", false},
		{"a refusal informs the minter", mintRequest("mint_request.refused", b+","+s), arbiter, "mint_request.refused", false, "", false},
		{"a cancellation informs the endorsers", mintRequest("mint_request.cancelled", b+","+s), buyer, "mint_request.cancelled", false, "", false},
	}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			blk := Block{Height: 7, Time: at, Receipts: []Receipt{{TxID: ledger.TxID{1}, Events: []ledger.Event{ev("fee.charged"), c.event}}}}
			got := For(c.who, blk, Start)
			if c.excluded {
				if len(got) != 0 {
					t.Fatalf("got %+v, want none", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("got %d notifications %+v, want 1", len(got), got)
			}
			n := got[0]
			if n.Type != c.typ || n.NeedsYou != c.needs || len(n.Action) < len(c.action) || n.Action[:len(c.action)] != c.action {
				t.Errorf("got %s needs %v %q, want %s needs %v %q…", n.Type, n.NeedsYou, n.Action, c.typ, c.needs, c.action)
			}
			if n.ID != "7.1" || n.Height != 7 || n.Event != c.event.Type || n.Account != c.who || !n.Time.Equal(at) {
				t.Errorf("got %+v, want id 7.1 of event %s at height 7", n, c.event.Type)
			}
			for _, k := range []string{"expires", "fund_by", "ship_by", "deadline", "due"} {
				if d := n.Attrs[k]; c.needs && d != "" && !strings.HasSuffix(n.Action, " by "+d) {
					t.Errorf("action %q does not name the deadline %s %s", n.Action, k, d)
				}
			}
		})
	}
}

func TestForFrom(t *testing.T) {
	pay := func(amount string) Receipt {
		return Receipt{Events: []ledger.Event{
			ev("coin.spent", "owner", buyer.String()),
			ev("coin.created", "owner", seller.String(), "amount", amount),
			ev("coin.created", "owner", buyer.String(), "amount", "1"),
			ev("pay", "from", buyer.String(), "amount", amount),
		}}
	}
	blk := Block{Height: 3, Receipts: []Receipt{pay("5"), pay("6")}}
	all := For(seller, blk, Start)
	if len(all) != 2 || all[0].ID != "3.3" || all[1].ID != "3.7" || all[0].Attrs["received"] != "5" || all[1].Attrs["received"] != "6" {
		t.Fatalf("seller's = %+v, want payments of 5 and 6 at 3.3 and 3.7", all)
	}
	if got := For(buyer, blk, Start); len(got) != 0 {
		t.Errorf("the payer is told of its own payments: %+v", got)
	}
	next, err := After(all[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := For(seller, blk, next); len(got) != 1 || got[0].ID != "3.7" {
		t.Errorf("after %s: %+v, want only 3.7", all[0].ID, got)
	}
	if got := For(seller, blk, Cursor{Height: 4}); len(got) != 0 {
		t.Errorf("from the next block: %+v, want none", got)
	}
}

func TestParseCursor(t *testing.T) {
	for _, s := range []string{"", "1", "x.1", "1.x", "0.0", "-1.0", "1.-1", "+1.0", "1.+0", "1.16777216", "1.0.0", " 1.0", "99999999999999999999.0", "01.0", "1.00"} {
		if c, err := ParseCursor(s); err == nil {
			t.Errorf("ParseCursor(%q) = %v, want an error", s, c)
		}
	}
	for _, c := range []Cursor{{1, 0}, {12, 3}, {1 << 40, MaxIndex - 1}} {
		got, err := ParseCursor(c.String())
		if err != nil || got != c {
			t.Errorf("ParseCursor(%q) = %v, %v", c, got, err)
		}
	}
	if c, err := After("5.16777215"); err != nil || c != (Cursor{Height: 6}) {
		t.Errorf("After the last index = %v, %v; want the next block", c, err)
	}
}

// FuzzParseCursor checks that a cursor that parses prints back as itself and
// that After always moves forward.
func FuzzParseCursor(f *testing.F) {
	for _, s := range []string{"1.0", "12.3", "0.0", "1.16777215", "+1.0", "1.x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCursor(s)
		if err != nil {
			return
		}
		if c.String() != s {
			t.Errorf("ParseCursor(%q) prints as %q", s, c)
		}
		next, err := After(s)
		if err != nil || !c.Less(next) {
			t.Errorf("After(%q) = %v, %v; want a later cursor", s, next, err)
		}
	})
}
