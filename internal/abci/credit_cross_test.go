package abci

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// The cross-region credit steps (S4.1) as HK would prove them to this
// chain (GB): its credit_confirm paying a request made here, its
// credit_request to a payee here, and its credit_repay of such a request.

func msgCreditRequestIn(p []byte, req ledger.TxID) func(*txpb.Body) {
	return func(b *txpb.Body) {
		b.Msg = &txpb.Body_CreditRequestIn{CreditRequestIn: &txpb.CreditRequestIn{Proof: p, Request: req[:]}}
	}
}

func msgCreditPaidIn(p []byte, req ledger.TxID) func(*txpb.Body) {
	return func(b *txpb.Body) {
		b.Msg = &txpb.Body_CreditPaidIn{CreditPaidIn: &txpb.CreditPaidIn{Proof: p, Request: req[:]}}
	}
}

func msgCreditRepaidIn(p []byte, repayment ledger.TxID) func(*txpb.Body) {
	return func(b *txpb.Body) {
		b.Msg = &txpb.Body_CreditRepaidIn{CreditRepaidIn: &txpb.CreditRepaidIn{Proof: p, Repayment: repayment[:]}}
	}
}

// hkCreditPaid proves HK's credit_confirm (transaction id, at height)
// paying payee amount units on request req of payer, made here, through
// node, at paidAt.
func hkCreditPaid(tb failer, id ledger.TxID, height uint64, req ledger.TxID, node, payer, payee ledger.Address, amount string, paidAt time.Time) []byte {
	return hkProof(tb, id, height, "credit_confirm", payee, event("credit.paid", "request", req.String(), "node", node.String(),
		"payer", payer.String(), "payee", payee.String(), "amount", amount, "due", paidAt.Add(time.Hour).UTC().Format(time.RFC3339),
		"from", "GB", "to", "HK", "paid_at", strconv.FormatInt(paidAt.UnixNano(), 10)))
}

// hkCreditRequest proves HK's credit_request req, at height, of payer (of
// HK) to payee (here) through node, for amount units until deadline.
func hkCreditRequest(tb failer, req ledger.TxID, height uint64, node, payer, payee ledger.Address, amount string, deadline time.Time) []byte {
	doc := sha256.Sum256([]byte("invoice " + amount))
	return hkProof(tb, req, height, "credit_request", payer, event("credit.requested", "request", req.String(), "node", node.String(),
		"payer", payer.String(), "payee", payee.String(), "amount", amount, "deadline", deadline.UTC().Format(time.RFC3339),
		"token", "gbpt", "description", "goods", "document_hash", hex.EncodeToString(doc[:]), "from", "HK", "to", "GB"))
}

// hkCreditRepaid proves HK's credit_repay id, at height, of amount units of
// request req, leaving owed.
func hkCreditRepaid(tb failer, id ledger.TxID, height uint64, req ledger.TxID, node, payer, payee ledger.Address, amount, owed string) []byte {
	return hkProof(tb, id, height, "credit_repay", payer, event("credit.repaid", "request", req.String(), "node", node.String(),
		"payer", payer.String(), "amount", amount, "owed", owed, "late", "false", "payee", payee.String(), "from", "HK", "to", "GB"))
}
