package api

import (
	"net/http"

	"google.golang.org/protobuf/proto"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
)

// The API's own ways to read requests and write answers, for a server in
// front of the API (a gateway) that must read and answer as the API does.

// WriteJSON answers v with status, as the API answers.
func WriteJSON(w http.ResponseWriter, status int, v any) { writeJSON(w, status, v) }

// WriteProto answers m in protobuf, as the API answers.
func WriteProto(w http.ResponseWriter, status int, m proto.Message) { writeProto(w, status, m) }

// WantsProto reports whether r asks for a protobuf answer, as the API reads
// its Accept header.
func WantsProto(r *http.Request) bool { return wantsProto(r) }

// ReadBatch reads the body of a POST /v1/txs/batch as the API does.
func ReadBatch(r *http.Request) (client.BatchRequest, error) { return readBatch(r) }

// RejectedItem is a batch's answer for a transaction refused with code.
func RejectedItem(id ledger.TxID, code ledger.Code, msg string, height uint64) client.BatchItem {
	return rejectedItem(id, code, msg, height)
}

// Error is an error of one of the API's own codes, as the API answers it:
// for a server in front of the API (a gateway) that answers the same way.
func Error(code uint32, format string, args ...any) *client.APIError {
	return apiError(code, format, args...)
}

// Rejection is the answer to a transaction refused with a ledger code.
func Rejection(r *ledger.Rejection) *client.APIError { return rejection(r.Code, r.Message) }
