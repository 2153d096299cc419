package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// creditPass carries every region's cross-region credit requests a step
// (S4.1): a request the payee's region has not seen goes there with the
// proof of its credit_request (credit_request_in); a payment there comes
// back to the payer's region with the proof of its credit_confirm
// (credit_paid_in); each repayment on the payer's region goes to the
// payee's with the proof of its credit_repay (credit_repaid_in). A chain
// refuses a step already taken (CREDIT_PROOF_DONE), which the relayer takes
// as done. It returns the errors of what it could not carry.
func (r *Relayer) creditPass(ctx context.Context) error {
	var errs []error
	for _, reg := range r.cfg.Network.Regions {
		var l *client.CreditAcross
		if err := r.each(ctx, reg.Region, func(c *client.Client) (err error) { l, err = c.CreditAcross(ctx); return }); err != nil {
			errs = append(errs, fmt.Errorf("region %s: credit requests: %w", reg.Region, err))
			continue
		}
		for _, q := range l.Requests {
			r.mu.Lock()
			done := r.creditDone[q.ID]
			r.mu.Unlock()
			if done {
				continue
			}
			finished, err := r.CarryCredit(ctx, reg.Region, q)
			if err != nil {
				errs = append(errs, fmt.Errorf("credit request %s from %s to %s: %w", q.ID, reg.Region, q.To, err))
			}
			if finished {
				r.mu.Lock()
				r.creditDone[q.ID] = true
				r.mu.Unlock()
			}
		}
	}
	return errors.Join(errs...)
}

// CarryCredit moves the cross-region credit request q, as region from (its
// payer's) records it, one step, and reports whether nothing is left to
// carry: lapsed unpaid, or repaid in full and every repayment recorded on
// the payee's region.
func (r *Relayer) CarryCredit(ctx context.Context, from ledger.Region, q client.CreditRequest) (finished bool, err error) {
	to := ledger.Region(q.To)
	id, err := ledger.ParseTxID(q.ID)
	if err != nil {
		return false, err
	}
	var there *client.CreditRequest
	err = r.each(ctx, to, func(c *client.Client) (err error) { there, err = c.CreditRequest(ctx, id); return })
	var apiErr *client.APIError
	switch {
	case errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound:
		if q.Status != "PENDING" {
			return q.Status == "LAPSED", nil
		}
		body := &txpb.Body{}
		return r.creditStep(ctx, from, id, to, "credit_request_in", body, func(p []byte) {
			body.Msg = &txpb.Body_CreditRequestIn{CreditRequestIn: &txpb.CreditRequestIn{Proof: p, Request: id[:]}}
		})
	case err != nil:
		return false, err
	}
	if q.RecordedStatus == "PENDING" {
		if there.PaidBy == "" {
			return q.Status == "LAPSED" && there.Status == "LAPSED", nil
		}
		paidBy, err := ledger.ParseTxID(there.PaidBy)
		if err != nil {
			return false, err
		}
		body := &txpb.Body{}
		_, err = r.creditStep(ctx, to, paidBy, from, "credit_paid_in", body, func(p []byte) {
			body.Msg = &txpb.Body_CreditPaidIn{CreditPaidIn: &txpb.CreditPaidIn{Proof: p, Request: id[:]}}
		})
		return false, err
	}
	if there.Repaid.Units != q.Repaid.Units {
		for _, rp := range q.Repayments {
			rid, err := ledger.ParseTxID(rp)
			if err != nil {
				return false, err
			}
			body := &txpb.Body{}
			if _, err := r.creditStep(ctx, from, rid, to, "credit_repaid_in", body, func(p []byte) {
				body.Msg = &txpb.Body_CreditRepaidIn{CreditRepaidIn: &txpb.CreditRepaidIn{Proof: p, Repayment: rid[:]}}
			}); err != nil {
				return false, err
			}
		}
		return false, nil
	}
	return q.Owed.Units.IsZero(), nil
}

// creditStep submits to region to the step kind that proves transaction
// proven of region of: fill puts the proof into body. A step another
// relayer took first is done; a request that lapsed before it reached the
// payee's region is finished.
func (r *Relayer) creditStep(ctx context.Context, of ledger.Region, proven ledger.TxID, to ledger.Region, kind string,
	body *txpb.Body, fill func(proof []byte)) (finished bool, err error) {
	p, err := r.proof(ctx, of, proven)
	if err != nil {
		return false, err
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return false, err
	}
	fill(raw)
	_, _, err = r.submit(ctx, to, kind, body)
	switch c := apiCode(err); {
	case isCode(err, ledger.CodeCreditProofDone):
		return false, nil
	case isCode(err, ledger.CodeCreditLapsed):
		return true, nil
	case c != 0 && c < apiCodes:
		// A chain's refusal (the node not registered there, say) is not the
		// relayer's failure: the next pass tries again, and the request
		// lapses by time if it never passes, without slowing the passes.
		r.cfg.Log.Warn("credit step refused", "kind", kind, "region", to, "err", err)
		return false, nil
	}
	return false, err
}

// apiCodes is where the API's own codes start (client.APIError): below it
// a code is the ledger's refusal.
const apiCodes = 1000
