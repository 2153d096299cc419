package tx

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"runtime"
	"testing"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/tx/txpb"
)

const verifyChain = "verify-chain"

// signedPayments builds n signed single-input payments from distinct keys.
func signedPayments(t testing.TB, n int) [][]byte {
	t.Helper()
	out := make([][]byte, n)
	for i := range n {
		seed := sha256.Sum256([]byte(fmt.Sprintf("payer %d", i)))
		key := ed25519.NewKeyFromSeed(seed[:])
		from := ledger.NewAddress("GB", key.Public().(ed25519.PublicKey))
		coin := sha256.Sum256([]byte(fmt.Sprintf("coin %d", i)))
		raw, _, err := Sign(&txpb.Body{ChainId: verifyChain, ExpiryHeight: 100, Signer: from.String(), Nonce: uint64(i),
			Msg: &txpb.Body_Pay{Pay: &txpb.Pay{Token: "gbpt", Inputs: [][]byte{coin[:]},
				Outputs: []*txpb.Output{{Owner: from.String(), Amount: "100"}}}}}, key)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = raw
	}
	return out
}

func parseAll(t testing.TB, raws [][]byte) []*Tx {
	t.Helper()
	txs := make([]*Tx, len(raws))
	for i, raw := range raws {
		var rej *ledger.Rejection
		if txs[i], rej = Parse(raw, verifyChain); rej != nil {
			t.Fatal(rej)
		}
	}
	return txs
}

// TestVerifyWorkers: a batch is split only into chunks of MinChunk or more,
// over no more goroutines than it is given cores, and always over one at
// least.
func TestVerifyWorkers(t *testing.T) {
	for _, c := range []struct{ n, cores, want int }{
		{0, 2, 1}, {MinChunk - 1, 2, 1}, {2*MinChunk - 1, 2, 1}, {2 * MinChunk, 2, 2},
		{MaxBatchTxs, 1, 1}, {MaxBatchTxs, 2, 2}, {MaxBatchTxs, 64, MaxBatchTxs / MinChunk}, {MaxBatchTxs, 0, 1},
	} {
		if got := verifyWorkers(c.n, c.cores); got != c.want {
			t.Errorf("verifyWorkers(%d, %d) = %d, want %d", c.n, c.cores, got, c.want)
		}
	}
}

// TestVerifyBatchAgreesWithVerify corrupts some signatures and checks that
// batch verification rejects exactly those transactions, as Verify does.
func TestVerifyBatchAgreesWithVerify(t *testing.T) {
	for _, c := range []struct{ n, cores int }{
		{1, 4}, {MinBatch - 1, 4}, {MinBatch, 4}, {3*MinBatch + 5, 4}, {200, 4},
		{2*MinChunk + 5, 1}, {2*MinChunk + 5, 2}, {2*MinChunk + 5, 4},
	} {
		n := c.n
		t.Run(fmt.Sprintf("%d/%d", n, c.cores), func(t *testing.T) {
			txs := parseAll(t, signedPayments(t, n))
			for i := 0; i < n; i += 7 {
				txs[i].sigs[0].sig[5] ^= 1
			}
			got := VerifyBatch(txs, c.cores)
			for i, tx := range txs {
				want := tx.Verify()
				if (got[i] == nil) != (want == nil) {
					t.Errorf("tx %d: batch says %v, single says %v", i, got[i], want)
				}
				if bad := i%7 == 0; bad != (got[i] != nil) {
					t.Errorf("tx %d: corrupted %v, batch rejection %v", i, bad, got[i])
				}
				if got[i] != nil && got[i].Code != ledger.CodeBadSignature {
					t.Errorf("tx %d: code %s, want BAD_SIGNATURE", i, got[i].Code.Name())
				}
			}
		})
	}
}

