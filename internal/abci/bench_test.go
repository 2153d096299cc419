package abci

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/token"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// benchChain drives an App block by block, as consensus would, without the
// network: it measures the application alone.
type benchChain struct {
	tb     testing.TB
	app    *App
	height int64
	nonce  uint64
}

func (c *benchChain) sign(k ed25519.PrivateKey, from ledger.Address, body *txpb.Body) []byte {
	c.nonce++
	body.ChainId, body.ExpiryHeight, body.Signer, body.Nonce = testChain, uint64(c.height)+50, from.String(), c.nonce
	raw, _, err := tx.Sign(body, k)
	if err != nil {
		c.tb.Fatal(err)
	}
	return raw
}

// block finalizes and commits txs, failing on any rejection.
func (c *benchChain) block(txs [][]byte) *abcitypes.ResponseFinalizeBlock {
	c.height++
	ctx := context.Background()
	res, err := c.app.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{Height: c.height,
		Time: time.Unix(1_800_000_000+c.height, 0), Txs: txs})
	if err != nil {
		c.tb.Fatal(err)
	}
	for i, r := range res.TxResults {
		if r.Code != 0 {
			c.tb.Fatalf("block %d tx %d: code %d: %s", c.height, i, r.Code, r.Log)
		}
	}
	if _, err := c.app.Commit(ctx, &abcitypes.RequestCommit{}); err != nil {
		c.tb.Fatal(err)
	}
	return res
}

