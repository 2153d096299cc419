package state

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/trade"
)

// Trade records and the parties' positions are read on every trade step,
// the positions twice, so they are stored in a binary form rather than
// JSON, which was most of a step's execution (BENCHMARKS.md, "Trade
// agreements"):
//
//	trade:    version (1), id (32), buyer, seller, pool (addresses), state
//	          (short), versions (uvarint count) each: n (uvarint), by, tx id
//	          (32), time (8), terms; accepted, funded, shipped, confirm by,
//	          confirmed, closed (8 each), invoice, bill of lading (32 each),
//	          dispute (0, or 1 and by, tx id, time, reason (text), evidence
//	          (32)), resolution (text), pool coin (32), funded, released,
//	          refunded (16 each), movements (uvarint count) each: step
//	          (short), tx id (32), time (8), from, to, amount (16), coin
//	          (32), issuance (32)
//	terms:    description (text), document hash (32), token (short), amount
//	          (16), delivery (text), payment rule (short), confirm window,
//	          expires, fund by, ship by (8 each), arbiter
//	position: version (1), holdings (uvarint count) each: trade (32), token
//	          (short), amount (16), until (8)
//
// An address is its Bytes (the zero address a version byte and a zero
// length); a short is a length byte and the bytes, a text a uvarint length
// and the bytes; times are big-endian Unix nanoseconds, amounts big-endian
// (money.Amount.Bytes). Records written as JSON before this form existed
// ('{' or '[' first, never a version byte) are still read.
const tradeCodecVersion = 1

func encodeTrade(t *trade.Trade) []byte {
	b := make([]byte, 0, 512+len(t.Versions)*256+len(t.Movements)*200)
	b = append(b, tradeCodecVersion)
	b = append(b, t.ID[:]...)
	b = appendAddrs(b, t.Buyer, t.Seller, t.Pool)
	b = appendShort(b, string(t.State))
	b = binary.AppendUvarint(b, uint64(len(t.Versions)))
	for _, v := range t.Versions {
		b = binary.AppendUvarint(b, uint64(v.N))
		b = appendAddrs(b, v.By)
		b = append(b, v.TxID[:]...)
		b = appendTimes(b, v.Time)
		b = appendTerms(b, v.Terms)
	}
	b = appendTimes(b, t.AcceptedAt, t.FundedAt, t.ShippedAt, t.ConfirmBy, t.ConfirmedAt, t.ClosedAt)
	b = append(b, t.Invoice[:]...)
	b = append(b, t.BillOfLading[:]...)
	if d := t.Dispute; d == nil {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = appendAddrs(b, d.By)
		b = append(b, d.TxID[:]...)
		b = appendTimes(b, d.Time)
		b = appendText(b, d.Reason)
		b = append(b, d.Evidence[:]...)
	}
	b = appendText(b, t.Resolution)
	b = append(b, t.PoolCoin[:]...)
	b = appendAmounts(b, t.Funded, t.Released, t.Refunded)
	b = binary.AppendUvarint(b, uint64(len(t.Movements)))
	for _, m := range t.Movements {
		b = appendShort(b, string(m.Step))
		b = append(b, m.TxID[:]...)
		b = appendTimes(b, m.Time)
		b = appendAddrs(b, m.From, m.To)
		b = appendAmounts(b, m.Amount)
		b = append(b, m.Coin[:]...)
		b = append(b, m.Issuance[:]...)
	}
	return b
}

func appendTerms(b []byte, t trade.Terms) []byte {
	b = appendText(b, t.Description)
	b = append(b, t.DocumentHash[:]...)
	b = appendShort(b, string(t.Token))
	b = appendAmounts(b, t.Amount)
	b = appendText(b, t.Delivery)
	b = appendShort(b, string(t.PaymentRule))
	b = appendTimes(b, int64(t.ConfirmWindow), t.Expires, t.FundBy, t.ShipBy)
	return appendAddrs(b, t.Arbiter)
}

