package region

import (
	"regexp"
	"strings"
	"testing"
)

var (
	phoneForm = regexp.MustCompile(`^\+[1-9][0-9]{0,14}$`)
	idForm    = regexp.MustCompile(`^[A-Z]{2}-[0-9][0-9A-Z]{3,23}$`)
)

func onlyDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// FuzzParsePhone holds ParsePhone to its contract: what it accepts is in
// canonical E.164 form, parses again to itself, keeps every digit typed but
// a trunk prefix "(0)", and routes without a panic. Without -fuzz it runs
// the seeds as a plain test.
func FuzzParsePhone(f *testing.F) {
	for _, s := range []string{"+442071234567", "+44 (0)20 7123 4567", "+1 (212) 555.0100", "+", "+0", "44",
		"+123456789012345", "+1234567890123456", "+44 (0)(0)20", "+(0)1", " +852-2123-4567 ", "+44\t20"} {
		f.Add(s)
	}
	tab := fuzzTable(f)
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParsePhone(s)
		if err != nil {
			if !v.IsZero() {
				t.Fatalf("ParsePhone(%q) failed with a value %q", s, v)
			}
			return
		}
		if !phoneForm.MatchString(v.String()) || v.Kind() != Phone {
			t.Fatalf("ParsePhone(%q) = %q, not canonical", s, v)
		}
		if again, err := ParsePhone(v.String()); err != nil || again != v {
			t.Fatalf("ParsePhone(%q) = %q, which parses as %q %v", s, v, again, err)
		}
		typed, kept := onlyDigits(s), onlyDigits(v.String())
		if typed != kept && !(strings.Contains(s, "(0)") && len(typed) == len(kept)+1) {
			t.Fatalf("ParsePhone(%q) = %q: digits %s typed, %s kept", s, v, typed, kept)
		}
		if r, err := tab.Route(v); err == nil && r == "" {
			t.Fatalf("Route(%s) gave no region and no error", v)
		}
		if c, err := ParseValue(v.Canonical()); err != nil || c != v {
			t.Fatalf("ParseValue(%q) = %q %v, want %q", v.Canonical(), c, err, v)
		}
	})
}

// FuzzParseID holds ParseID to its contract: what it accepts is in
// canonical form, parses again to itself, and keeps the number's digits.
func FuzzParseID(f *testing.F) {
	for _, s := range []string{"CN-310101199001011234", "cn 310101 19900101 123x", "HK1234", "C-1234", "CN-X123", "",
		"GB-" + strings.Repeat("9", 24), "gb.1234.5678", "CN-3101é"} {
		f.Add(s)
	}
	tab := fuzzTable(f)
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseID(s)
		if err != nil {
			return
		}
		if !idForm.MatchString(v.String()) || v.Kind() != ID {
			t.Fatalf("ParseID(%q) = %q, not canonical", s, v)
		}
		if again, err := ParseID(v.String()); err != nil || again != v {
			t.Fatalf("ParseID(%q) = %q, which parses as %q %v", s, v, again, err)
		}
		if c, err := ParseValue(v.Canonical()); err != nil || c != v {
			t.Fatalf("ParseValue(%q) = %q %v, want %q", v.Canonical(), c, err, v)
		}
		if onlyDigits(s) != onlyDigits(v.String()) {
			t.Fatalf("ParseID(%q) = %q lost or added digits", s, v)
		}
		if r, err := tab.Route(v); err == nil && r == "" {
			t.Fatalf("Route(%s) gave no region and no error", v)
		}
	})
}

func fuzzTable(f *testing.F) *Table {
	tab, err := NewTable([]Route{{Phone, "+44", "GB"}, {Phone, "+4420", "GB-LND"}, {Phone, "+1", "US"},
		{ID, "CN", "CN"}, {ID, "CN-31", "CN-SH"}})
	if err != nil {
		f.Fatal(err)
	}
	return tab
}
