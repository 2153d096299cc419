package state

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/pegledger/peg/internal/credit"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/tx"
)

// CreditNode is a credit node on this chain (S4.1): its parameters, its pool
// and its books. The pool is one coin of the node's token, owned by the
// node's keyless pool address, replaced by every transaction that moves it,
// so that the ledger pays from it without searching for coins. Its books hold
// Pool = Funded − Paid + Repaid, and the debts this chain keeps add up to
// Paid − CrossPaid + CrossBorrowed − Repaid (the audit checks both): across
// regions (S4.1) the pool of the payee's chain pays and the payer's chain
// keeps the debt and takes the repayments.
type CreditNode struct {
	Node     ledger.Address `json:"node"`
	Token    ledger.TokenID `json:"token"`
	Params   credit.Params  `json:"params"`
	Pool     ledger.Address `json:"pool"`
	PoolCoin ledger.CoinID  `json:"pool_coin"` // zero while the pool is empty
	Balance  money.Amount   `json:"balance"`   // the pool coin's amount
	Funded   money.Amount   `json:"funded"`
	Paid     money.Amount   `json:"paid"`
	Repaid   money.Amount   `json:"repaid"`
	// CrossPaid is what the pool paid on requests of payers of other
	// regions (part of Paid), whose debts those regions keep.
	CrossPaid money.Amount `json:"cross_paid,omitzero"`
	// CrossBorrowed is what other regions' pools paid on requests of this
	// region's payers, proven here (credit_paid_in): debts kept here.
	CrossBorrowed money.Amount `json:"cross_borrowed,omitzero"`
}

// Outstanding is what the debts this chain keeps for the node total:
// Paid − CrossPaid + CrossBorrowed − Repaid.
func (n *CreditNode) Outstanding() money.Amount {
	lent, ok := n.Paid.Add(n.CrossBorrowed)
	if ok {
		lent, ok = lent.Sub(n.CrossPaid)
	}
	o, ok2 := lent.Sub(n.Repaid)
	if !ok || !ok2 {
		panic("state: credit node " + n.Node.String() + " has more repaid than lent")
	}
	return o
}

// CreditPool is the keyless address of node's pool on region's chain:
// nobody can sign for it, and no freeze may name it.
func CreditPool(region ledger.Region, node ledger.Address) ledger.Address {
	return ledger.ContractAddress(region, sha256.Sum256(append([]byte("peg credit pool/"), node.Bytes()...)))
}

// Credit request states. A debt is open from PAID until repaid in full;
// LAPSED and OVERDUE are judged at block time (CreditRequestRecord.StatusAt).
const (
	CreditPending  = "PENDING"
	CreditPaid     = "PAID"
	CreditReceived = "RECEIVED"
	CreditRepaid   = "REPAID"
	CreditLapsed   = "LAPSED"
	CreditOverdue  = "OVERDUE"
	CreditDefault  = "DEFAULTED"
)

// CreditRequestRecord is a credit request and, once paid, its debt.
type CreditRequestRecord struct {
	ID           ledger.TxID    `json:"id"`
	Node         ledger.Address `json:"node"`
	Payer        ledger.Address `json:"payer"`
	Payee        ledger.Address `json:"payee"`
	Token        ledger.TokenID `json:"token"`
	Amount       money.Amount   `json:"amount"`
	Description  string         `json:"description"`
	DocumentHash string         `json:"document_hash"`
	Deadline     int64          `json:"deadline"` // block time, Unix nanoseconds, as all times here
	Status       string         `json:"status"`
	Requested    int64          `json:"requested"`
	PaidAt       int64          `json:"paid_at,omitempty"`
	Due          int64          `json:"due,omitempty"`
	Owed         money.Amount   `json:"owed"`
	Repaid       money.Amount   `json:"repaid"`
	RepaidLate   bool           `json:"repaid_late,omitempty"`
	// To is, on the payer's chain, the payee's region of a cross-region
	// request; From is, on the payee's chain, the payer's (S4.1). Both are
	// empty for a request within one region.
	To   ledger.Region `json:"to,omitempty"`
	From ledger.Region `json:"from,omitempty"`
	// PaidBy is, on the payee's chain, the credit_confirm that paid a
	// cross-region request, whose proof tells the payer's chain.
	PaidBy ledger.TxID `json:"paid_by,omitzero"`
	// Repayments are, on the payer's chain, the credit_repay transactions
	// of a cross-region request, whose proofs tell the payee's chain.
	Repayments []ledger.TxID `json:"repayments,omitempty"`
}

