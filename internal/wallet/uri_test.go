package wallet

import (
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/ledger"
)

// TestURI: a request's URI reads back as written, and each malformed one is
// refused naming what is wrong.
func TestURI(t *testing.T) {
	addr := newKey("shop till").Addr
	u := URI{Address: addr, Token: "gbpt", Amount: "12.50", Reference: "ORDER 1&2", Request: "co_1",
		Expires: time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)}
	got, err := ParseURI(u.String())
	if err != nil || got != u {
		t.Fatalf("ParseURI(%q) = %+v, %v; want %+v", u.String(), got, err, u)
	}
	if !strings.HasPrefix(u.String(), "peg:"+addr.String()+"?") {
		t.Errorf("URI %q does not start with peg:ADDRESS?", u)
	}
	for _, tc := range []struct{ uri, want string }{
		{"bitcoin:" + addr.String() + "?token=gbpt&amount=1", "not a peg:ADDRESS"},
		{"peg:nope?token=gbpt&amount=1", "address"},
		{"peg:" + addr.String() + "?amount=1", "token"},
		{"peg:" + addr.String() + "?token=gbpt", "no amount"},
		{"peg:" + addr.String() + "?token=gbpt&amount=1&exp=tomorrow", "expiry"},
		{"peg:" + addr.String() + "?token=gbpt&amount=1&ref=" + strings.Repeat("x", MaxURILen), "at most"},
	} {
		if _, err := ParseURI(tc.uri); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseURI(%.60q) = %v; want an error about %q", tc.uri, err, tc.want)
		}
	}
}

// FuzzParseURI: any string either fails to parse or parses into a URI
// whose encoding parses back to the same value.
func FuzzParseURI(f *testing.F) {
	addr := newKey("fuzz").Addr
	f.Add(URI{Address: addr, Token: "gbpt", Amount: "1.00"}.String())
	f.Add(URI{Address: addr, Token: "gbpt", Amount: "12.50", Reference: "r", Request: "co_x", Expires: time.Unix(1e9, 0)}.String())
	f.Add("peg:" + addr.String() + "?token=gbpt&amount=1&exp=2026-01-02T03:04:05%2B01:00")
	f.Add("peg:?")
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseURI(s)
		if err != nil {
			return
		}
		if u.Address == (ledger.Address{}) || u.Amount == "" {
			t.Fatalf("ParseURI(%q) accepted %+v", s, u)
		}
		again, err := ParseURI(u.String())
		if err != nil {
			t.Fatalf("the encoding %q of %+v does not parse: %v", u.String(), u, err)
		}
		if !again.Expires.Equal(u.Expires) {
			t.Fatalf("expiry %v read back as %v", u.Expires, again.Expires)
		}
		again.Expires = u.Expires
		if again != u {
			t.Fatalf("%+v read back as %+v", u, again)
		}
	})
}
