package proof

import (
	"encoding/json"
	"testing"

	"github.com/pegledger/peg/internal/ledger"
)

// FuzzDecodeLeaf: any bytes decode to a leaf that encodes back to them, or
// are refused; none panics.
func FuzzDecodeLeaf(f *testing.F) {
	f.Add(AppendLeaf(nil, payLeaf(1, ledger.OK)))
	f.Add(AppendLeaf(nil, payLeaf(2, ledger.CodeCoinSpent)))
	f.Add(AppendLeaf(nil, &Leaf{Kind: "deploy_token"}))
	f.Add([]byte{})
	f.Add([]byte{LeafVersion})
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := DecodeLeaf(b)
		if err != nil {
			return
		}
		if again := AppendLeaf(nil, l); string(again) != string(b) {
			t.Fatalf("leaf %x decodes and encodes to %x", b, again)
		}
	})
}

// FuzzVerifyCoin: a coin proof file, however altered, verifies only as the
// coin its untouched original proves, or is refused with a proof code;
// none panics.
func FuzzVerifyCoin(f *testing.F) {
	c := newChain(f, testChain, nil, nil)
	real := c.coin(f, 0, 0)
	good, err := json.Marshal(real)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"version":1,"receipt":{"version":1}}`))
	f.Add([]byte(`{"version":1,"receipt":{"version":1,"signed_header":{"header":{},"commit":{}},"validators":{"validators":[]}}}`))
	f.Add([]byte(`null`))
	trust := c.trust()
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Coin
		if json.Unmarshal(b, &p) != nil {
			return
		}
		v, rej := VerifyCoin(&p, trust)
		if rej != nil {
			if rej.Code < ledger.CodeProofMalformed || rej.Code > ledger.CodeProofNotCoin {
				t.Fatalf("refused with %s", rej.Code.Name())
			}
			return
		}
		if v.Coin != real.Coin || v.Leaf.TxID != (ledger.TxID{1}) {
			t.Fatalf("verified %+v", v.Coin)
		}
	})
}