// StatusAt is the request's status judged at block time now: a pending
// request past its deadline has LAPSED, an open debt past its due date is
// OVERDUE, and past its grace too DEFAULTED. A debt repaid in full before
// the payee confirmed receipt stays PAID until it does.
func (r *CreditRequestRecord) StatusAt(now int64, p credit.Params) string {
	open := (r.Status == CreditPaid || r.Status == CreditReceived) && !r.Owed.IsZero()
	switch {
	case r.Status == CreditPending && r.To != "" && now > r.Deadline+int64(credit.CrossMargin):
		return CreditLapsed
	case r.Status == CreditPending && r.To == "" && now > r.Deadline:
		return CreditLapsed
	case open && now > r.Due+int64(p.Grace):
		return CreditDefault
	case open && now > r.Due:
		return CreditOverdue
	}
	return r.Status
}

// CreditLine is the line a payee grants a payer through a node, and what the
// payer owes on it.
type CreditLine struct {
	Amount money.Amount `json:"amount"`
	Owed   money.Amount `json:"owed"`
}

func (x *exec) creditNode(a ledger.Address) (*CreditNode, *ledger.Rejection) {
	n := CreditNodeOf(x.w, a)
	if n == nil {
		return nil, ledger.Reject(ledger.CodeCreditNoNode, "%s is not a credit node on this chain", a)
	}
	return n, nil
}

func (x *exec) saveCreditNode(n *CreditNode) { x.w.Set(creditNodeKey(n.Node), encode(n)) }

func (x *exec) registerCreditNode(m tx.RegisterCreditNode) *ledger.Rejection {
	if rej := x.requireOperator(); rej != nil {
		return rej
	}
	if rej := x.networkRegion(m.Node, "credit node"); rej != nil {
		return rej
	}
	if _, rej := x.viewToken(m.Token); rej != nil {
		return rej
	}
	if err := m.Params.Validate(); err != nil {
		return ledger.Reject(ledger.CodeCreditParams, "%v", err)
	}
	if x.w.Get(creditNodeKey(m.Node)) != nil {
		return ledger.Reject(ledger.CodeCreditNodeExists, "%s is already a credit node", m.Node)
	}
	n := &CreditNode{Node: m.Node, Token: m.Token, Params: m.Params, Pool: CreditPool(x.env.Region, m.Node)}
	x.saveCreditNode(n)
	x.w.Set(creditPoolKey(n.Pool), m.Node.Bytes())
	x.emit("credit.node", "node", m.Node.String(), "token", string(m.Token), "pool", n.Pool.String(),
		"cap", m.Params.Cap.String(), "term", m.Params.Term.String())
	return nil
}

// movePool replaces the node's pool coin by one of balance, after the
// transaction's other coins (indexes below first): the old coin is
// destroyed, the new one created at index first, none when balance is zero.
func (x *exec) movePool(n *CreditNode, balance money.Amount, first uint32) {
	if !n.Balance.IsZero() {
		c, rej := x.coin(n.PoolCoin)
		if rej != nil || c.Owner != n.Pool || c.Amount != n.Balance {
			panic("state: credit node " + n.Node.String() + "'s pool coin is not its books'")
		}
		x.destroy(c)
	}
	n.Balance, n.PoolCoin = balance, ledger.CoinID{}
	if !balance.IsZero() {
		n.PoolCoin = x.create(n.Token, first, n.Pool, balance).ID
	}
}

// intoPool moves amount of holder's inputs into n's pool, in the checks'
// order of docs/transactions.md: the token's rules for holder and the pool,
// the inputs, the transfer's size, conservation, the pool's range. The
// change goes back to holder as coin 0, the pool's new coin is coin 1; verb
// names the step in a refusal.
func (x *exec) intoPool(t *Token, n *CreditNode, holder ledger.Address, inputs []ledger.CoinID, amount money.Amount, verb string) *ledger.Rejection {
	if rej := x.movable(t, holder, n.Pool); rej != nil {
		return rej
	}
	coins, in, rej := x.inputs(t, holder, inputs)
	if rej != nil {
		return rej
	}
	if rej := t.Contract.CheckTransfer(amount); rej != nil {
		return rej
	}
	change, ok := in.Sub(amount)
	if !ok {
		return ledger.Reject(ledger.CodeNotConserved, "inputs total %s, less than the %s to %s", t.Contract.FormatAmount(in), t.Contract.FormatAmount(amount), verb)
	}
	balance, ok := n.Balance.Add(amount)
	if !ok {
		return ledger.Reject(ledger.CodeAmountOverflow, "the pool would overflow the amount range")
	}
	for _, c := range coins {
		x.destroy(c)
	}
	if !change.IsZero() {
		x.create(n.Token, 0, holder, change)
	}
	x.movePool(n, balance, 1)
	return nil
}

