package money

import (
	"errors"
	"math/big"
	"strings"
	"testing"
)

// refParse is Parse written the slow, obvious way, with math/big: the value
// of s in minor units at decimals, or which of the parser's errors s
// deserves (nil with no value for too many decimals).
func refParse(s string, decimals uint8) (*big.Int, error) {
	if decimals > MaxDecimals {
		return nil, nil
	}
	if len(s) > MaxDigits {
		return nil, ErrRange
	}
	whole, frac, hasPoint := strings.Cut(s, ".")
	isDigits := func(s string) bool { return strings.Trim(s, "0123456789") == "" }
	if whole == "" || (hasPoint && frac == "") || !isDigits(whole) || !isDigits(frac) {
		return nil, ErrSyntax
	}
	if len(frac) > int(decimals) {
		return nil, ErrPrecision
	}
	n, ok := new(big.Int).SetString(whole+frac+strings.Repeat("0", int(decimals)-len(frac)), 10)
	if !ok {
		panic("refParse: " + s)
	}
	if n.Cmp(Max.Big()) > 0 {
		return nil, ErrRange
	}
	return n, nil
}

// canonical is how Format writes the decimal s: no leading zeros but one,
// no trailing fractional zeros, no bare point.
func canonical(s string) string {
	whole, frac, _ := strings.Cut(s, ".")
	whole = strings.TrimLeft(whole, "0")
	if whole == "" {
		whole = "0"
	}
	if frac = strings.TrimRight(frac, "0"); frac == "" {
		return whole
	}
	return whole + "." + frac
}

// FuzzParse holds Parse to refParse: the same strings accepted, with the same
// value, and the same error for the rest; and what it accepts, Format writes
// back canonically and Parse reads again. ParseUnits accepts exactly the
// strings String writes (checkUnits). The seed corpus is in
// testdata/fuzz/FuzzParse; without -fuzz it runs as a plain test.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string, decimals uint8) {
		checkUnits(t, s)
		got, err := Parse(s, decimals)
		want, wantErr := refParse(s, decimals)
		switch {
		case want == nil && wantErr == nil:
			if err == nil || errors.Is(err, ErrSyntax) || errors.Is(err, ErrPrecision) || errors.Is(err, ErrRange) {
				t.Fatalf("Parse(%q, %d) error = %v, want a refusal of the decimals", s, decimals, err)
			}
			return
		case wantErr != nil:
			if !errors.Is(err, wantErr) {
				t.Fatalf("Parse(%q, %d) = %v, %v; want error %v", s, decimals, got, err, wantErr)
			}
			return
		case err != nil:
			t.Fatalf("Parse(%q, %d) error = %v, want %s", s, decimals, err, want)
		case got.Big().Cmp(want) != 0:
			t.Fatalf("Parse(%q, %d) = %s, want %s", s, decimals, got, want)
		}
		text := got.Format(decimals)
		if text != canonical(s) {
			t.Fatalf("Format(Parse(%q, %d)) = %q, want %q", s, decimals, text, canonical(s))
		}
		if back, err := Parse(text, decimals); err != nil || back != got {
			t.Fatalf("Parse(Format(Parse(%q))) = %v, %v; want %v", s, back, err, got)
		}
	})
}

// checkUnits holds ParseUnits to Parse at no decimals and String: it accepts
// what Parse accepts and String writes back unchanged, with Parse's value;
// refuses what Parse accepts in another form (ErrNotCanonical); and refuses
// what Parse refuses.
func checkUnits(t *testing.T, s string) {
	got, err := ParseUnits(s)
	want, perr := Parse(s, 0)
	switch {
	case perr == nil && want.String() == s:
		if err != nil || got != want {
			t.Fatalf("ParseUnits(%q) = %v, %v; want %v", s, got, err, want)
		}
	case perr == nil:
		if !errors.Is(err, ErrNotCanonical) {
			t.Fatalf("ParseUnits(%q) = %v, %v; want ErrNotCanonical (String writes %q)", s, got, err, want)
		}
	case err == nil:
		t.Fatalf("ParseUnits(%q) = %v; Parse refuses it: %v", s, got, perr)
	}
}

// FuzzMulDiv64 holds MulDiv64 to math/big on any amount and fraction at most 1.
func FuzzMulDiv64(f *testing.F) {
	f.Add(uint64(0), uint64(1), uint64(1), uint64(2))
	f.Add(^uint64(0), ^uint64(0), ^uint64(0)-1, ^uint64(0))
	f.Fuzz(func(t *testing.T, hi, lo, num, den uint64) {
		if num > den {
			num, den = den, num
		}
		if den == 0 {
			return
		}
		a := Amount{hi: hi, lo: lo}
		want := new(big.Int).Mul(a.Big(), new(big.Int).SetUint64(num))
		want.Quo(want, new(big.Int).SetUint64(den))
		if got := a.MulDiv64(num, den); got.Big().Cmp(want) != 0 {
			t.Fatalf("%s × %d / %d = %s, want %s", a, num, den, got, want)
		}
	})
}
