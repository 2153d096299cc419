package gateway

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/pegledger/peg/internal/api"
	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/tx"
)

// submitBatch answers POST /v1/txs/batch as the node does: each
// transaction is routed and verified here (the signatures in parallel
// batches, tx.VerifyBatch), those that hold go on to their signers'
// regions, one batch per region, in parallel, and the answer lists every
// transaction's outcome in the request's order. When every transaction
// forwarded went to one region and that region refused the whole batch
// (503 when its mempool is full, REGION_DOWN), that is the answer, so that
// a client retries as it would against the node.
func (g *Gateway) submitBatch(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, api.MaxBatchRequestBody)
	req, err := api.ReadBatch(r)
	if err != nil {
		var e *client.APIError
		if !errors.As(err, &e) {
			e = bodyError(err)
		}
		writeError(w, e)
		return
	}
	if len(req.Txs) == 0 || len(req.Txs) > tx.MaxBatchTxs {
		writeError(w, api.Error(api.CodeBadRequest, "a batch holds 1 to %d transactions, not %d", tx.MaxBatchTxs, len(req.Txs)))
		return
	}
	if n := tx.BatchSize(req.Txs); n > tx.MaxBatchSize {
		writeError(w, api.Error(api.CodeRequestTooLarge, "the batch's %d transactions pack into %d bytes, more than a batch holds (%d): send fewer a request",
			len(req.Txs), n, tx.MaxBatchSize))
		return
	}
	items, groups := g.admitBatch(req.Txs)
	wait := req.Wait != nil && *req.Wait
	if e := g.forwardBatch(r.Context(), groups, req.Txs, items, wait); e != nil {
		writeError(w, e)
		return
	}
	res := client.BatchResponse{Results: items}
	if api.WantsProto(r) {
		api.WriteProto(w, http.StatusOK, res.Proto())
		return
	}
	api.WriteJSON(w, http.StatusOK, res)
}

// group is the transactions of a batch request bound for one region: at
// are their places in the request. noRoom, if set, is the region's recent
// refusal for want of room, which answers them all without a forward.
type group struct {
	region *region
	at     []int
	noRoom *client.APIError
}

// admitBatch routes and verifies raws, records each refusal in items and
// returns the groups to forward, one a region, each with its transactions
// in the request's order. A transaction bound for a region that has just refused a
// batch for want of room (region.noRoom) is neither parsed nor verified:
// its group carries the refusal.
func (g *Gateway) admitBatch(raws [][]byte) ([]client.BatchItem, []*group) {
	items := make([]client.BatchItem, len(raws))
	parsed := make([]*tx.Tx, 0, len(raws))
	regions := make([]*region, 0, len(raws))
	at := make([]int, 0, len(raws))
	var groups []*group
	byRegion := make(map[*region]*group)
	add := func(rg *region, i int, noRoom *client.APIError) {
		gr, ok := byRegion[rg]
		if !ok {
			gr = &group{region: rg, noRoom: noRoom}
			byRegion[rg], groups = gr, append(groups, gr)
		}
		gr.at = append(gr.at, i)
	}
	now := time.Now()
	for i, raw := range raws {
		if tx.IsBatch(raw) {
			g.refuseItem(items, i, nil, ledger.TxID{}, ledger.Reject(ledger.CodeMalformed, "transaction %d is itself a batch", i))
			continue
		}
		rg, rej := g.route(raw)
		if rej == nil {
			if e := rg.noRoom(now); e != nil {
				add(rg, i, e)
				continue
			}
		}
		var t *tx.Tx
		if rej == nil {
			t, rej = tx.Parse(raw, rg.chainID)
		}
		if rej != nil {
			id, _ := tx.PeekID(raw)
			g.refuseItem(items, i, rg, id, rej)
			continue
		}
		parsed, regions, at = append(parsed, t), append(regions, rg), append(at, i)
	}
	for k, rej := range tx.VerifyBatch(parsed, runtime.GOMAXPROCS(0)) {
		if rej != nil {
			g.refuseItem(items, at[k], regions[k], parsed[k].ID, rej)
			continue
		}
		add(regions[k], at[k], nil)
	}
	return items, groups
}

func (g *Gateway) refuseItem(items []client.BatchItem, i int, rg *region, id ledger.TxID, rej *ledger.Rejection) {
	code := ledger.Region("")
	if rg != nil {
		code = rg.code
	}
	g.metrics.refused.WithLabelValues(string(code), rej.Code.Name()).Inc()
	items[i] = api.RejectedItem(id, rej.Code, rej.Message, 0)
}

// forwardBatch sends each group to its region and records the answers in
// items. It returns the error to answer the whole request with, if one
// region took every forwarded transaction and refused them as a whole.
func (g *Gateway) forwardBatch(ctx context.Context, groups []*group, raws [][]byte, items []client.BatchItem, wait bool) *client.APIError {
	errs := make([]*client.APIError, len(groups))
	var wg sync.WaitGroup
	for k, gr := range groups {
		wg.Go(func() { errs[k] = g.forwardGroup(ctx, gr, raws, items, wait) })
	}
	wg.Wait()
	if len(groups) == 1 && errs[0] != nil {
		return errs[0]
	}
	for k, gr := range groups {
		if e := errs[k]; e != nil {
			for _, i := range gr.at {
				items[i] = client.BatchItem{Status: client.BatchRejected, Code: e.Code, Name: e.Name, Message: e.Message}
				if id, rej := tx.PeekID(raws[i]); rej == nil {
					items[i].TxID = id
				}
			}
		}
	}
	return nil
}

// forwardGroup sends one region its transactions as one batch and records
// each answer in items, or returns the error that refused them all.
func (g *Gateway) forwardGroup(ctx context.Context, gr *group, raws [][]byte, items []client.BatchItem, wait bool) *client.APIError {
	if gr.noRoom != nil {
		g.metrics.refused.WithLabelValues(string(gr.region.code), gr.noRoom.Name).Add(float64(len(gr.at)))
		return gr.noRoom
	}
	c, endpoint, rej := gr.region.target()
	if rej != nil {
		g.metrics.refused.WithLabelValues(string(gr.region.code), rej.Code.Name()).Add(float64(len(gr.at)))
		return api.Rejection(rej)
	}
	sub := make([][]byte, len(gr.at))
	for k, i := range gr.at {
		sub[k] = raws[i]
	}
	ctx, cancel := context.WithTimeout(ctx, ForwardTimeout)
	defer cancel()
	g.metrics.forwarded.WithLabelValues(string(gr.region.code), "tx").Add(float64(len(sub)))
	res, err := c.SubmitBatch(ctx, sub, wait)
	var e *client.APIError
	switch {
	case errors.As(err, &e):
		if e.Status == http.StatusServiceUnavailable && e.Code == api.CodeUnavailable {
			gr.region.full(e, time.Now(), g.cfg.RoomBackoff)
		}
		return e
	case err != nil:
		return api.Rejection(g.failed(gr.region, endpoint, err))
	}
	for k, i := range gr.at {
		items[i] = res[k]
	}
	return nil
}