func (x *exec) creditFund(m tx.CreditFund) *ledger.Rejection {
	n, rej := x.creditNode(x.tx.Signer)
	if rej != nil {
		return rej
	}
	t, rej := x.loadToken(n.Token)
	if rej != nil {
		return rej
	}
	if rej := x.intoPool(t, n, n.Node, m.Inputs, m.Amount, "fund"); rej != nil {
		return rej
	}
	n.Funded = mustAdd(n.Funded, m.Amount)
	x.saveCreditNode(n)
	x.emit("credit.funded", "node", n.Node.String(), "amount", m.Amount.String(), "pool", n.Balance.String())
	return nil
}

func (x *exec) setCreditLine(m tx.SetCreditLine) *ledger.Rejection {
	if _, rej := x.creditNode(m.Node); rej != nil {
		return rej
	}
	payee := x.tx.Signer
	if m.Payer == payee {
		return ledger.Reject(ledger.CodeInvalidArgument, "a payee grants a line to another account, not itself")
	}
	if _, rej := x.certified(payee, "payee"); rej != nil {
		return rej
	}
	k := creditLineKey(m.Node, payee, m.Payer)
	line := creditLineAt(x.w, k)
	line.Amount = m.Amount
	if line.Amount.IsZero() && line.Owed.IsZero() {
		x.w.Delete(k)
	} else {
		x.w.Set(k, encode(line))
	}
	x.emit("credit.line", "node", m.Node.String(), "payee", payee.String(), "payer", m.Payer.String(), "amount", m.Amount.String())
	return nil
}

func (x *exec) creditRequest(m tx.CreditRequest) *ledger.Rejection {
	n, rej := x.creditNode(m.Node)
	if rej != nil {
		return rej
	}
	payer := x.tx.Signer
	switch {
	case m.Token != n.Token:
		return ledger.Reject(ledger.CodeInvalidArgument, "credit node %s lends %s, not %s", n.Node, n.Token, m.Token)
	case m.Payee == payer:
		return ledger.Reject(ledger.CodeInvalidArgument, "a payer does not pay itself on credit")
	}
	if m.Payee.Region() != x.env.Region {
		if rej := x.networkRegion(m.Payee, "payee"); rej != nil {
			return rej
		}
		return x.creditRequestAcross(m, n)
	}
	if rej := x.home(m.Payee, "payee"); rej != nil {
		return rej
	}
	now := x.env.Time
	if rej := x.creditDeadline(m.Deadline); rej != nil {
		return rej
	}
	t, rej := x.viewToken(n.Token)
	if rej != nil {
		return rej
	}
	if rej := t.Contract.CheckTransfer(m.Amount); rej != nil {
		return rej
	}
	if _, rej := x.certified(payer, "payer"); rej != nil {
		return rej
	}
	if _, rej := x.certified(m.Payee, "payee"); rej != nil {
		return rej
	}
	r := &CreditRequestRecord{ID: x.tx.ID, Node: n.Node, Payer: payer, Payee: m.Payee, Token: n.Token, Amount: m.Amount,
		Description: m.Description, DocumentHash: hex.EncodeToString(m.DocumentHash[:]), Deadline: m.Deadline.UnixNano(),
		Status: CreditPending, Requested: now.UnixNano()}
	x.w.Set(creditRequestKey(r.ID), encode(r))
	x.w.Set(creditPartyKey(payer, x.env.Height, r.ID), nil)
	x.w.Set(creditPartyKey(m.Payee, x.env.Height, r.ID), nil)
	x.emit("credit.requested", "request", r.ID.String(), "node", n.Node.String(), "payer", payer.String(), "payee", m.Payee.String(),
		"amount", m.Amount.String(), "deadline", m.Deadline.Format(time.RFC3339))
	return nil
}

// creditDeadline checks a request's deadline against the block time.
func (x *exec) creditDeadline(deadline time.Time) *ledger.Rejection {
	now := x.env.Time
	if !deadline.After(now) || deadline.Sub(now) > credit.MaxDeadline {
		return ledger.Reject(ledger.CodeCreditDeadline, "deadline %s must be after the block's time %s and within %s of it",
			deadline.Format(time.RFC3339), now.Format(time.RFC3339), credit.MaxDeadline)
	}
	return nil
}

