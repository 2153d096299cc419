package state

import (
	"encoding/hex"
	"strconv"
	"time"

	"github.com/pegledger/peg/internal/credit"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/proof"
	"github.com/pegledger/peg/internal/tx"
)

// Credit across regions (S4.1). The payer's chain P records the request and
// holds its amount against the node's limit there; the payee's chain Q
// learns of it by proof (credit_request_in), and the payee confirms it
// there, against its line for the payer, from the node's pool on Q; P
// learns of the payment by proof (credit_paid_in) and keeps the debt; the
// payer repays on P, and Q learns of each repayment by proof
// (credit_repaid_in), which lowers what the line and the request owe there.
// Each chain checks the certificate it holds: P the payer's, Q the payee's.

// creditRequestAcross records, on the payer's chain, a request to a payee of
// another region of the network: the deadline, the amount, the payer's
// certificate, then the node's limit for the payer, net of what it owes and
// what its other cross-region requests hold. Writes the request (To: the
// payee's region) and its reservation.
func (x *exec) creditRequestAcross(m tx.CreditRequest, n *CreditNode) *ledger.Rejection {
	payer := x.tx.Signer
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
	now := x.env.Time.UnixNano()
	rec := creditRecordOf(x.w, n.Node, payer)
	if open := rec.OpenAt(now); open >= credit.MaxOpenDebts {
		return ledger.Reject(ledger.CodeCreditTooManyDebts, "%s has %d open debts and requests to other regions with %s, the most allowed", payer, open, n.Node)
	}
	limit := credit.Limit(n.Params, rec, creditVolumeOf(x.w, n.Node, m.Payee), now)
	reserved := rec.ReservedAt(now)
	format := func(a money.Amount) string { return t.Contract.FormatAmount(a) + " " + t.Contract.Symbol }
	if rej := credit.CheckLimit(m.Amount, limit, mustAdd(rec.Owed(), reserved), format); rej != nil {
		if !reserved.IsZero() {
			rej.Message += ", " + format(reserved) + " of it held by its requests to other regions"
		}
		return rej
	}
	r := &CreditRequestRecord{ID: x.tx.ID, Node: n.Node, Payer: payer, Payee: m.Payee, Token: n.Token, Amount: m.Amount,
		Description: m.Description, DocumentHash: hex.EncodeToString(m.DocumentHash[:]), Deadline: m.Deadline.UnixNano(),
		Status: CreditPending, Requested: now, To: m.Payee.Region()}
	rec.Reserve(r.ID, r.Amount, r.Deadline+int64(credit.CrossMargin), now)
	x.w.Set(creditRecordKey(n.Node, payer), encode(rec))
	x.w.Set(creditRequestKey(r.ID), encode(r))
	x.w.Set(creditOutKey(r.ID), nil)
	x.w.Set(creditPartyKey(payer, x.env.Height, r.ID), nil)
	x.emit("credit.requested", "request", r.ID.String(), "node", n.Node.String(), "payer", payer.String(), "payee", m.Payee.String(),
		"amount", m.Amount.String(), "deadline", m.Deadline.Format(time.RFC3339), "token", string(n.Token),
		"description", r.Description, "document_hash", r.DocumentHash, "from", string(x.env.Region), "to", string(r.To))
	return nil
}

// provenCreditEvent finds the event typ of leaf that names request id,
// from region from to region to: CREDIT_NOT_PROVEN if there is none.
func provenCreditEvent(l *proof.Leaf, typ string, id ledger.TxID, from, to ledger.Region) (ledger.Event, *ledger.Rejection) {
	for _, e := range l.Events {
		if e.Type != typ || attrOf(e, "request") != id.String() {
			continue
		}
		if ledger.Region(attrOf(e, "from")) != from || ledger.Region(attrOf(e, "to")) != to {
			return ledger.Event{}, ledger.Reject(ledger.CodeCreditNotProven, "the %s of request %s goes from %q to %q, not from %s to %s",
				typ, id, attrOf(e, "from"), attrOf(e, "to"), from, to)
		}
		return e, nil
	}
	return ledger.Event{}, ledger.Reject(ledger.CodeCreditNotProven, "transaction %s records no %s of request %s from %s to %s", l.TxID, typ, id, from, to)
}

