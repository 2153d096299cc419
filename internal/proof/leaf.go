package proof

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cometbft/cometbft/crypto/merkle"

	"github.com/pegledger/peg/internal/ledger"
)

// LeafVersion is the first byte of a receipt leaf. It moves up if the
// layout changes; a verifier reads only the versions it knows.
const LeafVersion = 1

// MaxLeafSize bounds the leaf a proof may carry: far above any receipt a
// transaction of at most tx.MaxTxSize can leave (a payment's is some 500
// bytes), so that a decoder given junk allocates at most this much.
const MaxLeafSize = 256 << 10

// Leaf is a transaction's receipt as a block commits to it: what a proof
// proves. It is the state's receipt (state.Receipt) without what a chain
// does not need to agree on bytes for: the log, free text, and the block's
// time and the transaction's position, which the proof's header and paths
// give.
type Leaf struct {
	TxID   ledger.TxID
	Height uint64 // the block that executed the transaction
	Kind   string // the message's kind, as tx.Msg.Kind names it
	Signer ledger.Address
	Code   ledger.Code // OK, or the refusal's code
	Events []ledger.Event
}

// AppendLeaf appends l's canonical encoding to b:
//
//	version 1 byte | tx id 32 bytes | height uvarint | kind string |
//	signer string (the address's bytes, ledger.Address.Bytes) | code uvarint |
//	events uvarint, each: type string | attrs uvarint, each: key string | value string
//
// where a string is its length (uvarint) then its bytes. Every field has
// one encoding, so a leaf's bytes are a function of its receipt.
func AppendLeaf(b []byte, l *Leaf) []byte {
	b = append(b, LeafVersion)
	b = append(b, l.TxID[:]...)
	b = binary.AppendUvarint(b, l.Height)
	b = appendString(b, l.Kind)
	if l.Signer.IsZero() {
		b = append(b, 0)
	} else {
		n := len(b)
		b = l.Signer.AppendBytes(append(b, 0))
		b[n] = byte(len(b) - n - 1) // an address is at most 2+MaxRegionLen+20 bytes, one uvarint byte
	}
	b = binary.AppendUvarint(b, uint64(l.Code))
	b = binary.AppendUvarint(b, uint64(len(l.Events)))
	for _, e := range l.Events {
		b = appendString(b, e.Type)
		b = binary.AppendUvarint(b, uint64(len(e.Attrs)))
		for _, a := range e.Attrs {
			b = appendString(appendString(b, a.Key), a.Value)
		}
	}
	return b
}

// LeafSize is a guess of l's encoded size, to size the buffer AppendLeaf
// writes to.
func LeafSize(l *Leaf) int {
	n := 64 + len(l.Kind)
	for _, e := range l.Events {
		n += 2 + len(e.Type)
		for _, a := range e.Attrs {
			n += 2 + len(a.Key) + len(a.Value)
		}
	}
	return n
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// Root is the Merkle root (CometBFT's crypto/merkle) of a consensus
// transaction's leaves, its ExecTxResult's Data: nil for none.
func Root(leaves [][]byte) []byte {
	if len(leaves) == 0 {
		return nil
	}
	return merkle.HashFromByteSlices(leaves)
}

// DecodeLeaf reads a leaf written by AppendLeaf. Only the canonical bytes
// of a leaf decode: a leaf that encodes back to other bytes is refused.
func DecodeLeaf(b []byte) (*Leaf, error) {
	if len(b) > MaxLeafSize {
		return nil, fmt.Errorf("proof: leaf of %d bytes, above %d", len(b), MaxLeafSize)
	}
	d := leafDecoder{b: b}
	if v := d.byte(); v != LeafVersion {
		return nil, fmt.Errorf("proof: leaf version %d, want %d", v, LeafVersion)
	}
	l := &Leaf{}
	copy(l.TxID[:], d.bytes(ledger.HashSize))
	l.Height = d.uvarint()
	l.Kind = d.string()
	if signer := d.string(); signer != "" && d.err == nil {
		a, err := ledger.AddressFromBytes([]byte(signer))
		if err != nil {
			return nil, fmt.Errorf("proof: leaf signer: %w", err)
		}
		l.Signer = a
	}
	code := d.uvarint()
	if code > 1<<32-1 {
		return nil, errors.New("proof: leaf code out of range")
	}
	l.Code = ledger.Code(code)
	if n := d.count(); n > 0 {
		l.Events = make([]ledger.Event, n)
		for i := range l.Events {
			e := &l.Events[i]
			e.Type = d.string()
			if n := d.count(); n > 0 {
				e.Attrs = make([]ledger.Attr, n)
				for j := range e.Attrs {
					e.Attrs[j] = ledger.Attr{Key: d.string(), Value: d.string()}
				}
			}
		}
	}
	if d.err != nil {
		return nil, d.err
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("proof: %d bytes after the leaf", len(d.b))
	}
	if !bytes.Equal(AppendLeaf(make([]byte, 0, len(b)), l), b) {
		return nil, errors.New("proof: leaf is not in its canonical encoding")
	}
	return l, nil
}

// leafDecoder reads a leaf; the first fault sets err, and every read after
// it yields zero values.
type leafDecoder struct {
	b   []byte
	err error
}

func (d *leafDecoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("proof: leaf is short or malformed at its %s", what)
	}
	d.b = nil
}

func (d *leafDecoder) byte() byte {
	if len(d.b) < 1 {
		d.fail("version")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *leafDecoder) bytes(n int) []byte {
	if len(d.b) < n {
		d.fail("fixed field")
		return make([]byte, n)
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *leafDecoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("number")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a number of items, each at least one byte long, so that a
// corrupt count cannot make the decoder allocate more than the leaf holds.
func (d *leafDecoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail("count")
		return 0
	}
	return int(n)
}

func (d *leafDecoder) string() string {
	n := d.count()
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}
