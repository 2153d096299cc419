package money

import (
	"errors"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       string
		decimals uint8
		want     string
		err      error
	}{
		{"integer", "12", 2, "1200", nil},
		{"fraction", "12.5", 2, "1250", nil},
		{"full fraction", "0.01", 2, "1", nil},
		{"zero", "0", 6, "0", nil},
		{"leading zeros", "007.10", 2, "710", nil},
		{"max", "340282366920938463463374607431768211455", 0, "340282366920938463463374607431768211455", nil},
		{"overflow", "340282366920938463463374607431768211456", 0, "", ErrRange},
		{"overflow by scale", "340282366920938463463374607431768211455", 1, "", ErrRange},
		{"excess precision", "1.234", 2, "", ErrPrecision},
		{"fraction without decimals", "1.0", 0, "", ErrPrecision},
		{"negative", "-1", 2, "", ErrSyntax},
		{"plus", "+1", 2, "", ErrSyntax},
		{"exponent", "1e3", 2, "", ErrSyntax},
		{"empty", "", 2, "", ErrSyntax},
		{"bare point", ".5", 2, "", ErrSyntax},
		{"trailing point", "5.", 2, "", ErrSyntax},
		{"space", " 5", 2, "", ErrSyntax},
		{"separator", "1,000", 2, "", ErrSyntax},
		{"two points", "1.2.3", 2, "", ErrSyntax},
		{"too long", "1111111111111111111111111111111111111111111111111111111111111111111111111111111111", 0, "", ErrRange},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in, tc.decimals)
			if !errors.Is(err, tc.err) {
				t.Fatalf("Parse(%q, %d) error = %v, want %v", tc.in, tc.decimals, err, tc.err)
			}
			if err == nil && got.String() != tc.want {
				t.Fatalf("Parse(%q, %d) = %s, want %s", tc.in, tc.decimals, got, tc.want)
			}
		})
	}
}

// TestParseUnits: minor units are read in the one form String writes them.
func TestParseUnits(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		err            error
	}{
		{"zero", "0", "0", nil},
		{"integer", "1250", "1250", nil},
		{"max", "340282366920938463463374607431768211455", "340282366920938463463374607431768211455", nil},
		{"leading zero", "01", "", ErrNotCanonical},
		{"zeros", "00", "", ErrNotCanonical},
		{"zero-padded max", "0340282366920938463463374607431768211455", "", ErrNotCanonical},
		{"zero-padded beyond MaxDigits", strings.Repeat("0", MaxDigits) + "1", "", ErrNotCanonical},
		{"plus", "+1", "", ErrSyntax},
		{"trailing point", "1.", "", ErrSyntax},
		{"bare point", ".5", "", ErrSyntax},
		{"fraction", "1.50", "", ErrPrecision},
		{"zero fraction", "0.0", "", ErrPrecision},
		{"empty", "", "", ErrSyntax},
		{"overflow", "340282366920938463463374607431768211456", "", ErrRange},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseUnits(tc.in)
			if !errors.Is(err, tc.err) {
				t.Fatalf("ParseUnits(%q) error = %v, want %v", tc.in, err, tc.err)
			}
			if err == nil && got.String() != tc.want {
				t.Fatalf("ParseUnits(%q) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		units    uint64
		decimals uint8
		want     string
	}{
		{1250, 2, "12.5"}, {1200, 2, "12"}, {1, 2, "0.01"}, {0, 6, "0"}, {5, 0, "5"}, {1, 18, "0.000000000000000001"},
	} {
		if got := FromUint64(tc.units).Format(tc.decimals); got != tc.want {
			t.Errorf("Format(%d, %d) = %q, want %q", tc.units, tc.decimals, got, tc.want)
		}
	}
}

func TestFormatFixed(t *testing.T) {
	for _, tc := range []struct {
		units    uint64
		decimals uint8
		want     string
	}{
		{1250, 2, "12.50"}, {1200, 2, "12.00"}, {1, 2, "0.01"}, {0, 2, "0.00"}, {0, 0, "0"}, {5, 0, "5"},
		{25050, 2, "250.50"}, {1, 18, "0.000000000000000001"}, {10, 18, "0.000000000000000010"},
	} {
		if got := FromUint64(tc.units).FormatFixed(tc.decimals); got != tc.want {
			t.Errorf("FormatFixed(%d, %d) = %q, want %q", tc.units, tc.decimals, got, tc.want)
		}
	}
	if got := Max.FormatFixed(18); got != Max.Format(18) {
		t.Errorf("FormatFixed(Max, 18) = %q, want %q (Max ends in a non-zero digit)", got, Max.Format(18))
	}
}

func TestArithmeticChecksOverflow(t *testing.T) {
	one := FromUint64(1)
	if _, ok := Max.Add(one); ok {
		t.Error("Max+1 did not report overflow")
	}
	if _, ok := (Amount{}).Sub(one); ok {
		t.Error("0-1 did not report underflow")
	}
	if _, ok := Max.Mul64(2); ok {
		t.Error("Max*2 did not report overflow")
	}
	big1 := Amount{hi: 1}
	if got, ok := big1.Mul64(3); !ok || got != (Amount{hi: 3}) {
		t.Errorf("2^64*3 = %v %v", got, ok)
	}
	if got, ok := FromUint64(^uint64(0)).Add(one); !ok || got != big1 {
		t.Errorf("carry: got %v %v", got, ok)
	}
}

func TestQuoRemAgreesWithBig(t *testing.T) {
	vals := []Amount{FromUint64(1), FromUint64(7), FromUint64(1000), {hi: 1}, {hi: 5, lo: 99}, Max}
	for _, a := range vals {
		for _, b := range vals {
			q, r := a.QuoRem(b)
			wq, wr := new(big.Int).QuoRem(a.Big(), b.Big(), new(big.Int))
			if q.Big().Cmp(wq) != 0 || r.Big().Cmp(wr) != 0 {
				t.Errorf("%v/%v = %v r %v, want %v r %v", a, b, q, r, wq, wr)
			}
		}
	}
}

func TestAddToAgreesWithBig(t *testing.T) {
	vals := []Amount{{}, FromUint64(1), FromUint64(1 << 63), {hi: 1}, {hi: 5, lo: 99}, Max}
	for _, a := range vals {
		for _, b := range vals {
			got := b.Big()
			a.AddTo(got)
			if want := new(big.Int).Add(b.Big(), a.Big()); got.Cmp(want) != 0 {
				t.Errorf("%v + %v = %v, want %v", b, a, got, want)
			}
		}
	}
	sum := new(big.Int)
	for range 3 {
		Max.AddTo(sum) // past 128 bits
	}
	if want := new(big.Int).Mul(Max.Big(), big.NewInt(3)); sum.Cmp(want) != 0 {
		t.Errorf("3 × Max = %v, want %v", sum, want)
	}
	// A negative sum, and one far past 128 bits whose carry runs on.
	for _, start := range []*big.Int{big.NewInt(-5), new(big.Int).Neg(Max.Big()), new(big.Int).Lsh(big.NewInt(1), 300),
		new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))} {
		for _, a := range vals {
			got := new(big.Int).Set(start)
			a.AddTo(got)
			if want := new(big.Int).Add(start, a.Big()); got.Cmp(want) != 0 {
				t.Errorf("%v + %v = %v, want %v", start, a, got, want)
			}
		}
	}
	// Once the sum has room, adding allocates nothing.
	room := new(big.Int)
	Max.AddTo(room)
	if n := testing.AllocsPerRun(100, func() { FromUint64(7).AddTo(room) }); n != 0 {
		t.Errorf("AddTo allocates %v times a call", n)
	}
}

