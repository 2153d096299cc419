// Package tx owns Peg's transactions: decoding, the one gateway through which
// bytes become typed values, and signing. Past Decode, a transaction's form is
// valid (sizes, addresses, amounts, signatures); whether the ledger allows it is
// for the state to decide.
package tx

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"

	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// Limits on a transaction, checked by Parse before anything else is done with it.
const (
	// MaxTxSize bounds the encoded transaction: it protects the mempool, the
	// block and every node's memory. The largest transaction, a contract with
	// the maximum number of minters, is about 4 KiB.
	MaxTxSize = 16 << 10
	// MaxSignatures bounds the signatures Parse accepts; each costs a verification.
	MaxSignatures = 4
	// MaxInputs bounds the coins one transaction spends, so that one transaction's
	// work in a block is bounded.
	MaxInputs = 64
	// MaxOutputs bounds the coins one transaction creates.
	MaxOutputs = 16
	// MaxMemoLen bounds the free-text memo recorded with a transaction.
	MaxMemoLen = 256
	// MaxChainIDLen bounds a chain id (CometBFT allows 50).
	MaxChainIDLen = 50
)

// signDomain separates Peg transaction signatures from any other use of a key.
const signDomain = "peg/tx/v1"

// SignBytes is what a signer signs: the domain, the chain id and the body bytes.
// Binding the chain id means a transaction signed for one chain is refused on
// every other.
func SignBytes(chainID string, body []byte) []byte {
	b := make([]byte, 0, len(signDomain)+len(chainID)+len(body)+2)
	b = append(b, signDomain...)
	b = append(b, 0)
	b = append(b, chainID...)
	b = append(b, 0)
	return append(b, body...)
}

// Tx is a decoded transaction.
type Tx struct {
	ID      ledger.TxID
	ChainID string
	// Expiry is the last height at which the transaction may be included.
	Expiry uint64
	Signer ledger.Address
	Nonce  uint64
	Memo   string
	Msg    Msg
	// Size is the encoded size in bytes.
	Size int

	body []byte
	sigs []signature
}

type signature struct {
	pub ed25519.PublicKey
	sig []byte
}

// Decode parses raw and verifies its signatures.
func Decode(raw []byte, chainID string) (*Tx, *ledger.Rejection) {
	t, rej := Parse(raw, chainID)
	if rej != nil {
		return nil, rej
	}
	if rej := t.Verify(); rej != nil {
		return nil, rej
	}
	return t, nil
}

// Parse checks everything about raw except the signatures themselves, which
// Verify checks: a caller may verify many transactions in one batch.
func Parse(raw []byte, chainID string) (*Tx, *ledger.Rejection) {
	if len(raw) > MaxTxSize {
		return nil, ledger.Reject(ledger.CodeTooLarge, "transaction is %d bytes, limit %d", len(raw), MaxTxSize)
	}
	if t, rej, ok := parsePay(raw, chainID); ok {
		return t, rej
	}
	return parseGeneral(raw, chainID)
}

// parseGeneral is Parse past its size check, for every kind and encoding.
func parseGeneral(raw []byte, chainID string) (*Tx, *ledger.Rejection) {
	var env txpb.Tx
	if err := proto.Unmarshal(raw, &env); err != nil {
		return nil, ledger.Reject(ledger.CodeMalformed, "transaction does not decode as a peg.tx.v1.Tx protobuf message")
	}
	if envelopeHasUnknown(&env) {
		return nil, ledger.Reject(ledger.CodeMalformed, "transaction has unknown fields")
	}
	var body txpb.Body
	if err := proto.Unmarshal(env.Body, &body); err != nil {
		return nil, ledger.Reject(ledger.CodeMalformed, "body does not decode as a peg.tx.v1.Body protobuf message")
	}
	if bodyHasUnknown(&body) {
		return nil, ledger.Reject(ledger.CodeMalformed, "body has unknown fields")
	}
	if body.ChainId != chainID {
		return nil, ledger.Reject(ledger.CodeWrongChain, "transaction is for chain %q, this is %q", trunc(body.ChainId, MaxChainIDLen), chainID)
	}
	if len(body.Memo) > MaxMemoLen {
		return nil, ledger.Reject(ledger.CodeTooLarge, "memo is %d bytes, limit %d", len(body.Memo), MaxMemoLen)
	}
	t := &Tx{
		ID:      sha256.Sum256(env.Body),
		ChainID: body.ChainId,
		Expiry:  body.ExpiryHeight,
		Nonce:   body.Nonce,
		Memo:    body.Memo,
		Size:    len(raw),
		body:    env.Body,
	}
	sigs := make([]signature, len(env.Signatures))
	for i, s := range env.Signatures {
		sigs[i] = signature{pub: s.PublicKey, sig: s.Signature}
	}
	if rej := t.parseSignatures(body.Signer, sigs); rej != nil {
		return nil, rej
	}
	msg, rej := decodeMsg(&body)
	if rej != nil {
		return nil, rej
	}
	t.Msg = msg
	return t, nil
}