// creditStep loads request for a step that party takes ("payee", "payer")
// and that needs one of the states in want.
func (x *exec) creditStep(id ledger.TxID, party string, want ...string) (*CreditRequestRecord, *ledger.Rejection) {
	r := CreditRequestOf(x.w, id)
	if r == nil {
		return nil, ledger.Reject(ledger.CodeCreditNoRequest, "no credit request %s", id)
	}
	if party == "payee" && x.tx.Signer != r.Payee {
		return nil, ledger.Reject(ledger.CodeCreditNotPayee, "only the payee %s may take this step of request %s; signer is %s", r.Payee, id, x.tx.Signer)
	}
	if party == "payer" && x.tx.Signer != r.Payer {
		return nil, ledger.Reject(ledger.CodeCreditNotPayer, "only the payer %s may take this step of request %s; signer is %s", r.Payer, id, x.tx.Signer)
	}
	for _, w := range want {
		if r.Status == w {
			return r, nil
		}
	}
	return nil, ledger.Reject(ledger.CodeCreditNotPending, "request %s is %s; %s needs it %v", id, r.Status, x.tx.Msg.Kind(), want)
}

func (x *exec) creditConfirm(m tx.CreditConfirm) *ledger.Rejection {
	r, rej := x.creditStep(m.Request, "payee", CreditPending)
	if rej != nil {
		return rej
	}
	if r.To != "" {
		return ledger.Reject(ledger.CodeForeignRegion, "request %s is to a payee of region %s; the payee confirms it there", r.ID, r.To)
	}
	now := x.env.Time.UnixNano()
	if now > r.Deadline {
		return ledger.Reject(ledger.CodeCreditLapsed, "request %s lapsed at %s, unconfirmed", r.ID, time.Unix(0, r.Deadline).UTC().Format(time.RFC3339))
	}
	// Across regions the payer's certificate is on the payer's chain,
	// which checked it when it recorded the request.
	across := r.From != ""
	if !across {
		if _, rej := x.certified(r.Payer, "payer"); rej != nil {
			return rej
		}
	}
	if _, rej := x.certified(r.Payee, "payee"); rej != nil {
		return rej
	}
	n, rej := x.creditNode(r.Node)
	if rej != nil {
		return rej
	}
	t, rej := x.viewToken(n.Token)
	if rej != nil {
		return rej
	}
	if rej := x.movable(t, r.Payer, r.Payee, n.Pool); rej != nil {
		return rej
	}
	rec := creditRecordOf(x.w, n.Node, r.Payer)
	if !across && len(rec.Debts) >= credit.MaxOpenDebts {
		return ledger.Reject(ledger.CodeCreditTooManyDebts, "%s has %d open debts with %s, the most allowed", r.Payer, len(rec.Debts), n.Node)
	}
	lk := creditLineKey(n.Node, r.Payee, r.Payer)
	line := creditLineAt(x.w, lk)
	vol := creditVolumeOf(x.w, n.Node, r.Payee)
	format := func(a money.Amount) string { return t.Contract.FormatAmount(a) + " " + t.Contract.Symbol }
	if across {
		// The payer's chain held the amount against the node's limit.
		if rej := credit.CheckLine(r.Amount, line.Amount, line.Owed, format); rej != nil {
			return rej
		}
	} else if rej := credit.Check(r.Amount, line.Amount, line.Owed, credit.Limit(n.Params, rec, vol, now), rec.Owed(), format); rej != nil {
		return rej
	}
	rest, ok := n.Balance.Sub(r.Amount)
	if !ok {
		return ledger.Reject(ledger.CodeCreditPoolShort, "credit node %s's pool holds %s, less than %s", n.Node, format(n.Balance), format(r.Amount))
	}
	if t.KYC != nil {
		if rej := x.kycReceives(t, r.Payee, r.Amount); rej != nil {
			return rej
		}
	}
	x.create(n.Token, 0, r.Payee, r.Amount)
	x.movePool(n, rest, 1)
	n.Paid = mustAdd(n.Paid, r.Amount)
	due := now + int64(n.Params.Term)
	if across {
		n.CrossPaid = mustAdd(n.CrossPaid, r.Amount)
		r.PaidBy = x.tx.ID
	} else {
		rec.Borrow(r.ID, due, r.Amount)
		x.w.Set(creditRecordKey(n.Node, r.Payer), encode(rec))
	}
	x.saveCreditNode(n)
	line.Owed = mustAdd(line.Owed, r.Amount)
	x.w.Set(lk, encode(line))
	vol = credit.Book(vol, credit.Entry{Time: now, Amount: r.Amount}, now, n.Params.Window)
	x.w.Set(creditVolumeKey(n.Node, r.Payee), encode(vol))
	r.Status, r.PaidAt, r.Due, r.Owed = CreditPaid, now, due, r.Amount
	x.w.Set(creditRequestKey(r.ID), encode(r))
	kv := []string{"request", r.ID.String(), "node", n.Node.String(), "payer", r.Payer.String(), "payee", r.Payee.String(),
		"amount", r.Amount.String(), "due", time.Unix(0, due).UTC().Format(time.RFC3339)}
	if across {
		kv = append(kv, "from", string(r.From), "to", string(x.env.Region), "paid_at", strconv.FormatInt(now, 10))
	}
	x.emit("credit.paid", kv...)
	return nil
}

