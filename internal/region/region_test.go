package region

import (
	"errors"
	"strings"
	"testing"

	"github.com/pegledger/peg/internal/ledger"
)

func TestParsePhone(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"+442071234567", "+442071234567"},
		{"+44 20 7123 4567", "+442071234567"},
		{"  +44-20-7123-4567 ", "+442071234567"},
		{"+44 (0)20 7123 4567", "+442071234567"},
		{"+1 (212) 555.0100", "+12125550100"},
		{"+852 2123/4567", "+85221234567"},
		{"+1", "+1"},
		{"+123456789012345", "+123456789012345"},
	} {
		v, err := ParsePhone(c.in)
		if err != nil {
			t.Errorf("ParsePhone(%q): %v", c.in, err)
			continue
		}
		if v.String() != c.want || v.Kind() != Phone || v.Canonical() != "phone:"+c.want {
			t.Errorf("ParsePhone(%q) = %q (%s), want %q", c.in, v, v.Canonical(), c.want)
		}
	}
}

func TestParsePhoneRefuses(t *testing.T) {
	for _, c := range []struct{ name, in, why string }{
		{"empty", "", "does not start with +"},
		{"no plus", "442071234567", "does not start with +"},
		{"national form", "020 7123 4567", "does not start with +"},
		{"only plus", "+", "no digits"},
		{"only separators", "+ ( ) -", "no digits"},
		{"country code 0", "+0442071234567", "starting with 0"},
		{"trunk before country", "+(0)44 20", "starting with 0"},
		{"two trunk prefixes", "+44 (0)(0)20", "second trunk prefix"},
		{"sixteen digits", "+1234567890123456", "more than 15 digits"},
		{"letter", "+44 20 CALL ME", "neither a digit"},
		{"plus inside", "+44+20", "neither a digit"},
		{"too long", "+44" + strings.Repeat(" ", 70) + "1", "characters, at most"},
		{"unicode digit", "+44 ٢٠", "neither a digit"},
	} {
		_, err := ParsePhone(c.in)
		if err == nil || !errors.Is(err, ErrPhone) || !strings.Contains(err.Error(), c.why) {
			t.Errorf("%s: ParsePhone(%q) = %v, want ErrPhone saying %q", c.name, c.in, err, c.why)
		}
	}
}

func TestParseID(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"CN-310101199001011234", "CN-310101199001011234"},
		{"cn 310101 19900101 123x", "CN-31010119900101123X"},
		{"CN310101199001011234", "CN-310101199001011234"},
		{"HK-1234", "HK-1234"},
		{" gb.1234.5678 ", "GB-12345678"},
	} {
		v, err := ParseID(c.in)
		if err != nil {
			t.Errorf("ParseID(%q): %v", c.in, err)
			continue
		}
		if v.String() != c.want || v.Kind() != ID || v.Canonical() != "id:"+c.want {
			t.Errorf("ParseID(%q) = %q, want %q", c.in, v, c.want)
		}
	}
}

func TestParseIDRefuses(t *testing.T) {
	for _, c := range []struct{ name, in, why string }{
		{"empty", "", "country code"},
		{"digits only", "310101199001011234", "country code"},
		{"one letter", "C-3101", "country code"},
		{"letter first", "CN-X1234", "start with a digit"},
		{"too short", "CN-123", "want 4 to 24"},
		{"too long", "CN-" + strings.Repeat("1", 25), "want 4 to 24"},
		{"symbol", "CN-3101#99", "neither a digit"},
		{"accented", "CN-3101é", "neither a digit"},
	} {
		_, err := ParseID(c.in)
		if err == nil || !errors.Is(err, ErrID) || !strings.Contains(err.Error(), c.why) {
			t.Errorf("%s: ParseID(%q) = %v, want ErrID saying %q", c.name, c.in, err, c.why)
		}
	}
}

