package abci

import (
	"fmt"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// tradePerBlock is how many trade steps a benchmark block carries.
const tradePerBlock = 500

// tradesPerSeller keeps each seller well under trade.MaxOpenTrades.
const tradesPerSeller = 32

// BenchmarkTrades measures trade agreements end to end through the App
// (FinalizeBlock + Commit, each transaction admitted by CheckTx first,
// untimed, as on a validator): one op is a whole trade, six steps — offer,
// accept, fund (the buyer's coin into the pool), ship, confirm, settle (the
// pool to the seller) — each step of every trade in blocks of its own. It
// reports the time of each step a transaction and trade steps/s. Each trade
// has its own buyer, with a coin; sellers take 32 trades each; every party
// is certified before the timer runs.
func BenchmarkTrades(b *testing.B) {
	d := newDriver(b, ledgerGenesis())
	defer d.Close()
	s := &signer{tb: b}
	at := chainStart
	sign := func(a actor, m func(*txpb.Body)) ([]byte, ledger.TxID) {
		body := &txpb.Body{}
		m(body)
		return s.sign(a, uint64(d.height)+1000, body)
	}
	blocks := func(txs [][]byte) time.Duration {
		b.Helper()
		var spent time.Duration
		for lo := 0; lo < len(txs); lo += tradePerBlock {
			blk := txs[lo:min(len(txs), lo+tradePerBlock)]
			at = at.Add(time.Second)
			d.admit(blk)
			start := time.Now()
			res := d.block(at, blk)
			spent += time.Since(start)
			for i, r := range res.TxResults {
				if r.Code != 0 {
					b.Fatalf("block %d tx %d: code %d: %s", d.height, i, r.Code, r.Log)
				}
			}
		}
		return spent
	}
	deploy, _ := sign(cast.issuer, msgDeploy(ledgerDraft("gbpt", "GBPT", "GBP")))
	blocks([][]byte{deploy})
	attest, _ := sign(cast.attestor, msgAttest("gbpt", "GBP", "1000000", at))
	rules, _ := sign(cast.operator, msgTradeRules(0, "100000"))
	arbiter, _ := sign(cast.carol, msgRegisterCertFor(cast.carol, 1))
	blocks([][]byte{attest, rules, arbiter})
	buyers := make([]actor, b.N)
	sellers := make([]actor, (b.N+tradesPerSeller-1)/tradesPerSeller)
	coins := make([]ledger.CoinID, b.N)
	var setup [][]byte
	for i := range sellers {
		sellers[i] = newActor(fmt.Sprintf("seller%d", i), "GB")
		c, _ := sign(sellers[i], msgRegisterCertFor(sellers[i], uint64(2+i)))
		setup = append(setup, c)
	}
	for i := range buyers {
		buyers[i] = newActor(fmt.Sprintf("buyer%d", i), "GB")
		c, _ := sign(buyers[i], msgRegisterCertFor(buyers[i], uint64(2+len(sellers)+i)))
		m, id := sign(cast.minter, msgMint("gbpt", buyers[i].addr, "10"))
		setup, coins[i] = append(setup, c, m), ledger.NewCoinID(id, 0)
	}
	blocks(setup)
	// Each step's transactions, signed before the timer runs; the deadlines
	// are a day from now, which the steps' blocks stay well within.
	var steps [6][][]byte
	for i, buyer := range buyers {
		seller := sellers[i/tradesPerSeller]
		offer, id := sign(seller, msgTradeOffer(buyer.addr, seller.addr, tradeTerms("10", "confirmation", cast.carol.addr, at.Add(time.Minute))))
		accept, _ := sign(buyer, msgTradeAccept(id, 1))
		fund, _ := sign(buyer, msgTradeFund(id, []ledger.CoinID{coins[i]}, "10"))
		ship, _ := sign(seller, msgTradeShip(id))
		confirm, _ := sign(buyer, msgTradeConfirm(id))
		settle, _ := sign(seller, msgTradeSettle(id))
		for k, raw := range [][]byte{offer, accept, fund, ship, confirm, settle} {
			steps[k] = append(steps[k], raw)
		}
	}
	var spent [6]time.Duration
	b.ResetTimer()
	for k := range steps {
		spent[k] = blocks(steps[k])
	}
	b.StopTimer()
	n := float64(b.N)
	var total time.Duration
	for k, name := range []string{"offer-ns", "accept-ns", "fund-ns", "ship-ns", "confirm-ns", "settle-ns"} {
		b.ReportMetric(float64(spent[k].Nanoseconds())/n, name)
		total += spent[k]
	}
	b.ReportMetric(6*n/total.Seconds(), "steps/s")
}
