package tx

import (
	"bytes"
	"crypto/sha256"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/pegledger/peg/internal/ledger"
)

// Field numbers parsePay reads (proto/peg/tx/v1/tx.proto), and how many a
// Signature and an Output have.
const (
	envBody, envSignatures     = 1, 2
	sigPublicKey, sigSignature = 1, 2
	bodyChainID, bodyExpiry    = 1, 2
	bodySigner, bodyNonce      = 3, 4
	bodyMemo, bodyPay          = 5, 14
	payToken, payInputs        = 1, 2
	payOutputs                 = 3
	outputOwner, outputAmount  = 1, 2
	maxSignatureFields         = 2
	maxOutputFields            = 2
)

// parsePay is Parse for a payment in the plain encoding every signer
// writes: each field of the envelope, the body, the payment and its outputs
// at most once (the repeated ones as often as they come), each with its
// own wire type, no field that a payment does not have, and every string
// valid UTF-8. It reads the fields where they lie in one copy of raw,
// instead of decoding them into txpb messages, which was most of Parse's
// cost and allocations on the gateway's and the API's path. For those bytes
// it answers what parseGeneral answers (FuzzParsePay holds it to that); ok
// is false for any other bytes, which parseGeneral then decodes.
func parsePay(raw []byte, chainID string) (t *Tx, rej *ledger.Rejection, ok bool) {
	own := bytes.Clone(raw) // nothing of the caller's bytes is kept, as with proto.Unmarshal's copies
	var body []byte
	var sigs []signature
	seen := false
	ok = eachField(own, func(num protowire.Number, v []byte) bool {
		switch num {
		case envBody:
			if seen {
				return false
			}
			body, seen = v, true
			return true
		case envSignatures:
			var s signature
			var have [maxSignatureFields + 1]bool
			good := eachField(v, func(num protowire.Number, v []byte) bool {
				if (num != sigPublicKey && num != sigSignature) || have[num] {
					return false
				}
				have[num] = true
				if num == sigPublicKey {
					s.pub = v
				} else {
					s.sig = v
				}
				return true
			})
			sigs = append(sigs, s)
			return good
		}
		return false
	})
	if !ok || !seen {
		return nil, nil, false
	}
	p, ok := readPayBody(body)
	if !ok {
		return nil, nil, false
	}
	if string(p.chainID) != chainID {
		return nil, ledger.Reject(ledger.CodeWrongChain, "transaction is for chain %q, this is %q", trunc(string(p.chainID), MaxChainIDLen), chainID), true
	}
	if len(p.memo) > MaxMemoLen {
		return nil, ledger.Reject(ledger.CodeTooLarge, "memo is %d bytes, limit %d", len(p.memo), MaxMemoLen), true
	}
	t = &Tx{
		ID:      sha256.Sum256(body),
		ChainID: chainID,
		Expiry:  p.expiry,
		Nonce:   p.nonce,
		Memo:    string(p.memo),
		Size:    len(raw),
		body:    body,
	}
	if rej := t.parseSignatures(string(p.signer), sigs); rej != nil {
		return nil, rej, true
	}
	var f fields
	msg := Pay{Token: f.token(string(p.token)), Inputs: f.coins("inputs", p.inputs),
		Outputs: f.outputs(len(p.outputs), func(i int) (string, string) {
			return string(p.outputs[i].owner), string(p.outputs[i].amount)
		})}
	if f.rej != nil {
		return nil, f.rej, true
	}
	t.Msg = msg
	return t, nil, true
}

// payFields is a payment's body as parsePay reads it: slices of its bytes.
type payFields struct {
	chainID, signer, memo, token []byte
	expiry, nonce                uint64
	inputs                       [][]byte
	outputs                      []payOutput
}

type payOutput struct{ owner, amount []byte }

// readPayBody reads an encoded Body that holds a Pay, or answers false.
func readPayBody(b []byte) (payFields, bool) {
	var p payFields
	var have [bodyPay + 1]bool
	ok := eachFieldTyped(b, func(num protowire.Number, typ protowire.Type, v []byte, n uint64) bool {
		if num > bodyPay || have[num] {
			return false
		}
		have[num] = true
		switch {
		case (num == bodyExpiry || num == bodyNonce) != (typ == protowire.VarintType):
			return false
		case num == bodyExpiry:
			p.expiry = n
		case num == bodyNonce:
			p.nonce = n
		case num == bodyChainID:
			p.chainID = v
		case num == bodySigner:
			p.signer = v
		case num == bodyMemo:
			p.memo = v
		case num == bodyPay:
			return readPay(v, &p)
		default:
			return false
		}
		return utf8.Valid(v)
	})
	return p, ok && have[bodyPay]
}

// readPay reads an encoded Pay into p, or answers false.
func readPay(b []byte, p *payFields) bool {
	seenToken := false
	return eachField(b, func(num protowire.Number, v []byte) bool {
		switch num {
		case payToken:
			if seenToken || !utf8.Valid(v) {
				return false
			}
			p.token, seenToken = v, true
		case payInputs:
			p.inputs = append(p.inputs, v)
		case payOutputs:
			var o payOutput
			var have [maxOutputFields + 1]bool
			if !eachField(v, func(num protowire.Number, v []byte) bool {
				if (num != outputOwner && num != outputAmount) || have[num] || !utf8.Valid(v) {
					return false
				}
				have[num] = true
				if num == outputOwner {
					o.owner = v
				} else {
					o.amount = v
				}
				return true
			}) {
				return false
			}
			p.outputs = append(p.outputs, o)
		default:
			return false
		}
		return true
	})
}

// eachField calls fn with each field of the encoded message b, which must
// all be length-delimited, and answers false as soon as fn does or b does
// not decode.
func eachField(b []byte, fn func(num protowire.Number, v []byte) bool) bool {
	return eachFieldTyped(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) bool {
		return typ == protowire.BytesType && fn(num, v)
	})
}

// eachFieldTyped calls fn with each field of the encoded message b: a
// length-delimited one's bytes, or a varint's value. It answers false as
// soon as fn does, or for a field of any other wire type or bytes that do
// not decode.
func eachFieldTyped(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte, n uint64) bool) bool {
	for len(b) > 0 {
		num, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return false
		}
		b = b[l:]
		var v []byte
		var n uint64
		switch typ {
		case protowire.BytesType:
			v, l = protowire.ConsumeBytes(b)
		case protowire.VarintType:
			n, l = protowire.ConsumeVarint(b)
		default:
			return false
		}
		if l < 0 || !fn(num, typ, v, n) {
			return false
		}
		b = b[l:]
	}
	return true
}
