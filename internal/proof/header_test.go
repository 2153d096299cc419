package proof

import (
	"slices"
	"testing"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/pegledger/peg/internal/ledger"
)

// TestVerifyHeader: a header signed by the trusted set verifies, and so
// does one whose set shares half the trusted power; a header of another
// chain, a commit cut to one signature of four, a set sharing a quarter,
// and bytes that do not decode are refused with Verify's codes.
func TestVerifyHeader(t *testing.T) {
	c := newChain(t, testChain, nil, nil)
	p := c.receipt(t, 0)
	if h, vals, rej := VerifyHeader(p.SignedHeader, p.Validators, c.trust()); rej != nil || h.Height != 8 || vals.Size() != 4 {
		t.Fatalf("the chain's own header: %v", rej)
	}
	other := newChain(t, "peg-other", nil, nil)
	q := other.receipt(t, 0)
	if _, _, rej := VerifyHeader(q.SignedHeader, q.Validators, c.trust()); rej == nil || rej.Code != ledger.CodeProofWrongChain {
		t.Errorf("another chain's header: %v, want PROOF_WRONG_CHAIN", rej)
	}
	for _, tc := range []struct {
		shared int
		want   ledger.Code
	}{{2, ledger.OK}, {1, ledger.CodeProofUntrustedValidator}} {
		others, _ := cmttypes.RandValidatorSet(4-tc.shared, 10)
		trust := Trust{ChainID: testChain, Validators: cmttypes.NewValidatorSet(slices.Concat(c.vals.Copy().Validators[:tc.shared], others.Validators))}
		_, _, rej := VerifyHeader(p.SignedHeader, p.Validators, trust)
		got := ledger.OK
		if rej != nil {
			got = rej.Code
		}
		if got != tc.want {
			t.Errorf("trusted set sharing %d of 4: %v, want %s", tc.shared, rej, tc.want.Name())
		}
	}
	coin := c.coin(t, 0, 0)
	header(t, coin, func(sh *cmttypes.SignedHeader) {
		for i := 1; i < 4; i++ {
			sh.Commit.Signatures[i] = cmttypes.CommitSig{BlockIDFlag: cmttypes.BlockIDFlagAbsent}
		}
	})
	if _, _, rej := VerifyHeader(coin.Receipt.SignedHeader, coin.Receipt.Validators, c.trust()); rej == nil || rej.Code != ledger.CodeProofWeakCommit {
		t.Errorf("one signature of four: %v, want PROOF_WEAK_COMMIT", rej)
	}
	if _, _, rej := VerifyHeader([]byte("{"), p.Validators, c.trust()); rej == nil || rej.Code != ledger.CodeProofMalformed {
		t.Errorf("junk: %v, want PROOF_MALFORMED", rej)
	}
}
