package state

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pegledger/peg/internal/ledger"
)

// TestReceiptRoundTrip: a receipt reads back as written, events and all,
// with or without a signer, events or log.
func TestReceiptRoundTrip(t *testing.T) {
	signer, err := ledger.ParseAddress("peg1qypywsju9xmc7y9rtfy6vgcaprhggzsyhnp6x7schtwwr")
	if err != nil {
		t.Fatal(err)
	}
	id := ledger.TxID{1, 2, 3}
	for _, rc := range []*Receipt{
		{TxID: id, Height: 7, Index: 300, Time: 1_767_323_045_000_000_000, Kind: "pay", Signer: signer,
			Events: []Event{{Type: "coin.spent", Attrs: []Attr{{Key: "coin", Value: "c6e3"}, {Key: "owner", Value: signer.String()}, {Key: "amount", Value: "100"}}},
				{Type: "empty"}}},
		{TxID: id, Height: 1, Kind: "mint", Code: ledger.CodeMinterAllowance, Log: "mint exceeds the allowance"},
		// Values in their compact forms and values that look like them but
		// would not be written back the same; words in and out of the list.
		{TxID: id, Height: 1 << 40, Index: 1, Kind: "a kind of its own", Signer: signer, Events: []Event{
			{Type: "coin.created", Attrs: []Attr{
				{Key: "coin", Value: "c6e3a1b2c6e3a1b2c6e3a1b2c6e3a1b2c6e3a1b2c6e3a1b2c6e3a1b2c6e3a1b2"},
				{Key: "coin", Value: "C6E3A1B2C6E3A1B2C6E3A1B2C6E3A1B2C6E3A1B2C6E3A1B2C6E3A1B2C6E3A1B2"},
				{Key: "coin", Value: "c6e3a1b2c6e3a1b2c6e3a1b2c6e3a1b2c6e3a1b2c6e3a1b2c6e3a1b2c6e3a1b"},
				{Key: "owner", Value: signer.String()}, {Key: "owner", Value: "peg1notanaddress"}, {Key: "owner", Value: "PEG1QYPYWSJU9XMC7Y9RTFY6VGCAPRHGGZSYHNP6X7SCHTWWR"},
				{Key: "amount", Value: "0"}, {Key: "amount", Value: "007"}, {Key: "amount", Value: "9999999999999999999"}, {Key: "amount", Value: "18446744073709551615"},
				{Key: "amount", Value: "-1"}, {Key: "amount", Value: "1.5"}, {Key: "amount", Value: ""},
				{Key: "an attribute of its own", Value: "text"},
			}},
			{Type: "an event of its own"}}},
		{TxID: id},
	} {
		got := decodeReceipt(id, encodeReceipt(rc))
		if diff := cmp.Diff(rc, got, cmp.AllowUnexported(ledger.Address{})); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
	}
}

// TestReceiptVersion1: a receipt stored before version 2, every word and
// value a string, reads as the same receipt does in the current form.
func TestReceiptVersion1(t *testing.T) {
	signer, err := ledger.ParseAddress("peg1qypywsju9xmc7y9rtfy6vgcaprhggzsyhnp6x7schtwwr")
	if err != nil {
		t.Fatal(err)
	}
	id := ledger.TxID{4, 5, 6}
	coin := "c6e3a1b2c6e3a1b2c6e3a1b2c6e3a1b2c6e3a1b2c6e3a1b2c6e3a1b2c6e3a1b2"
	want := &Receipt{TxID: id, Height: 9, Index: 2, Time: 1_767_323_045_000_000_000, Kind: "pay", Signer: signer,
		Code: ledger.CodeCoinSpent, Log: "spent",
		Events: []Event{{Type: "coin.spent", Attrs: []Attr{{Key: "coin", Value: coin}, {Key: "owner", Value: signer.String()}, {Key: "amount", Value: "100"}}}}}
	b := encodeTextReceipt(want)
	got := decodeReceipt(id, b)
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(ledger.Address{})); diff != "" {
		t.Errorf("version 1 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(decodeReceipt(id, encodeReceipt(want)), got, cmp.AllowUnexported(ledger.Address{})); diff != "" {
		t.Errorf("version 1 against version 2 (-2 +1):\n%s", diff)
	}
}

