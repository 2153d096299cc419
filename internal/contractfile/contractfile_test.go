package contractfile

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestExampleParses(t *testing.T) {
	b, err := os.ReadFile("../../examples/gbpt.toml")
	if err != nil {
		t.Fatal(err)
	}
	resolved := map[string]bool{}
	d, err := Parse(b, func(s string) (string, error) {
		resolved[s] = true
		return "addr-of-" + s, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != "gbpt" || d.Decimals != 2 || d.Fiat.Currency != "GBP" || d.Roles.Owner != "addr-of-issuer" ||
		len(d.Roles.Minters) != 1 || d.Roles.Minters[0].Address != "addr-of-minter" {
		t.Errorf("parsed %+v", d)
	}
	for _, k := range []string{"issuer", "pauser", "freezer", "attestor", "minter"} {
		if !resolved[k] {
			t.Errorf("role %q was not resolved", k)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for name, tc := range map[string]struct{ file, want string }{
		"unknown key":   {`id = "x"` + "\nsuply_cap = \"1\"\n", "suply_cap"},
		"wrong type":    {`decimals = "two"`, "decimals"},
		"not toml":      {`id = `, "contractfile"},
		"unknown table": {"[bank]\nbic = \"X\"\n", "bank"},
	} {
		if _, err := Parse([]byte(tc.file), nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Parse error = %v, want one mentioning %q", name, err, tc.want)
		}
	}
	if _, err := Parse(make([]byte, MaxFileSize+1), nil); err == nil {
		t.Error("Parse accepted an oversized file")
	}
	unknown := errors.New("no such key")
	_, err := Parse([]byte("[roles]\nowner = \"nobody\"\n"), func(string) (string, error) { return "", unknown })
	if !errors.Is(err, unknown) || !strings.Contains(err.Error(), "roles.owner") {
		t.Errorf("unresolvable role: error = %v, want it to name roles.owner", err)
	}
}
