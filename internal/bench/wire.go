package bench

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/client/wirepb"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// wire is the bench's own HTTP path for the requests it makes by the
// thousand: submissions and receipts. client.Client keeps two idle
// connections per host, so many concurrent submitters through it would open
// and close a connection per request; wire keeps one per submitter. Its
// requests and answers are the API's, as internal/client defines them.
type wire struct {
	base string
	http *http.Client
}

// maxWireBody bounds an answer the bench reads: a receipt, an error, or a
// batch's results.
const maxWireBody = 4 << 20

func newWire(base string, conns int) *wire {
	tr := &http.Transport{
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	return &wire{base: strings.TrimRight(base, "/"), http: &http.Client{Transport: tr, Timeout: client.DefaultTimeout}}
}

func (w *wire) close() { w.http.CloseIdleConnections() }

// answer is the API's answer to a submission: admitted, or refused with an
// error body.
type answer struct {
	status int
	err    *client.APIError // nil when admitted
}

var noWait = false

// submit posts raw to /v1/txs without waiting for its block. An error is a
// failure to talk to the API at all.
func (w *wire) submit(ctx context.Context, raw []byte) (answer, error) {
	body, err := json.Marshal(client.SubmitRequest{Tx: raw, Wait: &noWait})
	if err != nil {
		return answer{}, fmt.Errorf("bench: encoding a submission: %w", err)
	}
	status, b, err := w.do(ctx, http.MethodPost, "/v1/txs", "application/json", "application/json", body)
	if err != nil {
		return answer{}, err
	}
	if status == http.StatusAccepted {
		return answer{status: status}, nil
	}
	return answer{status: status, err: apiError(status, b)}, nil
}

// submitBatch posts raws to /v1/txs/batch without waiting for their blocks
// and returns each one's answer: admitted (202, as a single submission's), or
// refused. A refusal of the whole request (503 when the mempool is full) is
// every transaction's answer. It asks for the answer in protobuf
// (wirepb.BatchResponse): decoding 500 results as JSON cost the bench more
// than building the batch.
func (w *wire) submitBatch(ctx context.Context, raws [][]byte) ([]answer, error) {
	body, err := proto.Marshal(&txpb.Batch{Txs: raws})
	if err != nil {
		return nil, fmt.Errorf("bench: encoding a batch: %w", err)
	}
	status, b, err := w.do(ctx, http.MethodPost, "/v1/txs/batch?wait=false", client.ProtoContentType, client.BatchContentType, body)
	if err != nil {
		return nil, err
	}
	out := make([]answer, len(raws))
	if status != http.StatusOK {
		e := apiError(status, b)
		for i := range out {
			out[i] = answer{status: status, err: e}
		}
		return out, nil
	}
	var res wirepb.BatchResponse
	if err := proto.Unmarshal(b, &res); err != nil || len(res.Results) != len(raws) {
		return nil, fmt.Errorf("bench: the answer to a batch of %d is not its %d results: %v", len(raws), len(raws), err)
	}
	for i, it := range res.Results {
		if it.Status == client.BatchRejected {
			out[i] = answer{status: http.StatusUnprocessableEntity,
				err: &client.APIError{Code: it.Code, Name: it.Name, Message: it.Message, TxID: hex.EncodeToString(it.TxId)}}
			continue
		}
		out[i] = answer{status: http.StatusAccepted}
	}
	return out, nil
}

// receipt reads a transaction's receipt; nil if no block has included it.
func (w *wire) receipt(ctx context.Context, id ledger.TxID) (*client.Receipt, error) {
	status, b, err := w.do(ctx, http.MethodGet, "/v1/txs/"+id.String(), "application/json", "", nil)
	if err != nil {
		return nil, err
	}
	switch status {
	case http.StatusOK:
		var rc client.Receipt
		if err := json.Unmarshal(b, &rc); err != nil {
			return nil, fmt.Errorf("bench: decoding the receipt of %s: %w", id, err)
		}
		return &rc, nil
	case http.StatusNotFound:
		return nil, nil
	}
	return nil, fmt.Errorf("bench: GET /v1/txs/%s: %w", id, apiError(status, b))
}

// do sends one request, with a body of contentType unless it is empty.
func (w *wire) do(ctx context.Context, method, path, accept, contentType string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if contentType != "" {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, w.base+path, rd)
	if err != nil {
		return 0, nil, fmt.Errorf("bench: %s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", accept)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := w.http.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("bench: %s %s%s: %w", method, w.base, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxWireBody))
	if err != nil {
		return 0, nil, fmt.Errorf("bench: reading the answer to %s %s: %w", method, path, err)
	}
	return resp.StatusCode, b, nil
}

// apiError reads an error answer; one that is not Peg's is named by its HTTP
// status.
func apiError(status int, b []byte) *client.APIError {
	e := &client.APIError{}
	if json.Unmarshal(b, e) == nil && e.Name != "" {
		e.Status = status
		return e
	}
	return &client.APIError{Status: status, Name: fmt.Sprintf("HTTP_%d", status), Message: strings.TrimSpace(string(b))}
}
