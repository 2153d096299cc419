package state

import (
	"encoding/binary"
	"fmt"

	"github.com/pegledger/peg/internal/ledger"
)

// receiptVersion is the first byte of a stored receipt. A receipt is written
// for every transaction a block includes, so it has its own compact binary
// form (a JSON receipt of a payment is twice the size and takes several
// times as long to write): the version, then
//
//	height uvarint | index uvarint | time 8 bytes (Unix ns, big-endian)
//	kind string | signer string (address bytes) | code uvarint | log string
//	events uvarint, each: type string | attrs uvarint, each: key string | value string
//
// where a string is its length (uvarint) and its bytes. The transaction id is
// the key's. The version moves up if the layout changes.
const receiptVersion = 1

// encodeReceipt writes rc in the stored form.
func encodeReceipt(rc *Receipt) []byte {
	size := 48 + len(rc.Kind) + len(rc.Log)
	for _, e := range rc.Events {
		size += 2 + len(e.Type)
		for _, a := range e.Attrs {
			size += 4 + len(a.Key) + len(a.Value)
		}
	}
	b := make([]byte, 0, size)
	b = append(b, receiptVersion)
	b = binary.AppendUvarint(b, rc.Height)
	b = binary.AppendUvarint(b, uint64(rc.Index))
	b = binary.BigEndian.AppendUint64(b, uint64(rc.Time))
	b = appendString(b, rc.Kind)
	var signer []byte
	if !rc.Signer.IsZero() {
		signer = rc.Signer.Bytes()
	}
	b = appendString(b, string(signer))
	b = binary.AppendUvarint(b, uint64(rc.Code))
	b = appendString(b, rc.Log)
	b = binary.AppendUvarint(b, uint64(len(rc.Events)))
	for _, e := range rc.Events {
		b = appendString(b, e.Type)
		b = binary.AppendUvarint(b, uint64(len(e.Attrs)))
		for _, a := range e.Attrs {
			b = appendString(appendString(b, a.Key), a.Value)
		}
	}
	return b
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// decodeReceipt reads a stored receipt of transaction id. A record that does
// not decode is corrupt state: it panics, as every state read does.
func decodeReceipt(id ledger.TxID, b []byte) *Receipt {
	d := receiptDecoder{b: b}
	if d.byte() != receiptVersion {
		panic(fmt.Sprintf("state: receipt %s has an unknown version", id))
	}
	rc := &Receipt{TxID: id, Height: d.uvarint(), Index: uint32(d.uvarint())}
	rc.Time = int64(d.fixed64())
	rc.Kind = d.string()
	if signer := d.string(); signer != "" {
		a, err := ledger.AddressFromBytes([]byte(signer))
		if err != nil {
			panic(fmt.Sprintf("state: receipt %s signer: %v", id, err))
		}
		rc.Signer = a
	}
	rc.Code = ledger.Code(d.uvarint())
	rc.Log = d.string()
	if n := d.count(); n > 0 {
		rc.Events = make([]Event, n)
		for i := range rc.Events {
			e := &rc.Events[i]
			e.Type = d.string()
			if n := d.count(); n > 0 {
				e.Attrs = make([]Attr, n)
				for j := range e.Attrs {
					e.Attrs[j] = Attr{Key: d.string(), Value: d.string()}
				}
			}
		}
	}
	if d.bad || len(d.b) != 0 {
		panic(fmt.Sprintf("state: receipt %s record is corrupt", id))
	}
	return rc
}

// receiptDecoder reads a stored receipt; a short or malformed record sets bad
// and yields zero values from then on.
type receiptDecoder struct {
	b   []byte
	bad bool
}

func (d *receiptDecoder) byte() byte {
	if len(d.b) < 1 {
		d.bad = true
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *receiptDecoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.bad, d.b = true, nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *receiptDecoder) fixed64() uint64 {
	if len(d.b) < 8 {
		d.bad, d.b = true, nil
		return 0
	}
	v := binary.BigEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

// count reads a number of items, each at least one byte long, so that a
// corrupt count cannot make the decoder allocate more than the record holds.
func (d *receiptDecoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.bad, d.b = true, nil
		return 0
	}
	return int(n)
}

func (d *receiptDecoder) string() string {
	n := d.count()
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}