// decodeTrade reads the trade record at key.
func decodeTrade(key, b []byte) *trade.Trade {
	var t trade.Trade
	if len(b) > 0 && b[0] == '{' {
		decode(key, b, &t)
		return &t
	}
	r := recordReader{key: key, b: b}
	r.version(tradeCodecVersion)
	copy(t.ID[:], r.take(ledger.HashSize))
	t.Buyer, t.Seller, t.Pool = r.address(), r.address(), r.address()
	t.State = trade.State(r.short())
	t.Versions = make([]trade.Version, r.count(trade.MaxRoundsLimit+1))
	for i := range t.Versions {
		v := &t.Versions[i]
		v.N = uint32(r.uvarint())
		v.By = r.address()
		copy(v.TxID[:], r.take(ledger.HashSize))
		v.Time = r.time()
		v.Terms = r.terms()
	}
	t.AcceptedAt, t.FundedAt, t.ShippedAt = r.time(), r.time(), r.time()
	t.ConfirmBy, t.ConfirmedAt, t.ClosedAt = r.time(), r.time(), r.time()
	copy(t.Invoice[:], r.take(len(t.Invoice)))
	copy(t.BillOfLading[:], r.take(len(t.BillOfLading)))
	switch r.take(1)[0] {
	case 0:
	case 1:
		d := &trade.Claim{By: r.address()}
		copy(d.TxID[:], r.take(ledger.HashSize))
		d.Time, d.Reason = r.time(), r.text()
		copy(d.Evidence[:], r.take(len(d.Evidence)))
		t.Dispute = d
	default:
		r.fail("a bad dispute flag")
	}
	t.Resolution = r.text()
	copy(t.PoolCoin[:], r.take(ledger.HashSize))
	t.Funded, t.Released, t.Refunded = r.amount(), r.amount(), r.amount()
	if n := r.count(maxMovements); n > 0 {
		t.Movements = make([]trade.Movement, n)
	}
	for i := range t.Movements {
		m := &t.Movements[i]
		m.Step = trade.Step(r.short())
		copy(m.TxID[:], r.take(ledger.HashSize))
		m.Time = r.time()
		m.From, m.To = r.address(), r.address()
		m.Amount = r.amount()
		copy(m.Coin[:], r.take(ledger.HashSize))
		copy(m.Issuance[:], r.take(ledger.HashSize))
	}
	r.end()
	return &t
}

// maxMovements bounds a trade's movements as a record is read: a trade
// moves money at most three times (funding, then a settlement, a refund or
// a resolution's two coins).
const maxMovements = 3

func (r *recordReader) terms() trade.Terms {
	var t trade.Terms
	t.Description = r.text()
	copy(t.DocumentHash[:], r.take(len(t.DocumentHash)))
	t.Token = ledger.TokenID(r.short())
	t.Amount = r.amount()
	t.Delivery = r.text()
	t.PaymentRule = trade.PaymentRule(r.short())
	t.ConfirmWindow = time.Duration(r.time())
	t.Expires, t.FundBy, t.ShipBy = r.time(), r.time(), r.time()
	t.Arbiter = r.address()
	return t
}

func encodePosition(p trade.Position) []byte {
	b := make([]byte, 0, 1+binary.MaxVarintLen64+len(p)*(ledger.HashSize+16+16+8))
	b = append(b, tradeCodecVersion)
	b = binary.AppendUvarint(b, uint64(len(p)))
	for _, h := range p {
		b = append(b, h.Trade[:]...)
		b = appendShort(b, string(h.Token))
		b = appendAmounts(b, h.Amount)
		b = appendTimes(b, h.Until)
	}
	return b
}

// decodePosition reads the position record at key.
func decodePosition(key, b []byte) trade.Position {
	var p trade.Position
	if len(b) > 0 && b[0] == '[' {
		decode(key, b, &p)
		return p
	}
	r := recordReader{key: key, b: b}
	r.version(tradeCodecVersion)
	if n := r.count(trade.MaxOpenTrades + 1); n > 0 {
		p = make(trade.Position, n)
	}
	for i := range p {
		h := &p[i]
		copy(h.Trade[:], r.take(ledger.HashSize))
		h.Token = ledger.TokenID(r.short())
		h.Amount = r.amount()
		h.Until = r.time()
	}
	r.end()
	return p
}

func appendAddrs(b []byte, as ...ledger.Address) []byte {
	for _, a := range as {
		if a.IsZero() {
			b = append(b, ledger.AddressVersion, 0)
			continue
		}
		b = a.AppendBytes(b)
	}
	return b
}

func appendTimes(b []byte, ts ...int64) []byte {
	for _, t := range ts {
		b = binary.BigEndian.AppendUint64(b, uint64(t))
	}
	return b
}

// appendShort appends s, at most 255 bytes (the record's names: states,
// steps, token ids, rules), after its length byte.
func appendShort(b []byte, s string) []byte {
	if len(s) > 255 {
		panic(fmt.Sprintf("state: a record's short string of %d bytes", len(s)))
	}
	b = append(b, byte(len(s)))
	return append(b, s...)
}

func appendText(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func (r *recordReader) address() ledger.Address {
	head := r.take(2)
	if head[1] == 0 {
		if head[0] != ledger.AddressVersion {
			r.fail("address version %d", head[0])
		}
		return ledger.Address{}
	}
	n := int(head[1])
	a, err := ledger.AddressFromBytes(append(head[:2:2], r.take(n+ledger.KeyHashSize)...))
	if err != nil {
		r.fail("%v", err)
	}
	return a
}

func (r *recordReader) time() int64 { return int64(r.uint64()) }

func (r *recordReader) text() string {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail("a text of %d bytes, %d left", n, len(r.b))
	}
	return string(r.take(int(n)))
}

// count reads a list's length, at most max.
func (r *recordReader) count(max int) int {
	n := r.uvarint()
	if n > uint64(max) {
		r.fail("%d entries, at most %d", n, max)
	}
	return int(n)
}
