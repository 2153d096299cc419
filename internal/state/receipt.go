package state

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/pegledger/peg/internal/ledger"
)

// receiptVersion is the first byte of a stored receipt. A receipt is written
// for every transaction a block includes, so it has its own compact binary
// form: the version, then
//
//	height uvarint | index uvarint | time 8 bytes (Unix ns, big-endian)
//	kind word | signer string (address bytes) | code uvarint | log string
//	events uvarint, each: type word | attrs uvarint, each: key word | value
//
// where a string is its length (uvarint) and its bytes; a word is a uvarint
// n, receiptWords[n-1] for n ≥ 1 and for 0 a string that follows; and a
// value is a tag byte and one of
//
//	valueText:    a string
//	valueHash:    32 bytes, written as 64 lowercase hexadecimal digits
//	valueAddress: a string of an address's bytes, written as the address
//	valueNumber:  a uvarint, written in decimal
//
// A value takes a compact form only if writing it back gives exactly the
// text it was, so a receipt reads back as it was written. A payment's
// receipt is 225 bytes with one output and 292 with two
// (BenchmarkReceiptSize); with every value
// and name as text (version 1) it was 439 and 591, most of the bytes a
// block wrote. The transaction id is the key's. The version moves up if the
// layout changes; receipts of version 1, whose words and values are all
// strings, are still read.
const receiptVersion = 2

// receiptTextVersion is the version of receipts written before words and
// tagged values: the same layout with a string wherever a word or a value is.
const receiptTextVersion = 1

// Tags of a receipt value.
const (
	valueText byte = iota
	valueHash
	valueAddress
	valueNumber
)

// receiptWords are the kinds, event types and attribute keys a receipt names
// by number (1 for the first). The list is part of the stored form: a word
// may be added at its end, never moved or removed.
var receiptWords = []string{
	"pay", "coin.spent", "coin.created", "coin", "owner", "amount", "token", "from", "to",
	"mint", "redeem", "seize", "spend_from", "spender", "minter", "holder", "account",
	"authorize_issuer", "register_account", "deploy_token", "freeze", "unfreeze", "pause", "unpause",
	"transfer_ownership", "accept_ownership", "approve", "configure_minter", "attest",
	"issuer", "issuer.authorized", "account.registered", "token.deployed", "hash", "address",
	"account.frozen", "account.unfrozen", "token.paused", "token.unpaused",
	"owner.proposed", "owner.changed", "proposed", "minter.removed", "minter.configured", "allowance",
	"allowance_left", "approval", "fiat_owed", "supply", "balance", "balance_type", "bank_time",
	"currency", "raw_hash", "required", "status", "reserve.attested", "reserve.status",
	"fee_deposit", "set_fee_schedule", "fee.charged", "fee.status", "fee.deposited", "fee.schedule",
	"kind", "available", "start", "end", "revenue", "kinds", "fee_collect", "fee.collected",
	"alias_register", "alias_revoke", "set_registrar", "alias.registered", "alias.revoked",
	"registrar.set", "registrar.removed", "registrar",
}

// receiptWordNumbers is receiptWords' inverse.
var receiptWordNumbers = func() map[string]uint64 {
	m := make(map[string]uint64, len(receiptWords))
	for i, w := range receiptWords {
		if _, dup := m[w]; dup {
			panic("state: receipt word " + w + " listed twice")
		}
		m[w] = uint64(i + 1)
	}
	return m
}()

