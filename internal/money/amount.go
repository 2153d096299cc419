// Package money owns amounts: unsigned 128-bit integers of minor units, with
// checked arithmetic and exact decimal parsing. There are no floats here and no
// rounding: excess precision is rejected and overflow is reported, never wrapped.
package money

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
)

// MaxDecimals is the largest scale a decimal string may carry. An Amount holds up
// to 2^128-1 (about 3.4e38), so 18 decimals still leave 20 integer digits.
const MaxDecimals = 18

// MaxDigits bounds the length of a decimal string accepted by Parse, so that a
// hostile input cannot make parsing do unbounded work.
const MaxDigits = 80

// Amount is a non-negative number of minor units (the smallest unit of a token or
// currency). The zero value is zero.
type Amount struct{ hi, lo uint64 }

// Max is the largest Amount.
var Max = Amount{hi: ^uint64(0), lo: ^uint64(0)}

// FromUint64 makes an Amount of v minor units.
func FromUint64(v uint64) Amount { return Amount{lo: v} }

// IsZero reports whether a is zero.
func (a Amount) IsZero() bool { return a.hi == 0 && a.lo == 0 }

// Cmp returns -1, 0 or +1 as a is less than, equal to or greater than b.
func (a Amount) Cmp(b Amount) int {
	switch {
	case a.hi < b.hi:
		return -1
	case a.hi > b.hi:
		return 1
	case a.lo < b.lo:
		return -1
	case a.lo > b.lo:
		return 1
	}
	return 0
}

// Add returns a+b and false if the sum overflows.
func (a Amount) Add(b Amount) (Amount, bool) {
	lo, c := bits.Add64(a.lo, b.lo, 0)
	hi, c := bits.Add64(a.hi, b.hi, c)
	return Amount{hi, lo}, c == 0
}

// Sub returns a-b and false if b is greater than a.
func (a Amount) Sub(b Amount) (Amount, bool) {
	lo, br := bits.Sub64(a.lo, b.lo, 0)
	hi, br := bits.Sub64(a.hi, b.hi, br)
	return Amount{hi, lo}, br == 0
}

// Mul64 returns a*m and false if the product overflows.
func (a Amount) Mul64(m uint64) (Amount, bool) {
	hiLo, lo := bits.Mul64(a.lo, m)
	hiHi, hi := bits.Mul64(a.hi, m)
	hi, c := bits.Add64(hi, hiLo, 0)
	return Amount{hi, lo}, hiHi == 0 && c == 0
}

// QuoRem returns a/b and a%b. It panics if b is zero, as integer division does.
func (a Amount) QuoRem(b Amount) (q, r Amount) {
	if b.IsZero() {
		panic("money: division by zero")
	}
	if b.hi == 0 && a.hi < b.lo {
		lo, rem := bits.Div64(a.hi, a.lo, b.lo)
		return Amount{lo: lo}, Amount{lo: rem}
	}
	bq, br := new(big.Int).QuoRem(a.Big(), b.Big(), new(big.Int))
	q, _ = FromBig(bq)
	r, _ = FromBig(br)
	return q, r
}

// MulDiv64 returns floor(a × num / den) for num ≤ den, so that the result is
// at most a: a share of an amount, rounded down. The product a × num needs up
// to 192 bits; it is formed and divided in three 64-bit words, never in a
// float and never truncated. It panics if den is zero or num exceeds den.
func (a Amount) MulDiv64(num, den uint64) Amount {
	if den == 0 || num > den {
		panic(fmt.Sprintf("money: MulDiv64 by %d/%d", num, den))
	}
	p1, p0 := bits.Mul64(a.lo, num)
	q1, q0 := bits.Mul64(a.hi, num)
	mid, c := bits.Add64(q0, p1, 0)
	top := q1 + c // a × num = top·2^128 + mid·2^64 + p0; top < den since num ≤ den
	hi, r := bits.Div64(top, mid, den)
	lo, _ := bits.Div64(r, p0, den)
	return Amount{hi: hi, lo: lo}
}

// IsMultipleOf reports whether a is a whole multiple of unit. Zero is a multiple
// of everything; nothing but zero is a multiple of zero.
func (a Amount) IsMultipleOf(unit Amount) bool {
	if unit.IsZero() {
		return a.IsZero()
	}
	_, r := a.QuoRem(unit)
	return r.IsZero()
}

// Uint64 returns a and whether it fits in 64 bits.
func (a Amount) Uint64() (uint64, bool) { return a.lo, a.hi == 0 }

// Big returns a as a big.Int.
func (a Amount) Big() *big.Int {
	b := new(big.Int).SetUint64(a.hi)
	b.Lsh(b, 64)
	return b.Or(b, new(big.Int).SetUint64(a.lo))
}

var maxBig = Max.Big()

// AddTo adds a to b. Unlike b.Add(b, a.Big()) it allocates nothing once b
// has room for the sum: blocks tally every coin they create and destroy.
// A non-negative b is added to word by word in its own words.
func (a Amount) AddTo(b *big.Int) {
	var w [4]big.Word
	n := 2
	if bits.UintSize == 64 {
		w[0], w[1] = big.Word(a.lo), big.Word(a.hi)
	} else {
		w[0], w[1], w[2], w[3] = big.Word(uint32(a.lo)), big.Word(a.lo>>32), big.Word(uint32(a.hi)), big.Word(a.hi>>32)
		n = 4
	}
	if b.Sign() < 0 {
		b.Add(b, new(big.Int).SetBits(append([]big.Word(nil), w[:n]...)))
		return
	}
	words := b.Bits()
	if need := n + 1; len(words) < need { // room for a's words and a carry out of them
		if cap(words) < need {
			words = append(make([]big.Word, 0, 2*need), words...)
		}
		for len(words) < need {
			words = append(words, 0)
		}
	}
	var carry uint
	for i := range words {
		var x uint
		if i < n {
			x = uint(w[i])
		} else if carry == 0 {
			break
		}
		var s uint
		s, carry = bits.Add(uint(words[i]), x, carry)
		words[i] = big.Word(s)
	}
	if carry != 0 {
		words = append(words, big.Word(carry))
	}
	b.SetBits(words)
}

