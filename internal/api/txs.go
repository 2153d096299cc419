package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/store"
	"github.com/pegledger/peg/internal/token"
	"github.com/pegledger/peg/internal/tx"
)

// submit answers POST /v1/txs: decode, admit, and unless told not to, wait for
// the block.
func (s *server) submit(w http.ResponseWriter, r *http.Request) error {
	var req client.SubmitRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		return badRequest("request body: %v", err)
	}
	// Parse gives the transaction's id for every answer; the signatures are
	// verified once, by the node's mempool admission (CheckTx), which
	// remembers them for the block.
	t, rej := tx.Parse(req.Tx, s.chain.ChainID())
	if rej != nil {
		return rejection(rej.Code, rej.Message)
	}
	code, msg, err := s.chain.Submit(r.Context(), req.Tx)
	if err != nil {
		s.log.Warn("api: submitting a transaction failed", "tx", t.ID, "err", err)
		return withTx(apiError(CodeUnavailable, "the node could not take the transaction: %v", err), t.ID)
	}
	if code != ledger.OK {
		return withTx(rejection(code, msg), t.ID)
	}
	if req.Wait != nil && !*req.Wait {
		writeJSON(w, http.StatusAccepted, client.Pending{TxID: t.ID, Status: "pending"})
		return nil
	}
	rc, err := s.await(r.Context(), t)
	if err != nil {
		return err
	}
	if rc.Code != ledger.OK {
		e := withTx(rejection(rc.Code, rc.Log), t.ID)
		e.Height = rc.Height
		return e
	}
	snap := s.chain.Snapshot()
	defer snap.Close()
	writeJSON(w, http.StatusOK, receiptView(rc, receiptContracts(snap, rc)))
	return nil
}

// receiptContracts gives, for each event of rc, the contract whose units
// label its amounts: the fee token's for fee events (a payment in one token
// may pay its fee in another), else the token rc's events name, if any.
func receiptContracts(snap *store.Snapshot, rc *state.Receipt) func(eventType string) *token.Contract {
	contract := func(id ledger.TokenID) *token.Contract {
		if t := state.TokenByID(snap, id); id != "" && t != nil {
			return &t.Contract
		}
		return nil
	}
	moved := contract(receiptToken(rc))
	var fees *token.Contract
	if f := state.LoadFees(snap); f != nil {
		fees = contract(f.Policy.Token)
	}
	return func(eventType string) *token.Contract {
		if strings.HasPrefix(eventType, "fee.") {
			return fees
		}
		return moved
	}
}

// await waits until a committed block has included t and returns its receipt.
// It wakes at each commit, never polls, and gives up when the wait is over
// (504) or the chain has passed t's expiry height without including it (410):
// a transaction may be included at its expiry height, never after.
func (s *server) await(ctx context.Context, t *tx.Tx) (*state.Receipt, error) {
	ctx, cancel := context.WithTimeout(ctx, s.wait)
	defer cancel()
	for {
		// Take the channel before reading, so that a commit landing after the
		// read closes it and wakes the loop.
		next := s.chain.Committed()
		snap := s.chain.Snapshot()
		rc, height := state.ReceiptByID(snap, t.ID), snap.Height
		snap.Close()
		if rc != nil {
			return rc, nil
		}
		if height >= t.Expiry {
			return nil, withTx(rejection(ledger.CodeExpired, fmt.Sprintf(
				"no block included the transaction by its expiry height %d; the chain is at %d and it can no longer be included",
				t.Expiry, height)), t.ID)
		}
		select {
		case <-next:
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, withTx(apiError(CodeTimeout,
					"the transaction was admitted but no block included it within %s; GET /v1/txs/%s gives its receipt once it is included",
					s.wait, t.ID), t.ID)
			}
			return nil, withTx(apiError(CodeTimeout, "the request ended before a block included the transaction: %v", ctx.Err()), t.ID)
		}
	}
}

// tx answers GET /v1/txs/{id}.
func (s *server) tx(w http.ResponseWriter, r *http.Request) error {
	id, err := ledger.ParseTxID(r.PathValue("id"))
	if err != nil {
		return badRequest("%v", err)
	}
	snap := s.chain.Snapshot()
	defer snap.Close()
	rc := state.ReceiptByID(snap, id)
	if rc == nil {
		return notFound("no block has included transaction %s (as of height %d)", id, snap.Height)
	}
	writeJSON(w, http.StatusOK, receiptView(rc, receiptContracts(snap, rc)))
	return nil
}

// withTx names the transaction an error is about.
func withTx(e *client.APIError, id ledger.TxID) *client.APIError {
	e.TxID = id.String()
	return e
}
