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
// and unseen (in flight), one refunded; then each break of the books is
// reported.
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
			// GB minted 1000: sent 10+20+30+40, 40 refunded; holds 1000 − 100 + 40.
			"GB": {Region: "GB", Books: []client.TransferBooks{books("GB", 1000, 940)}, Transfers: []client.Transfer{
				xfer(1, "out", "pending", 10), xfer(2, "out", "pending", 20), xfer(3, "out", "pending", 30), xfer(4, "out", "refunded", 40)}},
			// HK delivered 10 and returned 20 and 40.
			"HK": {Region: "HK", Books: []client.TransferBooks{books("GB", 0, 10)}, Transfers: []client.Transfer{
				xfer(1, "in", "delivered", 10), xfer(2, "in", "returned", 20), xfer(4, "in", "returned", 40)}},
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