// FromBig converts b, reporting false if it is negative or too large.
func FromBig(b *big.Int) (Amount, bool) {
	if b.Sign() < 0 || b.Cmp(maxBig) > 0 {
		return Amount{}, false
	}
	lo := new(big.Int).And(b, new(big.Int).SetUint64(^uint64(0))).Uint64()
	hi := new(big.Int).Rsh(b, 64).Uint64()
	return Amount{hi, lo}, true
}

// Pow10 returns 10^n and false if it does not fit.
func Pow10(n int) (Amount, bool) {
	a := FromUint64(1)
	for i := 0; i < n; i++ {
		var ok bool
		if a, ok = a.Mul64(10); !ok {
			return Amount{}, false
		}
	}
	return a, true
}

// Bytes is the 16-byte big-endian form, used in store keys and values.
func (a Amount) Bytes() [16]byte {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], a.hi)
	binary.BigEndian.PutUint64(b[8:], a.lo)
	return b
}

// FromBytes reads the form written by Bytes.
func FromBytes(b []byte) (Amount, error) {
	if len(b) != 16 {
		return Amount{}, fmt.Errorf("money: amount has %d bytes, want 16", len(b))
	}
	return Amount{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}, nil
}

// String is the number of minor units in base 10.
func (a Amount) String() string {
	if a.hi == 0 {
		return strconv.FormatUint(a.lo, 10) // most amounts: no big.Int to build
	}
	return a.Big().String()
}

// Errors returned by the parsers. Callers may test for them with errors.Is.
var (
	ErrSyntax    = errors.New("not a plain decimal number")
	ErrPrecision = errors.New("more decimal places than allowed")
	ErrRange     = errors.New("out of range")
	// ErrNotCanonical refuses minor units written other than as String
	// writes them: "01" and "00" for 1 and 0.
	ErrNotCanonical = errors.New("not canonical: minor units carry no leading zeros")
)

// ParseUnits parses a base-10 integer number of minor units, as the wire format
// and the store carry them, in the one form String writes: a number has one
// encoding, so that a signed transaction says it one way only. Leading zeros
// are refused (ErrNotCanonical), as is everything Parse refuses.
func ParseUnits(s string) (Amount, error) {
	if len(s) > 1 && s[0] == '0' && digits(s) {
		return Amount{}, fmt.Errorf("money: %q: %w", clipped(s), ErrNotCanonical)
	}
	return Parse(s, 0)
}

// Parse parses a plain decimal string ("12", "12.5", "0.01") as a number of minor
// units with the given number of decimals: Parse("12.5", 2) is 1250. Signs,
// exponents, spaces, separators and more than decimals fractional digits are
// rejected; nothing is rounded.
func Parse(s string, decimals uint8) (Amount, error) {
	if decimals > MaxDecimals {
		return Amount{}, fmt.Errorf("money: %d decimals exceeds %d", decimals, MaxDecimals)
	}
	if len(s) > MaxDigits {
		return Amount{}, fmt.Errorf("money: %q: %w (longer than %d characters)", clipped(s), ErrRange, MaxDigits)
	}
	whole, frac, hasPoint := strings.Cut(s, ".")
	if whole == "" || (hasPoint && frac == "") || !digits(whole) || !digits(frac) {
		return Amount{}, fmt.Errorf("money: %q: %w", s, ErrSyntax)
	}
	if len(frac) > int(decimals) {
		return Amount{}, fmt.Errorf("money: %q: %w (%d)", s, ErrPrecision, decimals)
	}
	frac += strings.Repeat("0", int(decimals)-len(frac))
	var a Amount
	for _, d := range whole + frac {
		var ok bool
		if a, ok = a.Mul64(10); ok {
			a, ok = a.Add(FromUint64(uint64(d - '0')))
		}
		if !ok {
			return Amount{}, fmt.Errorf("money: %q: %w", s, ErrRange)
		}
	}
	return a, nil
}

// clipped shortens a refused string to what an error repeats of it.
func clipped(s string) string {
	if len(s) <= 16 {
		return s
	}
	return s[:16] + "…"
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Format renders a with the given number of decimals, trimming trailing zeros of
// the fraction: Format(1250, 2) is "12.5", Format(1200, 2) is "12".
func (a Amount) Format(decimals uint8) string {
	s := a.FormatFixed(decimals)
	if decimals == 0 {
		return s
	}
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

// FormatFixed renders a with every one of the given decimals, as people read
// amounts: FormatFixed(1250, 2) is "12.50", FormatFixed(1200, 2) is "12.00".
func (a Amount) FormatFixed(decimals uint8) string {
	s := a.String()
	if decimals == 0 {
		return s
	}
	d := int(decimals)
	if len(s) <= d {
		s = strings.Repeat("0", d-len(s)+1) + s
	}
	return s[:len(s)-d] + "." + s[len(s)-d:]
}

// MarshalText encodes a as base-10 minor units, so records and APIs never carry
// a float.
func (a Amount) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText parses base-10 minor units.
func (a *Amount) UnmarshalText(b []byte) error {
	p, err := ParseUnits(string(b))
	if err != nil {
		return err
	}
	*a = p
	return nil
}
