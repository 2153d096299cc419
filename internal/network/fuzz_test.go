package network

import (
	"os"
	"testing"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/state"
)

// FuzzParse feeds Parse arbitrary files. Parse must never panic, and what it
// accepts must be a valid network that Encode writes back to the same
// network. Without -fuzz it runs the seeds as a plain test.
func FuzzParse(f *testing.F) {
	example, err := os.ReadFile("../../examples/network.toml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	f.Add([]byte(region("GB", "peg-gb", keyA, "http://127.0.0.1:1")))
	f.Add([]byte(region("CN-SH", "peg-sh", keyB, "https://h/api/")))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := Parse(b)
		if err != nil {
			return
		}
		if err := state.ValidateNetwork(n.Genesis()); err != nil {
			t.Fatalf("accepted an invalid network: %v", err)
		}
		endpoints := make(map[ledger.Region][]string, len(n.Regions))
		for _, r := range n.Regions {
			endpoints[r.Region] = r.Endpoints
			if got, ok := n.Region(r.Region); !ok || got.ChainID != r.ChainID {
				t.Fatalf("Region(%s) = %+v, %v", r.Region, got, ok)
			}
		}
		out, err := Encode(n.Genesis(), endpoints)
		if err != nil {
			t.Fatalf("Encode of an accepted network: %v", err)
		}
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse of Encode's file: %v\n%s", err, out)
		}
		if len(back.Regions) != len(n.Regions) {
			t.Fatalf("%d regions back, want %d", len(back.Regions), len(n.Regions))
		}
		for i, r := range back.Regions {
			w := n.Regions[i]
			if r.Region != w.Region || r.ChainID != w.ChainID || len(r.Validators) != len(w.Validators) || len(r.Endpoints) != len(w.Endpoints) {
				t.Fatalf("region %d back as %+v, want %+v", i, r, w)
			}
		}
	})
}