// provenRequest reads the cross-region request id from its credit.requested
// event, from region from to this one.
func (x *exec) provenRequest(l *proof.Leaf, id ledger.TxID, from ledger.Region) (*CreditRequestRecord, *ledger.Rejection) {
	e, rej := provenCreditEvent(l, "credit.requested", id, from, x.env.Region)
	if rej != nil {
		return nil, rej
	}
	r := &CreditRequestRecord{ID: id, Status: CreditPending, From: from, Description: attrOf(e, "description"), Requested: x.env.Time.UnixNano()}
	var errs [7]error
	r.Node, errs[0] = ledger.ParseAddress(attrOf(e, "node"))
	r.Payer, errs[1] = ledger.ParseAddress(attrOf(e, "payer"))
	r.Payee, errs[2] = ledger.ParseAddress(attrOf(e, "payee"))
	r.Token, errs[3] = ledger.ParseTokenID(attrOf(e, "token"))
	r.Amount, errs[4] = money.ParseUnits(attrOf(e, "amount"))
	deadline, err := time.Parse(time.RFC3339, attrOf(e, "deadline"))
	errs[5] = err
	r.Deadline = deadline.UnixNano()
	doc, err := hex.DecodeString(attrOf(e, "document_hash"))
	errs[6] = err
	r.DocumentHash = hex.EncodeToString(doc)
	for _, err := range errs {
		if err != nil {
			return nil, ledger.Reject(ledger.CodeCreditNotProven, "the credit.requested event of request %s is malformed: %v", id, err)
		}
	}
	if l.TxID != id || r.Amount.IsZero() || r.Payer.Region() != from || r.Payee.Region() != x.env.Region ||
		len(doc) != 32 || r.Description == "" {
		return nil, ledger.Reject(ledger.CodeCreditNotProven, "the credit.requested event of request %s is not a request of %s to a payee here", id, from)
	}
	return r, nil
}

// creditRequestIn writes, on the payee's chain, a request the payer's
// chain recorded: the proof, the request not here yet, the node here and
// lending its token, the payee not the fee contract, the deadline not
// passed. The payee confirms it as any request (credit_confirm).
func (x *exec) creditRequestIn(m tx.CreditRequestIn) *ledger.Rejection {
	from, leaf, rej := x.verified(m.Proof, "credit_request")
	if rej != nil {
		return rej
	}
	r, rej := x.provenRequest(leaf, m.Request, from)
	if rej != nil {
		return rej
	}
	if prev := CreditRequestOf(x.w, r.ID); prev != nil {
		return ledger.Reject(ledger.CodeCreditProofDone, "request %s is already recorded here (%s)", r.ID, prev.Status)
	}
	n, rej := x.creditNode(r.Node)
	if rej != nil {
		return rej
	}
	if r.Token != n.Token {
		return ledger.Reject(ledger.CodeInvalidArgument, "credit node %s lends %s on this chain, not %s", n.Node, n.Token, r.Token)
	}
	if rej := x.home(r.Payee, "payee"); rej != nil {
		return rej
	}
	if x.env.Time.UnixNano() > r.Deadline {
		return ledger.Reject(ledger.CodeCreditLapsed, "request %s lapsed at %s by this chain's time", r.ID, time.Unix(0, r.Deadline).UTC().Format(time.RFC3339))
	}
	x.w.Set(creditRequestKey(r.ID), encode(r))
	x.w.Set(creditPartyKey(r.Payee, x.env.Height, r.ID), nil)
	x.emit("credit.requested", "request", r.ID.String(), "node", n.Node.String(), "payer", r.Payer.String(), "payee", r.Payee.String(),
		"amount", r.Amount.String(), "deadline", time.Unix(0, r.Deadline).UTC().Format(time.RFC3339), "from", string(from), "to", string(x.env.Region))
	return nil
}

