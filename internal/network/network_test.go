package network

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/state"
)

const keyA = "sh8DRl2GjeRvyq1RNuUPNXGvCMMH5G+cRk2i8bDnTQE="
const keyB = "0W2MX3T0Ch9n3QOnL6/iQb4KMHdRdfRgGbPvmI7rbTQ="

func region(code, chain, key, endpoint string) string {
	return `
[[region]]
code = "` + code + `"
chain_id = "` + chain + `"
endpoints = ["` + endpoint + `"]
[[region.validator]]
pub_key = "` + key + `"
power = 10
`
}

func TestExampleParses(t *testing.T) {
	n, err := Load(filepath.Join("..", "..", "examples", "network.toml"))
	if err != nil {
		t.Fatal(err)
	}
	hk, ok := n.Region("HK")
	if !ok || hk.ChainID != "peg-local-hk" || len(hk.Endpoints) != 2 || len(hk.Validators) != 2 {
		t.Errorf("HK: %+v, %v", hk, ok)
	}
	if _, ok := n.Region("FR"); ok {
		t.Error("FR found in a network without it")
	}
}

func TestParseRefuses(t *testing.T) {
	good := region("GB", "peg-gb", keyA, "http://127.0.0.1:1")
	for _, c := range []struct{ name, file, want string }{
		{"empty", ``, "no [[region]]"},
		{"unknown key", good + "colour = \"red\"\n", "colour"},
		{"bad code", region("gb", "peg-gb", keyA, "http://127.0.0.1:1"), "not an ISO 3166 code"},
		{"duplicate code", good + region("GB", "peg-gb2", keyB, "http://127.0.0.1:2"), "code GB twice"},
		{"duplicate chain", good + region("HK", "peg-gb", keyB, "http://127.0.0.1:2"), `chain_id "peg-gb" is another region's`},
		{"no chain", region("GB", "", keyA, "http://127.0.0.1:1"), "chain_id"},
		{"no validators", "[[region]]\ncode = \"GB\"\nchain_id = \"c\"\nendpoints = [\"http://h:1\"]\n", "0 validators"},
		{"bad key", region("GB", "peg-gb", "AAAA", "http://127.0.0.1:1"), "key of 3 bytes"},
		{"not base64", region("GB", "peg-gb", "!!", "http://127.0.0.1:1"), "not base64"},
		{"zero power", strings.Replace(good, "power = 10", "power = 0", 1), "power 0 must be positive"},
		{"no endpoint", strings.Replace(good, `endpoints = ["http://127.0.0.1:1"]`, "endpoints = []", 1), "0 endpoints"},
		{"bad endpoint", region("GB", "peg-gb", keyA, "ftp://x"), "not an http(s) base URL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.file))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	n, err := Parse([]byte(region("GB", "peg-gb", keyA, "http://127.0.0.1:1/") + region("HK", "peg-hk", keyB, "http://127.0.0.1:2")))
	if err != nil {
		t.Fatal(err)
	}
	if got := n.Regions[0].Endpoints[0]; got != "http://127.0.0.1:1" {
		t.Errorf("endpoint %q, want the trailing slash gone", got)
	}
	b, err := Encode(n.Genesis(), map[ledger.Region][]string{"GB": {"http://127.0.0.1:1"}, "HK": {"http://127.0.0.1:2"}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "network.toml")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := back.Genesis(), n.Genesis(); len(got) != 2 || got[1].ChainID != want[1].ChainID || string(got[1].Validators[0].PubKey) != string(want[1].Validators[0].PubKey) {
		t.Errorf("round trip: got %+v, want %+v", got, want)
	}
	if _, err := Encode(n.Genesis(), nil); err == nil {
		t.Error("Encode without endpoints: no error")
	}
}

func TestGenesisCheckMember(t *testing.T) {
	n, err := Parse([]byte(region("GB", "peg-gb", keyA, "http://127.0.0.1:1")))
	if err != nil {
		t.Fatal(err)
	}
	g := state.Genesis{Network: n.Genesis()}
	if err := g.CheckMember("peg-gb", "GB"); err != nil {
		t.Errorf("GB on peg-gb: %v", err)
	}
	if err := g.CheckMember("peg-other", "GB"); err == nil {
		t.Error("GB on another chain id: no error")
	}
	if err := g.CheckMember("peg-hk", "HK"); err == nil {
		t.Error("HK, not in the network: no error")
	}
	if err := (state.Genesis{}).CheckMember("any", "HK"); err != nil {
		t.Errorf("a genesis without a network: %v", err)
	}
}