func testTable(t *testing.T) *Table {
	t.Helper()
	tab, err := NewTable([]Route{
		{Phone, "+44", "GB"},
		{Phone, "+4420", "GB-LND"},
		{Phone, "+852", "HK"},
		{Phone, "+86", "CN"},
		{Phone, "+8621", "CN-SH"},
		{ID, "CN", "CN"},
		{ID, "CN-31", "CN-SH"},
		{ID, "HK", "HK"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func TestRouteLongestPrefix(t *testing.T) {
	tab := testTable(t)
	for _, c := range []struct {
		kind         Kind
		in           string
		region, pref string
	}{
		{Phone, "+44 161 123 4567", "GB", "+44"},
		{Phone, "+44 20 7123 4567", "GB-LND", "+4420"},
		{Phone, "+852 2123 4567", "HK", "+852"},
		{Phone, "+86 21 1234 5678", "CN-SH", "+8621"},
		{Phone, "+86 10 1234 5678", "CN", "+86"},
		{Phone, "+4420", "GB-LND", "+4420"},
		{ID, "CN-310101199001011234", "CN-SH", "CN-31"},
		{ID, "CN-110101199001011234", "CN", "CN"},
		{ID, "HK-12345678", "HK", "HK"},
	} {
		v, err := Parse(c.kind, c.in)
		if err != nil {
			t.Fatal(err)
		}
		r, p, err := tab.Match(v)
		if err != nil || r != ledger.Region(c.region) || p != c.pref {
			t.Errorf("Match(%s) = %s %q %v, want %s %q", v, r, p, err, c.region, c.pref)
		}
	}
	for _, in := range []string{"+1 212 555 0100", "+4"} {
		v, _ := ParsePhone(in)
		if _, err := tab.Route(v); !errors.Is(err, ErrNoRoute) {
			t.Errorf("Route(%s) = %v, want ErrNoRoute", v, err)
		}
	}
	// A phone number's digits are not an ID prefix: the spaces are separate.
	v, _ := ParseID("GB-44201234")
	if _, err := tab.Route(v); !errors.Is(err, ErrNoRoute) {
		t.Errorf("Route(%s) = %v, want ErrNoRoute", v, err)
	}
	if tab.Len(Phone) != 5 || tab.Len(ID) != 3 {
		t.Errorf("Len = %d phones %d ids, want 5 and 3", tab.Len(Phone), tab.Len(ID))
	}
}

func TestNewTableRefuses(t *testing.T) {
	for _, c := range []struct {
		name   string
		routes []Route
		why    string
	}{
		{"duplicate phone", []Route{{Phone, "+44", "GB"}, {Phone, "+4 4", "HK"}}, "listed twice"},
		{"duplicate id", []Route{{ID, "CN-31", "CN-SH"}, {ID, "CN-31", "CN"}}, "listed twice"},
		{"bad region", []Route{{Phone, "+44", "gb"}}, "not an ISO 3166 code"},
		{"no plus", []Route{{Phone, "44", "GB"}}, "does not start with +"},
		{"empty phone", []Route{{Phone, "+", "GB"}}, "no digits"},
		{"phone too long", []Route{{Phone, "+1234567890123456", "GB"}}, "more than 15"},
		{"lower-case country", []Route{{ID, "cn", "CN"}}, "country code in capitals"},
		{"hyphen without digits", []Route{{ID, "CN-", "CN"}}, "1 to 24 digits"},
		{"letters in id prefix", []Route{{ID, "CN-3A", "CN"}}, "1 to 24 digits"},
		{"unknown kind", []Route{{Kind(9), "+44", "GB"}}, "unknown kind"},
		{"too many", make([]Route, MaxRoutes+1), "at most 4096"},
	} {
		_, err := NewTable(c.routes)
		if err == nil || !strings.Contains(err.Error(), c.why) {
			t.Errorf("%s: NewTable = %v, want an error saying %q", c.name, err, c.why)
		}
	}
	// The same prefix in both spaces is two routes.
	if _, err := NewTable([]Route{{Phone, "+86", "CN"}, {ID, "CN", "CN"}}); err != nil {
		t.Errorf("a phone and an ID prefix: %v", err)
	}
}

// TestHash pins the hash of a value under a fixed key (computed with
// Python's hmac module), and checks that kind, value and key all count.
func TestHash(t *testing.T) {
	var key Key
	for i := range key {
		key[i] = byte(i)
	}
	phone, _ := ParsePhone("+44 20 7123 4567")
	want := "38a9bd14e314d1b088cf591e95da2976ab5621fce90ad94d59724cb176824d2a"
	if got := Hash(key, phone).String(); got != want {
		t.Errorf("Hash = %s, want %s", got, want)
	}
	same, _ := ParsePhone("+442071234567")
	if Hash(key, same) != Hash(key, phone) {
		t.Error("two writings of one number hash apart")
	}
	id, _ := ParseID("GB-442071234567")
	other := key
	other[0] ^= 1
	if Hash(key, id) == Hash(key, phone) || Hash(other, phone) == Hash(key, phone) {
		t.Error("kind or key does not change the hash")
	}
}

func TestParseValue(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"+44 20 7123 4567", "phone:+442071234567"},
		{"phone:+442071234567", "phone:+442071234567"},
		{"cn 310101 19900101 1234", "id:CN-310101199001011234"},
		{"id:CN-310101199001011234", "id:CN-310101199001011234"},
	} {
		v, err := ParseValue(c.in)
		if err != nil || v.Canonical() != c.want {
			t.Errorf("ParseValue(%q) = %q %v, want %q", c.in, v.Canonical(), err, c.want)
		}
	}
	for _, c := range []struct {
		in   string
		want error
	}{{"442071234567", ErrID}, {"phone:CN-3101", ErrPhone}, {"id:+4420", ErrID}, {"", ErrID}} {
		if _, err := ParseValue(c.in); !errors.Is(err, c.want) {
			t.Errorf("ParseValue(%q) = %v, want %v", c.in, err, c.want)
		}
	}
}
