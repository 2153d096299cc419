package idkey

import "testing"

func TestOf(t *testing.T) {
	for _, c := range []struct {
		id   string
		want int64
	}{
		{"0000000000000001ffff", 0},
		{"000000000000001fffff", 1},
		{"fffffffffffffff0000000000000000000000000000000000000000000000000", 1<<60 - 1},
		{"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 0x0123456789abcde},
		{"", 0},
		{"0123456789abcd", 0},
		{"0123456789abcdz", 0},
		{"-123456789abcde", 0},
	} {
		if got := Of(c.id); got != c.want {
			t.Errorf("Of(%q) = %#x, want %#x", c.id, got, c.want)
		}
	}
}
