package relay

import (
	"slices"
	"strings"
	"testing"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

// TestNetworkBooks adds up two regions' books and transfers: a transfer
// delivered, one returned and not yet refunded (in flight), one pending
// and unseen (in flight), one refunded, one delivered and acknowledged;
// then each break of the books is reported.
func TestNetworkBooks(t *testing.T) {
	alice := ledger.AddressOf("GB", [ledger.KeyHashSize]byte{1})
	bob := ledger.AddressOf("HK", [ledger.KeyHashSize]byte{2})
	id := func(b byte) ledger.CoinID { return ledger.CoinID{b} }
	xfer := func(i byte, dir, status string, units uint64) client.Transfer {
		return client.Transfer{ID: id(i), Direction: dir, Status: status, Token: "gbpt", Value: client.Value{Units: money.FromUint64(units)},
			Payer: alice, Payee: bob, From: "GB", To: "HK"}
	}
	books := func(home ledger.Region, minted, held uint64) client.TransferBooks {
		return client.TransferBooks{Token: "gbpt", Home: home, Minted: money.FromUint64(minted), Held: money.FromUint64(held)}
	}
	lists := func() map[ledger.Region]*client.TransferList {
		return map[ledger.Region]*client.TransferList{
			// GB minted 1000: sent 10+20+30+40+5, 40 refunded; holds 1000 − 105 + 40.
			"GB": {Region: "GB", Books: []client.TransferBooks{books("GB", 1000, 935)}, Transfers: []client.Transfer{
				xfer(1, "out", "pending", 10), xfer(2, "out", "pending", 20), xfer(3, "out", "pending", 30), xfer(4, "out", "refunded", 40),
				xfer(5, "out", "delivered", 5)}},
			// HK delivered 10 and 5 and returned 20 and 40.
			"HK": {Region: "HK", Books: []client.TransferBooks{books("GB", 0, 15)}, Transfers: []client.Transfer{
				xfer(1, "in", "delivered", 10), xfer(2, "in", "returned", 20), xfer(4, "in", "returned", 40), xfer(5, "in", "delivered", 5)}},
		}
	}
	a := &NetworkAudit{}
	a.check(lists())
	if len(a.Problems) != 0 || len(a.Tokens) != 1 || a.Tokens[0].InFlight.String() != "50" || a.Tokens[0].Held.String() != "950" {
		t.Fatalf("clean books: %+v", a)
	}
	for _, tc := range []struct {
		name  string
		edit  func(map[ledger.Region]*client.TransferList)
		wants string
	}{
		{"coins appear in HK", func(l map[ledger.Region]*client.TransferList) { l["HK"].Books[0].Held = money.FromUint64(11) }, "is not minted"},
		{"a delivery never sent", func(l map[ledger.Region]*client.TransferList) {
			l["HK"].Transfers = append(l["HK"].Transfers, xfer(9, "in", "delivered", 5))
		}, "was not sent so"},
		{"a delivery of another amount", func(l map[ledger.Region]*client.TransferList) { l["HK"].Transfers[0].Units = money.FromUint64(11) }, "was not sent so"},
		{"a refund HK never returned", func(l map[ledger.Region]*client.TransferList) {
			l["HK"].Transfers = slices.Delete(l["HK"].Transfers, 2, 3)
		}, "was refunded, and HK did not return it"},
		{"an ack HK never delivered", func(l map[ledger.Region]*client.TransferList) {
			l["HK"].Transfers[3].Status = "returned"
		}, "was acknowledged delivered, and HK did not deliver it"},
		{"no home", func(l map[ledger.Region]*client.TransferList) { l["GB"].Books[0].Home = "HK" }, "no region is its home"},
	} {
		l := lists()
		tc.edit(l)
		a := &NetworkAudit{}
		a.check(l)
		if !slices.ContainsFunc(a.Problems, func(p string) bool { return strings.Contains(p, tc.wants) }) {
			t.Errorf("%s: problems %q, want one saying %q", tc.name, a.Problems, tc.wants)
		}
	}
}

// TestAsOf: a region's records are taken as of its books' height: one
// recorded later is left out, one closed later is pending.
func TestAsOf(t *testing.T) {
	tx := ledger.TxID{7}
	l := asOf(&client.TransferList{Height: 10, Transfers: []client.Transfer{
		{ID: ledger.CoinID{1}, Direction: "out", Status: "delivered", Height: 9, Closed: &tx, ClosedHeight: 11, InTx: &tx, InHeight: 4},
		{ID: ledger.CoinID{2}, Direction: "out", Status: "refunded", Height: 9, Closed: &tx, ClosedHeight: 10},
		{ID: ledger.CoinID{3}, Direction: "out", Status: "pending", Height: 11},
		{ID: ledger.CoinID{4}, Direction: "in", Status: "delivered", Height: 12},
	}})
	if len(l.Transfers) != 2 || l.Transfers[0].Status != "pending" || l.Transfers[0].Closed != nil || l.Transfers[0].InTx != nil ||
		l.Transfers[1].Status != "refunded" {
		t.Errorf("as of height 10: %+v", l.Transfers)
	}
}