func (x *exec) creditReceipt(m tx.CreditReceipt) *ledger.Rejection {
	r, rej := x.creditStep(m.Request, "payee", CreditPaid)
	if rej != nil {
		return rej
	}
	if r.To != "" {
		return ledger.Reject(ledger.CodeForeignRegion, "request %s is to a payee of region %s; the payee confirms receipt there", r.ID, r.To)
	}
	if r.Owed.IsZero() {
		r.Status = CreditRepaid
	} else {
		r.Status = CreditReceived
	}
	x.w.Set(creditRequestKey(r.ID), encode(r))
	x.emit("credit.received", "request", r.ID.String(), "node", r.Node.String(), "payer", r.Payer.String(), "payee", r.Payee.String(), "amount", r.Amount.String())
	return nil
}

func (x *exec) creditRepay(m tx.CreditRepay) *ledger.Rejection {
	r, rej := x.creditStep(m.Request, "payer", CreditPaid, CreditReceived)
	if rej != nil {
		return rej
	}
	if r.From != "" {
		return ledger.Reject(ledger.CodeForeignRegion, "request %s is of a payer of region %s; the payer repays it there", r.ID, r.From)
	}
	if r.To != "" && len(r.Repayments) >= credit.MaxEntries {
		return ledger.Reject(ledger.CodeInvalidArgument, "request %s has had %d repayments, the most a cross-region request takes; repay the rest in one", r.ID, len(r.Repayments))
	}
	n, rej := x.creditNode(r.Node)
	if rej != nil {
		return rej
	}
	t, rej := x.loadToken(n.Token)
	if rej != nil {
		return rej
	}
	if m.Amount.Cmp(r.Owed) > 0 {
		return ledger.Reject(ledger.CodeCreditRepayTooMuch, "%s is more than the %s request %s still owes",
			t.Contract.FormatAmount(m.Amount), t.Contract.FormatAmount(r.Owed), r.ID)
	}
	if rej := x.intoPool(t, n, r.Payer, m.Inputs, m.Amount, "repay"); rej != nil {
		return rej
	}
	n.Repaid = mustAdd(n.Repaid, m.Amount)
	x.saveCreditNode(n)
	now := x.env.Time.UnixNano()
	rec := creditRecordOf(x.w, n.Node, r.Payer)
	rest, late := rec.Repay(r.ID, m.Amount, now, n.Params.Window)
	x.w.Set(creditRecordKey(n.Node, r.Payer), encode(rec))
	kv := []string{"request", r.ID.String(), "node", n.Node.String(), "payer", r.Payer.String(), "amount", m.Amount.String(),
		"owed", rest.String(), "late", strconv.FormatBool(late)}
	if r.To == "" {
		x.lowerLine(creditLineKey(n.Node, r.Payee, r.Payer), m.Amount)
	} else {
		// The line is on the payee's chain, which learns of the repayment
		// by its proof (credit_repaid_in).
		r.Repayments = append(r.Repayments, x.tx.ID)
		kv = append(kv, "payee", r.Payee.String(), "from", string(x.env.Region), "to", string(r.To))
	}
	r.Owed, r.Repaid, r.RepaidLate = rest, mustAdd(r.Repaid, m.Amount), r.RepaidLate || late
	if rest.IsZero() && r.Status == CreditReceived {
		r.Status = CreditRepaid
	}
	x.w.Set(creditRequestKey(r.ID), encode(r))
	x.emit("credit.repaid", kv...)
	return nil
}

