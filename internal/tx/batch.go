package tx

import (
	"crypto/sha256"
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// Limits on a batch, checked by ParseBatch before any transaction in it is
// parsed.
const (
	// MaxBatchTxs bounds the transactions in one batch: one batch is one
	// mempool entry and is checked in one call, so this bounds the work of a
	// single admission. 2,000 payments are a few milliseconds of a block.
	MaxBatchTxs = 2000
	// MaxBatchSize bounds an encoded batch; it equals the mempool's largest
	// transaction, so a batch the gateway packs is never refused for its size.
	MaxBatchSize = 1 << 20
)

// batchTag is the first byte of every encoded Batch: field 15, length-delimited.
const batchTag = 15<<3 | 2

// IsBatch reports whether raw is a Batch rather than a single Tx. A Tx never
// carries field 15, so its first byte is never batchTag.
func IsBatch(raw []byte) bool { return len(raw) > 0 && raw[0] == batchTag }

// BatchSize is the size of EncodeBatch(txs): what a gateway checks against
// MaxBatchSize before it packs them.
func BatchSize(txs [][]byte) int {
	n := 0
	for _, t := range txs {
		n += BatchEntrySize(t)
	}
	return n
}

// BatchEntrySize is what one encoded transaction adds to a batch: its
// field's tag and length, and itself.
func BatchEntrySize(raw []byte) int {
	return protowire.SizeTag(15) + protowire.SizeBytes(len(raw))
}

// EncodeBatch packs encoded transactions into one Batch.
func EncodeBatch(txs [][]byte) ([]byte, error) {
	if len(txs) == 0 || len(txs) > MaxBatchTxs {
		return nil, fmt.Errorf("tx: a batch holds 1 to %d transactions, not %d", MaxBatchTxs, len(txs))
	}
	b, err := proto.Marshal(&txpb.Batch{Txs: txs})
	if err != nil {
		return nil, fmt.Errorf("tx: encoding batch: %w", err)
	}
	if len(b) > MaxBatchSize {
		return nil, fmt.Errorf("tx: batch is %d bytes, limit %d", len(b), MaxBatchSize)
	}
	return b, nil
}

// SplitBatch checks a batch's envelope and returns the encoded transactions it
// packs. A batch is refused whole only when the envelope itself is wrong (too
// large, empty, undecodable, unknown fields, a batch inside a batch); a bad
// transaction inside it is that transaction's own rejection, from Parse.
func SplitBatch(raw []byte) ([][]byte, *ledger.Rejection) {
	if len(raw) > MaxBatchSize {
		return nil, ledger.Reject(ledger.CodeTooLarge, "batch is %d bytes, limit %d", len(raw), MaxBatchSize)
	}
	txs, err := BatchTxs(raw)
	switch {
	case errors.Is(err, ErrBatchFields):
		return nil, ledger.Reject(ledger.CodeMalformed, "batch has unknown fields")
	case err != nil:
		return nil, ledger.Reject(ledger.CodeMalformed, "batch does not decode as a peg.tx.v1.Batch protobuf message")
	}
	if len(txs) == 0 {
		return nil, ledger.Reject(ledger.CodeMalformed, "batch is empty")
	}
	if len(txs) > MaxBatchTxs {
		return nil, ledger.Reject(ledger.CodeTooLarge, "batch holds %d transactions, limit %d", len(txs), MaxBatchTxs)
	}
	for i, t := range txs {
		if IsBatch(t) {
			return nil, ledger.Reject(ledger.CodeMalformed, "transaction %d of the batch is itself a batch", i)
		}
	}
	return txs, nil
}

// Errors of BatchTxs.
var (
	ErrBatchDecode = errors.New("tx: not an encoded peg.tx.v1.Batch")
	ErrBatchFields = errors.New("tx: a peg.tx.v1.Batch with fields it does not have")
)

// BatchTxs returns the encoded transactions of an encoded peg.tx.v1.Batch
// message, as slices of b rather than copies, in order: what proto.Unmarshal
// gives in Batch.Txs, without a copy and an allocation per transaction. It
// answers ErrBatchDecode for bytes that do not decode as a protobuf message
// and ErrBatchFields for a message with any field but Batch's (FuzzBatchTxs
// holds it to proto.Unmarshal's answers).
func BatchTxs(b []byte) ([][]byte, error) {
	var txs [][]byte
	unknown := false
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, ErrBatchDecode
		}
		b = b[n:]
		if num == 15 && typ == protowire.BytesType {
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, ErrBatchDecode
			}
			txs, b = append(txs, v), b[n:]
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return nil, ErrBatchDecode
		}
		b, unknown = b[n:], true
	}
	if unknown {
		return nil, ErrBatchFields
	}
	return txs, nil
}

