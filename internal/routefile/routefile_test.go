package routefile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pegledger/peg/examples"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/region"
)

// TestExample reads examples/routing.toml, the walkthrough's table, and
// routes with it.
func TestExample(t *testing.T) {
	tab, err := Load("../../examples/routing.toml")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile("../../examples/routing.toml"); string(b) != string(examples.Routing) {
		t.Error("examples.Routing is not examples/routing.toml")
	}
	for _, c := range []struct {
		kind region.Kind
		in   string
		want ledger.Region
	}{
		{region.Phone, "+44 7700 900123", "GB"},
		{region.Phone, "+852 2123 4567", "HK"},
		{region.Phone, "+86 21 5555 0000", "CN-SH"},
		{region.Phone, "+86 755 5555 0000", "CN"},
		{region.ID, "CN-310101199001011234", "CN-SH"},
		{region.ID, "CN-440101199001011234", "CN"},
		{region.ID, "GB-12345678", "GB"},
	} {
		v, err := region.Parse(c.kind, c.in)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := tab.Route(v); err != nil || got != c.want {
			t.Errorf("Route(%s) = %s %v, want %s", v, got, err, c.want)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, c := range []struct{ name, file, why string }{
		{"empty", "", "no routes"},
		{"unknown table", "[phones]\n\"+44\" = \"GB\"\n", "unknown field"},
		{"wrong type", "[phone]\n\"+44\" = 44\n", "line 2"},
		{"not toml", "[phone\n", "line 1"},
		{"duplicate key", "[phone]\n\"+44\" = \"GB\"\n\"+44\" = \"HK\"\n", "line 3"},
		{"same prefix written twice", "[phone]\n\"+44\" = \"GB\"\n\"+4 4\" = \"HK\"\n", "listed twice"},
		{"bad region", "[id]\n\"CN\" = \"China\"\n", "not an ISO 3166 code"},
		{"bad prefix, all reported", "[phone]\n\"44\" = \"GB\"\n[id]\n\"C\" = \"CN\"\n", "route 2"},
		{"too large", strings.Repeat("#", MaxFileSize+1), "limit"},
	} {
		_, err := Parse([]byte(c.file))
		if err == nil || !strings.Contains(err.Error(), c.why) {
			t.Errorf("%s: Parse = %v, want an error saying %q", c.name, err, c.why)
		}
	}
}

func TestLoadMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "routing.toml")
	if _, err := Load(path); !os.IsNotExist(err) {
		t.Errorf("Load of a missing file = %v, want not exist", err)
	}
	if err := os.WriteFile(path, []byte("[phone]\n\"+44\" = \"gb\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Load of a bad file = %v, want the path named", err)
	}
}

// FuzzParse feeds Parse arbitrary files: no panic, and a table only when
// every route is valid.
func FuzzParse(f *testing.F) {
	f.Add(string(examples.Routing))
	f.Add("[phone]\n\"+1\" = \"US\"\n[id]\n\"US-1\" = \"US-NY\"\n")
	f.Add("[phone]\n\"+\" = \"\"\n")
	f.Fuzz(func(t *testing.T, s string) {
		tab, err := Parse([]byte(s))
		if err == nil && tab.Len(region.Phone)+tab.Len(region.ID) == 0 {
			t.Fatalf("Parse(%q) gave an empty table", s)
		}
	})
}
