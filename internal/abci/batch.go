package abci

import (
	"encoding/json"
	"fmt"

	"github.com/pegledger/peg/internal/ledger"
)

// BatchResult is one transaction's answer when its batch is refused at
// admission: OK for a transaction that would have been admitted, else its
// rejection.
type BatchResult struct {
	Code ledger.Code `json:"code"`
	Log  string      `json:"log,omitempty"`
}

// EncodeBatchResults is the Data of a BATCH_REJECTED answer: each
// transaction's result, in the batch's order.
func EncodeBatchResults(rejs []*ledger.Rejection) []byte {
	out := make([]BatchResult, len(rejs))
	for i, r := range rejs {
		if r != nil {
			out[i] = BatchResult{Code: r.Code, Log: r.Message}
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		panic(fmt.Sprintf("abci: encoding batch results: %v", err)) // codes and strings always encode
	}
	return b
}

// DecodeBatchResults reads the Data of a BATCH_REJECTED answer for a batch of
// n transactions.
func DecodeBatchResults(data []byte, n int) ([]BatchResult, error) {
	var out []BatchResult
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("abci: batch results: %w", err)
	}
	if len(out) != n {
		return nil, fmt.Errorf("abci: batch results: %d for a batch of %d", len(out), n)
	}
	return out, nil
}