// Peek returns the id of an encoded transaction (the SHA-256 of its body)
// and the kind of its message, without parsing the rest or checking anything
// else: for a gateway that hands transactions on to the mempool, which parses
// them in full, and for listings of a block's transactions, which the block
// has already judged. The kind is empty if the body names none this node
// knows. A transaction whose envelope does not decode is rejected as Parse
// would.
func Peek(raw []byte) (ledger.TxID, string, *ledger.Rejection) {
	if len(raw) > MaxTxSize {
		return ledger.TxID{}, "", ledger.Reject(ledger.CodeTooLarge, "transaction is %d bytes, limit %d", len(raw), MaxTxSize)
	}
	body, ok := bytesField(raw, 1)
	if !ok {
		return ledger.TxID{}, "", ledger.Reject(ledger.CodeMalformed, "transaction does not decode as a peg.tx.v1.Tx protobuf message")
	}
	if body == nil {
		return ledger.TxID{}, "", ledger.Reject(ledger.CodeMalformed, "transaction has no body")
	}
	return sha256.Sum256(body), peekKind(body), nil
}

// bytesField returns the last value of the length-delimited field num of the
// encoded message b (nil if it has none), or false if b does not decode.
func bytesField(b []byte, num protowire.Number) ([]byte, bool) {
	var out []byte
	for len(b) > 0 {
		n, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return nil, false
		}
		b = b[l:]
		if n == num && typ == protowire.BytesType {
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return nil, false
			}
			out, b = v, b[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(n, typ, b)
		if m < 0 {
			return nil, false
		}
		b = b[m:]
	}
	return out, true
}

// bodyFields describes peg.tx.v1.Body, whose message fields are the kinds.
var bodyFields = (&txpb.Body{}).ProtoReflect().Descriptor().Fields()

// peekKind names the message of an encoded body: the name of its last field
// of the msg oneof, which is the kind (Msg.Kind) that field decodes to.
func peekKind(body []byte) string {
	kind := ""
	for len(body) > 0 {
		n, typ, l := protowire.ConsumeTag(body)
		if l < 0 {
			return ""
		}
		body = body[l:]
		if fd := bodyFields.ByNumber(n); fd != nil && fd.ContainingOneof() != nil {
			kind = string(fd.Name())
		}
		m := protowire.ConsumeFieldValue(n, typ, body)
		if m < 0 {
			return ""
		}
		body = body[m:]
	}
	return kind
}

// Listing is how a block lists one of its transactions: by id and kind, as
// Peek reads them. A transaction without a body or a kind this node knows
// has no id; it is listed by the SHA-256 of its raw bytes and flagged.
type Listing struct {
	ID        ledger.TxID
	Kind      string
	Malformed bool
}

// List lists raw, one encoded transaction.
func List(raw []byte) Listing {
	id, kind, rej := Peek(raw)
	if rej != nil || kind == "" {
		return Listing{ID: sha256.Sum256(raw), Malformed: true}
	}
	return Listing{ID: id, Kind: kind}
}

// Listing is t's listing, as List gives it for t's encoding, without reading
// or hashing the encoding again.
func (t *Tx) Listing() Listing { return Listing{ID: t.ID, Kind: t.Msg.Kind()} }

// AppendListings appends to out the listings of the transactions raw, a
// consensus transaction, carries: a batch's, or raw itself (a batch whose
// envelope is malformed included).
func AppendListings(out []Listing, raw []byte) []Listing {
	inner := [][]byte{raw}
	if IsBatch(raw) {
		if split, rej := SplitBatch(raw); rej == nil {
			inner = split
		}
	}
	for _, t := range inner {
		out = append(out, List(t))
	}
	return out
}

// PeekID is Peek's id alone.
func PeekID(raw []byte) (ledger.TxID, *ledger.Rejection) {
	id, _, rej := Peek(raw)
	return id, rej
}

// PeekSigner returns the signer an encoded transaction names, without
// parsing the rest: for a gateway, which routes a transaction to its
// signer's home region and only then knows the chain id to Parse it with.
// A transaction that does not decode that far is rejected as Parse would.
func PeekSigner(raw []byte) (ledger.Address, *ledger.Rejection) {
	if len(raw) > MaxTxSize {
		return ledger.Address{}, ledger.Reject(ledger.CodeTooLarge, "transaction is %d bytes, limit %d", len(raw), MaxTxSize)
	}
	body, ok := bytesField(raw, 1)
	if !ok {
		return ledger.Address{}, ledger.Reject(ledger.CodeMalformed, "transaction does not decode as a peg.tx.v1.Tx protobuf message")
	}
	signer, ok := bytesField(body, 3)
	if !ok {
		return ledger.Address{}, ledger.Reject(ledger.CodeMalformed, "body does not decode as a peg.tx.v1.Body protobuf message")
	}
	a, err := ledger.ParseAddress(string(signer))
	if err != nil {
		return ledger.Address{}, ledger.Reject(ledger.CodeInvalidArgument, "signer: %v", err)
	}
	return a, nil
}