func TestBytesRoundTrip(t *testing.T) {
	for _, a := range []Amount{{}, FromUint64(42), {hi: 7, lo: 3}, Max} {
		b := a.Bytes()
		got, err := FromBytes(b[:])
		if err != nil || got != a {
			t.Errorf("FromBytes(Bytes(%v)) = %v, %v", a, got, err)
		}
	}
	if _, err := FromBytes([]byte{1, 2}); err == nil {
		t.Error("FromBytes accepted 2 bytes")
	}
}

// TestMulDiv64 holds MulDiv64 to math/big, at the edges of each word and on
// random amounts.
func TestMulDiv64(t *testing.T) {
	edges := []Amount{{}, {lo: 1}, {lo: ^uint64(0)}, {hi: 1}, {hi: 1, lo: ^uint64(0)}, {hi: ^uint64(0)}, Max}
	fracs := [][2]uint64{{0, 1}, {1, 1}, {1, 2}, {1, 3}, {2, 3}, {^uint64(0) - 1, ^uint64(0)}, {^uint64(0), ^uint64(0)},
		{1, ^uint64(0)}, {86_399_999_999_999, 86_400_000_000_000}}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		edges = append(edges, Amount{hi: rng.Uint64() >> rng.UintN(64), lo: rng.Uint64()})
		den := rng.Uint64()>>rng.UintN(64) | 1
		fracs = append(fracs, [2]uint64{rng.Uint64N(den + 1), den})
	}
	for i, a := range edges {
		for _, f := range []([2]uint64){fracs[i%len(fracs)], fracs[(i*7+3)%len(fracs)], {1, 2}, {0, 5}} {
			want := new(big.Int).Mul(a.Big(), new(big.Int).SetUint64(f[0]))
			want.Quo(want, new(big.Int).SetUint64(f[1]))
			if got := a.MulDiv64(f[0], f[1]); got.Big().Cmp(want) != 0 {
				t.Fatalf("%s × %d / %d = %s, want %s", a, f[0], f[1], got, want)
			}
		}
	}
}

func TestMulDiv64Panics(t *testing.T) {
	for _, f := range [][2]uint64{{1, 0}, {3, 2}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("MulDiv64(%d, %d) did not panic", f[0], f[1])
				}
			}()
			FromUint64(5).MulDiv64(f[0], f[1])
		}()
	}
}