// creditPaidIn records, on the payer's chain, the debt of a cross-region
// request that the payee's chain paid: the request is a cross-region one of
// this chain, the proof is of its region's credit_confirm paying it, and
// it is not recorded paid yet. The reservation becomes the debt, due the
// node's term after the proven payment's time; a payment proven after the
// reservation ran out is recorded all the same.
func (x *exec) creditPaidIn(m tx.CreditPaidIn) *ledger.Rejection {
	r := CreditRequestOf(x.w, m.Request)
	if r == nil {
		return ledger.Reject(ledger.CodeCreditNoRequest, "no credit request %s", m.Request)
	}
	if r.To == "" {
		return ledger.Reject(ledger.CodeCreditNotProven, "request %s is not to a payee of another region", r.ID)
	}
	to, leaf, rej := x.verified(m.Proof, "credit_confirm")
	if rej != nil {
		return rej
	}
	if to != r.To {
		return ledger.Reject(ledger.CodeCreditNotProven, "request %s is to region %s; the proof is of %s", r.ID, r.To, to)
	}
	e, rej := provenCreditEvent(leaf, "credit.paid", r.ID, x.env.Region, to)
	if rej != nil {
		return rej
	}
	paidAt, err := strconv.ParseInt(attrOf(e, "paid_at"), 10, 64)
	if err != nil || attrOf(e, "node") != r.Node.String() || attrOf(e, "payer") != r.Payer.String() ||
		attrOf(e, "payee") != r.Payee.String() || attrOf(e, "amount") != r.Amount.String() {
		return ledger.Reject(ledger.CodeCreditNotProven, "the credit.paid event of request %s is not the request recorded here", r.ID)
	}
	if r.Status != CreditPending {
		return ledger.Reject(ledger.CodeCreditProofDone, "request %s is already %s here", r.ID, r.Status)
	}
	n, rej := x.creditNode(r.Node)
	if rej != nil {
		return rej
	}
	now := x.env.Time.UnixNano()
	due := paidAt + int64(n.Params.Term)
	rec := creditRecordOf(x.w, n.Node, r.Payer)
	rec.Release(r.ID)
	rec.Borrow(r.ID, due, r.Amount)
	x.w.Set(creditRecordKey(n.Node, r.Payer), encode(rec))
	vol := credit.Book(creditVolumeOf(x.w, n.Node, r.Payee), credit.Entry{Time: now, Amount: r.Amount}, now, n.Params.Window)
	x.w.Set(creditVolumeKey(n.Node, r.Payee), encode(vol))
	n.CrossBorrowed = mustAdd(n.CrossBorrowed, r.Amount)
	x.saveCreditNode(n)
	r.Status, r.PaidAt, r.Due, r.Owed, r.PaidBy = CreditPaid, paidAt, due, r.Amount, leaf.TxID
	x.w.Set(creditRequestKey(r.ID), encode(r))
	x.emit("credit.paid", "request", r.ID.String(), "node", n.Node.String(), "payer", r.Payer.String(), "payee", r.Payee.String(),
		"amount", r.Amount.String(), "due", time.Unix(0, due).UTC().Format(time.RFC3339), "to", string(to))
	return nil
}

