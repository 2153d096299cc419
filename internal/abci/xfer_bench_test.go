package abci

import (
	"context"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// BenchmarkTransferIn is what a validator's application spends on a
// transfer_in, a transfer from HK delivered to carol in GB: its mempool
// check (CheckTx, where the proof is verified) and its share of its block
// (FinalizeBlock and Commit), in blocks of 64, the transfers the relayer
// carries at once. Each carries the receipt proof of an HK payment of its
// own, signed by HK's one validator, as JSON, as a relayer submits it; the
// token was imported before. "cached" is the App as it runs: the proof
// verified at CheckTx is found in the App's proof.Cache by FinalizeBlock;
// "uncached" verifies it at both, as the App did before the cache. One op
// is one transfer_in; signing the transactions and their proofs is not
// timed.
func BenchmarkTransferIn(b *testing.B) {
	for _, cached := range []bool{true, false} {
		name := map[bool]string{true: "cached", false: "uncached"}[cached]
		b.Run(name, func(b *testing.B) {
			d := newDriver(b, ledgerGenesis())
			defer d.Close()
			if !cached {
				d.app.proofs = nil
			}
			s := &signer{tb: b}
			hana := newActor("hana", "HK")
			hkd := ledgerDraft("hkdt", "HKDT", "HKD")
			deploy := hkProof(b, ledger.TxID{1}, 3, "deploy_token", hana.addr, event("token.deployed", "token", "hkdt",
				"hash", deployedHash(b, hkd, ledgerGenesis()), "address", hana.addr.String(), "issuer", hana.addr.String()))
			imp, _ := s.sign(cast.mallory, 1000, &txpb.Body{Msg: &txpb.Body_TokenImport{TokenImport: &txpb.TokenImport{Proof: deploy, Contract: tx.DraftToProto(hkd)}}})
			at := chainStart
			transferBlock(b, d, at, [][]byte{imp})
			txs := make([][]byte, b.N)
			for i := range txs {
				hkTx := ledger.TxID{2, byte(i), byte(i >> 8), byte(i >> 16)}
				id := ledger.NewCoinID(hkTx, 0)
				p := hkProof(b, hkTx, 4, "pay", hana.addr, event("transfer.out", "transfer", id.String(), "token", "hkdt",
					"amount", "700", "payer", hana.addr.String(), "payee", cast.carol.addr.String(), "from", "HK", "to", "GB"))
				txs[i], _ = s.sign(cast.mallory, 1000, &txpb.Body{Msg: &txpb.Body_TransferIn{TransferIn: &txpb.TransferIn{Proof: p, Transfer: id[:]}}})
			}
			b.ResetTimer()
			for start := 0; start < len(txs); start += 64 {
				at = at.Add(time.Second)
				transferBlock(b, d, at, txs[start:min(start+64, len(txs))])
			}
		})
	}
}

// transferBlock admits txs to the mempool and commits them in a block,
// failing on any refusal.
func transferBlock(b *testing.B, d *driver, at time.Time, txs [][]byte) {
	for i, raw := range txs {
		res, err := d.app.CheckTx(context.Background(), &abcitypes.RequestCheckTx{Tx: raw})
		if err != nil || res.Code != 0 {
			b.Fatalf("CheckTx of transaction %d: %v, code %d: %s", i, err, res.GetCode(), res.GetLog())
		}
	}
	for i, r := range d.block(at, txs).TxResults {
		if r.Code != 0 {
			b.Fatalf("block %d, transaction %d: code %d: %s", d.height, i, r.Code, r.Log)
		}
	}
}
