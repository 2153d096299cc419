package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/proof"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/tx"
)

// ErrProofNotYet is the error Chain.ReceiptProof returns when the block that
// commits to a receipt's result, the next one, is not committed yet.
var ErrProofNotYet = errors.New("api: the proof needs the next block")

// txProof answers GET /v1/txs/{id}/proof: the receipt proof of a
// transaction (internal/proof), accepted or refused.
func (s *server) txProof(w http.ResponseWriter, r *http.Request) error {
	id, err := ledger.ParseTxID(r.PathValue("id"))
	if err != nil {
		return badRequest("%v", err)
	}
	p, _, err := s.receiptProof(r, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// coinProof answers GET /v1/coins/{id}/proof?tx=TXID: the proof that
// transaction tx created the coin. The coin may have been spent since:
// creation is a permanent fact, and whether a coin is unspent is the
// region's to say (GET /v1/accounts/{address}/coins).
func (s *server) coinProof(w http.ResponseWriter, r *http.Request) error {
	coin, err := ledger.ParseCoinID(r.PathValue("id"))
	if err != nil {
		return badRequest("%v", err)
	}
	id, err := ledger.ParseTxID(r.URL.Query().Get("tx"))
	if err != nil {
		return badRequest("tx, the transaction that created the coin: %v", err)
	}
	p, rc, err := s.receiptProof(r, id)
	if err != nil {
		return err
	}
	if rc.Code != ledger.OK {
		return withTx(rejection(ledger.CodeProofRefused, fmt.Sprintf("transaction %s was refused with %s: it created no coin", id, rc.Code.Name())), id)
	}
	l, err := proof.DecodeLeaf(p.Leaf)
	if err != nil {
		return err
	}
	for out := range uint32(tx.MaxOutputs) {
		if ledger.NewCoinID(id, out) != coin {
			continue
		}
		info, err := proof.CoinFromLeaf(l, out)
		if err != nil {
			return withTx(rejection(ledger.CodeProofNotCoin, err.Error()), id)
		}
		writeJSON(w, http.StatusOK, proof.Coin{Version: proof.Version, Coin: info, Receipt: *p})
		return nil
	}
	return withTx(rejection(ledger.CodeProofNotCoin, fmt.Sprintf("coin %s is none of transaction %s's outputs", coin, id)), id)
}

// receiptProof proves the committed receipt of transaction id.
func (s *server) receiptProof(r *http.Request, id ledger.TxID) (*proof.Receipt, *state.Receipt, error) {
	snap := s.chain.Snapshot()
	rc := state.ReceiptByID(snap, id)
	height := snap.Height
	snap.Close()
	if rc == nil {
		return nil, nil, notFound("no block has included transaction %s (as of height %d)", id, height)
	}
	p, err := s.chain.ReceiptProof(r.Context(), rc)
	if errors.Is(err, ErrProofNotYet) {
		return nil, nil, withTx(rejection(ledger.CodeProofNotYet, fmt.Sprintf(
			"transaction %s is in block %d; its proof needs block %d, whose header commits to its result, and that block is not committed yet",
			id, rc.Height, rc.Height+1)), id)
	}
	if err != nil {
		return nil, nil, err
	}
	return p, rc, nil
}
