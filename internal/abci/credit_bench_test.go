package abci

import (
	"crypto/ed25519"
	"fmt"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/cert"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// creditPerBlock is how many credit steps a benchmark block carries.
const creditPerBlock = 500

// creditDebtsPerPayer keeps each payer well under credit.MaxOpenDebts.
const creditDebtsPerPayer = 32

// BenchmarkCreditPayments measures credit payments end to end through the
// App (FinalizeBlock + Commit, each transaction admitted by CheckTx first,
// untimed, as on a validator): one op is a request, the payee's
// confirmation (the limits checked, the payee paid from the pool, the debt
// recorded) and its receipt, each step in blocks of its own. It reports the
// time of each step a transaction (request-ns, confirm-ns, receipt-ns) and
// payments/s. Payers are certified and granted lines before the timer runs.
func BenchmarkCreditPayments(b *testing.B) {
	d := newDriver(b, ledgerGenesis())
	defer d.Close()
	s := &signer{tb: b}
	at := chainStart
	commit := func(txs ...[]byte) {
		b.Helper()
		at = at.Add(time.Second)
		d.admit(txs)
		res := d.block(at, txs)
		for i, r := range res.TxResults {
			if r.Code != 0 {
				b.Fatalf("block %d tx %d: code %d: %s", d.height, i, r.Code, r.Log)
			}
		}
	}
	raw := func(a actor, m func(*txpb.Body)) []byte {
		body := &txpb.Body{}
		m(body)
		r, _ := s.sign(a, uint64(d.height)+100, body)
		return r
	}
	node := cast.carol
	commit(raw(cast.issuer, msgDeploy(ledgerDraft("gbpt", "GBPT", "GBP"))))
	commit(raw(cast.attestor, msgAttest("gbpt", "GBP", "1000000", at)))
	mint, mintID := s.sign(cast.minter, uint64(d.height)+100, &txpb.Body{Msg: &txpb.Body_Mint{Mint: &txpb.Mint{
		Token: "gbpt", To: node.addr.String(), Amount: "200000"}}})
	commit(mint, raw(cast.bob, msgRegisterCert(cast.bob, 1)), raw(cast.operator, msgCreditNode(node.addr)))
	// Fund the pool 0.5 at a time, the token's maximum transfer a step.
	coin := ledger.NewCoinID(mintID, 0)
	need := b.N*10 + 10
	for funded := 0; funded < need; funded += 5000 {
		body := &txpb.Body{}
		msgCreditFund([]ledger.CoinID{coin}, "5000")(body)
		f, id := s.sign(node, uint64(d.height)+100, body)
		commit(f)
		coin = ledger.NewCoinID(id, 0) // the change
	}
	payers := make([]actor, (b.N+creditDebtsPerPayer-1)/creditDebtsPerPayer)
	for i := range payers {
		payers[i] = newActor(fmt.Sprintf("payer%d", i), "GB")
	}
	for lo := 0; lo < len(payers); lo += creditPerBlock / 2 {
		var txs [][]byte
		for i := lo; i < min(len(payers), lo+creditPerBlock/2); i++ {
			txs = append(txs, raw(payers[i], msgRegisterCertFor(payers[i], uint64(i+2))),
				raw(cast.bob, msgCreditLine(node.addr, payers[i].addr, "1000")))
		}
		commit(txs...)
	}
	reqs := make([][]byte, b.N)
	ids := make([]ledger.TxID, b.N)
	for i := range reqs {
		body := &txpb.Body{}
		msgCreditRequest(node.addr, cast.bob.addr, "10", at.Add(24*time.Hour))(body)
		reqs[i], ids[i] = s.sign(payers[i/creditDebtsPerPayer], uint64(d.height)+1000, body)
	}
	var steps [3]time.Duration
	run := func(step int, txs [][]byte) {
		for lo := 0; lo < len(txs); lo += creditPerBlock {
			blk := txs[lo:min(len(txs), lo+creditPerBlock)]
			at = at.Add(time.Second)
			d.admit(blk)
			start := time.Now()
			res := d.block(at, blk)
			steps[step] += time.Since(start)
			for i, r := range res.TxResults {
				if r.Code != 0 {
					b.Fatalf("step %d, block %d tx %d: code %d: %s", step, d.height, i, r.Code, r.Log)
				}
			}
		}
	}
	confirms := make([][]byte, b.N)
	receipts := make([][]byte, b.N)
	for i, id := range ids {
		confirms[i] = raw(cast.bob, msgCreditConfirm(id))
		receipts[i] = raw(cast.bob, msgCreditReceipt(id))
	}
	b.ResetTimer()
	run(0, reqs)
	run(1, confirms)
	run(2, receipts)
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(steps[0].Nanoseconds())/n, "request-ns")
	b.ReportMetric(float64(steps[1].Nanoseconds())/n, "confirm-ns")
	b.ReportMetric(float64(steps[2].Nanoseconds())/n, "receipt-ns")
	b.ReportMetric(n/(steps[0]+steps[1]+steps[2]).Seconds(), "payments/s")
}

// msgRegisterCertFor registers a certificate for any actor.
func msgRegisterCertFor(a actor, serial uint64) func(*txpb.Body) {
	ca := testCA()
	der, err := ca.Issue(testCAKey, cert.Request{Identity: cert.Identity{Name: a.name, Registration: "1", Country: "GB"},
		Address: a.addr, Public: a.priv.Public().(ed25519.PublicKey), Serial: serial, NotBefore: ca.NotBefore, NotAfter: ca.NotAfter})
	if err != nil {
		panic(err)
	}
	return func(b *txpb.Body) {
		b.Msg = &txpb.Body_RegisterCertificate{RegisterCertificate: &txpb.RegisterCertificate{Certificate: der}}
	}
}