// encodeReceipt writes rc in the stored form.
func encodeReceipt(rc *Receipt) []byte {
	size := 48 + len(rc.Log)
	for _, e := range rc.Events {
		size += 2 + 36*len(e.Attrs)
	}
	b := make([]byte, 0, size)
	b = append(b, receiptVersion)
	b = binary.AppendUvarint(b, rc.Height)
	b = binary.AppendUvarint(b, uint64(rc.Index))
	b = binary.BigEndian.AppendUint64(b, uint64(rc.Time))
	b = appendWord(b, rc.Kind)
	var signer []byte
	if !rc.Signer.IsZero() {
		signer = rc.Signer.Bytes()
	}
	b = appendString(b, string(signer))
	b = binary.AppendUvarint(b, uint64(rc.Code))
	b = appendString(b, rc.Log)
	b = binary.AppendUvarint(b, uint64(len(rc.Events)))
	for _, e := range rc.Events {
		b = appendWord(b, e.Type)
		b = binary.AppendUvarint(b, uint64(len(e.Attrs)))
		for _, a := range e.Attrs {
			b = appendValue(appendWord(b, a.Key), a.Value)
		}
	}
	return b
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func appendWord(b []byte, w string) []byte {
	if n, ok := receiptWordNumbers[w]; ok {
		return binary.AppendUvarint(b, n)
	}
	return appendString(append(b, 0), w)
}

func appendValue(b []byte, v string) []byte {
	if h, ok := appendHashText(append(b, valueHash), v); ok {
		return h
	}
	switch {
	case isNumberText(v):
		n, _ := strconv.ParseUint(v, 10, 64)
		return binary.AppendUvarint(append(b, valueNumber), n)
	case strings.HasPrefix(v, ledger.AddressPrefix+"1"):
		if a, err := ledger.ParseAddress(v); err == nil && a.String() == v {
			return appendString(append(b, valueAddress), string(a.Bytes()))
		}
	}
	return appendString(append(b, valueText), v)
}

// appendHashText appends the 32 bytes that s writes in lowercase
// hexadecimal, as coin and transaction ids are written, and reports whether
// s is such a text (b is then returned unchanged).
func appendHashText(b []byte, s string) ([]byte, bool) {
	if len(s) != 2*ledger.HashSize {
		return b, false
	}
	n := len(b)
	for i := 0; i < len(s); i += 2 {
		hi, lo := lowerHex[s[i]], lowerHex[s[i+1]]
		if hi|lo > 0xf {
			return b[:n], false
		}
		b = append(b, hi<<4|lo)
	}
	return b, true
}

// lowerHex is each byte's value as a lowercase hexadecimal digit, 0xff if
// it is none.
var lowerHex = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i, c := range "0123456789abcdef" {
		t[c] = byte(i)
	}
	return t
}()

// isNumberText reports whether s is a decimal number that strconv writes
// back as s and that fits a uint64: no sign, no leading zero, at most 19
// digits.
func isNumberText(s string) bool {
	if len(s) == 0 || len(s) > 19 || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// decodeReceipt reads a stored receipt of transaction id. A record that does
// not decode is corrupt state: it panics, as every state read does.
func decodeReceipt(id ledger.TxID, b []byte) *Receipt {
	d := receiptDecoder{b: b}
	switch v := d.byte(); v {
	case receiptVersion:
	case receiptTextVersion:
		d.text = true
	default:
		panic(fmt.Sprintf("state: receipt %s has an unknown version %d", id, v))
	}
	rc := &Receipt{TxID: id, Height: d.uvarint(), Index: uint32(d.uvarint())}
	rc.Time = int64(d.fixed64())
	rc.Kind = d.word()
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
			e.Type = d.word()
			if n := d.count(); n > 0 {
				e.Attrs = make([]Attr, n)
				for j := range e.Attrs {
					e.Attrs[j] = Attr{Key: d.word(), Value: d.value()}
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
	b    []byte
	bad  bool
	text bool // version 1: words and values are strings
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

// word reads a word: a number in receiptWords, or 0 and a string.
func (d *receiptDecoder) word() string {
	if d.text {
		return d.string()
	}
	n := d.uvarint()
	switch {
	case n == 0:
		return d.string()
	case n > uint64(len(receiptWords)):
		d.bad, d.b = true, nil
		return ""
	}
	return receiptWords[n-1]
}

// value reads a tagged value and writes it as the text it was.
func (d *receiptDecoder) value() string {
	if d.text {
		return d.string()
	}
	switch d.byte() {
	case valueText:
		return d.string()
	case valueHash:
		if len(d.b) < ledger.HashSize {
			d.bad, d.b = true, nil
			return ""
		}
		v := hex.EncodeToString(d.b[:ledger.HashSize])
		d.b = d.b[ledger.HashSize:]
		return v
	case valueAddress:
		a, err := ledger.AddressFromBytes([]byte(d.string()))
		if err != nil {
			d.bad, d.b = true, nil
			return ""
		}
		return a.String()
	case valueNumber:
		return strconv.FormatUint(d.uvarint(), 10)
	}
	d.bad, d.b = true, nil
	return ""
}
