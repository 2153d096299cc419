package node

import (
	"errors"
	"testing"
)

// TestProofCache: a block's proof parts are built once however often they
// are asked for, each consensus transaction's tree once, a failed build is
// not kept, and the lowest height goes first when the cache is full.
func TestProofCache(t *testing.T) {
	var c proofCache
	builds := map[uint64]int{}
	build := func(h uint64) func() (*blockProofs, error) {
		return func() (*blockProofs, error) {
			builds[h]++
			return newBlockProofs(nil, [][][]byte{{[]byte("a"), []byte{byte(h)}}, {[]byte("c")}}), nil
		}
	}
	for range 3 {
		b, err := c.get(1, build(1))
		if err != nil {
			t.Fatal(err)
		}
		if got := b.at[string([]byte{1})]; got != [2]int{0, 1} {
			t.Fatalf("leaf of height 1 at %v, want [0 1]", got)
		}
		if got := b.at["c"]; got != [2]int{1, 0} {
			t.Fatalf("leaf c at %v, want [1 0]", got)
		}
	}
	if builds[1] != 1 {
		t.Fatalf("height 1 built %d times, want once", builds[1])
	}
	b, _ := c.get(1, build(1))
	if first, again := b.tree(0), b.tree(0); first != again || b.tree(1) == first {
		t.Fatal("a consensus transaction's tree was built twice, or two share one")
	}
	failure := errors.New("no block")
	if _, err := c.get(2, func() (*blockProofs, error) { return nil, failure }); !errors.Is(err, failure) {
		t.Fatalf("failed build: err = %v, want %v", err, failure)
	}
	if _, err := c.get(2, build(2)); err != nil || builds[2] != 1 {
		t.Fatalf("after a failed build: err %v, %d builds; want a fresh build", err, builds[2])
	}
	for h := uint64(3); h < 3+proofCacheBlocks; h++ {
		if _, err := c.get(h, build(h)); err != nil {
			t.Fatal(err)
		}
	}
	if len(c.blocks) != proofCacheBlocks || c.blocks[1] != nil || c.blocks[2] != nil {
		t.Fatalf("cache holds %d blocks (1: %v, 2: %v); want %d without the lowest two", len(c.blocks), c.blocks[1] != nil,
			c.blocks[2] != nil, proofCacheBlocks)
	}
	if _, err := c.get(1, build(1)); err != nil || builds[1] != 2 {
		t.Fatalf("height 1 after eviction: err %v, %d builds; want a second build", err, builds[1])
	}
}
