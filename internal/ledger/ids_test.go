package ledger

import (
	"math/rand/v2"
	"regexp"
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
