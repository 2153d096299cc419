package relay

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/network"
)

// TokenAudit is one token's books across the network: Held, the unspent
// coins of every region, plus InFlight, the transfers sent and neither
// delivered nor refunded, must be Minted − Redeemed at its home.
type TokenAudit struct {
	Token    ledger.TokenID `json:"token"`
	Home     ledger.Region  `json:"home"`
	Minted   money.Amount   `json:"minted"`
	Redeemed money.Amount   `json:"redeemed"`
	Held     money.Amount   `json:"held"`
	InFlight money.Amount   `json:"in_flight"`
	// ByRegion is what each region holds.
	ByRegion map[ledger.Region]money.Amount `json:"by_region"`
}

// NetworkAudit is the audit of every region of a network (S2.8).
type NetworkAudit struct {
	OK      bool                     `json:"ok"`
	Heights map[ledger.Region]uint64 `json:"heights"`
	Tokens  []TokenAudit             `json:"tokens"`
	// Credit is each credit node's books across regions (credit_audit.go).
	Credit   []CreditAudit `json:"credit,omitempty"`
	Problems []string      `json:"problems"`
}

// AuditNetwork reads every region's audit, books and transfers and checks
// conservation across regions: for every token, Σ unspent coins in all
// regions + transfers in flight = minted − redeemed; that every delivered
// or returned transfer was sent, every acknowledged one delivered and
// every refunded one returned; and each region's own invariants (GET
// /v1/audit). Each region's transfers are read page by page (GET
// /v1/transfers) and taken as of the height of its books, the first
// page's: a record written later is left out, and an outbound transfer
// closed later is taken as pending, so that the records and the coins of a
// region are of one height however long the paging takes. A transfer's
// state is its payer's record with its payee's, so that a transfer that
// moves between the reads of two regions is counted once. It fails only if
// a region cannot be read.
func AuditNetwork(ctx context.Context, n *network.Network) (*NetworkAudit, error) {
	r := New(Config{Network: n})
	lists := make(map[ledger.Region]*client.TransferList, len(n.Regions))
	a := &NetworkAudit{Heights: make(map[ledger.Region]uint64), Problems: []string{}}
	for _, reg := range n.Regions {
		var au *client.Audit
		if err := r.each(ctx, reg.Region, func(c *client.Client) (err error) { au, err = c.Audit(ctx); return }); err != nil {
			return nil, fmt.Errorf("region %s: %w", reg.Region, err)
		}
		for _, p := range au.Problems {
			a.Problems = append(a.Problems, fmt.Sprintf("region %s: %s", reg.Region, p))
		}
		var l *client.TransferList
		if err := r.each(ctx, reg.Region, func(c *client.Client) (err error) { l, err = c.Transfers(ctx, "", ""); return }); err != nil {
			return nil, fmt.Errorf("region %s: %w", reg.Region, err)
		}
		lists[reg.Region] = asOf(l)
		a.Heights[reg.Region] = l.Height
	}
	a.check(lists)
	if err := a.auditCredit(ctx, r); err != nil {
		return nil, err
	}
	slices.Sort(a.Problems)
	a.OK = len(a.Problems) == 0
	return a, nil
}

// asOf keeps of l's transfers what l.Height saw: a transfer recorded later
// is left out, and one closed later is pending.
func asOf(l *client.TransferList) *client.TransferList {
	kept := l.Transfers[:0]
	for _, t := range l.Transfers {
		if t.Height > l.Height {
			continue
		}
		if t.Direction == "out" && t.ClosedHeight > l.Height {
			t.Status, t.Coin, t.Reason, t.Closed, t.ClosedHeight, t.InTx, t.InHeight = "pending", nil, "", nil, 0, nil, 0
		}
		kept = append(kept, t)
	}
	l.Transfers = kept
	return l
}

// check adds up the regions' books and transfers. A transfer is in flight
// while no region holds its coins: pending on the payer's region and not
// delivered on the payee's (not seen there, or returned and not yet
// refunded). One delivered on the payee's region is held there, whether
// or not its payer's region has the ack yet.
func (a *NetworkAudit) check(lists map[ledger.Region]*client.TransferList) {
	type key struct {
		region ledger.Region
		id     ledger.CoinID
	}
	in := make(map[key]client.Transfer)
	out := make(map[key]client.Transfer)
	for reg, l := range lists {
		for _, t := range l.Transfers {
			if t.Direction == "in" {
				in[key{reg, t.ID}] = t
			} else {
				out[key{reg, t.ID}] = t
			}
		}
	}
	tokens := make(map[ledger.TokenID]*TokenAudit)
	tok := func(id ledger.TokenID) *TokenAudit {
		if tokens[id] == nil {
			tokens[id] = &TokenAudit{Token: id, ByRegion: make(map[ledger.Region]money.Amount)}
		}
		return tokens[id]
	}
	for reg, l := range lists {
		for _, b := range l.Books {
			t := tok(b.Token)
			if b.Home == reg {
				t.Home, t.Minted, t.Redeemed = reg, b.Minted, b.Redeemed
			}
			t.ByRegion[reg] = b.Held
			t.Held = sum(a, t.Held, b.Held)
		}
	}
	for k, o := range out {
		i, delivered := in[key{o.To, o.ID}]
		switch {
		case o.Status == "refunded" && (!delivered || i.Status != "returned"):
			a.problem("transfer %s from %s to %s was refunded, and %s did not return it", o.ID, k.region, o.To, o.To)
		case o.Status == "delivered" && (!delivered || i.Status != "delivered"):
			a.problem("transfer %s from %s to %s was acknowledged delivered, and %s did not deliver it", o.ID, k.region, o.To, o.To)
		case o.Status == "pending" && (!delivered || i.Status == "returned"):
			t := tok(o.Token)
			t.InFlight = sum(a, t.InFlight, o.Units)
		}
	}
	for k, i := range in {
		o, sent := out[key{i.From, i.ID}]
		if !sent || o.Token != i.Token || o.Units != i.Units || o.Payee != i.Payee || o.To != k.region {
			a.problem("transfer %s %s on %s was not sent so by %s", i.ID, i.Status, k.region, i.From)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(tokens)) {
		t := tokens[id]
		a.Tokens = append(a.Tokens, *t)
		if t.Home == "" {
			a.problem("token %s: no region is its home", id)
			continue
		}
		net, ok := t.Minted.Sub(t.Redeemed)
		total, fits := t.Held.Add(t.InFlight)
		if !ok || !fits || total != net {
			a.problem("token %s: %s held in every region + %s in flight is not minted %s − redeemed %s", id, t.Held, t.InFlight, t.Minted, t.Redeemed)
		}
	}
}

func (a *NetworkAudit) problem(format string, args ...any) {
	a.Problems = append(a.Problems, fmt.Sprintf(format, args...))
}

func sum(a *NetworkAudit, x, y money.Amount) money.Amount {
	s, ok := x.Add(y)
	if !ok {
		a.problem("a total overflows the amount range")
	}
	return s
}
