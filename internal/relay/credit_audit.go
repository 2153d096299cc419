package relay

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

// CreditAudit is a credit node's books across the network (S4.1):
// CrossPaid, what its pools paid on requests of other regions' payers,
// summed over every region, must be CrossBorrowed, what the payers'
// regions recorded as debts from those payments' proofs, plus InFlight,
// the payments not proven back yet.
type CreditAudit struct {
	Node          string       `json:"node"`
	CrossPaid     money.Amount `json:"cross_paid"`
	CrossBorrowed money.Amount `json:"cross_borrowed"`
	InFlight      money.Amount `json:"in_flight"`
}

// auditCredit reads every region's requests to other regions, each one's
// record on its payee's region, and the nodes' books on both, and checks
// that each debt was paid, each payment was of a request made, no
// repayment is known where it was not made, and, per node and region, that
// the books match the requests (unless a region lists more requests than
// one answer holds); then the network's sum. Reads at different heights:
// on a busy network a step taken between two reads may show as a break.
func (a *NetworkAudit) auditCredit(ctx context.Context, r *Relayer) error {
	type at struct {
		node   string
		region ledger.Region
	}
	paid := make(map[at]money.Amount)     // paid on region (the payee's) for requests of other regions
	borrowed := make(map[at]money.Amount) // proven paid on region (the payer's)
	inFlight := make(map[string]money.Amount)
	truncated := false
	for _, reg := range r.cfg.Network.Regions {
		var l *client.CreditAcross
		if err := r.each(ctx, reg.Region, func(c *client.Client) (err error) { l, err = c.CreditAcross(ctx); return }); err != nil {
			return fmt.Errorf("region %s: credit requests: %w", reg.Region, err)
		}
		truncated = truncated || l.Truncated
		for _, q := range l.Requests {
			there, err := r.creditThere(ctx, q)
			if err != nil {
				return err
			}
			paidThere := there != nil && there.PaidBy != ""
			provenHere := q.RecordedStatus != "PENDING"
			switch {
			case provenHere && !paidThere:
				a.problem("credit request %s: %s recorded a debt, and %s did not pay it", q.ID, reg.Region, q.To)
			case there != nil && (there.Payer != q.Payer || there.Payee != q.Payee || there.Node != q.Node || there.Amount.Units != q.Amount.Units):
				a.problem("credit request %s: %s recorded it otherwise than %s", q.ID, q.To, reg.Region)
			case there != nil && there.Repaid.Units.Cmp(q.Repaid.Units) > 0:
				a.problem("credit request %s: %s knows of %s repaid, %s of only %s", q.ID, q.To, there.Repaid.Units, reg.Region, q.Repaid.Units)
			}
			if paidThere {
				k := at{q.Node, ledger.Region(q.To)}
				paid[k] = sum(a, paid[k], q.Amount.Units)
				if !provenHere {
					inFlight[q.Node] = sum(a, inFlight[q.Node], q.Amount.Units)
				}
			}
			if provenHere {
				k := at{q.Node, reg.Region}
				borrowed[k] = sum(a, borrowed[k], q.Amount.Units)
			}
		}
	}
	nodes := make(map[string]*CreditAudit)
	keys := slices.Concat(slices.Collect(maps.Keys(paid)), slices.Collect(maps.Keys(borrowed)))
	for _, k := range keys {
		if nodes[k.node] == nil {
			nodes[k.node] = &CreditAudit{Node: k.node, InFlight: inFlight[k.node]}
		}
	}
	seen := make(map[at]bool)
	for _, k := range keys {
		if seen[k] {
			continue
		}
		seen[k] = true
		addr, err := ledger.ParseAddress(k.node)
		if err != nil {
			return err
		}
		var n *client.CreditNode
		if err := r.each(ctx, k.region, func(c *client.Client) (err error) { n, err = c.CreditNode(ctx, addr); return }); err != nil {
			return fmt.Errorf("region %s: credit node %s: %w", k.region, k.node, err)
		}
		if !truncated && (n.CrossPaid.Units != paid[k] || n.CrossBorrowed.Units != borrowed[k]) {
			a.problem("credit node %s on %s: paid across regions %s and borrowed %s, but the requests say %s and %s",
				k.node, k.region, n.CrossPaid.Units, n.CrossBorrowed.Units, paid[k], borrowed[k])
		}
		c := nodes[k.node]
		c.CrossPaid = sum(a, c.CrossPaid, n.CrossPaid.Units)
		c.CrossBorrowed = sum(a, c.CrossBorrowed, n.CrossBorrowed.Units)
	}
	for _, node := range slices.Sorted(maps.Keys(nodes)) {
		c := nodes[node]
		a.Credit = append(a.Credit, *c)
		if total, ok := c.CrossBorrowed.Add(c.InFlight); !ok || total != c.CrossPaid {
			a.problem("credit node %s: paid across regions %s is not borrowed %s + in flight %s", node, c.CrossPaid, c.CrossBorrowed, c.InFlight)
		}
	}
	return nil
}

// creditThere reads request q on its payee's region; nil if it is not
// recorded there.
func (r *Relayer) creditThere(ctx context.Context, q client.CreditRequest) (*client.CreditRequest, error) {
	id, err := ledger.ParseTxID(q.ID)
	if err != nil {
		return nil, err
	}
	var there *client.CreditRequest
	err = r.each(ctx, ledger.Region(q.To), func(c *client.Client) (err error) { there, err = c.CreditRequest(ctx, id); return })
	var apiErr *client.APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("region %s: credit request %s: %w", q.To, q.ID, err)
	}
	return there, nil
}
