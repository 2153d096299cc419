package state

import (
	"encoding/hex"
	"strconv"
	"time"

	"github.com/pegledger/peg/internal/credit"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/tx"
)

// States of a request for a higher limit.
const (
	IncreasePending  = "PENDING"
	IncreaseApproved = "APPROVED"
	IncreaseDeclined = "DECLINED"
)

// CreditIncreaseRecord is a payer's latest request to a node for a higher
// limit, and the node's decision (S4.10).
type CreditIncreaseRecord struct {
	ID           ledger.TxID    `json:"id"`
	Node         ledger.Address `json:"node"`
	Payer        ledger.Address `json:"payer"`
	Amount       money.Amount   `json:"amount"`
	DocumentHash string         `json:"document_hash"`
	Requested    int64          `json:"requested"`
	Status       string         `json:"status"`
	Limit        money.Amount   `json:"limit"`
	Expiry       int64          `json:"expiry,omitempty"`
	Reason       string         `json:"reason,omitempty"`
	Decided      int64          `json:"decided,omitempty"`
}

func (x *exec) creditIncrease(m tx.CreditIncrease) *ledger.Rejection {
	n, rej := x.creditNode(m.Node)
	if rej != nil {
		return rej
	}
	payer := x.tx.Signer
	if _, rej := x.certified(payer, "payer"); rej != nil {
		return rej
	}
	r := &CreditIncreaseRecord{ID: x.tx.ID, Node: n.Node, Payer: payer, Amount: m.Amount,
		DocumentHash: hex.EncodeToString(m.DocumentHash[:]), Requested: x.env.Time.UnixNano(), Status: IncreasePending}
	x.w.Set(creditIncreaseKey(n.Node, payer), encode(r))
	x.emit("credit.increase", "node", n.Node.String(), "payer", payer.String(), "amount", m.Amount.String(), "document_hash", r.DocumentHash)
	return nil
}

func (x *exec) creditIncreaseDecision(m tx.CreditIncreaseDecision) *ledger.Rejection {
	n, rej := x.creditNode(x.tx.Signer)
	if rej != nil {
		return rej
	}
	r := CreditIncreaseOf(x.w, n.Node, m.Payer)
	switch {
	case r == nil:
		return ledger.Reject(ledger.CodeCreditNoRequest, "%s has not asked %s for a higher limit", m.Payer, n.Node)
	case r.Status != IncreasePending:
		return ledger.Reject(ledger.CodeCreditNotPending, "%s's request for a higher limit was %s already", m.Payer, r.Status)
	}
	now := x.env.Time
	rec := creditRecordOf(x.w, n.Node, m.Payer)
	if m.Approve {
		if m.Limit.Cmp(n.Params.Cap) > 0 {
			return ledger.Reject(ledger.CodeCreditParams, "a granted limit of %s is above the node's cap %s", m.Limit, n.Params.Cap)
		}
		if !m.Expiry.After(now) || m.Expiry.Sub(now) > credit.MaxWindow {
			return ledger.Reject(ledger.CodeCreditDeadline, "expiry %s must be after the block's time %s and within %s of it",
				m.Expiry.Format(time.RFC3339), now.Format(time.RFC3339), credit.MaxWindow)
		}
		rec.Grant = &credit.Grant{Limit: m.Limit, Expiry: m.Expiry.UnixNano()}
		x.w.Set(creditRecordKey(n.Node, m.Payer), encode(rec))
		r.Status, r.Limit, r.Expiry = IncreaseApproved, m.Limit, m.Expiry.UnixNano()
	} else {
		r.Status = IncreaseDeclined
	}
	r.Reason, r.Decided = m.Reason, now.UnixNano()
	x.w.Set(creditIncreaseKey(n.Node, m.Payer), encode(r))
	x.emit("credit.increase.decided", "node", n.Node.String(), "payer", m.Payer.String(), "approved", strconv.FormatBool(m.Approve),
		"limit", r.Limit.String(), "reason", m.Reason)
	return nil
}

// CreditIncreaseOf returns payer's latest request to node for a higher
// limit, or nil.
func CreditIncreaseOf(r Reader, node, payer ledger.Address) *CreditIncreaseRecord {
	k := creditIncreaseKey(node, payer)
	b := r.Get(k)
	if b == nil {
		return nil
	}
	var c CreditIncreaseRecord
	decode(k, b, &c)
	return &c
}
