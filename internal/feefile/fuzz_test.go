package feefile

import (
	"os"
	"testing"
	"time"
)

// FuzzParse feeds Parse arbitrary files. Parse must never panic, and what it
// accepts must be what the wire can carry: tier validities of whole positive
// seconds and a schedule in strict kind order. Without -fuzz it runs the seeds
// as a plain test.
func FuzzParse(f *testing.F) {
	example, err := os.ReadFile("../../examples/fees.toml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	f.Add([]byte(minimal))
	f.Add([]byte(minimal + "\n[schedule]\nredeem = { fixed = \"0.1\" }\napprove = { per_output = \"0.01\" }"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, s, err := Parse(b, resolve, twoDecimals)
		if err != nil {
			return
		}
		for _, tier := range p.Tiers {
			if tier.Validity <= 0 || tier.Validity%time.Second != 0 {
				t.Errorf("accepted a validity of %s", tier.Validity)
			}
		}
		for i := 1; i < len(s); i++ {
			if s[i-1].Kind >= s[i].Kind {
				t.Errorf("schedule out of order at %q: %+v", s[i].Kind, s)
			}
		}
	})
}