// encodeTextReceipt writes rc in the layout of version 1, every word and
// value a string.
func encodeTextReceipt(rc *Receipt) []byte {
	b := binary.AppendUvarint(binary.AppendUvarint([]byte{receiptTextVersion}, rc.Height), uint64(rc.Index))
	b = binary.BigEndian.AppendUint64(b, uint64(rc.Time))
	b = appendString(b, rc.Kind)
	var signer []byte
	if !rc.Signer.IsZero() {
		signer = rc.Signer.Bytes()
	}
	b = appendString(b, string(signer))
	b = binary.AppendUvarint(b, uint64(rc.Code))
	b = binary.AppendUvarint(appendString(b, rc.Log), uint64(len(rc.Events)))
	for _, e := range rc.Events {
		b = binary.AppendUvarint(appendString(b, e.Type), uint64(len(e.Attrs)))
		for _, a := range e.Attrs {
			b = appendString(appendString(b, a.Key), a.Value)
		}
	}
	return b
}

// BenchmarkReceiptSize encodes the receipt of a payment with one output and
// of one with two, and reports their sizes in the stored form and in
// version 1's.
func BenchmarkReceiptSize(b *testing.B) {
	a, err := ledger.ParseAddress("peg1qypywsju9xmc7y9rtfy6vgcaprhggzsyhnp6x7schtwwr")
	if err != nil {
		b.Fatal(err)
	}
	coin := func(typ string, i byte) Event {
		return Event{Type: typ, Attrs: []Attr{{Key: "coin", Value: ledger.CoinID{i}.String()}, {Key: "owner", Value: a.String()}, {Key: "amount", Value: "1234"}}}
	}
	for _, outputs := range []int{1, 2} {
		b.Run(fmt.Sprintf("outputs=%d", outputs), func(b *testing.B) {
			rc := &Receipt{Height: 120, Index: 3000, Time: 1_767_323_045_000_000_000, Kind: "pay", Signer: a,
				Events: []Event{coin("coin.spent", 0)}}
			for i := range outputs {
				rc.Events = append(rc.Events, coin("coin.created", byte(i+1)))
			}
			rc.Events = append(rc.Events, Event{Type: "pay", Attrs: []Attr{{Key: "token", Value: "bench-b6d4df23"}, {Key: "from", Value: a.String()}, {Key: "amount", Value: "1234"}}})
			var n int
			for b.Loop() {
				n = len(encodeReceipt(rc))
			}
			b.ReportMetric(float64(n), "B/receipt")
			b.ReportMetric(float64(len(encodeTextReceipt(rc))), "v1-B/receipt")
		})
	}
}

// TestReceiptCorrupt: a truncated or extended record panics rather than
// reading as another receipt.
func TestReceiptCorrupt(t *testing.T) {
	b := encodeReceipt(&Receipt{Height: 5, Kind: "pay", Log: "ok", Events: []Event{{Type: "x", Attrs: []Attr{{Key: "k", Value: "v"}}}}})
	for name, rec := range map[string][]byte{
		"truncated":       b[:len(b)-1],
		"extended":        append(append([]byte{}, b...), 0),
		"unknown version": append([]byte{9}, b[1:]...),
		"empty":           {},
		"huge count":      {receiptVersion, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f},
		// height, index, time, then a word past the list
		"unknown word": {receiptVersion, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, byte(len(receiptWords) + 1), 0, 0, 0, 0},
		// kind "pay", no signer, OK, no log, one event "pay" of one attribute "coin" whose value is
		"unknown value tag": {receiptVersion, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 4, 9, 0},
		"short hash":        {receiptVersion, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 4, valueHash, 1, 2, 3},
		"bad address":       {receiptVersion, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 4, valueAddress, 1, 0xee},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			decodeReceipt(ledger.TxID{}, rec)
		})
	}
}
