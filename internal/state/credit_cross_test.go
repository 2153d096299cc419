package state

import (
	"encoding/json"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/pegledger/peg/internal/tx/txpb"
)

// creditIn runs the relayer's credit commands of the region scripts, on
// the current region:
//
//	credit-request-in proof=P request=LABEL
//	credit-paid-in proof=P request=LABEL
//	credit-repaid-in proof=P repayment=LABEL   (LABEL a credit_repay's)
func (n *network) creditIn(t *testing.T, td *datadriven.TestData) string {
	a := newCmdArgs(t, td)
	p, err := json.Marshal(n.proofs[a.get("proof", "")])
	if err != nil {
		t.Fatal(err)
	}
	var b txpb.Body
	switch td.Cmd {
	case "credit-request-in":
		b.Msg = &txpb.Body_CreditRequestIn{CreditRequestIn: &txpb.CreditRequestIn{Proof: p, Request: n.cur.requestArg(a)}}
	case "credit-paid-in":
		b.Msg = &txpb.Body_CreditPaidIn{CreditPaidIn: &txpb.CreditPaidIn{Proof: p, Request: n.cur.requestArg(a)}}
	default:
		label := a.get("repayment", "")
		r, ok := n.cur.txs[label]
		if !ok {
			t.Fatalf("repayment=%q: no transaction with that label", label)
		}
		b.Msg = &txpb.Body_CreditRepaidIn{CreditRepaidIn: &txpb.CreditRepaidIn{Proof: p, Repayment: r.id[:]}}
	}
	out := n.cur.submit(a, "relayer", &b)
	a.done()
	return out
}
