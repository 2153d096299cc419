package state

import (
	"bytes"

	"github.com/pegledger/peg/internal/credit"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

// auditCredit checks every credit node's books against its records:
//
//   - the pool holds Funded − Paid + Repaid: its one coin is unspent, owned
//     by the pool and worth Balance (no coin when Balance is zero), and the
//     pool index names the node;
//   - Σ debts outstanding = Σ paid on credit − Σ repaid, per node, summed
//     over the payers' records and again over the requests this chain
//     keeps the debts of, where across regions (S4.1) the paid on credit
//     is the pool's payments to this region's payers and the payments
//     other regions proved (Paid − CrossPaid + CrossBorrowed);
//   - CrossPaid is what the requests of other regions' payers were paid
//     here, CrossBorrowed what this region's requests to other regions
//     were proven paid, and each reservation holds a pending request of
//     this region to another;
//   - each open debt matches its request (owed, due), and each payer's
//     lines owe what its requests through them owe.
func auditCredit(s Scanner, rep *AuditReport) error {
	nodes := make(map[string]*CreditNode)
	err := s.Scan([]byte(prefixCreditNode), nil, func(k, v []byte) bool {
		var n CreditNode
		if msg := recovered(func() { decode(k, v, &n) }); msg != "" {
			rep.problem("credit node record %x: %s", k, msg)
			return true
		}
		nodes[string(n.Node.Bytes())] = &n
		auditPool(s, rep, &n)
		return true
	})
	if err != nil {
		return err
	}
	debts := make(map[string]money.Amount)   // node → Σ owed in payers' records
	byReq := make(map[string]money.Amount)   // node → Σ owed in requests whose debts are kept here
	paidIn := make(map[string]money.Amount)  // node → Σ paid here on requests of other regions
	paidOut := make(map[string]money.Amount) // node → Σ proven paid on this region's requests to others
	lines := make(map[string]money.Amount)   // line key → Σ owed by its requests
	err = s.Scan([]byte(prefixCreditRecord), nil, func(k, v []byte) bool {
		var rec credit.Record
		if msg := recovered(func() { decode(k, v, &rec) }); msg != "" {
			rep.problem("credit record %x: %s", k, msg)
			return true
		}
		node, err := ledger.AddressFromBytes(k[len(prefixCreditRecord) : len(prefixCreditRecord)+addrLen(k[len(prefixCreditRecord):])])
		if err != nil {
			rep.problem("credit record %x: %v", k, err)
			return true
		}
		for _, d := range rec.Debts {
			debts[string(node.Bytes())] = mustAdd(debts[string(node.Bytes())], d.Owed)
			r := CreditRequestOf(s, d.Request)
			if r == nil || r.Node != node || r.Owed != d.Owed || r.Due != d.Due {
				rep.problem("credit record %x: debt %s does not match its request", k, d.Request)
			}
		}
		for _, v := range rec.Reserved {
			r := CreditRequestOf(s, v.Request)
			if r == nil || r.Node != node || r.To == "" || r.Status != CreditPending || r.Amount != v.Amount {
				rep.problem("credit record %x: reservation %s is not of a pending request to another region", k, v.Request)
			}
		}
		return true
	})
	if err != nil {
		return err
	}
	err = s.Scan([]byte(prefixCreditReq), nil, func(k, v []byte) bool {
		var r CreditRequestRecord
		if msg := recovered(func() { decode(k, v, &r) }); msg != "" {
			rep.problem("credit request %x: %s", k, msg)
			return true
		}
		if sum, ok := r.Owed.Add(r.Repaid); r.Status != CreditPending && (!ok || sum != r.Amount) {
			rep.problem("credit request %s: owed %s and repaid %s do not make its amount %s", r.ID, r.Owed, r.Repaid, r.Amount)
		}
		key := string(r.Node.Bytes())
		switch paid := r.Status != CreditPending; {
		case r.From != "" && paid:
			paidIn[key] = mustAdd(paidIn[key], r.Amount)
		case r.To != "" && paid:
			paidOut[key] = mustAdd(paidOut[key], r.Amount)
		}
		if r.From == "" {
			byReq[key] = mustAdd(byReq[key], r.Owed)
		}
		if r.To == "" {
			lk := string(creditLineKey(r.Node, r.Payee, r.Payer))
			lines[lk] = mustAdd(lines[lk], r.Owed)
		}
		return true
	})
	if err != nil {
		return err
	}
	for key, n := range nodes {
		if n.CrossPaid != paidIn[key] || n.CrossBorrowed != paidOut[key] || n.CrossPaid.Cmp(n.Paid) > 0 {
			rep.problem("credit node %s: paid across regions %s and borrowed across regions %s, but the requests say %s and %s",
				n.Node, n.CrossPaid, n.CrossBorrowed, paidIn[key], paidOut[key])
			continue
		}
		out := n.Outstanding()
		if debts[key] != out || byReq[key] != out {
			rep.problem("credit node %s: paid %s less repaid %s is %s, but its payers' debts total %s and its requests owe %s",
				n.Node, n.Paid, n.Repaid, out, debts[key], byReq[key])
		}
	}
	return s.Scan([]byte(prefixCreditLine), nil, func(k, v []byte) bool {
		var l CreditLine
		if msg := recovered(func() { decode(k, v, &l) }); msg != "" {
			rep.problem("credit line %x: %s", k, msg)
			return true
		}
		if l.Owed != lines[string(k)] {
			rep.problem("credit line %x owes %s; its requests owe %s", k, l.Owed, lines[string(k)])
		}
		return true
	})
}

// auditPool checks a node's pool coin and books.
func auditPool(s Scanner, rep *AuditReport, n *CreditNode) {
	in, ok := n.Funded.Add(n.Repaid)
	if bal, ok2 := in.Sub(n.Paid); !ok || !ok2 || bal != n.Balance {
		rep.problem("credit node %s: funded %s + repaid %s − paid %s is not its pool's %s", n.Node, n.Funded, n.Repaid, n.Paid, n.Balance)
	}
	if !bytes.Equal(s.Get(creditPoolKey(n.Pool)), n.Node.Bytes()) || n.Pool != CreditPool(n.Pool.Region(), n.Node) {
		rep.problem("credit node %s: the pool index does not name it", n.Node)
	}
	if n.Balance.IsZero() {
		return
	}
	c := CoinByID(s, n.PoolCoin)
	if c == nil || c.Owner != n.Pool || c.Amount != n.Balance || c.Token != n.Token {
		rep.problem("credit node %s: pool coin %s is not an unspent coin of %s worth %s", n.Node, n.PoolCoin, n.Pool, n.Balance)
	}
}

// addrLen is the length of the address bytes b starts with: a version, a
// region length, the region and the key hash (ledger.Address.Bytes).
func addrLen(b []byte) int {
	if len(b) < 2 {
		return len(b)
	}
	return min(len(b), 2+int(b[1])+ledger.KeyHashSize)
}
