package proof

import (
	"crypto/sha256"
	"testing"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/pegledger/peg/internal/ledger"
)

// codeOf is a rejection's code, OK for none.
func codeOf(rej *ledger.Rejection) ledger.Code {
	if rej == nil {
		return ledger.OK
	}
	return rej.Code
}

// TestCacheVerifiesOnce: the signed header of a proof that verified is
// taken from the cache the next time (the same header), the proof's own
// parts are checked every time, and the same proof against another trust is
// verified afresh.
func TestCacheVerifiesOnce(t *testing.T) {
	c := newChain(t, testChain, nil, nil)
	cache := NewCache()
	p := roundTrip(t, c.receipt(t, 0))
	first, rej := cache.Verify(p, c.trust())
	if rej != nil {
		t.Fatal(rej)
	}
	again, rej := cache.Verify(roundTrip(t, c.receipt(t, 2)), c.trust())
	if rej != nil || again.Header != first.Header || again.Leaf.TxID != (ledger.TxID{3}) {
		t.Fatalf("another receipt of the block: %v, the cached header %v; want its leaf under the cached header", rej, again.Header == first.Header)
	}
	forged := roundTrip(t, p)
	forged.Result.Code = 1
	for range 2 {
		if _, rej := cache.Verify(forged, c.trust()); codeOf(rej) != ledger.CodeProofPath {
			t.Fatalf("forged result code: got %v, want PROOF_PATH", rej)
		}
	}
	other := newChain(t, "peg-other", nil, nil)
	if _, rej := cache.Verify(p, other.trust()); codeOf(rej) != ledger.CodeProofWrongChain {
		t.Fatalf("against another chain's trust: got %v, want PROOF_WRONG_CHAIN", rej)
	}
	if len(cache.m) != 1 || len(cache.order) != 1 {
		t.Fatalf("cache holds %d entries (%d in order), want the one header that verified", len(cache.m), len(cache.order))
	}
}

// TestCacheBound: a full cache forgets its oldest entry for a new one.
func TestCacheBound(t *testing.T) {
	c := newChain(t, testChain, nil, nil)
	cache := NewCache()
	for i := range MaxCachedHeaders {
		k := sha256.Sum256([]byte{byte(i), byte(i >> 8)})
		cache.m[k], cache.order = &cmttypes.SignedHeader{}, append(cache.order, k)
	}
	oldest := cache.order[0]
	if _, rej := cache.Verify(c.receipt(t, 0), c.trust()); rej != nil {
		t.Fatal(rej)
	}
	if _, ok := cache.m[oldest]; ok || len(cache.m) != MaxCachedHeaders || len(cache.order) != MaxCachedHeaders {
		t.Fatalf("oldest kept %v, %d entries (%d in order); want %d without the oldest", ok, len(cache.m), len(cache.order), MaxCachedHeaders)
	}
}
