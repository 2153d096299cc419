package ledger

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// TestTokenIDRule holds validTokenID to the rule as a regular expression, on
// the edges of each part of it and on random strings over an alphabet with
// every class of character the rule names, and some it does not.
func TestTokenIDRule(t *testing.T) {
	rule := regexp.MustCompile(`^[a-z][a-z0-9-]{1,31}$`)
	cases := []string{"", "a", "ab", "usdp", "gbp-demo", "a-", "a0", "0a", "-a", "Ab", "aB", "a_b", "a b", "é1",
		"a234567890123456789012345678901", "a2345678901234567890123456789012", "a23456789012345678901234567890123",
		"ab\n", "`b", "{b", "a/", "a:"}
	alphabet := []byte("az09-AZ_`{/:\x00\xff")
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := make([]byte, r.IntN(36))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
			if r.IntN(8) > 0 { // mostly valid characters, so that long valid ids occur
				b[i] = "abcxyz0189-"[r.IntN(11)]
			}
		}
		cases = append(cases, string(b))
	}
	valid := 0
	for _, s := range cases {
		want := rule.MatchString(s)
		if got := validTokenID(s); got != want {
			t.Errorf("validTokenID(%q) = %v, the rule says %v", s, got, want)
		}
		if _, err := ParseTokenID(s); (err == nil) != want {
			t.Errorf("ParseTokenID(%q): %v, the rule says %v", s, err, want)
		}
		if want {
			valid++
		}
	}
	if valid < 2000 {
		t.Fatalf("only %d of %d cases are valid ids: the test does not reach long ones", valid, len(cases))
	}
}

func TestAliasHashText(t *testing.T) {
	var h AliasHash
	for i := range h {
		h[i] = byte(i * 7)
	}
	got, err := ParseAliasHash(strings.ToUpper(h.String()))
	if err != nil || got != h {
		t.Fatalf("ParseAliasHash(upper case) = %s %v, want %s", got, err, h)
	}
	var back AliasHash
	text, _ := h.MarshalText()
	if err := back.UnmarshalText(text); err != nil || back != h {
		t.Errorf("text round trip = %s %v, want %s", back, err, h)
	}
	for _, bad := range []string{"", h.String()[:62], "zz" + h.String()[2:], h.String() + "00"} {
		if _, err := ParseAliasHash(bad); err == nil || !strings.Contains(err.Error(), "alias hash") {
			t.Errorf("ParseAliasHash(%q) = %v, want an alias hash error", bad, err)
		}
	}
}
