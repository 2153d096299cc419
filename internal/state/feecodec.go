package state

import (
	"encoding/binary"
	"fmt"

	"github.com/pegledger/peg/internal/fee"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

// Fee accounts and the fee books are read and written by every charged
// transaction, so they are stored in a binary form rather than JSON:
//
//	account: version (1), status (length byte, bytes), deposited, spent,
//	         expired (16 bytes each), grants (uvarint count), each grant:
//	         deposit id (32), amount, spent (16 each), start, end (8 each)
//	books:   version (1), token (length byte, bytes), deposited, spent,
//	         expired, collected (16 bytes each)
//	history entry (its account, height and transaction id are its key's):
//	         version (1), time (8), kind (length byte, bytes), status
//	         (length byte, bytes), deposited, charged, expired, available
//	         (16 bytes each)
//
// Amounts are big-endian (money.Amount.Bytes), times big-endian Unix
// nanoseconds.
const feeCodecVersion = 1

func encodeFeeAccount(a *fee.Account) []byte {
	b := make([]byte, 0, 2+len(a.Status)+3*16+binary.MaxVarintLen64+len(a.Grants)*(ledger.HashSize+2*16+2*8))
	b = append(b, feeCodecVersion, byte(len(a.Status)))
	b = append(b, a.Status...)
	b = appendAmounts(b, a.Deposited, a.Spent, a.Expired)
	b = binary.AppendUvarint(b, uint64(len(a.Grants)))
	for _, g := range a.Grants {
		b = append(b, g.Deposit[:]...)
		b = appendAmounts(b, g.Amount, g.Spent)
		b = binary.BigEndian.AppendUint64(b, uint64(g.Start))
		b = binary.BigEndian.AppendUint64(b, uint64(g.End))
	}
	return b
}

func decodeFeeAccount(key, b []byte) *fee.Account {
	r := recordReader{key: key, b: b}
	r.version(feeCodecVersion)
	a := &fee.Account{Status: fee.Status(r.short())}
	a.Deposited, a.Spent, a.Expired = r.amount(), r.amount(), r.amount()
	n := r.uvarint()
	if n > fee.MaxGrantsLimit {
		r.fail("%d grants", n)
	}
	a.Grants = make([]fee.Grant, n)
	for i := range a.Grants {
		g := &a.Grants[i]
		copy(g.Deposit[:], r.take(ledger.HashSize))
		g.Amount, g.Spent = r.amount(), r.amount()
		g.Start, g.End = int64(r.uint64()), int64(r.uint64())
	}
	r.end()
	return a
}

func encodeFeeTotals(t FeeTotals) []byte {
	b := make([]byte, 0, 2+len(t.Token)+4*16)
	b = append(b, feeCodecVersion, byte(len(t.Token)))
	b = append(b, t.Token...)
	return appendAmounts(b, t.Deposited, t.Spent, t.Expired, t.Collected)
}

func decodeFeeTotals(key, b []byte) FeeTotals {
	r := recordReader{key: key, b: b}
	r.version(feeCodecVersion)
	t := FeeTotals{Token: ledger.TokenID(r.short())}
	t.Deposited, t.Spent, t.Expired, t.Collected = r.amount(), r.amount(), r.amount(), r.amount()
	r.end()
	return t
}

func encodeFeeEntry(e FeeEntry) []byte {
	b := make([]byte, 0, 11+len(e.Kind)+len(e.Status)+4*16)
	b = append(b, feeCodecVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(e.Time))
	b = append(b, byte(len(e.Kind)))
	b = append(b, e.Kind...)
	b = append(b, byte(len(e.Status)))
	b = append(b, e.Status...)
	return appendAmounts(b, e.Deposited, e.Charged, e.Expired, e.Available)
}

// decodeFeeEntry reads the entry at key, whose account prefix is n bytes long.
func decodeFeeEntry(key, b []byte, n int) FeeEntry {
	r := recordReader{key: key, b: b}
	if len(key) != n+FeeHistoryCursor {
		r.fail("a key of %d bytes", len(key))
	}
	e := FeeEntry{Height: binary.BigEndian.Uint64(key[n:])}
	copy(e.TxID[:], key[n+8:])
	r.version(feeCodecVersion)
	e.Time = int64(r.uint64())
	e.Kind, e.Status = r.short(), fee.Status(r.short())
	e.Deposited, e.Charged, e.Expired, e.Available = r.amount(), r.amount(), r.amount(), r.amount()
	r.end()
	return e
}

func appendAmounts(b []byte, as ...money.Amount) []byte {
	for _, a := range as {
		v := a.Bytes()
		b = append(b, v[:]...)
	}
	return b
}

// recordReader reads a record of a binary form (fee records, trade records);
// a record that does not decode is corrupt state, and panics as decode does.
type recordReader struct {
	key, b []byte
}

func (r *recordReader) fail(format string, args ...any) {
	panic(fmt.Sprintf("state: record %q is corrupt: %s", r.key, fmt.Sprintf(format, args...)))
}

func (r *recordReader) take(n int) []byte {
	if len(r.b) < n {
		r.fail("%d bytes left, %d needed", len(r.b), n)
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *recordReader) version(want byte) {
	if v := r.take(1)[0]; v != want {
		r.fail("version %d", v)
	}
}

func (r *recordReader) short() string { return string(r.take(int(r.take(1)[0]))) }

func (r *recordReader) amount() money.Amount {
	a, _ := money.FromBytes(r.take(16)) // 16 bytes always decode
	return a
}

func (r *recordReader) uint64() uint64 { return binary.BigEndian.Uint64(r.take(8)) }

func (r *recordReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("a bad count")
	}
	r.b = r.b[n:]
	return v
}

func (r *recordReader) end() {
	if len(r.b) != 0 {
		r.fail("%d bytes after the record", len(r.b))
	}
}