// lowerLine lowers what a payer owes on the line at k by amount, removing
// a line withdrawn and owing nothing.
func (x *exec) lowerLine(k []byte, amount money.Amount) {
	line := creditLineAt(x.w, k)
	var ok bool
	if line.Owed, ok = line.Owed.Sub(amount); !ok {
		panic("state: a credit line owes less than its debt")
	}
	if line.Amount.IsZero() && line.Owed.IsZero() {
		x.w.Delete(k)
	} else {
		x.w.Set(k, encode(line))
	}
}

// creditPoolOf reports whether a is a credit node's pool, whose coins only
// credit transactions move.
func (x *exec) creditPoolOf(a ledger.Address) *ledger.Rejection {
	if x.w.Get(creditPoolKey(a)) != nil {
		return ledger.Reject(ledger.CodeCreditPoolEarmarked, "%s is a credit node's pool: its coins move only by credit transactions", a)
	}
	return nil
}

// CreditNodeOf returns the credit node at a, or nil.
func CreditNodeOf(r Reader, a ledger.Address) *CreditNode {
	k := creditNodeKey(a)
	b := r.Get(k)
	if b == nil {
		return nil
	}
	var n CreditNode
	decode(k, b, &n)
	return &n
}

// CreditRequestOf returns the credit request id, or nil.
func CreditRequestOf(r Reader, id ledger.TxID) *CreditRequestRecord {
	k := creditRequestKey(id)
	b := r.Get(k)
	if b == nil {
		return nil
	}
	var c CreditRequestRecord
	decode(k, b, &c)
	return &c
}

// CreditLineOf returns the line payee grants payer through node (zero if none).
func CreditLineOf(r Reader, node, payee, payer ledger.Address) CreditLine {
	return creditLineAt(r, creditLineKey(node, payee, payer))
}

func creditLineAt(r Reader, k []byte) CreditLine {
	var l CreditLine
	if b := r.Get(k); b != nil {
		decode(k, b, &l)
	}
	return l
}

// CreditRecordOf returns payer's record with node (empty if none).
func CreditRecordOf(r Reader, node, payer ledger.Address) *credit.Record {
	return creditRecordOf(r, node, payer)
}

func creditRecordOf(r Reader, node, payer ledger.Address) *credit.Record {
	k := creditRecordKey(node, payer)
	rec := &credit.Record{}
	if b := r.Get(k); b != nil {
		decode(k, b, rec)
	}
	return rec
}

// CreditVolumeOf returns what payee was paid on credit through node, within
// the window as of its last booking.
func CreditVolumeOf(r Reader, node, payee ledger.Address) []credit.Entry {
	return creditVolumeOf(r, node, payee)
}

func creditVolumeOf(r Reader, node, payee ledger.Address) []credit.Entry {
	k := creditVolumeKey(node, payee)
	var es []credit.Entry
	if b := r.Get(k); b != nil {
		decode(k, b, &es)
	}
	return es
}

// CreditLimitOf is node's credit amount for payer paying payee at block
// time now (credit.Limit).
func CreditLimitOf(r Reader, n *CreditNode, payer, payee ledger.Address, now time.Time) money.Amount {
	return credit.Limit(n.Params, creditRecordOf(r, n.Node, payer), creditVolumeOf(r, n.Node, payee), now.UnixNano())
}

// MaxCreditHistory bounds the requests one page of CreditHistory lists.
const MaxCreditHistory = 100

// CreditHistory lists the credit requests a made or was asked to accept,
// newest first, at most limit (1 to MaxCreditHistory) of them, from the
// cursor a previous page returned (nil: the newest). It returns the cursor
// of the next page, nil after the last.
func CreditHistory(s ReverseScanner, a ledger.Address, cursor []byte, limit int) ([]CreditRequestRecord, []byte, error) {
	return partyPage(s, creditPartyPrefix(a), cursor, min(max(limit, 1), MaxCreditHistory), func(id ledger.TxID) *CreditRequestRecord {
		return CreditRequestOf(s, id)
	})
}

// CreditNodes lists the credit nodes in address order.
func CreditNodes(s Scanner) ([]CreditNode, error) {
	var out []CreditNode
	err := s.Scan([]byte(prefixCreditNode), nil, func(k, v []byte) bool {
		var n CreditNode
		decode(k, v, &n)
		out = append(out, n)
		return true
	})
	return out, err
}