// BenchmarkPayments measures FinalizeBlock + Commit of blocks of
// single-input, two-output payments admitted by CheckTx (not timed), as on a
// validator at full load: their parsed, verified transactions and the reads
// of the coins they spend are cached. One op is one payment.
func BenchmarkPayments(b *testing.B) {
	app, c, pays := setupPayments(b, b.N)
	for lo := 0; lo < b.N; lo += perBlock {
		if res := checkTxB(b, app, c.batch(pays[lo:min(b.N, lo+perBlock)])); res.Code != 0 {
			b.Fatalf("CheckTx: %d %s", res.Code, res.Log)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for lo := 0; lo < b.N; lo += perBlock {
		c.block([][]byte{c.batch(pays[lo:min(b.N, lo+perBlock)])})
	}
}

// BenchmarkCheckBatch measures the mempool's admission of the same payments
// in batches of perBlock: parsing, batch signature verification and the
// checks against the committed state. One op is one payment.
func BenchmarkCheckBatch(b *testing.B) {
	app, c, pays := setupPayments(b, b.N)
	batches := make([][]byte, 0, b.N/perBlock+1)
	for lo := 0; lo < b.N; lo += perBlock {
		batches = append(batches, c.batch(pays[lo:min(b.N, lo+perBlock)]))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for _, raw := range batches {
		if res := checkTxB(b, app, raw); res.Code != 0 {
			b.Fatalf("CheckTx: %d %s", res.Code, res.Log)
		}
	}
}

// perBlock is the payments of one benchmark block, packed in one batch.
const perBlock = 2000

func (c *benchChain) batch(raws [][]byte) []byte {
	b, err := tx.EncodeBatch(raws)
	if err != nil {
		c.tb.Fatal(err)
	}
	return b
}

func checkTxB(tb testing.TB, app *App, raw []byte) *abcitypes.ResponseCheckTx {
	res, err := app.CheckTx(context.Background(), &abcitypes.RequestCheckTx{Tx: raw})
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

// setupPayments deploys a token, attests its reserve, mints one coin to each
// of n payers and signs n payments, each spending its payer's coin: part to
// a payee, the rest back as change.
func setupPayments(b *testing.B, n int) (*App, *benchChain, [][]byte) {
	app, opKey, op := newApp(b)
	c := &benchChain{tb: b, app: app}
	issuerKey, issuer := key("issuer")
	attKey, attestor := key("attestor")
	minterKey, minter := key("minter")
	_, owner := key("owner")
	_, pauser := key("pauser")
	_, freezer := key("freezer")
	c.block([][]byte{c.sign(opKey, op, &txpb.Body{Msg: &txpb.Body_AuthorizeIssuer{AuthorizeIssuer: &txpb.AuthorizeIssuer{Issuer: issuer.String()}}})})
	d := token.Draft{ID: "gbpt", Name: "Pound", Symbol: "GBPT", Decimals: 2, SupplyCap: "1000000000", DeclaredReserve: "1000000000",
		Ratio: "1", MinUnit: "0.01", MaxTransfer: "1000000", TransferRule: "open", RedeemRule: "anyone",
		Fiat: token.FiatDraft{BIC: "PEGDGB2L", Scheme: "IBAN", Account: "GB81PEGD20041531926819", Currency: "GBP"},
		Roles: token.RolesDraft{Owner: owner.String(), Pauser: pauser.String(), Freezer: freezer.String(), Attestor: attestor.String(),
			Minters: []token.MinterDraft{{Address: minter.String(), Allowance: "1000000000"}}}}
	c.block([][]byte{c.sign(issuerKey, issuer, &txpb.Body{Msg: &txpb.Body_DeployToken{DeployToken: &txpb.DeployToken{Contract: tx.DraftToProto(d)}}})})
	c.block([][]byte{c.sign(attKey, attestor, &txpb.Body{Msg: &txpb.Body_Attest{Attest: &txpb.Attest{Token: "gbpt",
		Account: d.Fiat.Account, Currency: "GBP", Balance: "100000000000", BalanceType: "ClosingBooked",
		BankTime: 1_800_000_000, RawHash: make([]byte, 32), Source: "bench"}}})})

	// One payer per payment, each minted one coin to spend.
	type payer struct {
		key  ed25519.PrivateKey
		addr ledger.Address
		coin ledger.CoinID
	}
	payers := make([]payer, n)
	for lo := 0; lo < n; lo += perBlock {
		var mints [][]byte
		for i := lo; i < min(n, lo+perBlock); i++ {
			k, a := key(fmt.Sprint("payer ", i))
			payers[i] = payer{key: k, addr: a}
			mints = append(mints, c.sign(minterKey, minter, &txpb.Body{Msg: &txpb.Body_Mint{Mint: &txpb.Mint{Token: "gbpt", To: a.String(), Amount: "1000"}}}))
		}
		c.block(mints)
		for i := lo; i < min(n, lo+perBlock); i++ {
			id, _ := tx.Parse(mints[i-lo], testChain)
			payers[i].coin = ledger.NewCoinID(id.ID, 0)
		}
	}
	_, payee := key("payee")
	pays := make([][]byte, n)
	for i, p := range payers {
		pays[i] = c.sign(p.key, p.addr, &txpb.Body{Msg: &txpb.Body_Pay{Pay: &txpb.Pay{Token: "gbpt", Inputs: [][]byte{p.coin[:]},
			Outputs: []*txpb.Output{{Owner: payee.String(), Amount: "600"}, {Owner: p.addr.String(), Amount: "400"}}}}})
	}
	return app, c, pays
}

// BenchmarkReceiptLeaves measures what FinalizeBlock adds to a payment for
// proofs: its receipt leaf (a payment with change: one coin spent, two
// created), and its share of its batch's Merkle root, in batches of
// perBlock. One op is one payment.
func BenchmarkReceiptLeaves(b *testing.B) {
	_, payer := key("payer")
	_, payee := key("payee")
	coin := func(typ string, i uint32, owner ledger.Address, amount string) state.Event {
		return state.Event{Type: typ, Attrs: []state.Attr{{Key: "coin", Value: ledger.NewCoinID(ledger.TxID{1}, i).String()},
			{Key: "owner", Value: owner.String()}, {Key: "amount", Value: amount}}}
	}
	res := state.Result{Recorded: true, Events: []state.Event{
		coin("coin.spent", 9, payer, "100000"), coin("coin.created", 0, payee, "2500"), coin("coin.created", 1, payer, "97500"),
		{Type: "pay", Attrs: []state.Attr{{Key: "token", Value: "gbpt"}, {Key: "from", Value: payer.String()}, {Key: "amount", Value: "2500"}}},
	}}
	t := &tx.Tx{ID: ledger.TxID{1}, Signer: payer, Msg: tx.Pay{Token: "gbpt"}}
	var ls Leaves
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		ls.Add(t, 7, res)
		if i%perBlock == perBlock-1 || i == b.N-1 {
			ls.root()
		}
	}
}