// creditRepaidIn lowers, on the payee's chain, what a cross-region request
// owes there (and the payee's line for the payer) by a repayment the
// payer's chain recorded: the proof is of that repayment, of a request of
// that region recorded here, not recorded here before.
func (x *exec) creditRepaidIn(m tx.CreditRepaidIn) *ledger.Rejection {
	from, leaf, rej := x.verified(m.Proof, "credit_repay")
	if rej != nil {
		return rej
	}
	if leaf.TxID != m.Repayment {
		return ledger.Reject(ledger.CodeCreditNotProven, "the proof is of transaction %s, not of repayment %s", leaf.TxID, m.Repayment)
	}
	var e ledger.Event
	for _, ev := range leaf.Events {
		if ev.Type == "credit.repaid" {
			e = ev
		}
	}
	id, err := ledger.ParseTxID(attrOf(e, "request"))
	if err != nil {
		return ledger.Reject(ledger.CodeCreditNotProven, "repayment %s records no credit.repaid of a request", m.Repayment)
	}
	r := CreditRequestOf(x.w, id)
	if r == nil || r.From != from {
		return ledger.Reject(ledger.CodeCreditNotProven, "request %s, which repayment %s repays, is not a request of %s recorded here", id, m.Repayment, from)
	}
	if _, rej := provenCreditEvent(leaf, "credit.repaid", id, from, x.env.Region); rej != nil {
		return rej
	}
	amount, err := money.ParseUnits(attrOf(e, "amount"))
	if err != nil || attrOf(e, "payer") != r.Payer.String() || attrOf(e, "node") != r.Node.String() {
		return ledger.Reject(ledger.CodeCreditNotProven, "the credit.repaid event of repayment %s is not of the request recorded here", m.Repayment)
	}
	if x.w.Get(creditRepaidInKey(m.Repayment)) != nil {
		return ledger.Reject(ledger.CodeCreditProofDone, "repayment %s is already recorded here", m.Repayment)
	}
	rest, ok := r.Owed.Sub(amount)
	if !ok || (r.Status != CreditPaid && r.Status != CreditReceived) {
		return ledger.Reject(ledger.CodeCreditNotProven, "request %s is %s and owes %s here; the repayment is of %s", r.ID, r.Status, r.Owed, amount)
	}
	x.lowerLine(creditLineKey(r.Node, r.Payee, r.Payer), amount)
	r.Owed, r.Repaid, r.RepaidLate = rest, mustAdd(r.Repaid, amount), r.RepaidLate || attrOf(e, "late") == "true"
	if rest.IsZero() && r.Status == CreditReceived {
		r.Status = CreditRepaid
	}
	x.w.Set(creditRequestKey(r.ID), encode(r))
	x.w.Set(creditRepaidInKey(m.Repayment), nil)
	x.emit("credit.repaid", "request", r.ID.String(), "node", r.Node.String(), "payer", r.Payer.String(), "amount", amount.String(),
		"owed", rest.String(), "late", attrOf(e, "late"), "repayment", m.Repayment.String(), "from", string(from))
	return nil
}

// CreditRequestsOut lists, in id order, the requests of this chain's payers
// to payees of other regions, which a relayer carries (internal/relay).
func CreditRequestsOut(s Scanner, fn func(CreditRequestRecord) bool) error {
	p := []byte(prefixCreditOut)
	return s.Scan(p, nil, func(k, _ []byte) bool {
		var id ledger.TxID
		copy(id[:], k[len(p):])
		r := CreditRequestOf(s, id)
		if r == nil {
			panic("state: a cross-region credit request is listed but not recorded")
		}
		return fn(*r)
	})
}

// poolDelivered merges coin c, just delivered from another region, into
// the pool it is owned by, if it is a credit node's pool of its token here:
// a node funds its pool on another region with an ordinary cross-region
// payment to CreditPool(that region, node). The pool's coin is replaced by
// one worth c more, at index 1.
func (x *exec) poolDelivered(c Coin) {
	b := x.w.Get(creditPoolKey(c.Owner))
	if b == nil {
		return
	}
	node, err := ledger.AddressFromBytes(b)
	if err != nil {
		panic("state: a credit pool index names no address")
	}
	n := CreditNodeOf(x.w, node)
	if n == nil || n.Token != c.Token {
		return
	}
	x.destroy(c)
	x.movePool(n, mustAdd(n.Balance, c.Amount), 1)
	n.Funded = mustAdd(n.Funded, c.Amount)
	x.saveCreditNode(n)
	x.emit("credit.funded", "node", n.Node.String(), "amount", c.Amount.String(), "pool", n.Balance.String())
}
