package gateway

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/pegledger/peg/internal/bench"
	"github.com/pegledger/peg/internal/network"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// BenchmarkAdmitBatch is the gateway's own work on a batch of
// tx.MaxBatchTxs payments with change, as `peg bench` signs them: read
// each signer, parse each with its region's chain id, verify the
// signatures in parallel batches, and group them by region. One op is one
// payment; the forward (one HTTP request a batch) comes on top.
func BenchmarkAdmitBatch(b *testing.B) {
	const chain = "peg-bench"
	g, err := New(context.Background(), Config{Network: mustParse(b, networkFile([3]string{"GB", chain, "http://127.0.0.1:1"}))})
	if err != nil {
		b.Fatal(err)
	}
	payers := make([]bench.Signer, 100)
	for i := range payers {
		payers[i] = bench.NewSigner("GB")
	}
	raws := make([][]byte, tx.MaxBatchTxs)
	for i := range raws {
		payer, payee := payers[i%len(payers)], payers[(i+1)%len(payers)]
		coin := sha256.Sum256(fmt.Append(nil, i))
		raw, _, err := tx.Sign(&txpb.Body{ChainId: chain, ExpiryHeight: 10_000, Signer: payer.Addr.String(), Nonce: uint64(i),
			Msg: &txpb.Body_Pay{Pay: &txpb.Pay{Token: "bench-0badcafe", Inputs: [][]byte{coin[:]}, Outputs: []*txpb.Output{
				{Owner: payee.Addr.String(), Amount: "40"}, {Owner: payer.Addr.String(), Amount: "60"}}}}}, payer.Priv)
		if err != nil {
			b.Fatal(err)
		}
		raws[i] = raw
	}
	b.ResetTimer()
	for done := 0; done < b.N; done += len(raws) {
		items, groups := g.admitBatch(raws[:min(len(raws), b.N-done)])
		if len(groups) != 1 || items[0].Code != 0 {
			b.Fatalf("%d groups, first item %+v; want every payment admitted", len(groups), items[0])
		}
	}
}

func mustParse(b *testing.B, file string) *network.Network {
	n, err := network.Parse([]byte(file))
	if err != nil {
		b.Fatal(err)
	}
	return n
}
