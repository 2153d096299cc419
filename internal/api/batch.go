package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/tx"
)

// MaxBatchRequestBody bounds the body of POST /v1/txs/batch: tx.MaxBatchTxs
// payments of a few hundred bytes, a third more in base64, fit with room;
// the packed batch must still fit tx.MaxBatchSize, which submitBatch checks
// first (413).
const MaxBatchRequestBody = 2 << 20

// submitBatch answers POST /v1/txs/batch: parse each transaction, admit the
// ones that parse in one batch, and, if asked, wait for their blocks. The
// answer is 200 with each transaction's outcome in the request's order,
// whatever the outcomes are; only a request that is wrong as a whole is an
// error.
func (s *server) submitBatch(w http.ResponseWriter, r *http.Request) error {
	req, err := ReadBatch(r)
	if err != nil {
		return err
	}
	if len(req.Txs) == 0 || len(req.Txs) > tx.MaxBatchTxs {
		return badRequest("a batch holds 1 to %d transactions, not %d", tx.MaxBatchTxs, len(req.Txs))
	}
	// A batch that does not fit one mempool entry never will: 413, which a
	// client must not send again as it is, not the 503 of a full node.
	if n := tx.BatchSize(req.Txs); n > tx.MaxBatchSize {
		return apiError(CodeRequestTooLarge, "the batch's %d transactions pack into %d bytes, more than a batch holds (%d): send fewer a request",
			len(req.Txs), n, tx.MaxBatchSize)
	}
	if err := s.chain.Room(req.Txs); err != nil {
		return apiError(CodeUnavailable, "the node could not take the batch: %v", err)
	}
	// The API reads only each transaction's id; the mempool parses and
	// verifies them in full, in parallel, and answers for each. A repeat
	// of a transaction earlier in the request is not offered again: the
	// mempool would find the first and call it a replay.
	items := make([]client.BatchItem, len(req.Txs))
	ids := make([]ledger.TxID, len(req.Txs))
	first := make(map[ledger.TxID]int, len(req.Txs))
	var raws [][]byte
	var at []int
	for i, raw := range req.Txs {
		id, rej := tx.PeekID(raw)
		if rej == nil && tx.IsBatch(raw) {
			rej = ledger.Reject(ledger.CodeMalformed, "transaction %d is itself a batch", i)
		}
		if rej != nil {
			items[i] = RejectedItem(ledger.TxID{}, rej.Code, rej.Message, 0)
			continue
		}
		if j, seen := first[id]; seen {
			items[i] = RejectedItem(id, ledger.CodeDuplicateInBatch, fmt.Sprintf(
				"transaction %d repeats transaction %d of this batch (the same id); only the first is submitted", i, j), 0)
			continue
		}
		first[id] = i
		ids[i] = id
		raws, at = append(raws, raw), append(at, i)
	}
	if len(raws) > 0 {
		adm, err := s.chain.SubmitBatch(r.Context(), raws)
		if err != nil {
			s.log.Warn("api: submitting a batch failed", "txs", len(raws), "err", err)
			return apiError(CodeUnavailable, "the node could not take the batch: %v", err)
		}
		for k, i := range at {
			if adm[k].Code != ledger.OK {
				items[i] = RejectedItem(ids[i], adm[k].Code, adm[k].Log, 0)
				continue
			}
			items[i] = client.BatchItem{TxID: ids[i], Status: client.BatchPending, Name: ledger.OK.Name()}
		}
	}
	if req.Wait != nil && *req.Wait {
		s.awaitBatch(r.Context(), req.Txs, items)
	}
	res := client.BatchResponse{Results: items}
	if WantsProto(r) {
		WriteProto(w, http.StatusOK, res.Proto())
		return nil
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// ReadBatch reads the body of POST /v1/txs/batch: JSON (client.BatchRequest),
// or, as client.BatchContentType, a peg.tx.v1.Batch protobuf message holding
// the transactions as they are, with wait in the query. The protobuf form
// costs the API a fraction of decoding thousands of base64 strings.
func ReadBatch(r *http.Request) (client.BatchRequest, error) {
	var req client.BatchRequest
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != client.BatchContentType {
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			return req, badRequest("request body: %v", err)
		}
		return req, nil
	}
	if q := r.URL.Query().Get("wait"); q != "" {
		wait, err := strconv.ParseBool(q)
		if err != nil {
			return req, badRequest("wait=%q is not true or false", q)
		}
		req.Wait = &wait
	}
	body, err := readBody(r)
	if err != nil {
		return req, badRequest("request body: %v", err)
	}
	txs, err := tx.BatchTxs(body)
	switch {
	case errors.Is(err, tx.ErrBatchFields):
		return req, badRequest("request body has fields a peg.tx.v1.Batch does not")
	case err != nil:
		return req, badRequest("request body does not decode as a peg.tx.v1.Batch protobuf message")
	}
	req.Txs = txs
	return req, nil
}

// readBody reads a request's body whole, into a buffer of its declared
// length when it declares one (limitBody bounds what is read either way).
func readBody(r *http.Request) ([]byte, error) {
	if r.ContentLength <= 0 || r.ContentLength > MaxBatchRequestBody {
		return io.ReadAll(r.Body)
	}
	var b bytes.Buffer
	b.Grow(int(r.ContentLength) + bytes.MinRead)
	_, err := b.ReadFrom(r.Body)
	return b.Bytes(), err
}

// RejectedItem is a batch's answer for a transaction refused with code: by
// the API, the mempool, a block or a gateway.
func RejectedItem(id ledger.TxID, code ledger.Code, msg string, height uint64) client.BatchItem {
	return client.BatchItem{TxID: id, Status: client.BatchRejected, Code: uint32(code), Name: code.Name(), Message: msg, Height: height}
}

// awaitBatch waits until committed blocks have included every pending
// transaction of items, or the chain has passed its expiry height, or the
// wait (s.wait) ends, and records each outcome. Those still pending at the
// end of the wait stay pending: that is an answer, not an error.
func (s *server) awaitBatch(ctx context.Context, raws [][]byte, items []client.BatchItem) {
	ctx, cancel := context.WithTimeout(ctx, s.wait)
	defer cancel()
	expiry := make([]uint64, len(items))
	for i, it := range items {
		if it.Status == client.BatchPending {
			t, _ := tx.Parse(raws[i], s.chain.ChainID()) // admitted, so it parses
			expiry[i] = t.Expiry
		}
	}
	for {
		next := s.chain.Committed()
		snap := s.chain.Snapshot()
		open := 0
		for i := range items {
			it := &items[i]
			if it.Status != client.BatchPending {
				continue
			}
			switch rc := state.ReceiptByID(snap, it.TxID); {
			case rc != nil && rc.Code == ledger.OK:
				*it = client.BatchItem{TxID: it.TxID, Status: client.BatchCommitted, Name: ledger.OK.Name(), Height: rc.Height}
			case rc != nil:
				*it = RejectedItem(it.TxID, rc.Code, rc.Log, rc.Height)
			case snap.Height >= expiry[i]:
				*it = RejectedItem(it.TxID, ledger.CodeExpired, fmt.Sprintf(
					"no block included the transaction by its expiry height %d; it can no longer be included", expiry[i]), snap.Height)
			default:
				open++
			}
		}
		snap.Close()
		if open == 0 {
			return
		}
		select {
		case <-next:
		case <-ctx.Done():
			return
		}
	}
}
