package tx

import (
	"bytes"
	"testing"
)

// TestBatchSize: BatchSize is the size EncodeBatch gives, across the
// lengths where a field's length takes one, two and three bytes, and up to
// the limit, where EncodeBatch refuses what BatchSize puts over it.
func TestBatchSize(t *testing.T) {
	for _, n := range []int{1, 127, 128, 16383, 16384, 600_000} {
		txs := [][]byte{bytes.Repeat([]byte{1}, n), {2}, bytes.Repeat([]byte{3}, n/2+1)}
		b, err := EncodeBatch(txs)
		if err != nil {
			t.Fatal(err)
		}
		if got := BatchSize(txs); got != len(b) {
			t.Errorf("lengths %d: BatchSize = %d, the batch has %d bytes", n, got, len(b))
		}
	}
	// One transaction that fills the batch to the byte (its tag and three
	// bytes of length, then itself), then one byte more.
	fill := MaxBatchSize - 4
	at := [][]byte{make([]byte, fill)}
	if BatchSize(at) != MaxBatchSize {
		t.Fatalf("BatchSize of the filling transaction = %d, want %d", BatchSize(at), MaxBatchSize)
	}
	if _, err := EncodeBatch(at); err != nil {
		t.Errorf("a batch of exactly MaxBatchSize refused: %v", err)
	}
	over := [][]byte{make([]byte, fill+1)}
	if _, err := EncodeBatch(over); err == nil || BatchSize(over) <= MaxBatchSize {
		t.Errorf("a batch of %d bytes: EncodeBatch error %v", BatchSize(over), err)
	}
}