// envelopeHasUnknown is hasUnknown for a Tx, whose only nested messages are
// its signatures, without the reflective walk.
func envelopeHasUnknown(env *txpb.Tx) bool {
	if len(env.ProtoReflect().GetUnknown()) > 0 {
		return true
	}
	for _, s := range env.Signatures {
		if len(s.ProtoReflect().GetUnknown()) > 0 {
			return true
		}
	}
	return false
}

// bodyHasUnknown is hasUnknown for a Body. A payment, the message sent by the
// million, is checked field by field (its only nested messages are its
// outputs; TestPayFastPathCoversItsMessages keeps that true); every other
// kind by the reflective walk.
func bodyHasUnknown(b *txpb.Body) bool {
	p, ok := b.Msg.(*txpb.Body_Pay)
	if !ok || p.Pay == nil {
		return hasUnknown(b.ProtoReflect())
	}
	if len(b.ProtoReflect().GetUnknown()) > 0 || len(p.Pay.ProtoReflect().GetUnknown()) > 0 {
		return true
	}
	for _, o := range p.Pay.Outputs {
		if len(o.ProtoReflect().GetUnknown()) > 0 {
			return true
		}
	}
	return false
}

// hasUnknown reports whether m, or any message nested in it, carries a field
// this node does not know. A field from a newer wire format may carry a rule
// (a condition, a limit) that this node would otherwise silently ignore.
func hasUnknown(m protoreflect.Message) bool {
	if len(m.GetUnknown()) > 0 {
		return true
	}
	found := false
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsMap():
			if fd.MapValue().Message() != nil {
				v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
					found = hasUnknown(mv.Message())
					return !found
				})
			}
		case fd.IsList():
			if fd.Message() != nil {
				for i, l := 0, v.List(); i < l.Len() && !found; i++ {
					found = hasUnknown(l.Get(i).Message())
				}
			}
		case fd.Message() != nil:
			found = hasUnknown(v.Message())
		}
		return !found
	})
	return found
}

// parseSignatures reads the signer and checks the form of sigs, which t
// keeps if it holds.
func (t *Tx) parseSignatures(signerField string, sigs []signature) *ledger.Rejection {
	signer, err := ledger.ParseAddress(signerField)
	if err != nil {
		return ledger.Reject(ledger.CodeInvalidArgument, "signer: %v", err)
	}
	t.Signer = signer
	if len(sigs) == 0 {
		return ledger.Reject(ledger.CodeMissingSig, "transaction is not signed; %s must sign", signer)
	}
	if len(sigs) > MaxSignatures {
		return ledger.Reject(ledger.CodeTooLarge, "%d signatures, limit %d", len(sigs), MaxSignatures)
	}
	signed := false
	for i, s := range sigs {
		if len(s.pub) != ed25519.PublicKeySize || len(s.sig) != ed25519.SignatureSize {
			return ledger.Reject(ledger.CodeMalformed, "signature %d: want a %d-byte key and a %d-byte signature, got %d and %d",
				i, ed25519.PublicKeySize, ed25519.SignatureSize, len(s.pub), len(s.sig))
		}
		signed = signed || signer.Owns(s.pub)
	}
	if !signed {
		return ledger.Reject(ledger.CodeMissingSig, "no signature by the signer %s", signer)
	}
	t.sigs = sigs
	return nil
}

// Verify checks every signature over the transaction's sign bytes, with the
// same rules as VerifyBatch, so that a node's answer never depends on which of
// the two checked a transaction.
func (t *Tx) Verify() *ledger.Rejection {
	msg := SignBytes(t.ChainID, t.body)
	for i, s := range t.sigs {
		var ok bool
		if k := expandedKeys.get(s.pub); k != nil {
			ok = voi.VerifyExpandedWithOptions(k, msg, s.sig, verifyOptions)
		} else {
			ok = voi.VerifyWithOptions(voi.PublicKey(s.pub), msg, s.sig, verifyOptions)
		}
		if !ok {
			return badSignature(i)
		}
	}
	return nil
}

func badSignature(i int) *ledger.Rejection {
	return ledger.Reject(ledger.CodeBadSignature, "signature %d does not verify", i)
}

// Sign serialises body, signs it with key and returns the encoded transaction and
// its id. The body's signer should be key's address.
func Sign(body *txpb.Body, key ed25519.PrivateKey) ([]byte, ledger.TxID, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(body)
	if err != nil {
		return nil, ledger.TxID{}, fmt.Errorf("tx: encoding body: %w", err)
	}
	sig := ed25519.Sign(key, SignBytes(body.ChainId, b))
	raw, err := proto.Marshal(&txpb.Tx{
		Body:       b,
		Signatures: []*txpb.Signature{{PublicKey: key.Public().(ed25519.PublicKey), Signature: sig}},
	})
	if err != nil {
		return nil, ledger.TxID{}, fmt.Errorf("tx: encoding transaction: %w", err)
	}
	return raw, sha256.Sum256(b), nil
}

func trunc(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