// BenchmarkVerify is one signature at a time, as a node checked before
// batching; BenchmarkVerifyBatch is the same work through VerifyBatch.
// Both report the time per transaction.
func BenchmarkVerify(b *testing.B) {
	txs := parseAll(b, signedPayments(b, 1024))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if rej := txs[i%len(txs)].Verify(); rej != nil {
			b.Fatal(rej)
		}
	}
}

func BenchmarkVerifyBatch(b *testing.B) {
	txs := parseAll(b, signedPayments(b, 1024))
	b.ResetTimer()
	for done := 0; done < b.N; done += len(txs) {
		for _, rej := range VerifyBatch(txs[:min(len(txs), b.N-done)], runtime.GOMAXPROCS(0)) {
			if rej != nil {
				b.Fatal(rej)
			}
		}
	}
}

// BenchmarkVerifyChunk is one core's batch verification at several batch
// sizes, per signature: the figures behind MinChunk.
func BenchmarkVerifyChunk(b *testing.B) {
	txs := parseAll(b, signedPayments(b, 1000))
	verifyChunk(txs, make([]*ledger.Rejection, len(txs))) // expand every key first
	for _, n := range []int{250, 500, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			out := make([]*ledger.Rejection, n)
			for done := 0; done < b.N; done += n {
				verifyChunk(txs[:n], out)
			}
		})
	}
}

// BenchmarkVerifyChunkParallel verifies batches of 500 on as many
// goroutines as -cpu gives, and reports each signature's share of the wall
// time: run with -cpu 1,2 to see what the second core adds.
func BenchmarkVerifyChunkParallel(b *testing.B) {
	const n = 500
	txs := parseAll(b, signedPayments(b, n))
	verifyChunk(txs, make([]*ledger.Rejection, n)) // expand every key first
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		out := make([]*ledger.Rejection, n)
		for pb.Next() {
			verifyChunk(txs, out)
		}
	})
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/sig")
}

// BenchmarkParsedMemory reports the heap a parsed payment holds, as the
// admission cache keeps it.
func BenchmarkParsedMemory(b *testing.B) {
	raws := signedPayments(b, 20_000)
	var perTx float64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		txs := make([]*Tx, len(raws))
		for i, r := range raws {
			var rej *ledger.Rejection
			if txs[i], rej = Parse(r, verifyChain); rej != nil {
				b.Fatal(rej)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perTx = float64(after.HeapAlloc-before.HeapAlloc) / float64(len(txs))
		runtime.KeepAlive(txs)
	}
	b.ReportMetric(perTx, "B/tx")
	b.ReportMetric(float64(len(raws[0])), "encoded-B/tx")
}

// BenchmarkParse is the decoder alone on a single-input payment: protobuf,
// the unknown-field walk, addresses and amounts; no signature.
func BenchmarkParse(b *testing.B) {
	raws := signedPayments(b, 1024)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, rej := Parse(raws[i%len(raws)], verifyChain); rej != nil {
			b.Fatal(rej)
		}
	}
}

// TestVerifyKeyThatDoesNotDecompress: a signature under 32 bytes that are no
// curve point is refused by both paths, without an expanded key to cache.
func TestVerifyKeyThatDoesNotDecompress(t *testing.T) {
	txs := parseAll(t, signedPayments(t, 2*MinBatch))
	// Half of all y coordinates have no point on the curve: find a small one.
	var bad [32]byte
	for bad[0] = 2; expandedKeys.get(bad[:]) != nil; bad[0]++ {
		if bad[0] == 255 {
			t.Fatal("no small y without a point")
		}
	}
	txs[3].sigs[0].pub = bad[:]
	if rej := txs[3].Verify(); rej == nil || rej.Code != ledger.CodeBadSignature {
		t.Errorf("Verify = %v, want BAD_SIGNATURE", rej)
	}
	for i, rej := range VerifyBatch(txs, runtime.GOMAXPROCS(0)) {
		if (i == 3) != (rej != nil) {
			t.Errorf("tx %d: batch rejection %v", i, rej)
		}
	}
}
